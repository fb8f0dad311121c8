"""Which exercise a notebook is: renamed copies from Colab, Drive, browsers and file
managers are recognised without metadata, and `--exercise` overrides everything."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest
from conftest import make_notebook

from grader.course.loader import load_course
from grader.errors import UnknownExercise
from grader.grading import exercise_named, identify

RENAMED = [
    "04_forecast7.ipynb",
    "Copy of 04_forecast7.ipynb",  # Colab, English
    "04_forecast7 (1).ipynb",  # a second download
    "04_forecast7 (2).ipynb",
    "04_forecast7의 사본.ipynb",  # Colab and Drive, Korean
    "04_forecast7.ipynb의 사본",
    "사본 - 04_forecast7.ipynb",
    "04_forecast7 - 복사본.ipynb",  # Windows Explorer, Korean
    "04_forecast7-checkpoint.ipynb",  # from .ipynb_checkpoints
    "Copy of 04_forecast7 (1).ipynb",
    "sora_04_forecast7.ipynb",  # prefixed with the member's name
    unicodedata.normalize("NFD", "04_forecast7의 사본.ipynb"),  # a name from macOS
]


@pytest.fixture
def two_exercises(tiny_course: Path) -> Path:
    """The tiny course plus a second exercise whose notebook is 04_forecast7.ipynb."""
    specs = tiny_course / "exercises" / "specs"
    text = (specs / "01_tiny.toml").read_text(encoding="utf-8")
    (specs / "04_forecast7.toml").write_text(
        text.replace('id = "t.ex1"', 'id = "t.ex4"').replace('"01_tiny.ipynb"', '"04_forecast7.ipynb"'),
        encoding="utf-8",
    )
    shutil.copy(tiny_course / "solutions" / "01_tiny.ipynb", tiny_course / "solutions" / "04_forecast7.ipynb")
    return tiny_course


@pytest.mark.parametrize("name", RENAMED)
def test_renamed_copies_are_the_course_notebook(two_exercises, name):
    course = load_course(two_exercises)
    assert identify(course, make_notebook([("code", "x = 1")]), Path("subs") / name).id == "t.ex4"


def test_a_name_that_fits_no_exercise_says_how_to_name_it(two_exercises):
    course = load_course(two_exercises)
    with pytest.raises(UnknownExercise) as err:
        identify(course, make_notebook([("code", "x = 1")]), Path("homework.ipynb"))
    assert "--exercise" in str(err.value) and "04_forecast7.ipynb" in str(err.value)


@pytest.mark.parametrize("given", ["t.ex4", "ex4", "04", "04_forecast7", "04_forecast7.ipynb"])
def test_exercise_option_takes_the_id_the_slug_or_the_number(two_exercises, given):
    course = load_course(two_exercises)
    assert exercise_named(course, given).id == "t.ex4"
    # It overrides the file name and the metadata alike.
    nb = make_notebook([("code", "x = 1")], exercise="t.ex1")
    assert identify(course, nb, Path("01_tiny.ipynb"), exercise=given).id == "t.ex4"


def test_an_unknown_exercise_option_lists_the_known_ones(two_exercises):
    with pytest.raises(UnknownExercise) as err:
        exercise_named(load_course(two_exercises), "05_lstm")
    assert str(err.value).startswith("--exercise 05_lstm: no such exercise in this course")
    assert "t.ex4 (04_forecast7)" in str(err.value)


@pytest.mark.kernel
def test_submit_with_exercise_grades_a_notebook_of_any_name(runner, tiny_course, tmp_path):
    from conftest import write_notebook

    from grader.cli.app import cli

    path = write_notebook(
        tmp_path / "homework.ipynb", make_notebook([("code", "def double(x):\n    return 2 * x"), ("code", "1 / 0")])
    )
    base = ["submit", str(path), "--no-record", "--member", "sora", "--course", str(tiny_course), "--lang", "en"]
    r = runner.invoke(cli, base)
    assert r.exit_code == 1 and "--exercise" in r.stderr  # no metadata, no usable name
    r = runner.invoke(cli, [*base, "--exercise", "01_tiny", "--verbose"])
    assert r.exit_code == 0, r.output
    assert "score 2/5" in r.stdout and "code cell 2 · In [2] · line 1: ZeroDivisionError" in r.stdout
    assert "----> 1 1 / 0" in r.stdout  # --verbose: the traceback as Jupyter shows it
    r = runner.invoke(cli, [*base, "--exercise", "nine"])
    assert r.exit_code == 1 and r.stderr.startswith("grade: error: --exercise nine: no such exercise")
