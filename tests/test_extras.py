"""Dask and psycopg are extras: the core install lacks them, and using them without says how to get them."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from grader.errors import GradebookError, GradeError

ROOT = Path(__file__).resolve().parent.parent


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _names(requirements: list[str]) -> set[str]:
    import re

    return {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_the_core_install_has_neither_dask_nor_psycopg_and_dev_has_both() -> None:
    project = _project()
    core = _names(project["dependencies"])
    assert not core & {"dask", "distributed", "psycopg", "psycopg-binary"}
    extras = project["optional-dependencies"]
    assert _names(extras["dask"]) == {"dask"}
    assert _names(extras["postgres"]) == {"psycopg"}
    assert f"{project['name']}[dask,postgres]" in extras["dev"]


def test_known_breaking_majors_are_excluded() -> None:
    pins = {r.split(";")[0].replace(" ", "") for r in _project()["dependencies"]}
    for bound in ("click>=8.2,<9", "numpy>=1.26,<3", "keras>=3.0,<4", "SQLAlchemy>=2.0,<3", "pydantic>=2.6,<3"):
        assert bound in pins
    assert {p for p in pins if p.startswith("tensorflow")} == {"tensorflow-cpu>=2.16,<3", "tensorflow>=2.16,<3"}


def test_a_postgres_gradebook_without_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.results.gradebook import Gradebook

    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now raises ImportError
    with pytest.raises(GradebookError) as caught:
        Gradebook("postgresql://grader:s3cret@localhost:1/ch15")
    text = str(caught.value)
    assert "pip install 'homl-grade[postgres]'" in text
    assert "s3cret" not in text and "\n" not in text


def test_a_scheduler_without_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.batch.dask import run_on_dask

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(GradeError, match=r"pip install 'homl-grade\[dask\]'"):
        run_on_dask("tcp://127.0.0.1:1", None, lambda bundle: None, lambda job, kind, value: None)  # type: ignore[arg-type]
