"""What every kind of check implements, and the context a grading run gives it.

A check has two halves. `plan` runs in the grader: it makes hidden inputs from
the attempt's seed and keeps whatever it needs to judge (targets, reference
outputs) in `Plan.private`, which never leaves the grader process. The probe
requests and the inputs go into the student's kernel; the probe returns plain
data (JSON values and arrays). `evaluate` runs in the grader again and turns
that data into points and a message.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import numpy as np

from grader.errors import SpecError
from grader.results.attempt import CheckResult

if TYPE_CHECKING:
    from grader.course.loader import Course
    from grader.course.spec import CheckSpec, ExerciseSpec


@dataclass
class ProbeOutput:
    """What one probe request produced in the kernel."""

    ok: bool
    value: Any = None                      # JSON data (shapes, configs, values)
    arrays: list[np.ndarray] = field(default_factory=list)  # array outputs, in order
    error: str = ""                        # "TypeError: ..." when the call raised


@dataclass
class Plan:
    requests: list[dict[str, Any]] = field(default_factory=list)
    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    private: dict[str, Any] = field(default_factory=dict)


@dataclass
class GradeContext:
    seed: int
    lang: str
    course: "Course"
    spec: "ExerciseSpec"
    answers: dict[str, str] = field(default_factory=dict)
    run_status: str = "graded"
    run_message: str = ""

    def rng(self, check_id: str, salt: str = "") -> np.random.Generator:
        """An RNG per check, derived from the attempt seed: regrades are reproducible."""
        digest = hashlib.sha256(f"{self.seed}:{check_id}:{salt}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    def ref(self, dotted: str) -> Callable[..., Any]:
        return self.course.reference(dotted)

    def t(self, en: str, ko: str) -> str:
        return ko if self.lang == "ko" else en


class CheckKind:
    """Base class; subclasses register themselves by `name`."""

    name: ClassVar[str] = ""
    needs_kernel: ClassVar[bool] = True
    required: ClassVar[tuple[str, ...]] = ()

    def validate(self, check: "CheckSpec") -> None:
        missing = [k for k in self.required if k not in check.params]
        if missing:
            raise SpecError(f"check kind {self.name!r} needs {', '.join(missing)}")

    def plan(self, check: "CheckSpec", ctx: GradeContext) -> Plan:
        return Plan()

    def evaluate(self, check: "CheckSpec", ctx: GradeContext, plan: Plan,
                 outputs: dict[str, ProbeOutput]) -> CheckResult:
        raise NotImplementedError

    # helpers shared by the kinds -------------------------------------------

    def result(self, check: "CheckSpec", ctx: GradeContext, fraction: float, message: str,
               details: dict[str, Any] | None = None) -> CheckResult:
        fraction = max(0.0, min(1.0, float(fraction)))
        passed = fraction >= 0.999
        hint = check.text("hint", ctx.lang)
        if not passed and hint and hint not in message:
            message = message.rstrip()
            if message and not message.endswith((".", "!", "?")):
                message += "."
            message = f"{message} {hint}".strip()
        return CheckResult(
            id=check.id, kind=check.kind, passed=passed,
            points=round(check.points * fraction, 4), max_points=check.points,
            message=message, title=check.text("title", ctx.lang), details=details or {},
        )

    def missing(self, check: "CheckSpec", ctx: GradeContext, out: ProbeOutput | None, what: str) -> CheckResult:
        """A probe that could not run: name what was missing and why."""
        if ctx.run_status in ("timeout", "crashed") and out is None:
            msg = ctx.t(f"Not checked: the notebook did not finish ({ctx.run_status}).",
                        f"확인하지 못함: 노트북 실행이 끝나지 않았습니다 ({ctx.run_status}).")
        elif out is None:
            msg = ctx.t(f"Not checked: the probe for {what} did not run.",
                        f"확인하지 못함: {what}에 대한 검사가 실행되지 않았습니다.")
        else:
            msg = ctx.t(f"Could not use {what}: {out.error}",
                        f"{what}을(를) 사용할 수 없습니다: {_ko_probe_error(out.error)}")
        return self.result(check, ctx, 0.0, msg)


_KO_ERRORS = [
    (re.compile(r"ValueError: it is None \(the notebook has not built it yet\)"),
     "아직 None입니다 (노트북에서 아직 만들지 않았습니다)"),
    (re.compile(r"TypeError: returned None(.*), not an array"), r"None을 반환했습니다\1 (배열이어야 합니다)"),
    (re.compile(r"NameError: name '([^']+)' is not defined in the notebook"), r"노트북에 '\1'이(가) 정의되어 있지 않습니다"),
]


def _ko_probe_error(error: str) -> str:
    """The probe's common errors, in Korean; anything else stays as Python said it."""
    for pattern, repl in _KO_ERRORS:
        if pattern.search(error):
            return pattern.sub(repl, error)
    return error


KINDS: dict[str, CheckKind] = {}


def register(kind_cls: type[CheckKind]) -> type[CheckKind]:
    KINDS[kind_cls.name] = kind_cls()
    return kind_cls


def fmt_shape(shape: Any) -> str:
    if shape is None:
        return "?"
    return "[" + ", ".join("None" if s is None else str(s) for s in shape) + "]"
