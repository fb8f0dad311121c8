"""`grade check` runs on the batch's executors (grader/course/instructor.py → grader/batch/pool.py):
the tiny course, one process and two workers, verdicts in the order the notebooks are listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.cli.app import cli
from grader.course.instructor import run_checks
from grader.course.loader import load_course


@pytest.mark.kernel
@pytest.mark.parametrize("workers", [1, 2])
def test_check_grades_solutions_and_starters_on_the_pool(runner, tiny_course, workers):
    assert runner.invoke(cli, ["starters", "--course", str(tiny_course)]).exit_code == 0
    seen = []
    verdicts, starters = run_checks(load_course(tiny_course), workers=workers, seed=3, on_done=seen.append)
    assert [(v.role, Path(v.path).parent.name) for v in verdicts] == [
        ("solution", "solutions"),
        ("starter", "exercises"),
    ]
    assert all(v.ok for v in verdicts), [v.problem for v in verdicts]
    assert verdicts[0].score == verdicts[0].max_score == 5 and verdicts[1].code_score == 0
    assert len(seen) == 2 and [s.state for s in starters] == ["ok"]


def test_the_instructor_has_no_pool_of_its_own():
    source = (Path(__file__).parents[2] / "grader" / "course" / "instructor.py").read_text(encoding="utf-8")
    assert "ProcessPoolExecutor" not in source and "signal" not in source
