"""What a worker runs: grade one notebook given as bytes, and start a kernel ahead for the next.

Plain data in and out, so that the in-process batch, the local pool and Dask workers run
the very same functions: the course (a folder path, a `CourseBundle`, or in-process the
`Course` itself), the notebook's bytes, the member the submitter decided and the seed;
back comes `Attempt.to_dict()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.batch.bundle import course_for

if TYPE_CHECKING:
    from grader.course.loader import Course
    from grader.execution.warm import SpareKernel


@dataclass(frozen=True)
class KernelPlan:
    """What a spare kernel for a notebook must be: its exercise's sandbox, and the libraries
    the notebook imports first (`warm.preload_for`). Decided by the submitter from the
    notebook's JSON (no validation, no kernel), sent to the worker ahead of the notebook."""

    exercise: str
    preload: tuple[str, ...] = ()


def plan_for(course: Course, exercise: str, doc: dict[str, Any] | None) -> KernelPlan | None:
    """The plan for a notebook of `exercise` whose parsed JSON is `doc`; None if unknown."""
    if exercise not in course.specs:
        return None
    from grader.execution.warm import preload_for

    cells = doc.get("cells") if isinstance(doc, dict) else None
    sources = []
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            src = cell.get("source", "")
            sources.append("".join(src) if isinstance(src, list) else str(src))
    return KernelPlan(exercise, preload_for(sources))


def start_spare(course_root: Any, plan: KernelPlan | None) -> SpareKernel | None:  # noqa: ANN401
    """Begin starting a kernel for a notebook that fits `plan` (returns at once)."""
    if plan is None:
        return None
    course = course_for(course_root)
    spec = course.specs.get(plan.exercise)
    if spec is None:
        return None
    from grader.execution.policy import build_policy
    from grader.execution.warm import SpareKernel

    return SpareKernel.start(build_policy(spec.limits, course_root=course.root), plan.preload)


def grade_one(
    course_root: Any,
    name: str,
    data: bytes,
    member: str | None,  # noqa: ANN401
    seed: int | None,
    lang: str = "ko",
    quiz_lang: str = "lang",
    kernel: SpareKernel | None = None,
) -> dict[str, Any]:
    """Grade one notebook given as bytes; returns `Attempt.to_dict()` (plain data for any executor).

    `name` is the path as the submitter knows it: it names the exercise (file
    name) and appears in messages. The kernel's sandbox is an allow-list, so
    nothing of the submitter (its gradebook, the course) needs naming. Never
    raises for a bad notebook (an `invalid` result); the caller turns anything
    else into an `error` result. `kernel`: a spare started ahead, used if it fits.
    `quiz_lang`: "answer" gives quiz feedback in each answer's language instead of `lang`.
    """
    from grader.grading import grade_file

    course = course_for(course_root)
    result, _ = grade_file(
        course, Path(name), member=member, seed=seed, lang=lang, quiz_lang=quiz_lang, data=data, kernel=kernel
    )
    return result.to_dict()
