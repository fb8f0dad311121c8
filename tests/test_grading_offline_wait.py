"""grader.grading: the grade never waits forever for the checks that need no kernel (the quiz)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from conftest import make_notebook, write_notebook

from grader import grading
from grader.checks import KINDS
from grader.course.loader import load_course

pytestmark = pytest.mark.kernel  # every test here starts a Jupyter kernel

QUIZ_CHECK = """
[[checks]]
id = "quiz:t.q1"
kind = "quiz"
points = 2
question = "t.q1"
"""


@pytest.fixture
def quiz_course(tiny_course: Path) -> Path:
    spec = tiny_course / "exercises" / "specs" / "01_tiny.toml"
    spec.write_text(spec.read_text(encoding="utf-8") + QUIZ_CHECK, encoding="utf-8")
    return tiny_course


def _submission(course: Path, tmp_path: Path, answer: str) -> Path:
    src = course / "solutions" / "01_tiny.ipynb"
    import nbformat

    nb = nbformat.read(src, as_version=4)
    nb.cells += make_notebook([("markdown", answer, ["answer:t.q1"])]).cells
    out = tmp_path / "01_tiny.ipynb"
    return write_notebook(out, nb)


def test_a_scorer_that_never_returns_costs_the_quiz_not_the_grade(quiz_course, tmp_path, monkeypatch):
    release = threading.Event()

    def stuck(self, check, ctx, plan, outputs):  # noqa: ANN001 - a scorer lost in a 2 MB answer
        release.wait(120)
        raise AssertionError("the grade should not have waited for this")

    monkeypatch.setattr(type(KINDS["quiz"]), "evaluate", stuck)
    monkeypatch.setattr(grading, "OFFLINE_GRACE_S", 1.0)
    path = _submission(quiz_course, tmp_path, "순환 " * 500_000)
    t0 = time.monotonic()
    try:
        result, _ = grading.grade_file(load_course(quiz_course), path, lang="en")
    finally:
        release.set()
    assert time.monotonic() - t0 < 30  # the notebook's run plus one second, not forever
    quiz = next(c for c in result.checks if c.kind == "quiz")
    assert quiz.points == 0 and not quiz.passed
    assert "could not be scored in time" in quiz.message
    assert quiz.details["timed_out"] is True and quiz.details["question"] == "t.q1"
    # The code checks are graded as usual.
    assert result.status == "graded"
    assert sum(c.points for c in result.checks if c.kind != "quiz") == 5


def test_the_message_is_korean_by_default(quiz_course, tmp_path, monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(type(KINDS["quiz"]), "evaluate", lambda *a: release.wait(120))
    monkeypatch.setattr(grading, "OFFLINE_GRACE_S", 0.5)
    try:
        result, _ = grading.grade_file(load_course(quiz_course), _submission(quiz_course, tmp_path, "답"))
    finally:
        release.set()
    quiz = next(c for c in result.checks if c.kind == "quiz")
    assert "제한 시간 안에 답안을 채점하지 못했습니다" in quiz.message


def test_a_scorer_that_finishes_is_used(quiz_course, tmp_path, monkeypatch):
    def quick(self, check, ctx, plan, outputs):  # noqa: ANN001
        time.sleep(0.2)
        return self.result(check, ctx, 1.0, "fine", {"question": "t.q1"})

    monkeypatch.setattr(type(KINDS["quiz"]), "evaluate", quick)
    result, _ = grading.grade_file(load_course(quiz_course), _submission(quiz_course, tmp_path, "답"), lang="en")
    quiz = next(c for c in result.checks if c.kind == "quiz")
    assert quiz.passed and quiz.message == "fine"
