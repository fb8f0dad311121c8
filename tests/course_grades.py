"""The repository's solutions and starters graded once per pytest process (the `course_grades`
fixture of tests/conftest.py).

Grading a chapter-15 notebook runs TensorFlow for seconds to minutes. `grade check`
(tests/course/test_instructor.py) and the self-check's comparison with `grade submit`
(tests/selfcheck/test_solutions.py) need the same attempts, so they share them: every notebook
is graded at the course's practice seed, in Korean, through the instructor check's own runner
(`grader.course.instructor._run_jobs`, the batch's executors), the first time a test asks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.batch.pool import Job
from grader.course.instructor import _run_jobs as grade_jobs  # bound before a test patches it
from grader.course.loader import Course
from grader.results.attempt import Attempt
from grader.selfcheck import pack as packs


class CourseGrades:
    """Attempts of the course's notebooks by (role, file name), each graded once."""

    lang = "ko"

    def __init__(self, course: Course) -> None:
        self.course = course
        # The self-check's seed: a starter's messages are then the ones the self-check must give.
        self.seed = packs.practice_seed(course)
        self._attempts: dict[tuple[str, Path], Attempt] = {}

    def path(self, role: str, name: str) -> Path:
        folder = self.course.solutions_dir if role == "solution" else self.course.exercises_dir
        return folder / name

    def attempt(self, role: str, name: str) -> Attempt:
        """The attempt of one notebook, graded in this process now if no test has asked before."""
        path = self.path(role, name)
        key = (role, path.resolve())
        if key not in self._attempts:
            failed: list[str] = []
            self._grade([(role, path)], workers=1, failed=lambda _job, why: failed.append(why))
            assert not failed, f"{role} {name}: {failed[0]}"
        return self._attempts[key]

    def run_jobs(
        self,
        course: Course,
        todo: list[tuple[str, Path]],
        *,
        workers: int,
        seed: int | None,
        done: Callable[[Any, str, Any], None],
        lang: str = "en",
    ) -> None:
        """A stand-in for `instructor._run_jobs`: grades what no test has graded yet (on `workers`
        workers, as `grade check` does), then hands `done` every notebook's attempt in `todo`'s order."""
        assert (seed, lang) == (self.seed, self.lang), "grade check must run at the shared seed and language"
        assert course.root.resolve() == self.course.root.resolve()
        missing = [(role, path) for role, path in todo if (role, path.resolve()) not in self._attempts]
        errors: dict[tuple[str, Path], Any] = {}
        self._grade(missing, workers=workers, failed=lambda job, why: errors.update({job.tag: why}))
        for role, path in todo:
            tag = (role, path)
            if tag in errors:
                done(Job(_not_run, (), tag=tag), "error", errors[tag])
            else:
                done(Job(_not_run, (), tag=tag), "ok", self._attempts[(role, path.resolve())].to_dict())

    def _grade(self, todo: list[tuple[str, Path]], *, workers: int, failed: Callable[[Job, Any], None]) -> None:
        def keep(job: Job, kind: str, value: Any) -> None:  # noqa: ANN401
            role, path = job.tag
            if kind == "ok":
                self._attempts[(role, path.resolve())] = Attempt.from_dict(value)
            else:  # not kept: a later test that asks grades it again and sees the error itself
                failed(job, value)

        if todo:
            grade_jobs(self.course, todo, workers=workers, seed=self.seed, done=keep, lang=self.lang)


def _not_run() -> None:
    """The function of a job handed back from the cache: nothing runs it."""
