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
