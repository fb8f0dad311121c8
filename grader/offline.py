"""The checks that need no kernel (the quiz), scored on a thread while the notebook runs,
and what they say when they were not done in time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from grader.checks import KINDS, GradeContext, Plan
from grader.checks.base import CheckSpec
from grader.results.attempt import CheckResult


def offline_checks(checks: list[CheckSpec], ctx: GradeContext) -> dict[str, CheckResult]:
    out = {}
    for check in checks:
        kind = KINDS[check.kind]
        if not kind.needs_kernel:
            out[check.id] = kind.evaluate(check, ctx, Plan(), {})
    return out


class Background:
    """A function run on a daemon thread, with a bounded wait for its result.

    Not a ThreadPoolExecutor: leaving its `with` block, and the interpreter's exit,
    both wait for the worker, so a scorer that never finishes would still hang the grade."""

    key: str = ""  # the owner's name for the job, if it keeps several (the self-check's quiz cache)

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._done = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                self._error = exc
            finally:
                self._done.set()

        threading.Thread(target=run, name="grade-offline-checks", daemon=True).start()

    def result(self, timeout: float) -> Any:  # noqa: ANN401
        """The function's value; None if it is still running after `timeout` seconds."""
        if not self._done.wait(timeout):
            return None
        if self._error is not None:
            raise self._error
        return self._value


def not_scored_in_time(checks: list[CheckSpec], ctx: GradeContext, grace_s: float) -> dict[str, CheckResult]:
    """Zero points and a plain reason for every check that needs no kernel (the quiz)."""
    msg = ctx.text("grading.not_scored_in_time.your_answer_could_not", grace_s=grace_s)
    out = {}
    for check in checks:
        kind = KINDS[check.kind]
        if not kind.needs_kernel:
            qid = check.params.get("question", check.id)
            out[check.id] = kind.result(
                check,
                ctx,
                0.0,
                msg,
                {
                    "question": qid,
                    "matched": [],
                    "missing": [],
                    "misconceptions": [],
                    "feedback": "",
                    "timed_out": True,
                },
            )
    return out
