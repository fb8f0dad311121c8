"""Broken files: each ends as `invalid` with a one-line reason (exit 1, nothing recorded),
or, when it is a notebook after all, is graded (exit 0). No kernel starts for an invalid one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

from grader.cli.app import cli

sys.path.insert(0, str(Path(__file__).parent / "data" / "hostile"))
import cases as H

DATA = Path(__file__).parent / "data" / "hostile"


@pytest.fixture
def course(tmp_path):
    return H.make_course(tmp_path)


def _submit(runner, paths, nb_path: Path):
    r = runner.invoke(
        cli,
        [
            "submit",
            str(nb_path),
            "--json",
            "--lang",
            "en",
            "--member",
            "m",
            "--course",
            str(paths["course"]),
            "--gradebook",
            str(paths["gradebook"]),
        ],
    )
    doc = json.loads(r.stdout) if r.stdout.strip().startswith("{") else None
    return r, doc


def _write(paths, data: bytes | str, name: str = H.NB_NAME) -> Path:
    folder = paths["subs"] / f"f{len(list(paths['subs'].iterdir()))}"
    folder.mkdir()
    p = folder / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return p


def _v4(cells: list[str], **meta) -> str:
    return nbformat.writes(H.notebook(cells, **meta))


INVALID = {
    "not_json": (b"def double(x):\n    return 2 * x\n", "not JSON"),
    "empty": (b"", "empty"),
    "whitespace": (b"   \n\n", "empty"),
    "binary": (bytes(range(256)) * 64, "not UTF-8"),
    "binary_nul_utf8": (b"\x00\x00{}\x00" * 100, "NUL"),
    "invalid_utf8": (b'{"cells": [], "x": "' + b"\xff\xfe\xc3\x28" + b'"}', "not UTF-8"),
    "json_not_notebook": (b'{"hello": "world"}', "no 'nbformat'"),
    "json_list": (b"[1, 2, 3]", "no 'nbformat'"),
    "nbformat_v2": (b'{"nbformat": 2, "worksheets": []}', "v2"),
    "truncated": (_v4([H.HONEST]).encode()[:200], "not JSON"),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_unreadable_file_is_invalid_with_reason(name, runner, course):
    data, reason = INVALID[name]
    r, doc = _submit(runner, course, _write(course, data))
    assert r.exit_code == 1, r.output
    assert doc and doc["status"] == "invalid" and reason in doc["message"], doc
    assert "\n" not in doc["message"] and "Traceback" not in r.output
    assert H.gradebook_rows(course["gradebook"]) == 0  # an invalid file is not an attempt


def test_non_python_kernel_is_invalid(runner, course):
    nb = H.notebook(["cat(1)"])
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    nb.metadata["language_info"] = {"name": "R"}
    r, doc = _submit(runner, course, _write(course, nbformat.writes(nb)))
    assert r.exit_code == 1 and doc["status"] == "invalid" and "'R'" in doc["message"]


def test_50_megabyte_notebook_is_refused_before_reading(runner, course):
    p = _write(course, b"")
    with p.open("wb") as fh:  # sparse: 50 MB without writing 50 MB
        fh.truncate(50 * 2**20)
    r, doc = _submit(runner, course, p)
    assert r.exit_code == 1 and doc["status"] == "invalid" and "MB" in doc["message"]


def test_10000_cells_is_invalid(runner, course):
    nb = H.notebook(["x = 1"] * 10_000)
    r, doc = _submit(runner, course, _write(course, nbformat.writes(nb)))
    assert r.exit_code == 1 and doc["status"] == "invalid" and "cells" in doc["message"]


def test_duplicated_answer_tags_are_invalid(runner, course):
    nb = H.notebook([H.HONEST])
    for _ in range(2):
        cell = nbformat.v4.new_markdown_cell("my answer")
        cell.metadata["tags"] = ["answer:h.ex1"]
        nb.cells.append(cell)
    r, doc = _submit(runner, course, _write(course, nbformat.writes(nb)))
    assert r.exit_code == 1 and doc["status"] == "invalid" and "repeats the answer tag" in doc["message"]


@pytest.mark.kernel
def test_nbformat_v3_is_converted_and_graded(runner, course):
    v3 = json.loads((DATA / "v3_notebook.ipynb").read_text(encoding="utf-8"))
    assert v3["nbformat"] == 3
    r, doc = _submit(runner, course, _write(course, json.dumps(v3)))
    assert r.exit_code == 0, r.output
    assert doc["status"] == "graded" and doc["score"] == doc["max_score"] == 8


@pytest.mark.kernel
def test_outputs_from_another_machine_are_ignored(runner, course):
    nb = nbformat.reads((DATA / "foreign_outputs.ipynb").read_text(encoding="utf-8"), as_version=4)
    assert any(c.get("outputs") for c in nb.cells)
    r, doc = _submit(runner, course, _write(course, nbformat.writes(nb)))
    assert r.exit_code == 0, r.output
    # Stale outputs claiming success count for nothing: the notebook is run afresh.
    assert doc["status"] == "graded" and doc["score"] == 1.0


@pytest.mark.kernel
def test_missing_answer_cells_still_graded(runner, course):
    r, doc = _submit(runner, course, _write(course, _v4([H.HONEST])))
    assert r.exit_code == 0 and doc["status"] == "graded" and doc["answers"] == {}
    assert H.gradebook_rows(course["gradebook"]) == 1


def test_unknown_exercise_is_invalid(runner, course):
    r, doc = _submit(runner, course, _write(course, _v4([H.HONEST]), name="99_other.ipynb"))
    assert r.exit_code == 1 and doc["status"] == "invalid" and "cannot tell which exercise" in doc["message"]


@pytest.mark.kernel
def test_mixed_batch_reports_each_and_exits_1(runner, course):
    good = _write(course, _v4([H.HONEST]))
    bad = _write(course, b"")
    r = runner.invoke(
        cli,
        [
            "submit",
            str(good),
            str(bad),
            "--json",
            "--lang",
            "en",
            "--course",
            str(course["course"]),
            "--gradebook",
            str(course["gradebook"]),
        ],
    )
    docs = json.loads(r.stdout)
    assert [d["status"] for d in docs] == ["graded", "invalid"] and r.exit_code == 1
