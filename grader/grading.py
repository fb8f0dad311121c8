"""One submission, end to end: notebook → run → probe data → checks → result.

`grade_file` is what the CLI, the batch runner and the tests call. It returns an
`Attempt` for anything it was given; only an unusable course raises. Loading and
identifying the notebook is `submission`, the notes about the run `runnotes`, the checks
that need no kernel `offline`; their names are importable from here too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import __version__, errortext
from grader.checks import KINDS, GradeContext, Plan, ProbeOutput
from grader.checks.base import CheckSpec
from grader.checks.depends import apply_after
from grader.course.loader import Course
from grader.course.spec import ExerciseSpec
from grader.errors import GradeError
from grader.offline import Background, not_scored_in_time, offline_checks
from grader.results.attempt import Attempt, CheckGroup, CheckResult, Status
from grader.runnotes import cell_error_text, cell_position, run_notes
from grader.submission import Submission, exercise_named, identify, load_submission

__all__ = [
    "OFFLINE_GRACE_S",
    "Background",
    "Progress",
    "Submission",
    "_Background",
    "all_checks",
    "cell_error_text",
    "cell_position",
    "evaluate_checks",
    "exercise_named",
    "grade_file",
    "grade_submission",
    "identify",
    "invalid_result",
    "load_submission",
    "plan_checks",
    "run_notes",
    "summarized_errors",
]

# The name the self-check imported it by (grader/selfcheck/worker.py).
_Background = Background

if TYPE_CHECKING:
    from grader.execution.warm import SpareKernel

Progress = Callable[[str, int, int], None]

# How long grading waits for the answers to be scored once the notebook has run. The
# scorer works while the kernel runs and is normally done long before; one that is not
# (a pathological answer) costs the quiz its points, never the grade its end.
OFFLINE_GRACE_S = 30.0


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
    offline = Background(offline_checks, checks, ctx)
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
        offline_results = not_scored_in_time(checks, ctx, OFFLINE_GRACE_S)

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
