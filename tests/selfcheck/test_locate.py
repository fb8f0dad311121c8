"""Where the kernel is, without a kernel: which notebook it runs, and whether it is Colab."""

from __future__ import annotations

import json
import sys

from grader.selfcheck import locate as k


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
