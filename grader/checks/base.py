"""What every kind of check implements, and the context a grading run gives it.

A check has two halves. `plan` runs in the grader: it makes hidden inputs from
the attempt's seed and keeps whatever it needs to judge (targets, reference
outputs) in `Plan.private`, which never leaves the grader process. The probe
requests and the inputs go into the student's kernel; the probe returns plain
data (JSON values and arrays). `evaluate` runs in the grader again and turns
that data into points and a message.

Every kind declares where its evidence comes from (`evidence`, and the other
sources a spec may choose with `evidence = "..."`). The requests of a `clean`
check never reach the student's kernel: the kernel only saves the model they
name, and the clean loader (grader/execution/clean_loader.py) answers them from
that file in a sandbox of its own with no student code.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import numpy as np

from grader.checks.params import CheckParams, ParamError
from grader.errors import SpecError
from grader.results.attempt import CheckResult, Evidence

if TYPE_CHECKING:
    from grader.course.loader import Course
    from grader.course.spec import ExerciseSpec


@dataclass
class CheckSpec:
    """One `[[checks]]` table as the kinds work with it (built by the spec loader, or in code)."""

    id: str
    kind: str
    points: float
    title: dict[str, str]
    hint: dict[str, str]
    # The kind's keys as validated: defaults filled in, optional keys left out absent.
    params: dict[str, Any]
    # The same, typed: the kind's Params instance (None for checks made in code).
    options: CheckParams | None = field(default=None, repr=False, compare=False)
    after: list[str] = field(default_factory=list)
    index: int | None = None  # position among the spec's [[checks]] (for lines)

    def text(self, field_: str, lang: str) -> str:
        values = getattr(self, field_)
        return values.get(lang) or values.get("en") or next(iter(values.values()), "")


@dataclass
class ProbeOutput:
    """What one probe request produced in the kernel."""

    ok: bool
    value: Any = None                      # JSON data (shapes, configs, values)
    arrays: list[np.ndarray] = field(default_factory=list)  # array outputs, in order
    error: str = ""                        # "TypeError: ..." when the call raised
    # For a clean check: why the clean loader could not measure the model at all (one of
    # CLEAN_FAILURES); `error` then holds the details.
    clean_failure: str = ""


# Why a model could not be measured cleanly. The probe reports the first two, the clean
# loader the next three, the runner the last two.
CLEAN_FAILURES = ("not_keras", "save_failed", "unsafe", "custom", "load_failed", "no_file", "loader_failed")


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
    """Base class; subclasses register themselves by `name`.

    `Params` is the kind's parameter model (a `CheckParams` subclass, pydantic, closed):
    the keys its spec table may have besides the common ones, their types and defaults.
    The spec loader validates every check of the kind with it (docs/specs.md is
    generated from it); rules that need the kind itself go in `check_options`."""

    name: ClassVar[str] = ""
    needs_kernel: ClassVar[bool] = True
    Params: ClassVar[type[CheckParams] | None] = None
    # Where this kind's evidence comes from, and what else a spec may declare for one check
    # (e.g. "self-reported" for a model that needs classes defined in the notebook).
    evidence: ClassVar[Evidence] = "self-reported"
    other_evidence: ClassVar[tuple[Evidence, ...]] = ()

    def check_options(self, options: CheckParams) -> None:
        """Rules on validated parameters that depend on the kind; raises ParamError."""
        allowed = (self.evidence, *self.other_evidence)
        declared = options.evidence or self.evidence
        if declared not in allowed:
            raise ParamError(f"'evidence' of a {self.name} check must be {' or '.join(map(repr, allowed))}",
                             "evidence")

    def validate(self, check: CheckSpec) -> None:
        """Validate a check's parameters alone (no file, no line): SpecError on the first problem.
        The spec loader does the same with lines; this is for checks made in code."""
        from pydantic import ValidationError

        from grader.course.validation import first_problem

        if self.Params is None:
            raise SpecError(f"check kind {self.name!r} declares no parameter model")
        try:
            self.check_options(self.Params.model_validate(check.params))
        except ValidationError as exc:
            raise SpecError(first_problem(exc, self.Params, missing_owner=f"check kind {self.name!r}").message) from None
        except ParamError as exc:
            raise SpecError(exc.message) from None

    def evidence_of(self, check: CheckSpec) -> Evidence:
        """Where this check's evidence comes from: the spec's choice, else the kind's."""
        return check.params.get("evidence", self.evidence)

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        return Plan()

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan,
                 outputs: dict[str, ProbeOutput]) -> CheckResult:
        raise NotImplementedError

    # helpers shared by the kinds -------------------------------------------

    def result(self, check: CheckSpec, ctx: GradeContext, fraction: float, message: str,
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
            evidence=self.evidence_of(check),
        )

    def unmet(self, check: CheckSpec, ctx: GradeContext, result: CheckResult) -> str:
        """What a failed result of this check means for the checks that come `after` it, as a
        clause ("`wavenet_model` is not causal"). Kinds with something sharper to say override it."""
        title = check.text("title", ctx.lang) or check.id
        return ctx.t(f"“{title}” did not pass", f"‘{title}’ 항목을 통과하지 못했습니다")

    def not_checked(self, check: CheckSpec, ctx: GradeContext, reasons: list[str],
                    failed: list[str]) -> CheckResult:
        """No points, and why: what this check would measure means nothing after the failure of
        the checks it comes `after`. The hint stays out: there is nothing to fix here."""
        why = "; ".join(reasons)
        return CheckResult(
            id=check.id, kind=check.kind, passed=False, points=0.0, max_points=check.points,
            message=ctx.t(f"Not checked: {why}.", f"확인하지 않음: {why}."),
            title=check.text("title", ctx.lang), details={"not_checked_after": failed},
            evidence=self.evidence_of(check))

    def not_measured(self, check: CheckSpec, ctx: GradeContext, out: ProbeOutput) -> CheckResult:
        """A clean check whose model could not be measured outside the notebook: no points,
        whatever the notebook reports about it, and a message that says why."""
        target = check.params.get("target", "?")
        why_en, why_ko = _clean_failure_text(out.clean_failure, _plain_text(out.error))
        return self.result(check, ctx, 0.0, ctx.t(
            f"`{target}` earns nothing here: {why_en}. The grader measures models outside the notebook, from the "
            f"file model.save() writes, loaded in Keras' safe mode with none of the notebook's code; what the "
            f"notebook itself reports about `{target}` does not count. Build it from Keras' own layers "
            "(no Lambda layers, no classes defined in the notebook).",
            f"`{target}`는 이 항목에서 점수를 받지 못합니다: {why_ko}. 채점기는 model.save()로 저장한 파일을 "
            f"노트북 코드 없이 Keras 안전 모드로 불러와 노트북 바깥에서 모델을 측정합니다. 노트북이 스스로 알려 주는 "
            f"`{target}`의 정보는 점수에 반영되지 않습니다. Keras가 제공하는 층으로 모델을 만드세요 "
            "(Lambda 층이나 노트북에서 정의한 클래스는 쓸 수 없습니다)."),
            {"clean_failure": out.clean_failure})

    def missing(self, check: CheckSpec, ctx: GradeContext, out: ProbeOutput | None, what: str) -> CheckResult:
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


def _plain_text(text: str, limit: int = 300) -> str:
    """One line of printable text: an error may quote names the notebook chose."""
    line = " ".join(str(text).split())
    return "".join(ch for ch in line if ch.isprintable())[:limit]


def _clean_failure_text(code: str, detail: str) -> tuple[str, str]:
    """(English, Korean) reason for a model the clean loader could not measure."""
    if code == "not_keras":
        kind = f"a `{detail}` object" if detail else "something else"
        return (f"it is {kind}, not a Keras model that can be saved",
                f"저장할 수 있는 Keras 모델이 아니라 {f'`{detail}` 객체' if detail else '다른 무엇'}입니다")
    if code == "save_failed":
        return f"model.save() failed ({detail})", f"model.save()가 실패했습니다 ({detail})"
    if code == "unsafe":
        return (f"Keras' safe mode refused to load it ({detail})",
                f"Keras 안전 모드가 이 모델을 불러오지 않았습니다 ({detail})")
    if code == "custom":
        return (f"it needs {detail or 'a class'} from the notebook, and no notebook code runs where it is measured",
                f"노트북에서 정의한 {detail or '클래스'}이(가) 필요한데, 모델을 측정하는 곳에서는 노트북 코드가 "
                "실행되지 않습니다")
    if code == "load_failed":
        return (f"it did not load from the file model.save() wrote ({detail})",
                f"model.save()로 저장한 파일에서 불러오지 못했습니다 ({detail})")
    if code == "no_file":
        return (f"no usable saved model was found for it ({detail})" if detail else
                "no usable saved model was found for it",
                f"저장된 모델 파일을 쓸 수 없습니다 ({detail})" if detail else "저장된 모델 파일을 쓸 수 없습니다")
    return (f"the grader's clean loader stopped before measuring it ({detail})",
            f"채점기가 모델을 측정하는 별도 프로세스가 측정을 마치기 전에 멈췄습니다 ({detail})")


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
