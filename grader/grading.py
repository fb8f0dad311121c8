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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import nbformat

from grader import __version__
from grader import errortext
from grader import notebook as nbio
from grader.checks import KINDS, GradeContext, Plan, ProbeOutput
from grader.checks.depends import apply_after
from grader.course.loader import Course
from grader.course.names import notebook_for_name
from grader.errors import GradeError, UnknownExercise
from grader.results.attempt import Attempt, CellError, CheckGroup, CheckResult, Status
from grader.checks.base import CheckSpec
from grader.course.spec import ExerciseSpec

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
        raise UnknownExercise(f"notebook metadata names exercise {hint!r}, which this course "
                              f"does not have (known: {', '.join(sorted(course.specs))})", str(path))
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
    raise UnknownExercise(f"cannot tell which exercise this is: no 'grade.exercise' in the notebook "
                          f"metadata and the file name matches none of {names}; name it with --exercise "
                          "(e.g. --exercise 04_forecast7)", str(path))


def load_submission(course: Course, path: Path, member: str | None = None,
                    data: bytes | None = None, exercise: str | None = None) -> Submission:
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
        outs, full_errors = summarized_errors(outs)
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
            results.append(kind.result(check, ctx, 0.0, ctx.t(
                f"Could not check this: the notebook's objects behaved unexpectedly ({type(exc).__name__}: {exc}).",
                f"확인할 수 없습니다: 노트북의 객체가 예상과 다르게 동작했습니다 ({type(exc).__name__}: {exc}).")))
    return apply_after(checks, results, ctx)


def summarized_errors(outs: dict[str, ProbeOutput]) -> tuple[dict[str, ProbeOutput], dict[str, str]]:
    """The probe outputs with each error in one line (`errortext`), and {request: full text}
    for those that changed. Errors that differ only in their numbers (the same Keras error
    for every input shape) all read as the first one, so a check says it once."""
    full: dict[str, str] = {}
    short: dict[str, str] = {}
    for rid, out in outs.items():
        if out.error:
            short[rid] = errortext.summarize_probe_error(out.error)
            if short[rid] != out.error:
                full[rid] = out.error
    failed = [rid for rid, out in outs.items() if not out.ok and rid in short]
    if len(failed) > 1 and errortext.same_but_numbers(short[rid] for rid in failed):
        for rid in failed[1:]:
            short[rid] = short[failed[0]]
    if not short:
        return outs, full
    return {rid: dataclasses.replace(out, error=short[rid]) if rid in short else out
            for rid, out in outs.items()}, full


_LIMIT_TEXT = {
    "memory": ("the grader's memory limit is {memory_mb} MB", "채점기의 메모리 한도는 {memory_mb}MB입니다"),
    "processes": ("the grader allows at most {max_processes} processes",
                  "채점기에서는 프로세스를 {max_processes}개까지만 만들 수 있습니다"),
    "file_size": ("the grader's file size limit is {file_size_mb} MB", "채점기의 파일 크기 한도는 {file_size_mb}MB입니다"),
    "disk": ("the grader allows {disk_mb} MB and {inodes} files in the notebook's folder, /tmp included",
             "채점기에서 노트북 폴더(/tmp 포함)에는 {disk_mb}MB, 파일 {inodes}개까지 쓸 수 있습니다"),
}
MAX_LISTED_ERRORS = 5


def cell_position(error: CellError, ctx: GradeContext) -> str:
    """Where a cell error is, as Jupyter shows it: "code cell 3 · In [3] · line 2"."""
    parts = [ctx.t(f"code cell {error.code_cell}", f"코드 셀 {error.code_cell}")]
    if error.execution_count is not None:
        parts.append(f"In [{error.execution_count}]")
    if error.line:
        parts.append(ctx.t(f"line {error.line}", f"{error.line}번째 줄"))
    return " · ".join(parts)


def cell_error_text(error: CellError, ctx: GradeContext, limits: Any = None) -> str:  # noqa: ANN401
    """One cell error in one line: its position, then the exception's summary (and the limit)."""
    text = f"{cell_position(error, ctx)}: {error.summary}"
    if error.limit in _LIMIT_TEXT and limits is not None:
        en, ko = _LIMIT_TEXT[error.limit]
        figures = dataclasses.asdict(limits)
        text += f" ({ctx.t(en, ko).format(**figures)})"
    return text


def run_notes(outcome: Any, ctx: GradeContext, limits: Any = None) -> list[str]:  # noqa: ANN401
    """What the result says about the run besides the checks, one entry per line: how it
    ended (timeout, crash), the cells that raised, lines not run, the Colab stand-in."""
    notes = [outcome.message] if outcome.message else []
    errors: list[CellError] = outcome.cell_errors
    if errors:
        total = outcome.code_cells
        if outcome.status == "error":
            notes.append(ctx.t(
                f"Every code cell raised an error ({len(errors)} of {total}), so no cell of the notebook ran to "
                "its end and the checks found little to grade:",
                f"모든 코드 셀({total}개)에서 오류가 나서 끝까지 실행된 셀이 없습니다. 그래서 채점할 것이 거의 "
                "없었습니다:"))
        else:
            notes.append(ctx.t(
                f"{len(errors)} of {total} code cells raised an error; every other cell ran, and the checks graded "
                "what the notebook defined:",
                f"코드 셀 {total}개 중 {len(errors)}개에서 오류가 났습니다. 나머지 셀은 모두 실행했고, 노트북에 "
                "정의된 것으로 채점했습니다:"))
        notes += [f"  {cell_error_text(e, ctx, limits)}" for e in errors[:MAX_LISTED_ERRORS]]
        if len(errors) > MAX_LISTED_ERRORS:
            more = len(errors) - MAX_LISTED_ERRORS
            notes.append(ctx.t(f"  … and {more} more (all of them: grade submit --json, cell_errors)",
                               f"  … 외 {more}개 (전체 목록: grade submit --json의 cell_errors)"))
    if outcome.skipped_installs:
        first_cell, first_line = outcome.skipped_installs[0]
        n = len(outcome.skipped_installs)
        shown = errortext.shorten(first_line, 60)
        notes.append(ctx.t(
            f"Not run: {n} {'line that installs' if n == 1 else 'lines that install'} packages (code cell "
            f"{first_cell}: {shown}); the grader's kernel "
            "has no network. Installed already: TensorFlow, Keras, NumPy, pandas, scikit-learn, matplotlib.",
            f"패키지를 설치하는 줄 {n}개는 실행하지 않았습니다 (코드 셀 {first_cell}: {shown}). 채점 커널은 "
            "네트워크를 쓸 수 없습니다. 이미 설치된 패키지: TensorFlow, Keras, NumPy, pandas, scikit-learn, "
            "matplotlib."))
    if outcome.uses_colab:
        notes.append(ctx.t(
            "The grader has no Google Drive: google.colab here is a stand-in, so drive.mount() connects nothing "
            "and files.upload() uploads nothing. The exercises make their own data in the notebook.",
            "채점기에는 Google Drive가 없습니다. 여기서 쓰는 google.colab 모듈은 채점기가 넣어 둔 대용품이라 "
            "drive.mount()를 호출해도 아무것도 연결되지 않고, files.upload()도 파일을 받지 않습니다. 연습 문제의 "
            "데이터는 노트북 안에서 만듭니다."))
    if outcome.output_truncated:
        notes.append(ctx.t("The notebook's output was truncated at the output limit.",
                           "노트북 출력이 출력 한도에서 잘렸습니다."))
    return notes


def grade_submission(course: Course, sub: Submission, *, seed: int | None = None, lang: str = "ko",
                     progress: Progress | None = None, kernel: SpareKernel | None = None) -> Attempt:
    """Run and check one loaded submission. `kernel`: a spare started ahead (batches)."""
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
                           progress=progress, policy=build_policy(spec.limits, course_root=course.root),
                           kernel=kernel)
    offline_results = offline.result(OFFLINE_GRACE_S)
    if offline_results is None:
        offline_results = _not_scored_in_time(checks, ctx)

    ctx.run_status, ctx.run_message = outcome.status, outcome.message
    results = evaluate_checks(checks, ctx, plans, outcome.probe, outcome.probe_error, offline_results)
    message = "\n".join(run_notes(outcome, ctx, spec.limits))
    return Attempt(
        exercise=spec.id, member=sub.member, status=Status(outcome.status), checks=results,
        duration_s=time.monotonic() - t0, path=str(sub.path), seed=seed, message=message,
        grader_version=__version__, answers=sub.answers,
        timings={**outcome.timings, "cell_times": list(outcome.cell_times)},
        protections=outcome.protections, graded_at=dt.datetime.now(dt.timezone.utc),
        notebook_sha256=hashlib.sha256(sub.data).hexdigest(), cell_errors=list(outcome.cell_errors),
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
               data: bytes | None = None, kernel: SpareKernel | None = None,
               exercise: str | None = None) -> tuple[Attempt, Submission | None]:
    """Grade one file. Unusable files give an `invalid` result, not an exception.
    `exercise`: which exercise it is, whatever its metadata and name say (--exercise)."""
    try:
        try:
            sub = load_submission(course, path, member, data, exercise)
        except GradeError as exc:
            return invalid_result(path, exc, member), None
        return grade_submission(course, sub, seed=seed, lang=lang, progress=progress, kernel=kernel), sub
    finally:
        if kernel is not None:
            kernel.discard()  # not taken (an invalid file, a failure before the run); else a no-op
