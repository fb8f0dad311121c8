"""The references' calls of one check, made three ways: recorded, replayed, or memoised.

The kinds' own `plan` and `evaluate` run unchanged in a self-check; only `ctx.ref`
differs by the context they are given:

- `RecordingContext` (`grade selfcheck-pack`) calls the reference and keeps the
  fingerprint of its arguments with its result;
- `ReplayContext` (a worker judging from a pack) returns the kept result of the next
  call, after checking that the arguments are the ones recorded;
- `MemoContext` (a worker in a course folder) calls each reference once per set of
  arguments: the practice seed is fixed, so a second self-check asks the same.

`JUDGE_RECORDERS` makes, ahead of judging, the calls a kind's `evaluate` would make
(model_metric's baselines), so that a pack records them and a worker computes them while
the kernel runs the probe.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from grader.checks import GradeContext
from grader.errors import SpecError
from grader.selfcheck.codec import decode, fingerprint

if TYPE_CHECKING:
    from grader.checks.base import CheckSpec


class PackMismatch(SpecError):
    """The pack's record does not fit the call being replayed (another grader or course version)."""


@dataclass
class Call:
    ref: str
    args: str  # fingerprint
    result: Any


@dataclass
class RecordingContext(GradeContext):
    """Calls the course's references and remembers each call (in order)."""

    calls: list[Call] = field(default_factory=list)

    def ref(self, dotted: str) -> Callable[..., Any]:
        fn = self.course.reference(dotted)

        def call(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            digest = fingerprint(args, kwargs)  # before the call: it advances a generator's state
            out = fn(*args, **kwargs)
            self.calls.append(Call(dotted, digest, copy.deepcopy(out)))
            return out

        return call


@dataclass
class ReplayContext(GradeContext):
    """Answers the references' calls from a record, in the order they were made."""

    calls: list[Call] = field(default_factory=list)
    arrays: Any = None
    position: int = 0

    def ref(self, dotted: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            if self.position >= len(self.calls):
                raise PackMismatch.told("selfcheck.replay.no_record", None, ref=dotted)
            rec = self.calls[self.position]
            if rec.ref != dotted or rec.args != fingerprint(args, kwargs):
                raise PackMismatch.told("selfcheck.replay.other_data", None, ref=dotted)
            self.position += 1
            return decode(rec.result, self.arrays)

        return call


@dataclass
class MemoContext(GradeContext):
    """Calls the course's references once per distinct set of arguments: the practice seed is
    fixed, so a worker answers repeated self-checks (and the baselines it computes ahead,
    while the kernel runs the probe) from `memo`, shared by every context of one course."""

    memo: dict[tuple[str, str], Any] = field(default_factory=dict)

    def ref(self, dotted: str) -> Callable[..., Any]:
        fn = self.course.reference(dotted)

        def call(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            key = (dotted, fingerprint(args, kwargs))
            if key not in self.memo:
                out = fn(*args, **kwargs)
                self.memo[key] = copy.deepcopy(out)
                return out
            return copy.deepcopy(self.memo[key])

        return call


def judge_calls_refs(kind: Any) -> bool:  # noqa: ANN401
    """Whether a kind's evaluate() calls references (read from its source)."""
    try:
        return ".ref(" in inspect.getsource(type(kind).evaluate)
    except (OSError, TypeError):
        return True


def _metric_baselines(check: CheckSpec, ctx: GradeContext, plan: Any) -> None:  # noqa: ANN401
    # The calls model_metric.evaluate makes, with the same arguments, so that the replay
    # answers them: ctx.ref(dotted)(inputs, targets, ctx.rng(check id, baseline name)).
    for bname, dotted in check.params.get("baselines", {}).items():
        ctx.ref(dotted)(plan.private["inputs"], plan.private["targets"], ctx.rng(check.id, bname))


# Kinds whose evaluate() calls references: how to make those calls ahead of judging.
JUDGE_RECORDERS: dict[str, Callable[[CheckSpec, GradeContext, Any], None]] = {"model_metric": _metric_baselines}
