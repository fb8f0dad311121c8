"""Instructor checks: every solution earns full marks, every untouched starter
earns no code points without crashing, and the starters match the solutions."""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from grader.batch import cap_threads
from grader.course.loader import Course, load_course
from grader.errors import SpecError
from grader.results.attempt import Attempt
from grader.course.starters import StarterState, sync_starters


@dataclass
class NotebookVerdict:
    exercise: str
    role: str            # "solution" | "starter"
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


# N kernels on N workers: each kernel gets its share of the cores (one helper for
# `grade check`, `grade submit --workers` and Dask workers; the why is in its docstring).
_thread_env = cap_threads


def _grade(course_root: str, path: str, role: str, seed: int | None) -> dict[str, Any]:
    from grader.grading import grade_file

    course = load_course(Path(course_root))
    result, _ = grade_file(course, Path(path), member=f"instructor-{role}", seed=seed, lang="en")
    return result.to_dict()


def judge(role: str, path: Path, reply: dict[str, Any]) -> NotebookVerdict:
    """A worker's `Attempt.to_dict()` judged as a solution or a starter."""
    r = Attempt.from_dict(reply)
    # Grading goes on past a failing cell; a solution or a starter must not have one.
    raised = "; ".join(f"code cell {e.code_cell}: {e.summary}" for e in r.cell_errors)
    if role == "solution":
        if r.status != "graded":
            problem = f"status {r.status}: {r.message}"
        elif raised:
            problem = f"a cell raised (a solution must run cleanly): {raised}"
        elif r.score < r.max_score:
            problem = "; ".join(f"{c.id}: {c.message}" for c in r.failed)
        else:
            problem = ""
    else:
        if r.status != "graded" or raised:
            problem = f"status {r.status} (a starter must run cleanly): {raised or r.message}"
        elif r.code_score > 0:
            earned = [c for c in r.checks if not c.is_quiz and c.points > 0]
            problem = "starter earns code points: " + ", ".join(f"{c.id} {c.points:g}" for c in earned)
        else:
            problem = ""
    return NotebookVerdict(
        exercise=r.exercise or path.stem, role=role, path=str(path), status=r.status.value,
        score=r.score, max_score=r.max_score, code_score=r.code_score, code_max=r.code_max,
        duration_s=r.duration_s, ok=not problem, problem=problem)


def run_checks(course: Course, exercises: list[str] | None = None, *, workers: int = 1,
               seed: int | None = None,
               on_done: Callable[[NotebookVerdict], None] | None = None,
               ) -> tuple[list[NotebookVerdict], list[StarterState]]:
    """Grade every selected solution and starter; returns verdicts and starter drift states."""
    specs = list(course.specs.values())
    if exercises:
        def names(spec: Any) -> set[str]:
            # ch15.ex4, ex4, 04, 04_forecast7, 04_forecast7.ipynb all name exercise 4
            return {spec.id, spec.id.split(".")[-1], spec.notebook, Path(spec.notebook).stem,
                    spec.notebook.split("_")[0]}

        wanted = set(exercises)
        specs = [s for s in specs if names(s) & wanted]
        unknown = wanted - set().union(*(names(s) for s in specs)) if specs else wanted
        if unknown:
            raise SpecError(f"unknown exercise(s): {', '.join(sorted(unknown))}")
    jobs: list[tuple[str, Path]] = []
    for spec in specs:
        jobs.append(("solution", course.solutions_dir / spec.notebook))
        jobs.append(("starter", course.exercises_dir / spec.notebook))
    starters = sync_starters(course, check=True)
    verdicts: list[NotebookVerdict] = []
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=ctx,
                             initializer=_thread_env, initargs=(workers,)) as pool:
        futures = {pool.submit(_grade, str(course.root), str(path), role, seed): (role, path)
                   for role, path in jobs}
        for fut, (role, path) in futures.items():
            try:
                verdict = judge(role, path, fut.result())
            except Exception as exc:  # noqa: BLE001 - a grader bug shows up as a failed row
                verdict = NotebookVerdict(path.stem, role, str(path), "grader-error", 0, 0, 0, 0, 0, False,
                                          f"{type(exc).__name__}: {exc}")
            verdicts.append(verdict)
            if on_done:
                on_done(verdict)
    return verdicts, starters
