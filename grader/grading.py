"""One submission, end to end: notebook → run → probe data → checks → result.

`grade_file` is what the CLI, the batch runner and the tests call. It returns an
`Attempt` for anything it was given; only an unusable course raises.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import nbformat

from grader import __version__
from grader import notebook as nbio
from grader.checks import KINDS, GradeContext, Plan, ProbeOutput
from grader.course.loader import Course
from grader.errors import GradeError, UnknownExercise
from grader.results.attempt import Attempt, CheckGroup, CheckResult, Status
from grader.course.spec import CheckSpec, ExerciseSpec

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


def identify(course: Course, nb: nbformat.NotebookNode, path: Path) -> ExerciseSpec:
    """The exercise: notebook metadata first, then the file name."""
    hint = nbio.exercise_hint(nb)
    if hint:
        if hint in course.specs:
            return course.specs[hint]
        raise UnknownExercise(f"notebook metadata names exercise {hint!r}, which this course "
                              f"does not have (known: {', '.join(sorted(course.specs))})", str(path))
    spec = course.spec_by_notebook_name(path.name)
    if spec:
        return spec
    names = ", ".join(sorted(s.notebook for s in course.specs.values()))
    raise UnknownExercise(f"cannot tell which exercise this is: no 'grade.exercise' in the notebook "
                          f"metadata and the file name matches none of {names}", str(path))


def load_submission(course: Course, path: Path, member: str | None = None,
                    data: bytes | None = None) -> Submission:
    if data is None:
        nb, data = nbio.load(path)
    else:
        nb = nbio.parse(data, str(path))
    spec = identify(course, nb, path)
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


def plan_checks(checks: list[CheckSpec], ctx: GradeContext
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
            requests.append(dict(req, id=f"{check.id}/{req['id']}",
                                 args=[f"{check.id}__{a}" for a in req.get("args", [])], **where))
    return plans, requests, inputs


def evaluate_checks(checks: list[CheckSpec], ctx: GradeContext, plans: dict[str, Plan],
                    probe: dict[str, ProbeOutput], probe_error: str,
                    offline: dict[str, CheckResult]) -> list[CheckResult]:
    results: list[CheckResult] = []
    for check in checks:
        kind = KINDS[check.kind]
        if not kind.needs_kernel:
            results.append(offline[check.id])
            continue
        prefix = f"{check.id}/"
        outs = {rid[len(prefix):]: o for rid, o in probe.items() if rid.startswith(prefix)}
        if not outs and probe_error:
            outs = {r["id"]: ProbeOutput(ok=False, error=probe_error) for r in plans[check.id].requests}
        unmeasured = next((o for o in outs.values() if o.clean_failure), None)
        if unmeasured is not None and kind.evidence_of(check) == "clean":
            # No points for facts only the notebook vouches for.
            results.append(kind.not_measured(check, ctx, unmeasured))
            continue
        try:
            results.append(kind.evaluate(check, ctx, plans[check.id], outs))
        except Exception as exc:  # noqa: BLE001 - odd probe data must not crash the grader
            results.append(kind.result(check, ctx, 0.0, ctx.t(
                f"Could not check this: the notebook's objects behaved unexpectedly ({type(exc).__name__}: {exc}).",
                f"확인할 수 없습니다: 노트북의 객체가 예상과 다르게 동작했습니다 ({type(exc).__name__}: {exc}).")))
    return results


def grade_submission(course: Course, sub: Submission, *, seed: int | None = None, lang: str = "ko",
                     progress: Progress | None = None) -> Attempt:
    t0 = time.monotonic()
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    spec = sub.spec
    ctx = GradeContext(seed=seed, lang=lang, course=course, spec=spec, answers=sub.answers)
    checks = all_checks(spec, course)
    plans, requests, inputs = plan_checks(checks, ctx)

    from grader.execution.policy import build_policy
    from grader.execution.runner import run_notebook

    # Scoring answers needs no kernel: do it while the notebook runs.
    offline = _Background(_offline_checks, checks, ctx)
    outcome = run_notebook(sub.nb, spec.limits, probe_requests=requests, probe_inputs=inputs,
                           progress=progress, policy=build_policy(spec.limits, course_root=course.root))
    offline_results = offline.result(OFFLINE_GRACE_S)
    if offline_results is None:
        offline_results = _not_scored_in_time(checks, ctx)

    ctx.run_status, ctx.run_message = outcome.status, outcome.message
    results = evaluate_checks(checks, ctx, plans, outcome.probe, outcome.probe_error, offline_results)
    message = outcome.message
    if outcome.output_truncated:
        message = (message + "; " if message else "") + "output was truncated at the limit"
    return Attempt(
        exercise=spec.id, member=sub.member, status=Status(outcome.status), checks=results,
        duration_s=time.monotonic() - t0, path=str(sub.path), seed=seed, message=message,
        grader_version=__version__, answers=sub.answers, timings=outcome.timings,
        protections=outcome.protections, graded_at=dt.datetime.now(dt.timezone.utc),
        notebook_sha256=hashlib.sha256(sub.data).hexdigest(),
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
    msg = ctx.t(f"Your answer could not be scored in time (the grader waits {OFFLINE_GRACE_S:g} s after the "
                "notebook has run); shorten it and submit again.",
                f"제한 시간 안에 답안을 채점하지 못했습니다 (노트북 실행이 끝난 뒤 {OFFLINE_GRACE_S:g}초까지 "
                "기다립니다). 답안을 줄여서 다시 제출하세요.")
    out = {}
    for check in checks:
        kind = KINDS[check.kind]
        if not kind.needs_kernel:
            qid = check.params.get("question", check.id)
            out[check.id] = kind.result(check, ctx, 0.0, msg, {
                "question": qid, "matched": [], "missing": [], "misconceptions": [], "feedback": "",
                "timed_out": True})
    return out


def invalid_result(path: Path, error: GradeError, member: str | None = None) -> Attempt:
    return Attempt(exercise="", member=member or "", status=Status.INVALID, checks=[], duration_s=0.0,
                   path=str(path), message=str(error), grader_version=__version__,
                   graded_at=dt.datetime.now(dt.timezone.utc))


def grade_file(course: Course, path: Path, *, member: str | None = None, seed: int | None = None,
               lang: str = "ko", progress: Progress | None = None,
               data: bytes | None = None) -> tuple[Attempt, Submission | None]:
    """Grade one file. Unusable files give an `invalid` result, not an exception."""
    try:
        sub = load_submission(course, path, member, data)
    except GradeError as exc:
        return invalid_result(path, exc, member), None
    return grade_submission(course, sub, seed=seed, lang=lang, progress=progress), sub
