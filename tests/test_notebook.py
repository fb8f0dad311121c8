"""Loading and validating notebooks, answer cells, and starter derivation."""

from __future__ import annotations

import json

import nbformat
import pytest
from conftest import make_notebook

from grader import notebook as nbio
from grader.errors import InvalidNotebook


def _bytes(nb) -> bytes:
    return nbformat.writes(nb).encode("utf-8")


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "UTF-8"),
        (b"\xff\xfe{", "UTF-8"),
        (b'{"cells": [', "not JSON"),
        (b"[1, 2, 3]", "not a Jupyter notebook"),
        (b'{"nbformat": 9, "cells": []}', "v9"),
        (b'{"a": "\x00"}', "binary"),
    ],
)
def test_unreadable_files_give_one_clear_line(data, fragment):
    with pytest.raises(InvalidNotebook) as err:
        nbio.parse(data, "sub.ipynb")
    message = str(err.value)
    assert message.startswith("sub.ipynb: ") and fragment in message
    assert "\n" not in message


def test_v3_notebook_is_converted():
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {
                "cells": [{"cell_type": "code", "input": "x = 1", "language": "python", "outputs": [], "metadata": {}}],
                "metadata": {},
            }
        ],
    }
    nb = nbio.parse(json.dumps(v3).encode(), "old.ipynb")
    assert nb.nbformat == 4 and nb.cells[0].source == "x = 1"


def test_non_python_kernel_is_refused():
    nb = make_notebook([("code", "1 + 1")])
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    with pytest.raises(InvalidNotebook, match="kernel language is 'R'"):
        nbio.parse(_bytes(nb), "r.ipynb")


def test_answers_are_read_without_execution_and_placeholders_dropped():
    nb = make_notebook(
        [
            ("markdown", "> 여기에 답을 쓰세요\nRNN은 시퀀스를 처리합니다.", ["answer:ch15.ex1"]),
            ("markdown", "not an answer"),
            ("markdown", "Use return_sequences=True.", ["answer:ch15.ex3", "other"]),
        ]
    )
    assert nbio.answers(nb) == {"ch15.ex1": "RNN은 시퀀스를 처리합니다.", "ch15.ex3": "Use return_sequences=True."}


def test_duplicate_answer_tags_are_invalid():
    nb = make_notebook([("markdown", "a", ["answer:ch15.ex1"]), ("markdown", "b", ["answer:ch15.ex1"])])
    with pytest.raises(InvalidNotebook, match="cell 2 repeats the answer tag"):
        nbio.answers(nb, "dup.ipynb")


def test_strip_solutions_keeps_starter_lines_and_indentation():
    src = (
        "def f(x):\n"
        "    ### BEGIN SOLUTION\n"
        "    #> return None\n"
        "    y = x * 2\n"
        "    return y\n"
        "    ### END SOLUTION\n"
        "print('after')"
    )
    out = nbio.strip_solutions(src)
    assert "y = x * 2" not in out
    assert "    return None" in out
    assert nbio.STARTER_NOTE in out
    assert out.endswith("print('after')")


def test_strip_solutions_without_starter_lines_in_a_body_inserts_pass():
    src = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    out = nbio.strip_solutions(src)
    compile(out, "<starter>", "exec")  # still valid Python
    assert "pass" in out


def test_hidden_regions_vanish_and_unbalanced_markers_are_errors():
    assert "secret" not in nbio.strip_solutions("a = 1\n### BEGIN HIDDEN\nsecret = 2\n### END HIDDEN\n")
    with pytest.raises(InvalidNotebook, match="not closed"):
        nbio.strip_solutions("### BEGIN SOLUTION\nx = 1\n")
    with pytest.raises(InvalidNotebook, match="nested"):
        nbio.strip_solutions("### BEGIN SOLUTION\n### BEGIN SOLUTION\n")
    with pytest.raises(InvalidNotebook, match="without matching"):
        nbio.strip_solutions("### END SOLUTION\n")
    with pytest.raises(InvalidNotebook, match="without matching"):
        nbio.strip_solutions("x = 1\n### END HIDDEN\n")


def test_a_broken_region_of_a_solution_names_the_file_and_cell_in_both_languages():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 문제"), nbformat.v4.new_code_cell("x = 1\n### BEGIN SOLUTION\ny = 2")]
    with pytest.raises(InvalidNotebook) as info:
        nbio.make_starter(nb, "solutions/04_forecast7.ipynb")
    assert str(info.value) == (
        "solutions/04_forecast7.ipynb: cell 2: a solution region is not closed (no '### END SOLUTION')"
    )
    assert info.value.said("ko") == "셀 2: 정답 영역이 닫히지 않았습니다 ('### END SOLUTION'이 없습니다)"
    nb.cells[1].source = "### BEGIN SOLUTION\n### BEGIN HIDDEN\n"
    with pytest.raises(InvalidNotebook) as info:
        nbio.make_starter(nb, "sol.ipynb")
    assert str(info.value) == "sol.ipynb: cell 2, line 2: nested '### BEGIN HIDDEN'"
    assert info.value.said("ko") == "셀 2, 2번째 줄: 닫히지 않은 영역 안에 '### BEGIN HIDDEN'이 또 있습니다"


def test_make_starter_clears_outputs_and_blanks_answers():
    nb = make_notebook(
        [
            ("code", "### BEGIN SOLUTION\n#> model = None\nmodel = 42\n### END SOLUTION"),
            ("markdown", "the real answer", ["answer:ch15.ex4"]),
        ],
        exercise="ch15.ex4",
    )
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    nb.cells[0].execution_count = 3
    starter = nbio.make_starter(nb)
    assert starter.cells[0].source.endswith("model = None")
    assert starter.cells[0].outputs == [] and starter.cells[0].execution_count is None
    assert "real answer" not in starter.cells[1].source
    assert starter.metadata["grade"]["exercise"] == "ch15.ex4"
    assert nbio.answers(starter) == {"ch15.ex4": ""}


@pytest.mark.parametrize(
    "data, en, ko",
    [
        (b"garbage", "column 1: Expecting value", "1번째 열: 값이 있어야 할 자리입니다"),
        (b'{"cells": [] x', "Expecting ',' delimiter", "',' 구분자가 있어야 합니다"),
        (b'{"a": 1} x', "Extra data", "JSON 값 뒤에 데이터가 더 있습니다"),
    ],
)
def test_why_a_file_is_not_json_is_said_in_the_readers_language(data: bytes, en: str, ko: str) -> None:
    with pytest.raises(InvalidNotebook) as info:
        nbio.parse(data, "x.ipynb")
    assert en in str(info.value) and ko in info.value.said("ko")
    assert "Expecting" not in info.value.said("ko") and "Extra" not in info.value.said("ko")


def test_cells_without_ids_are_read_without_a_library_warning(recwarn):
    doc = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [], "execution_count": None}],
    }
    nb = nbio.parse(json.dumps(doc).encode())
    assert nb.cells[0].get("id")  # nbformat gave it one
    assert not [w for w in recwarn if "id field" in str(w.message)]
