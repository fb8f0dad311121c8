"""The self-check's kernel side without a kernel: finding the notebook, comparing the saved
file with the kernel's history, telling a graded run, and what importing it loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from grader.selfcheck import kernel as k


def nb_with(*cells: tuple[int | None, str]) -> dict:
    return {
        "cells": [
            {"cell_type": "code", "execution_count": n, "source": src, "outputs": [], "metadata": {}}
            for n, src in cells
        ]
        + [{"cell_type": "markdown", "source": "# t", "metadata": {}}]
    }


def test_runs_after_the_last_save_are_unsaved():
    history = ["", "a = 1", "b = 2", "c = 3", "from grader import selfcheck\nselfcheck()"]
    saved = nb_with((1, "a = 1"), (2, "b = 2"), (None, "c = 3"))
    fresh = k.freshness(saved, history, current=5)
    assert fresh.unsaved == [3] and fresh.edited == [] and not fresh.other_session


def test_a_cell_run_twice_before_saving_is_saved():
    # In [1] and In [3] were the same cell; the file keeps its latest count only.
    history = ["", "x = 1", "y = 2", "x = 1", "selfcheck()"]
    fresh = k.freshness(nb_with((3, "x = 1"), (2, "y = 2")), history, current=5)
    assert fresh.unsaved == [] and fresh.edited == []


def test_a_cell_edited_after_it_ran():
    history = ["", "model = build(20)", "model.fit(X)"]
    fresh = k.freshness(nb_with((1, "model = build(64)"), (2, "model.fit(X)")), history, current=3)
    assert fresh.edited == [1] and fresh.unsaved == []


def test_a_file_saved_by_another_kernel_session():
    fresh = k.freshness(nb_with((40, "a = 1")), ["", "a = 1"], current=2)
    assert fresh.other_session


def test_earlier_selfcheck_cells_do_not_count_as_unsaved_work():
    history = [
        "",
        "a = 1",
        "# check\nfrom grader import selfcheck\nselfcheck('windows')",
        "import grader\ngrader.selfcheck()",
    ]
    fresh = k.freshness(nb_with((1, "a = 1")), history, current=4)
    assert fresh.unsaved == []
    assert not k._only_selfcheck("from grader import selfcheck\nmodel.fit(X)")


def test_notebook_from_the_session_name(tmp_path, monkeypatch):
    nb = tmp_path / "sora_04_forecast7.ipynb"
    nb.write_text("{}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert k.locate_notebook({"__session__": str(nb)}).how == "session"
    monkeypatch.setenv("JPY_SESSION_NAME", str(nb))
    found = k.locate_notebook({})
    assert found.path == nb.resolve() and found.how == "env"


def test_a_stale_session_name_falls_back_to_the_folder(tmp_path, monkeypatch):
    # Jupyter sets the name when the kernel starts; a renamed notebook keeps the old one.
    nb = tmp_path / "04_forecast7 (1).ipynb"
    nb.write_text("{}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "Untitled.ipynb"))
    found = k.locate_notebook({})
    assert found.path == nb.resolve() and found.how == "folder"


def test_several_notebooks_in_the_folder_are_named_not_guessed(tmp_path, monkeypatch):
    for name in ("a.ipynb", "b.ipynb"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    found = k.locate_notebook({})
    assert found.path is None and found.candidates == ["a.ipynb", "b.ipynb"]
    assert k.locate_notebook({}, "b.ipynb").how == "argument"


def test_the_connection_file_names_the_notebook(tmp_path, monkeypatch):
    nb = tmp_path / "07_conv1d.ipynb"
    nb.write_text("{}", encoding="utf-8")
    conn = tmp_path / "kernel-1.json"
    conn.write_text(json.dumps({"jupyter_session": str(nb), "key": ""}), encoding="utf-8")
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(tmp_path.parent)
    import ipykernel.connect

    monkeypatch.setattr(ipykernel.connect, "get_connection_file", lambda app=None: str(conn))
    assert k.locate_notebook({}).how == "connection"


def test_the_grader_kernel_is_a_graded_run(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(["/elsewhere", str(k._KERNEL_SITE)]))
    assert k.in_graded_run()
    report = k.run()
    assert report.skipped and report.results == []
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    assert not k.in_graded_run()


def test_the_grader_stand_in_is_not_colab(monkeypatch):
    import types

    fake = types.ModuleType("google.colab")
    fake.IN_GRADER = True  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "google.colab", fake)
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")
    assert not k.in_colab()
    del fake.IN_GRADER  # type: ignore[attr-defined]
    assert k.in_colab()


def test_colab_live_notebook(monkeypatch):
    import types

    colab = types.ModuleType("google.colab")
    message = types.ModuleType("google.colab._message")
    live = {"cells": [], "metadata": {"grade": {"exercise": "ch15.ex4"}}, "nbformat": 4, "nbformat_minor": 5}
    message.blocking_request = lambda kind, request="", timeout_sec=0: {"ipynb": live} if kind == "get_ipynb" else {}  # type: ignore[attr-defined]
    colab._message = message  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab._message", message)
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")
    found = k.locate_notebook({})
    assert found.how == "colab" and found.live == live


def test_importing_grader_loads_nothing_heavy():
    code = (
        "import sys; import grader; a = set(sys.modules); from grader import selfcheck; b = set(sys.modules);"
        "heavy = ('numpy', 'tensorflow', 'keras', 'kiwipiepy', 'grader.checks', 'grader.quiz', 'nbformat');"
        "print(sorted(m for m in b if m.split('.')[0] in heavy or m.startswith(heavy)));"
        "print(callable(selfcheck), grader.selfcheck is selfcheck)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]", out[0]
    assert out[1] == "True True"


def test_unknown_attribute_of_grader():
    import grader

    with pytest.raises(AttributeError):
        grader.not_a_thing  # noqa: B018 - the attribute access is the test
