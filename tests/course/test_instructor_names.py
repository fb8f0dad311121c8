"""`grade check EXERCISE…` refuses names that are no exercise of the course, before grading
anything, in the reader's language and with the right number."""

from __future__ import annotations

import pytest

from grader.course.instructor import run_checks
from grader.errors import SpecError


@pytest.mark.parametrize(
    "names, en, ko",
    [
        (["nope"], "unknown exercise: nope", "알 수 없는 문제입니다: nope"),
        (["zz", "nope", "04"], "unknown exercises: nope, zz", "알 수 없는 문제입니다: nope, zz"),
    ],
)
def test_unknown_exercises_are_refused_in_either_language(course, names: list[str], en: str, ko: str) -> None:
    with pytest.raises(SpecError) as info:
        run_checks(course, names)
    assert str(info.value) == en and info.value.said("ko") == ko


def test_a_grader_error_row_of_the_check_table_is_in_korean() -> None:
    from rich.console import Console

    from grader.cli.views import render_instructor
    from grader.course.instructor import NotebookVerdict

    row = NotebookVerdict("ch15.ex1", "solution", "s.ipynb", "grader-error", 0, 0, 0, 0, 0, False, "x")
    for lang, word, other in (("ko", "채점기 오류", "grader-error"), ("en", "grader-error", "채점기 오류")):
        console = Console(record=True, width=160)
        render_instructor(console, [row], [], lang)
        shown = console.export_text()
        assert word in shown and other not in shown
