"""Instructor checks: every solution earns full marks, every untouched starter
earns no code points without crashing, and the starters match the solutions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from grader.course.loader import Course
from grader.course.names import exercise_names
from grader.course.starters import StarterState, sync_starters
from grader.errors import Phrase, SpecError
from grader.i18n import counted
from grader.results.attempt import Attempt


@dataclass
class NotebookVerdict:
    exercise: str
    role: str  # "solution" | "starter"
    path: str
    status: str
    score: float
    max_score: float
    code_score: float
    code_max: float
    duration_s: float
    ok: bool
    problem: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge(role: str, path: Path, reply: dict[str, Any], lang: str = "en") -> NotebookVerdict:
    """A worker's `Attempt.to_dict()` judged as a solution or a starter; the problem said in `lang`."""
    from grader.i18n import status_word, text

    r = Attempt.from_dict(reply)
    # Grading goes on past a failing cell; a solution or a starter must not have one.
    raised = "; ".join(
        text("cli.instructor.cell_raised", lang, n=e.code_cell, summary=e.summary) for e in r.cell_errors
    )
    status = status_word(r.status, lang)
    if role == "solution":
        if r.status != "graded":
            problem = text("cli.instructor.solution_status", lang, status=status, message=r.message)
        elif raised:
            problem = text("cli.instructor.solution_raised", lang, raised=raised)
        elif r.score < r.max_score:
            problem = "; ".join(f"{c.id}: {c.message}" for c in r.failed)
        else:
            problem = ""
    else:
        if r.status != "graded" or raised:
            problem = text("cli.instructor.starter_status", lang, status=status, message=raised or r.message)
        elif r.code_score > 0:
            earned = [c for c in r.checks if not c.is_quiz and c.points > 0]
            problem = text(
                "cli.instructor.starter_earns", lang, checks=", ".join(f"{c.id} {c.points:g}" for c in earned)
            )
        else:
            problem = ""
    return NotebookVerdict(
        exercise=r.exercise or path.stem,
        role=role,
        path=str(path),
        status=r.status.value,
        score=r.score,
        max_score=r.max_score,
        code_score=r.code_score,
        code_max=r.code_max,
        duration_s=r.duration_s,
        ok=not problem,
        problem=problem,
    )


def select(course: Course, exercises: list[str] | None) -> list[Any]:
    """The specs `exercises` name (every spec when none is given); SpecError naming each
    name that is no exercise of the course."""
    specs = list(course.specs.values())
    if not exercises:
        return specs

    wanted = set(exercises)
    specs = [s for s in specs if exercise_names(s.id, s.notebook) & wanted]
    unknown = wanted - set().union(*(exercise_names(s.id, s.notebook) for s in specs)) if specs else wanted
    if unknown:
        raise SpecError.told(counted("errors.course.unknown_exercises", len(unknown)), names=", ".join(sorted(unknown)))
    return specs


def run_checks(
    course: Course,
    exercises: list[str] | None = None,
    *,
    workers: int = 1,
    seed: int | None = None,
    on_done: Callable[[NotebookVerdict], None] | None = None,
    lang: str = "en",
) -> tuple[list[NotebookVerdict], list[StarterState]]:
    """Grade every selected solution and starter; returns verdicts and starter drift states.
    Check messages and problems are in `lang`."""
    specs = select(course, exercises)
    todo: list[tuple[str, Path]] = []
    for spec in specs:
        todo.append(("solution", course.solutions_dir / spec.notebook))
        todo.append(("starter", course.exercises_dir / spec.notebook))
    starters = sync_starters(course, check=True)
    verdicts: list[NotebookVerdict] = []

    def done(job: Any, kind: str, value: Any) -> None:  # noqa: ANN401
        role, path = job.tag
        why = ""
        if kind != "ok":  # the job's exception ("Type: line") or the pool's own failure
            why = value.said(lang) if isinstance(value, Phrase) else str(value)
        else:
            try:
                verdict = judge(role, path, value, lang)
            except Exception as exc:  # noqa: BLE001 - a grader bug shows up as a failed row
                why = f"{type(exc).__name__}: {exc}"
        if why:
            verdict = NotebookVerdict(path.stem, role, str(path), "grader-error", 0, 0, 0, 0, 0, False, why)
        verdicts.append(verdict)
        if on_done:
            on_done(verdict)

    _run_jobs(course, todo, workers=workers, seed=seed, done=done, lang=lang)
    order = {(role, str(path)): i for i, (role, path) in enumerate(todo)}
    verdicts.sort(key=lambda v: order.get((v.role, v.path), len(order)))  # as listed, whoever finished first
    return verdicts, starters


def _run_jobs(
    course: Course,
    todo: list[tuple[str, Path]],
    *,
    workers: int,
    seed: int | None,
    done: Callable[[Any, str, Any], None],
    lang: str = "en",
) -> None:
    """Grade the notebooks on the batch's executors: the local pool for `workers` > 1, this
    process otherwise; each next kernel started ahead, as in a batch."""
    from grader.batch import work
    from grader.batch.members import peek_notebook
    from grader.batch.pool import Job, LocalPool, run_in_process
    from grader.notebook import read_bytes

    pooled = workers > 1 and len(todo) > 1
    course_arg: Any = str(course.root) if pooled else course
    jobs: list[Job] = []
    plans: list[work.KernelPlan | None] = []
    for role, path in todo:
        data = read_bytes(path)
        spec = course.spec_by_notebook_name(path.name)
        plans.append(work.plan_for(course, spec.id, peek_notebook(data)) if spec else None)
        jobs.append(
            Job(work.grade_one, (course_arg, str(path), data, f"instructor-{role}", seed, lang), tag=(role, path))
        )
    slots = min(workers, len(jobs)) if pooled else 1
    for i, (job, upcoming) in enumerate(zip(jobs, plans[1:], strict=False)):
        # While this one runs, the next one's kernel starts; not for the last few, which no
        # worker would be free to take after this one.
        if upcoming is not None and len(jobs) - i - 1 >= slots:
            job.ahead, job.ahead_key = (work.start_spare, (course_arg, upcoming)), upcoming
    queue = iter(jobs)
    if pooled:
        LocalPool(min(workers, len(jobs))).run(lambda _prefer: next(queue, None), done)
    else:
        run_in_process(lambda _prefer: next(queue, None), done)
