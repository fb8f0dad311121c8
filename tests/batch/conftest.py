"""Fixtures of the batch tests: folders of submissions on the tiny course, and a stand-in
for the grading function (the test hook lives here, not in grader/)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import write_notebook

SEED = 7


@pytest.fixture
def fake_grading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every executor grades with `fakes.fake_grade` instead of a real kernel, and prepares no
    real spare kernel: the batch looks `work.grade_one` and `work.start_spare` up when it hands
    out a job, so local workers get the stand-ins by name."""
    from batch import fakes

    monkeypatch.setattr("grader.batch.work.grade_one", fakes.fake_grade)
    monkeypatch.setattr("grader.batch.work.start_spare", fakes.fake_start_spare)


def solution(tiny_course: Path) -> nbformat.NotebookNode:
    return nbformat.read(tiny_course / "solutions" / "01_tiny.ipynb", as_version=4)


@pytest.fixture
def submissions(tiny_course: Path, tmp_path: Path) -> Path:
    """submissions/<member>/01_tiny.ipynb: two right, one wrong, one broken, one named in metadata."""
    subs = tmp_path / "submissions"
    good = solution(tiny_course)
    wrong = solution(tiny_course)
    for cell in wrong.cells:
        cell.source = cell.source.replace("return x.sum(axis=1)", "return x.mean(axis=1)")
    named = solution(tiny_course)
    named.metadata["grade"]["member"] = "캐롤"
    for member, nb in (("alice", good), ("bob", wrong), ("carol-folder", named), ("erin", good)):
        (subs / member).mkdir(parents=True)
        write_notebook(subs / member / "01_tiny.ipynb", nb)
    (subs / "dave").mkdir()
    (subs / "dave" / "01_tiny.ipynb").write_text('{"cells": [', encoding="utf-8")  # truncated upload
    return subs


def result_key(doc: dict) -> tuple:
    """What must not depend on where (or with which kernel) a submission was graded."""
    return (
        doc["path"],
        doc["member"],
        doc["exercise"],
        doc["status"],
        doc["score"],
        doc["max_score"],
        doc["seed"],
        [(c["id"], c["passed"], c["points"], c["message"], c["details"]) for c in doc["checks"]],
    )
