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


def test_every_form_of_an_exercise_name_selects_it_for_the_check_and_for_exercise(course) -> None:
    from grader.course.instructor import select
    from grader.submission import exercise_named

    spec = next(s for s in course.specs.values() if s.notebook == "04_forecast7.ipynb")
    for name in ("ch15.ex4", "ex4", "04", "04_forecast7", "04_forecast7.ipynb"):
        assert [s.id for s in select(course, [name])] == [spec.id]
        assert exercise_named(course, name).id == spec.id


def test_the_names_of_an_exercise_whose_spec_gives_only_part_of_them() -> None:
    from grader.course.names import exercise_names

    assert exercise_names(None, "04_forecast7.ipynb") == {"04_forecast7.ipynb", "04_forecast7", "04"}
    assert exercise_names("ch15.ex4", None) == {"ch15.ex4", "ex4"}


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
