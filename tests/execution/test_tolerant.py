"""Tolerant execution: every code cell runs after one raised, each error is reported once
where Jupyter shows it, and what a chapter-15 notebook imports is there (matplotlib inline,
pandas, scikit-learn, google.colab), with package installs skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_notebook, write_notebook

from grader.cli.app import cli
from grader.course.loader import load_course
from grader.execution.cells import without_installs
from grader.grading import grade_file

DOUBLE = "def double(x):\n    return 2 * x\n"
SUMMER = "def summer(x):\n    return x.sum(axis=1)\n"


def _grade(tiny_course: Path, cells: list[tuple[str, ...]], lang: str = "en", name: str = "01_tiny.ipynb"):
    path = write_notebook(tiny_course.parent / name, make_notebook(cells, exercise="t.ex1"))
    result, _ = grade_file(load_course(tiny_course), path, lang=lang)
    return result


@pytest.mark.kernel
def test_cells_after_a_failing_one_run_and_are_graded(tiny_course):
    result = _grade(
        tiny_course,
        [
            ("markdown", "# Tiny"),
            ("code", "import numpy as np\nundefined_name + 1"),  # code cell 1 raises at line 2
            ("markdown", "next"),
            ("code", DOUBLE),  # code cell 2 runs anyway
            ("code", "x = 1\n\nraise ValueError('bad\\x1b[31m shape')"),  # code cell 3 raises at line 3
            ("code", SUMMER),  # code cell 4
        ],
    )
    assert result.status == "graded" and result.score == result.max_score == 5
    assert [(e.code_cell, e.execution_count, e.cell, e.line, e.ename) for e in result.cell_errors] == [
        (1, 1, 2, 2, "NameError"),
        (3, 3, 5, 3, "ValueError"),
    ]
    assert result.cell_errors[1].summary == "ValueError: bad shape"
    # Each error once, by the position Jupyter shows; markdown cells are not counted.
    lines = result.message.splitlines()
    assert lines[0] == (
        "2 of 4 code cells raised an error; every other cell ran, and the checks graded what the notebook defined:"
    )
    assert lines[1] == "  code cell 1 · In [1] · line 2: NameError: name 'undefined_name' is not defined"
    assert lines[2] == "  code cell 3 · In [3] · line 3: ValueError: bad shape"
    assert result.message.count("NameError") == 1
    # The full traceback is kept for --json, without terminal colours.
    tb = result.cell_errors[0].traceback
    assert "undefined_name + 1" in tb and "\x1b" not in tb


@pytest.mark.kernel
def test_a_notebook_where_every_cell_failed_says_so(tiny_course):
    result = _grade(tiny_course, [("code", "import not_a_module_here"), ("code", "double(3)")], lang="ko")
    assert result.status == "error" and result.score == 0
    assert result.message.startswith("모든 코드 셀(2개)에서 오류가 나서 끝까지 실행된 셀이 없습니다.")
    assert "코드 셀 1 · In [1] · 1번째 줄: ModuleNotFoundError: No module named 'not_a_module_here'" in result.message
    assert len(result.cell_errors) == 2


@pytest.mark.kernel
def test_a_cell_tagged_raises_exception_is_not_an_error(tiny_course):
    result = _grade(tiny_course, [("code", "1 / 0", ["raises-exception"]), ("code", DOUBLE), ("code", SUMMER)])
    assert result.status == "graded" and not result.cell_errors and result.score == 5


@pytest.mark.kernel
def test_plots_pandas_scikit_learn_and_colab_run_in_the_kernel(tiny_course):
    result = _grade(
        tiny_course,
        [
            (
                "code",
                "%matplotlib inline\nimport matplotlib.pyplot as plt\nimport matplotlib\n"
                "plt.plot([1, 2, 3]); plt.title('series'); plt.show()\nassert 'inline' in matplotlib.get_backend()",
            ),
            ("code", "import pandas as pd, sklearn.linear_model\npd.DataFrame({'a': [1]}).describe()"),
            (
                "code",
                "from google.colab import drive, files\ndrive.mount('/content/drive')\nassert files.upload() == {}",
            ),
            ("code", "!pip install -q tensorflow-addons \\\n    keras-tuner\n%pip install pandas\n" + DOUBLE),
            ("code", "import numpy as np\n" + SUMMER),
        ],
    )
    assert not result.cell_errors, [e.summary for e in result.cell_errors]
    assert result.status == "graded" and result.score == 5
    notes = result.message.splitlines()
    assert notes[0].startswith("Not run: 2 lines that install packages (code cell 4: !pip install -q tensorflow-addons")
    assert "no network" in notes[0]
    assert notes[1].startswith("The grader has no Google Drive: google.colab here is a stand-in")


@pytest.mark.kernel
def test_skipped_install_lines_keep_the_line_numbers_of_errors(tiny_course):
    result = _grade(tiny_course, [("code", "!pip install x\nif True:\n    %pip install y\n1 / 0")])
    [err] = result.cell_errors
    assert (err.line, err.ename) == (4, "ZeroDivisionError")


def test_without_installs_replaces_only_install_lines():
    src = (
        "import os\n!pip install a \\\n   b\n  %pip install -U c\n!python -m pip install d\n"
        "!{sys.executable} -m pip install e\n!ls\nprint('!pip install')\n%conda install f\n!apt-get install g"
    )
    out, skipped = without_installs(src)
    assert len(out.split("\n")) == len(src.split("\n"))  # line numbers stay the student's
    assert skipped == [
        "!pip install a \\",
        "%pip install -U c",
        "!python -m pip install d",
        "!{sys.executable} -m pip install e",
        "%conda install f",
        "!apt-get install g",
    ]
    lines = out.split("\n")
    assert lines[0] == "import os" and lines[2] == "" and lines[3].startswith("  pass  #")
    assert "!ls" in lines and "print('!pip install')" in lines
    assert without_installs("!pipx run thing\n!pip3 list")[1] == ["!pip3 list"]


@pytest.mark.kernel
def test_submit_json_lists_cell_errors_with_traceback(runner, tiny_course, tmp_path):
    path = write_notebook(
        tmp_path / "01_tiny.ipynb",
        make_notebook([("code", DOUBLE + "double(None) + [1]"), ("code", SUMMER)], exercise="t.ex1"),
    )
    r = runner.invoke(cli, ["submit", str(path), "--json", "--no-record", "--course", str(tiny_course), "--lang", "en"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["status"] == "graded"
    [err] = doc["cell_errors"]
    assert set(err) == {"code_cell", "execution_count", "cell", "line", "ename", "summary", "traceback", "limit"}
    assert (err["code_cell"], err["execution_count"], err["line"], err["ename"]) == (1, 1, 3, "TypeError")
    assert "Traceback" in err["traceback"] or "TypeError" in err["traceback"]


def test_cell_errors_survive_the_worker_transport_and_the_gradebook(tmp_path):
    from grader.results.attempt import Attempt, CellError, CheckResult
    from grader.results.gradebook import Gradebook

    err = CellError(
        code_cell=3,
        execution_count=4,
        cell=6,
        ename="KeyError",
        summary="KeyError: 'oops'",
        line=2,
        traceback="KeyError: 'oops'",
        limit="",
    )
    a = Attempt(
        "t.ex1", "지민", "graded", [CheckResult("double", "function_matches", True, 2, 2, "")], 1.5, cell_errors=[err]
    )
    assert Attempt.from_dict(json.loads(json.dumps(a.to_dict()))) == a
    with Gradebook(str(tmp_path / "gb.db")) as book:
        a.attempt_id = book.record(a, b"{}")
        [stored] = book.attempts()
    assert stored.cell_errors == [err]


def test_instructor_check_still_wants_solutions_and_starters_to_run_cleanly():
    from grader.course.instructor import judge
    from grader.results.attempt import Attempt, CellError, CheckResult

    err = CellError(
        code_cell=2, execution_count=2, cell=3, ename="NameError", summary="NameError: name 'x' is not defined", line=1
    )
    full = Attempt(
        "t.ex1",
        "instructor-solution",
        "graded",
        [CheckResult("a", "function_matches", True, 2, 2, "")],
        1.0,
        cell_errors=[err],
    )
    verdict = judge("solution", Path("01.ipynb"), full.to_dict())
    assert not verdict.ok and "code cell 2: NameError" in verdict.problem
    starter = Attempt(
        "t.ex1",
        "instructor-starter",
        "graded",
        [CheckResult("a", "function_matches", False, 0, 2, "")],
        1.0,
        cell_errors=[err],
    )
    verdict = judge("starter", Path("01.ipynb"), starter.to_dict())
    assert not verdict.ok and "a starter must run cleanly" in verdict.problem
