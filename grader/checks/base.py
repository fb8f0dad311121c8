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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from grader.checks.params import CheckParams, ParamError
from grader.errors import Phrase, SpecError
from grader.i18n import counted, text
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
    # The second level of help, after `hint` (grader/checks/hints.py decides when it shows).
    recipe: dict[str, str] = field(default_factory=dict)

    def text(self, field_: str, lang: str) -> str:
        values = getattr(self, field_)
        return values.get(lang) or values.get("en") or next(iter(values.values()), "")


@dataclass
class ProbeOutput:
    """What one probe request produced in the kernel."""

    ok: bool
    value: Any = None  # JSON data (shapes, configs, values)
    arrays: list[np.ndarray] = field(default_factory=list)  # array outputs, in order
    error: str = ""  # "TypeError: ..." when the call raised
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
    course: Course
    spec: ExerciseSpec
    answers: dict[str, str] = field(default_factory=dict)
    run_status: str = "graded"
    run_message: str = ""
    # Quiz feedback in `lang` ("lang"), or in the language each answer is written in ("answer").
    quiz_lang: str = "lang"

    def rng(self, check_id: str, salt: str = "") -> np.random.Generator:
        """An RNG per check, derived from the attempt seed: regrades are reproducible."""
        digest = hashlib.sha256(f"{self.seed}:{check_id}:{salt}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    def ref(self, dotted: str) -> Callable[..., Any]:
        return self.course.reference(dotted)

    def text(self, key: str, /, **fields: Any) -> str:  # noqa: ANN401
        """The catalog entry `key` (grader/i18n/catalog/) in this run's language."""
        return text(key, self.lang, **fields)


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
            entry = counted("errors.param.evidence", len(allowed))
            raise ParamError.told(entry, "evidence", kind=self.name, allowed=", ".join(map(repr, allowed)))

    def validate(self, check: CheckSpec) -> None:
        """Validate a check's parameters alone (no file, no line): SpecError on the first problem.
        The spec loader does the same with lines; this is for checks made in code."""
        from pydantic import ValidationError

        from grader.course.validation import first_problem

        if self.Params is None:
            raise SpecError.told("errors.spec.kind.no_params_model", kind=self.name)
        try:
            self.check_options(self.Params.model_validate(check.params))
        except ValidationError as exc:
            owner = Phrase("errors.spec.owner.kind", {"kind": self.name})
            problem = first_problem(exc, self.Params, missing_owner=owner)
            raise SpecError.told("errors.spec.value.plain", text=problem.phrase) from None
        except ParamError as exc:
            raise SpecError.told("errors.spec.value.plain", text=exc.message) from None

    def evidence_of(self, check: CheckSpec) -> Evidence:
        """Where this check's evidence comes from: the spec's choice, else the kind's."""
        return check.params.get("evidence", self.evidence)

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        return Plan()

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        raise NotImplementedError

    # helpers shared by the kinds -------------------------------------------

    def result(
        self, check: CheckSpec, ctx: GradeContext, fraction: float, message: str, details: dict[str, Any] | None = None
    ) -> CheckResult:
        fraction = max(0.0, min(1.0, float(fraction)))
        passed = fraction >= 0.999
        hint = check.text("hint", ctx.lang)
        if not passed and hint and hint not in message:
            message = message.rstrip()
            if message and not message.endswith((".", "!", "?")):
                message += "."
            message = f"{message} {hint}".strip()
        return CheckResult(
            id=check.id,
            kind=check.kind,
            passed=passed,
            points=round(check.points * fraction, 4),
            max_points=check.points,
            message=message,
            title=check.text("title", ctx.lang),
            details=details or {},
            evidence=self.evidence_of(check),
            hint_level="brief" if not passed and hint else None,
        )

    def unmet(self, check: CheckSpec, ctx: GradeContext, result: CheckResult) -> str:
        """What a failed result of this check means for the checks that come `after` it, as a
        clause ("`wavenet_model` is not causal"). Kinds with something sharper to say override it."""
        title = check.text("title", ctx.lang) or check.id
        return ctx.text("checks.base.unmet.did_not_pass", title=title)

    def not_checked(self, check: CheckSpec, ctx: GradeContext, reasons: list[str], failed: list[str]) -> CheckResult:
        """No points, and why: what this check would measure means nothing after the failure of
        the checks it comes `after`. The hint stays out: there is nothing to fix here."""
        why = "; ".join(reasons)
        return CheckResult(
            id=check.id,
            kind=check.kind,
            passed=False,
            points=0.0,
            max_points=check.points,
            message=ctx.text("checks.base.not_checked.not_checked", why=why),
            title=check.text("title", ctx.lang),
            details={"not_checked_after": failed},
            evidence=self.evidence_of(check),
        )

    def not_measured(self, check: CheckSpec, ctx: GradeContext, out: ProbeOutput) -> CheckResult:
        """A clean check whose model could not be measured outside the notebook: no points,
        whatever the notebook reports about it, and a message that says why."""
        target = check.params.get("target", "?")
        why = _clean_failure_text(out.clean_failure, _plain_text(out.error), ctx)
        return self.result(
            check,
            ctx,
            0.0,
            ctx.text("checks.base.not_measured.earns_nothing_here_grader", target=target, why=why),
            {"clean_failure": out.clean_failure},
        )

    def missing(self, check: CheckSpec, ctx: GradeContext, out: ProbeOutput | None, what: str) -> CheckResult:
        """A probe that could not run: name what was missing and why."""
        if ctx.run_status in ("timeout", "crashed") and out is None:
            msg = ctx.text("checks.base.missing.not_checked_notebook_did", run_status=ctx.run_status)
        elif out is None:
            msg = ctx.text("checks.base.missing.not_checked_probe_for", what=what)
        else:
            msg = ctx.text("checks.base.missing.could_not_use", what=what, error=_probe_error(out.error, ctx))
        # Reports tell "could not run" (unfinished) from "ran and was wrong" by this key.
        why = "run" if out is None and ctx.run_status in ("timeout", "crashed") else "probe" if out is None else "value"
        return self.result(check, ctx, 0.0, msg, {"not_run": why})


def _plain_text(text: str, limit: int = 300) -> str:
    """One line of printable text: an error may quote names the notebook chose."""
    line = " ".join(str(text).split())
    return "".join(ch for ch in line if ch.isprintable())[:limit]


_CLEAN_FAILURE_KEYS = {
    "not_keras": "checks.base.clean_failure.not_keras",
    "save_failed": "checks.base.clean_failure.save_failed",
    "unsafe": "checks.base.clean_failure.unsafe",
    "custom": "checks.base.clean_failure.custom",
    "load_failed": "checks.base.clean_failure.load_failed",
    "no_file": "checks.base.clean_failure.no_file",
}


def _clean_failure_text(code: str, detail: str, ctx: GradeContext) -> str:
    """Why the clean loader could not measure a model, in the run's language."""
    if code == "not_keras":
        kind = (
            ctx.text("checks.base.clean_failure.object", name=detail)
            if detail
            else ctx.text("checks.base.clean_failure.something_else")
        )
        return ctx.text("checks.base.clean_failure.not_keras", kind=kind)
    if code == "custom":
        needed = detail or ctx.text("checks.base.clean_failure.a_class")
        return ctx.text("checks.base.clean_failure.custom", needed=needed)
    if code == "no_file" and not detail:
        return ctx.text("checks.base.clean_failure.no_file_plain")
    key = _CLEAN_FAILURE_KEYS.get(code, "checks.base.clean_failure.loader_failed")
    return ctx.text(key, detail=detail)


# The probe's common errors, told in the run's language; anything else stays as Python said it.
_PROBE_ERRORS = [
    (re.compile(r"ValueError: it is None \(the notebook has not built it yet\)"), "checks.base.probe.still_none", ()),
    (re.compile(r"TypeError: returned None, not an array"), "checks.base.probe.returned_none", ()),
    (
        re.compile(r"TypeError: returned None \(output (\d+)\), not an array"),
        "checks.base.probe.returned_none_nth",
        ("n",),
    ),
    (
        re.compile(r"NameError: name '([^']+)' is not defined in the notebook"),
        "checks.base.probe.not_defined",
        ("name",),
    ),
]


def _probe_error(error: str, ctx: GradeContext) -> str:
    if ctx.lang != "ko":
        return error
    for pattern, key, names in _PROBE_ERRORS:
        found = pattern.search(error)
        if found:
            told = ctx.text(key, **dict(zip(names, found.groups(), strict=True)))
            return error[: found.start()] + told + error[found.end() :]
    return error


KINDS: dict[str, CheckKind] = {}


def register(kind_cls: type[CheckKind]) -> type[CheckKind]:
    KINDS[kind_cls.name] = kind_cls()
    return kind_cls


def fmt_shape(shape: Any) -> str:
    if shape is None:
        return "?"
    return "[" + ", ".join("None" if s is None else str(s) for s in shape) + "]"
