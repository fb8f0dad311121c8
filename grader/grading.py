"""One submission, end to end: notebook → run → probe data → checks → result.

`grade_file` is what the CLI, the batch runner and the tests call. It returns an
`Attempt` for anything it was given; only an unusable course raises.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import hashlib
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat

from grader import __version__, errortext
from grader import notebook as nbio
from grader.checks import KINDS, GradeContext, Plan, ProbeOutput
from grader.checks.base import CheckSpec
from grader.checks.depends import apply_after
from grader.course.loader import Course
from grader.course.names import notebook_for_name
from grader.course.spec import ExerciseSpec
from grader.errors import GradeError, UnknownExercise
from grader.results.attempt import Attempt, CellError, CheckGroup, CheckResult, Status

if TYPE_CHECKING:
    from grader.execution.warm import SpareKernel

Progress = Callable[[str, int, int], None]

# How long grading waits for the answers to be scored once the notebook has run. The
# scorer works while the kernel runs and is normally done long before; one that is not
# (a pathological answer) costs the quiz its points, never the grade its end.
OFFLINE_GRACE_S = 30.0


@dataclass
class Submission:
    """A loaded, identified notebook ready to run."""

    path: Path
    data: bytes
    nb: nbformat.NotebookNode
    spec: ExerciseSpec
    member: str
    answers: dict[str, str]


def exercise_named(course: Course, name: str) -> ExerciseSpec:
    """The exercise `--exercise NAME` means: its id (ch15.ex4), the id's last part (ex4), its
    notebook (04_forecast7.ipynb), the notebook's slug (04_forecast7) or its number (04)."""
    wanted = name.strip()
    for spec in course.specs.values():
        stem = Path(spec.notebook).stem
        if wanted in (spec.id, spec.id.split(".")[-1], spec.notebook, stem, stem.split("_")[0]):
            return spec
    course.refuse_broken_exercise(wanted)
    known = ", ".join(f"{s.id} ({Path(s.notebook).stem})" for s in sorted(course.specs.values(), key=lambda s: s.id))
    raise UnknownExercise(f"--exercise {wanted}: no such exercise in this course (known: {known})")


def identify(course: Course, nb: nbformat.NotebookNode, path: Path, exercise: str | None = None) -> ExerciseSpec:
    """The exercise: `exercise` (--exercise) when given, else the notebook metadata, else the
    file name (also as copies are renamed: "Copy of …", "… (1)", "…의 사본")."""
    if exercise:
        return exercise_named(course, exercise)
    hint = nbio.exercise_hint(nb)
    if hint:
        if hint in course.specs:
            return course.specs[hint]
        course.refuse_broken_spec(hint, path)  # its spec is broken: say that, not "unknown"
        raise UnknownExercise(
            f"notebook metadata names exercise {hint!r}, which this course "
            f"does not have (known: {', '.join(sorted(course.specs))})",
            str(path),
        )
    # The file name, also as Colab, Drive and browsers rename copies ("Copy of 04_forecast7
    # (1).ipynb", "sora_04_forecast7.ipynb"): the same notebook as far as the course goes.
    # NFC first: macOS writes names decomposed (의 as two jamo), which no pattern would match.
    name = unicodedata.normalize("NFC", path.name)
    notebook = notebook_for_name(name, (s.notebook for s in course.specs.values()))
    spec = course.spec_by_notebook_name(notebook) if notebook else None
    if spec:
        return spec
    course.refuse_broken_spec(None, path)
    names = ", ".join(sorted(s.notebook for s in course.specs.values()))
    raise UnknownExercise(
        f"cannot tell which exercise this is: no 'grade.exercise' in the notebook "
        f"metadata and the file name matches none of {names}; name it with --exercise "
        "(e.g. --exercise 04_forecast7)",
        str(path),
    )


def load_submission(
    course: Course, path: Path, member: str | None = None, data: bytes | None = None, exercise: str | None = None
) -> Submission:
    if data is None:
        nb, data = nbio.load(path)
    else:
        nb = nbio.parse(data, str(path))
    spec = identify(course, nb, path, exercise)
    answers = nbio.answers(nb, str(path))
    who = member or nbio.member_hint(nb) or _os_user()
    return Submission(path=path, data=data, nb=nb, spec=spec, member=who, answers=answers)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


def all_checks(spec: ExerciseSpec, course: Course) -> list[CheckSpec]:
    """The spec's checks plus its quiz question, if the course has a bank."""
    checks = list(spec.checks)
    if spec.quiz and not any(CheckGroup.of(c.kind) is CheckGroup.QUIZ for c in checks):
        from grader.checks.quiz import quiz_check_for

        extra = quiz_check_for(course, spec)
        if extra is not None:
            checks.append(extra)
    return checks


def plan_checks(
    checks: list[CheckSpec], ctx: GradeContext
) -> tuple[dict[str, Plan], list[dict[str, Any]], dict[str, Any]]:
    """Plans for the kernel checks, with their requests and inputs namespaced by check id."""
    plans: dict[str, Plan] = {}
    requests: list[dict[str, Any]] = []
    inputs: dict[str, Any] = {}
    for check in checks:
        kind = KINDS[check.kind]
        if not kind.needs_kernel:
            continue
        plan = kind.plan(check, ctx)
        plans[check.id] = plan
        # A clean check's requests (and so its hidden inputs) go to the clean loader only.
        where = {"where": "clean"} if kind.evidence_of(check) == "clean" else {}
        for name, arr in plan.inputs.items():
            inputs[f"{check.id}__{name}"] = arr
        for req in plan.requests:
            requests.append(
                dict(req, id=f"{check.id}/{req['id']}", args=[f"{check.id}__{a}" for a in req.get("args", [])], **where)
            )
    return plans, requests, inputs


def evaluate_checks(
    checks: list[CheckSpec],
    ctx: GradeContext,
    plans: dict[str, Plan],
    probe: dict[str, ProbeOutput],
    probe_error: str,
    offline: dict[str, CheckResult],
) -> list[CheckResult]:
    results: list[CheckResult] = []
    for check in checks:
        kind = KINDS[check.kind]
        if not kind.needs_kernel:
            results.append(offline[check.id])
            continue
        prefix = f"{check.id}/"
        outs = {rid[len(prefix) :]: o for rid, o in probe.items() if rid.startswith(prefix)}
        if not outs and probe_error:
            outs = {r["id"]: ProbeOutput(ok=False, error=probe_error) for r in plans[check.id].requests}
        outs, full_errors = summarized_errors(outs, ctx.lang)
        unmeasured = next((o for o in outs.values() if o.clean_failure), None)
        if unmeasured is not None and kind.evidence_of(check) == "clean":
            # No points for facts only the notebook vouches for.
            results.append(kind.not_measured(check, ctx, unmeasured))
            continue
        try:
            result = kind.evaluate(check, ctx, plans[check.id], outs)
            if full_errors:
                result.details.setdefault("errors", full_errors)  # the whole text, for --json and --verbose
            results.append(result)
        except Exception as exc:  # noqa: BLE001 - odd probe data must not crash the grader
            results.append(
                kind.result(
                    check,
                    ctx,
                    0.0,
                    ctx.text("grading.evaluate_checks.could_not_check_this", error_type=type(exc).__name__, exc=exc),
                )
            )
    return apply_after(checks, results, ctx)


def summarized_errors(outs: dict[str, ProbeOutput], lang: str = "en") -> tuple[dict[str, ProbeOutput], dict[str, str]]:
    """The probe outputs with each error in one line (`errortext`), and {request: full text}
    for those that changed. Errors that differ only in their numbers (the same Keras error
    for every input shape) all read as the first one, so a check says it once."""
    full: dict[str, str] = {}
    short: dict[str, str] = {}
    for rid, out in outs.items():
        if out.error:
            short[rid] = errortext.summarize_probe_error(out.error, lang=lang)
            if short[rid] != out.error:
                full[rid] = out.error
    failed = [rid for rid, out in outs.items() if not out.ok and rid in short]
    if len(failed) > 1 and errortext.same_but_numbers(short[rid] for rid in failed):
        for rid in failed[1:]:
            short[rid] = short[failed[0]]
    if not short:
        return outs, full
    return {rid: dataclasses.replace(out, error=short[rid]) if rid in short else out for rid, out in outs.items()}, full


_LIMIT_TEXT = {
    "memory": "grading.limit.memory",
    "processes": "grading.limit.processes",
    "file_size": "grading.limit.file_size",
    "disk": "grading.limit.disk",
}
MAX_LISTED_ERRORS = 5


def cell_position(error: CellError, ctx: GradeContext) -> str:
    """Where a cell error is, as Jupyter shows it: "code cell 3 · In [3] · line 2"."""
    parts = [ctx.text("grading.cell_position.code_cell", code_cell=error.code_cell)]
    if error.execution_count is not None:
        parts.append(f"In [{error.execution_count}]")
    if error.line:
        parts.append(ctx.text("grading.cell_position.line", line=error.line))
    return " · ".join(parts)


def cell_error_text(error: CellError, ctx: GradeContext, limits: Any = None) -> str:  # noqa: ANN401
    """One cell error in one line: its position, then the exception's summary (and the limit)."""
    text = f"{cell_position(error, ctx)}: {error.summary}"
    if error.limit in _LIMIT_TEXT and limits is not None:
        figures = dataclasses.asdict(limits)
        text += f" ({ctx.text(_LIMIT_TEXT[error.limit], **figures)})"
    return text


def run_notes(outcome: Any, ctx: GradeContext, limits: Any = None) -> list[str]:  # noqa: ANN401
    """What the result says about the run besides the checks, one entry per line: how it
    ended (timeout, crash), the cells that raised, lines not run, the Colab stand-in."""
    said = outcome.said(ctx.lang)
    notes = [said] if said else []
    errors: list[CellError] = outcome.cell_errors
    if errors:
        total = outcome.code_cells
        if outcome.status == "error":
            notes.append(ctx.text("grading.run_notes.every_code_cell_raised", total=total))
        else:
            notes.append(ctx.text("grading.run_notes.code_cells_raised_error", len_errors=len(errors), total=total))
        notes += [f"  {cell_error_text(e, ctx, limits)}" for e in errors[:MAX_LISTED_ERRORS]]
        if len(errors) > MAX_LISTED_ERRORS:
            more = len(errors) - MAX_LISTED_ERRORS
            notes.append(ctx.text("grading.run_notes.more_all_them_grade", more=more))
    if outcome.skipped_installs:
        first_cell, first_line = outcome.skipped_installs[0]
        n = len(outcome.skipped_installs)
        shown = errortext.shorten(first_line, 60)
        notes.append(
            ctx.text(
                "grading.run_notes.not_run_package_line" if n == 1 else "grading.run_notes.not_run_packages_code",
                n=n,
                first_cell=first_cell,
                shown=shown,
            )
        )
    if outcome.uses_colab:
        notes.append(ctx.text("grading.run_notes.grader_has_no_google"))
    if outcome.output_truncated:
        notes.append(ctx.text("grading.run_notes.notebook_output_was_truncated"))
    return notes


def grade_submission(
    course: Course,
    sub: Submission,
    *,
    seed: int | None = None,
    lang: str = "ko",
    progress: Progress | None = None,
    kernel: SpareKernel | None = None,
    quiz_lang: str = "lang",
) -> Attempt:
    """Run and check one loaded submission. `kernel`: a spare started ahead (batches).
    `quiz_lang`: "lang" (quiz feedback in `lang`) or "answer" (in each answer's language)."""
    t0 = time.monotonic()
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    spec = sub.spec
    ctx = GradeContext(seed=seed, lang=lang, course=course, spec=spec, answers=sub.answers, quiz_lang=quiz_lang)
    checks = all_checks(spec, course)
    plans, requests, inputs = plan_checks(checks, ctx)

    from grader.execution.policy import build_policy
    from grader.execution.runner import run_notebook

    # Scoring answers needs no kernel: do it while the notebook runs.
    offline = _Background(_offline_checks, checks, ctx)
    outcome = run_notebook(
        sub.nb,
        spec.limits,
        probe_requests=requests,
        probe_inputs=inputs,
        progress=progress,
        policy=build_policy(spec.limits, course_root=course.root),
        kernel=kernel,
        lang=ctx.lang,
    )
    offline_results = offline.result(OFFLINE_GRACE_S)
    if offline_results is None:
        offline_results = _not_scored_in_time(checks, ctx)

    ctx.run_status, ctx.run_message = outcome.status, outcome.message
    results = evaluate_checks(checks, ctx, plans, outcome.probe, outcome.probe_error, offline_results)
    message = "\n".join(run_notes(outcome, ctx, spec.limits))
    return Attempt(
        exercise=spec.id,
        member=sub.member,
        status=Status(outcome.status),
        checks=results,
        duration_s=time.monotonic() - t0,
        path=str(sub.path),
        seed=seed,
        message=message,
        grader_version=__version__,
        answers=sub.answers,
        timings={**outcome.timings, "cell_times": list(outcome.cell_times)},
        protections=outcome.protections,
        graded_at=dt.datetime.now(dt.UTC),
        notebook_sha256=hashlib.sha256(sub.data).hexdigest(),
        cell_errors=list(outcome.cell_errors),
    )


def _offline_checks(checks: list[CheckSpec], ctx: GradeContext) -> dict[str, CheckResult]:
    out = {}
    for check in checks:
        kind = KINDS[check.kind]
        if not kind.needs_kernel:
            out[check.id] = kind.evaluate(check, ctx, Plan(), {})
    return out


class _Background:
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


def _not_scored_in_time(checks: list[CheckSpec], ctx: GradeContext) -> dict[str, CheckResult]:
    """Zero points and a plain reason for every check that needs no kernel (the quiz)."""
    msg = ctx.text("grading.not_scored_in_time.your_answer_could_not", grace_s=OFFLINE_GRACE_S)
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


def invalid_result(path: Path, error: GradeError, member: str | None = None, lang: str = "en") -> Attempt:
    """The result of a file that cannot be graded; its message (the error) in `lang`."""
    said = error.said(lang)
    message = f"{error.path}: {said}" if error.path else said
    return Attempt(
        exercise="",
        member=member or "",
        status=Status.INVALID,
        checks=[],
        duration_s=0.0,
        path=str(path),
        message=message,
        grader_version=__version__,
        graded_at=dt.datetime.now(dt.UTC),
    )


def grade_file(
    course: Course,
    path: Path,
    *,
    member: str | None = None,
    seed: int | None = None,
    lang: str = "ko",
    progress: Progress | None = None,
    data: bytes | None = None,
    kernel: SpareKernel | None = None,
    exercise: str | None = None,
    quiz_lang: str = "lang",
) -> tuple[Attempt, Submission | None]:
    """Grade one file. Unusable files give an `invalid` result, not an exception.
    `exercise`: which exercise it is, whatever its metadata and name say (--exercise)."""
    try:
        try:
            sub = load_submission(course, path, member, data, exercise)
        except GradeError as exc:
            return invalid_result(path, exc, member, lang), None
        return grade_submission(
            course, sub, seed=seed, lang=lang, progress=progress, kernel=kernel, quiz_lang=quiz_lang
        ), sub
    finally:
        if kernel is not None:
            kernel.discard()  # not taken (an invalid file, a failure before the run); else a no-op
