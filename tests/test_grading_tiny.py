"""End to end through a real kernel, on a tiny course that needs no TensorFlow."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from conftest import write_notebook

from grader.cli.app import cli
from grader.course.loader import load_course
from grader.grading import grade_file
from grader.results.gradebook import Gradebook

pytestmark = pytest.mark.kernel  # every test here starts a Jupyter kernel


def _variant(tiny_course: Path, tmp_path: Path, replace: dict[str, str], name: str = "01_tiny.ipynb") -> Path:
    nb = nbformat.read(tiny_course / "solutions" / "01_tiny.ipynb", as_version=4)
    for cell in nb.cells:
        for old, new in replace.items():
            cell.source = cell.source.replace(old, new)
    out = tmp_path / "sub"
    out.mkdir(exist_ok=True)
    return write_notebook(out / name, nb)


def test_solution_full_marks_and_gradebook_row(runner, tiny_course, tmp_path):
    book = tmp_path / "gb.db"
    r = runner.invoke(
        cli,
        [
            "submit",
            str(tiny_course / "solutions" / "01_tiny.ipynb"),
            "--json",
            "--course",
            str(tiny_course),
            "--gradebook",
            str(book),
            "--member",
            "지민",
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["status"] == "graded" and doc["score"] == doc["max_score"] == 5
    assert doc["member"] == "지민" and doc["exercise"] == "t.ex1"
    assert {c["id"] for c in doc["checks"]} == {"double", "summer"}
    for c in doc["checks"]:
        assert set(c) >= {"id", "kind", "passed", "points", "max_points", "message"}
    rows = Gradebook(str(book)).attempts()
    assert len(rows) == 1 and rows[0].seed == doc["seed"] and rows[0].score == 5
    assert Gradebook(str(book)).notebook(rows[0].notebook_sha256).startswith(b"{")


def test_untouched_starter_is_graded_with_zero(runner, tiny_course):
    assert runner.invoke(cli, ["starters", "--course", str(tiny_course)]).exit_code == 0
    course = load_course(tiny_course)
    result, _ = grade_file(course, tiny_course / "exercises" / "01_tiny.ipynb", lang="en")
    assert result.status == "graded" and result.score == 0
    double = next(c for c in result.checks if c.id == "double")
    assert "returned None" in double.message and "Return 2 * x." in double.message
    summer = next(c for c in result.checks if c.id == "summer")
    assert "zeros" in summer.message  # the baseline is reported beside the failure


def test_cell_error_names_code_cell_and_line_and_still_scores_what_exists(tiny_course, tmp_path):
    path = _variant(tiny_course, tmp_path, {"return x.sum(axis=1)": "return x.sum(axis=1)\nraise KeyError('oops')"})
    result, _ = grade_file(load_course(tiny_course), path, lang="en")
    # The run went on after the error: the notebook was graded, the error is listed.
    assert result.status == "graded"
    # Notebook cell 3 is the second code cell (the first cell is markdown).
    assert "code cell 2 · In [2] · line " in result.message and "KeyError: 'oops'" in result.message
    [err] = result.cell_errors
    assert (err.code_cell, err.execution_count, err.cell, err.ename) == (2, 2, 3, "KeyError")
    # `double` was defined before the failing cell: it is still checked.
    assert next(c for c in result.checks if c.id == "double").passed


def test_timeout_is_never_success(tiny_course, tmp_path):
    path = _variant(tiny_course, tmp_path, {"import numpy as np": "import numpy as np\nimport time\ntime.sleep(60)"})
    course = load_course(tiny_course)
    spec = course.specs["t.ex1"]
    object.__setattr__(spec.limits, "cell_timeout_s", 2)  # frozen dataclass: tests only
    result, _ = grade_file(course, path, lang="en")
    assert result.status == "timeout" and "code cell 1 ran past" in result.message
    assert result.score == 0 and all(not c.passed for c in result.checks)
    assert result.duration_s < 20


def test_seed_makes_a_regrade_reproducible(tiny_course):
    course = load_course(tiny_course)
    path = tiny_course / "solutions" / "01_tiny.ipynb"
    a, _ = grade_file(course, path, seed=1234, lang="en")
    b, _ = grade_file(course, path, seed=1234, lang="en")
    assert a.seed == b.seed == 1234
    assert [c.details for c in a.checks] == [c.details for c in b.checks]


def test_printed_fake_score_earns_nothing(tiny_course, tmp_path):
    # Prints what looks like a perfect result but computes the wrong thing.
    path = _variant(
        tiny_course,
        tmp_path,
        {"return x.sum(axis=1)": "print('mse: 0.0000  score 5/5  all checks passed')\n    return x.mean(axis=1)"},
    )
    result, _ = grade_file(load_course(tiny_course), path, lang="en")
    summer = next(c for c in result.checks if c.id == "summer")
    assert result.status == "graded" and not summer.passed and summer.points == 0


def test_status_table_lists_members(runner, tiny_course, tmp_path):
    book = tmp_path / "gb.db"
    sol = str(tiny_course / "solutions" / "01_tiny.ipynb")
    for member in ("alice", "bob"):
        r = runner.invoke(
            cli, ["submit", sol, "--course", str(tiny_course), "--gradebook", str(book), "--member", member, "--json"]
        )
        assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["status", "--course", str(tiny_course), "--gradebook", str(book), "--lang", "en"])
    assert r.exit_code == 0 and "alice" in r.output and "bob" in r.output and "5/5" in r.output


def test_terminal_colour_codes_never_reach_the_message(tiny_course, tmp_path):
    # Keras 3 colours its exception text; the grader's message must be plain.
    path = _variant(
        tiny_course,
        tmp_path,
        {"return x.sum(axis=1)": "return x.sum(axis=1)\nraise ValueError('\\x1b[1mbad\\x1b[0m shape')"},
    )
    result, _ = grade_file(load_course(tiny_course), path, lang="en")
    assert result.cell_errors and result.cell_errors[0].ename == "ValueError"
    assert "ValueError: bad shape" in result.message and "\x1b" not in result.message
    assert "\x1b" not in result.cell_errors[0].traceback and "\x1b" not in result.cell_errors[0].summary


def test_colour_codes_in_a_probe_error_are_stripped(tiny_course, tmp_path):
    path = _variant(
        tiny_course, tmp_path, {"    return 2 * x\n": "    raise ValueError('\\x1b[31mwrong\\x1b[0m input')\n"}
    )
    result, _ = grade_file(load_course(tiny_course), path, lang="en")
    double = next(c for c in result.checks if c.id == "double")
    assert not double.passed and "wrong input" in double.message and "\x1b" not in double.message
