"""grader/notebook.py: a notebook file under the size limit cannot still cost the grader
seconds and gigabytes to parse (19 MB of "[[],[],…" took 35 s and 1.5 GB)."""

from __future__ import annotations

import json
import tracemalloc

import nbformat
import pytest

from grader import notebook as nbio
from grader.errors import InvalidNotebook


def _nb_with_meta(value_json: str) -> bytes:
    head = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": [],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    }
    text = json.dumps(head)
    return (text[:-1] + ', "x": ' + value_json + "}").encode()


@pytest.mark.parametrize(
    "bomb",
    [
        "[" + "[]," * 6_000_000 + "[]]",  # millions of empty lists
        "[" + '{"a": 1},' * 2_000_000 + "{}]",  # millions of small objects
        "[" + '"ab",' * 3_000_000 + '"ab"]',  # millions of short strings
    ],
)
def test_a_value_bomb_is_refused_before_parsing(bomb, tmp_path, monkeypatch):
    # Refused before any parser sees it: a parse of it took 35 s and 1.5 GB. (No wall-clock
    # limit here: under a loaded CI the count itself, traced by tracemalloc, can take 10 s.)
    def parsed(*_a, **_k):
        raise AssertionError("the bomb reached a JSON parser")

    monkeypatch.setattr(nbio.json, "loads", parsed)
    monkeypatch.setattr(nbio.nbformat, "reads", parsed)
    data = _nb_with_meta(bomb)
    assert len(data) < nbio.MAX_NOTEBOOK_BYTES
    path = tmp_path / "bomb.ipynb"
    path.write_bytes(data)
    # Peak of what the load allocates (tracemalloc), not the process's lifetime peak RSS,
    # which earlier tests in the same process already raised.
    tracemalloc.start()
    try:
        with pytest.raises(InvalidNotebook) as err:
            nbio.load(path)
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    # json.loads of it took 1.5 GB; the pre-parse count peaks at ~184 MB on the two-million-
    # objects case (measured with tracemalloc), which a leaner counter could still lower.
    assert peak_mb < 256
    msg = str(err.value)
    assert str(path) in msg and "JSON lists and objects" in msg and "\n" not in msg


def test_brackets_and_commas_inside_strings_do_not_count(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    code = 'x = [[1, 2], {"a": [3]}]  # \\" escaped quote, then more [ { ,\n' * 40_000  # 2.4 MB of code
    nb.cells.append(nbformat.v4.new_code_cell(code))
    path = tmp_path / "big_code.ipynb"
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    parsed, _ = nbio.load(path)
    assert parsed.cells[0].source.count("\n") == 40_000


def test_the_repository_notebooks_are_far_below_the_limits(repo_root):
    for path in sorted((repo_root / "solutions").glob("*.ipynb")):
        bare = nbio._JSON_STRING.sub("", path.read_text(encoding="utf-8"))
        assert bare.count("[") + bare.count("{") < nbio.MAX_JSON_CONTAINERS // 100, path.name
