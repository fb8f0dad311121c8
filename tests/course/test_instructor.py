"""`grade check` over the whole course: solutions full marks, starters zero code points."""

from __future__ import annotations

import json

import pytest

from grader.cli.app import cli
from grader.course import instructor

pytestmark = pytest.mark.slow


def test_every_exercise_has_solution_starter_spec(course):
    ids = sorted(course.specs)
    assert ids == [f"ch15.ex{i}" for i in range(1, 9)]
    for spec in course.specs.values():
        assert (course.solutions_dir / spec.notebook).is_file()
        assert (course.exercises_dir / spec.notebook).is_file()
        assert spec.quiz == spec.id, "each exercise carries its quiz question"


def test_grade_check_all_eight(runner, repo_root, monkeypatch, course_grades):
    """The notebooks are graded by `grade check`'s runner once per process (tests/course_grades.py),
    at the practice seed, and the self-check's tests read the same attempts."""
    monkeypatch.chdir(repo_root)
    monkeypatch.setattr(instructor, "_run_jobs", course_grades.run_jobs)
    args = ["check", "--workers", "2", "--seed", str(course_grades.seed), "--lang", course_grades.lang, "--json"]
    r = runner.invoke(cli, args)
    doc = json.loads(r.stdout)
    problems = [f"{v['exercise']} {v['role']}: {v['status']} {v['problem']}" for v in doc["notebooks"] if not v["ok"]]
    assert not problems, "\n".join(problems)
    assert all(s["state"] == "ok" for s in doc["starters"])
    assert r.exit_code == 0
    roles = {(v["exercise"], v["role"]) for v in doc["notebooks"]}
    assert len(roles) == 2 * len(doc["starters"])
    for v in doc["notebooks"]:
        if v["role"] == "solution":
            # No wall-clock bound here: the spec's own time limits end a slow solution as
            # a timeout, which fails the score check; speed belongs in benchmarks/.
            assert v["score"] == v["max_score"] > 0
        else:
            assert v["status"] == "graded" and v["code_score"] == 0
