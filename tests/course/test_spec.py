"""Spec loading: the repository's specs load; malformed ones name file and problem."""

from __future__ import annotations

import pytest
from spec_files import header, refused

from grader.course.spec import load_specs
from grader.errors import SpecError

GOOD = (
    header()
    + """[[checks]]
id = "a"
kind = "function_matches"
points = 1
target = "f"
generator = "m:g"
reference = "m:r"
"""
)


def test_repository_specs_load(course):
    specs = course.specs
    assert "ch15.ex4" in specs
    ex4 = specs["ch15.ex4"]
    assert ex4.notebook == "04_forecast7.ipynb"
    assert {c.kind for c in ex4.checks} >= {"function_matches", "output_shape", "model_metric"}
    for spec in specs.values():
        assert (course.solutions_dir / spec.notebook).is_file(), spec.notebook
        for check in spec.checks:
            for key in ("generator", "reference"):
                if key in check.params:
                    assert callable(course.reference(check.params[key]))


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("id = ", "not valid TOML"),
        ('notebook = "x.ipynb"', "missing string key 'id'"),
        ('id = "Bad Id"\nnotebook = "x.ipynb"', "should look like"),
        (GOOD.replace('kind = "function_matches"', 'kind = "telepathy"'), "unknown check kind 'telepathy'"),
        (GOOD.replace("points = 1", "points = -1"), "'points' must be a number >= 0"),
        (GOOD.replace('target = "f"\n', ""), "needs target"),
        (GOOD + GOOD[GOOD.index("[[checks]]") :], "duplicate check id 'a'"),
        (GOOD + "\n[limits]\ncell_timeout = 3\n", "[limits]"),
    ],
)
def test_malformed_specs_are_rejected_with_file(tmp_path, text, fragment):
    path, err = refused(tmp_path, text)
    assert str(path) in str(err) and fragment in str(err)


def test_duplicate_exercise_ids_across_files(tmp_path):
    (tmp_path / "a.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.toml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(SpecError, match="also used by"):
        load_specs(tmp_path)


def test_reference_resolution_errors(course):
    with pytest.raises(SpecError, match="module:function"):
        course.reference("no_colon")
    with pytest.raises(SpecError, match="no reference module"):
        course.reference("does_not_exist:f")
    with pytest.raises(SpecError, match="has no 'nope'"):
        course.reference("ch15_series:nope")
