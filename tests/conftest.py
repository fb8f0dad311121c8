"""Shared fixtures: the repository's course, a CLI runner, and tiny test courses."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def course():
    from grader.course import load_course

    return load_course(ROOT)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def make_notebook(cells: list[tuple[str, str] | tuple[str, str, list[str]]], exercise: str | None = None,
                  **metadata: object) -> nbformat.NotebookNode:
    """A v4 notebook from (kind, source[, tags]) tuples."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    if exercise:
        nb.metadata["grade"] = {"exercise": exercise, **metadata}
    for kind, source, *rest in cells:
        cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
        if rest:
            cell.metadata["tags"] = rest[0]
        nb.cells.append(cell)
    return nb


def write_notebook(path: Path, nb: nbformat.NotebookNode) -> Path:
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


@pytest.fixture
def tiny_course(tmp_path: Path) -> Path:
    """A one-exercise course whose notebook needs no TensorFlow: fast kernel tests."""
    root = tmp_path / "course"
    (root / "exercises" / "specs").mkdir(parents=True)
    (root / "exercises" / "refs").mkdir()
    (root / "solutions").mkdir()
    (root / "course.toml").write_text('[course]\nid = "t"\ntitle = "tiny"\n', encoding="utf-8")
    (root / "exercises" / "refs" / "tiny.py").write_text(textwrap.dedent('''
        import numpy as np
        def probe(rng, n=5):
            return {"x": rng.normal(size=(n, 3)).astype("float32")}
        def double(x):
            return 2 * x
        def eval_data(rng, n=200):
            x = rng.normal(size=(n, 3)).astype("float32")
            return {"x": x}, x.sum(axis=1)
        def zeros(inputs, targets, rng):
            return np.zeros_like(targets)
    '''), encoding="utf-8")
    (root / "exercises" / "specs" / "01_tiny.toml").write_text(textwrap.dedent('''
        id = "t.ex1"
        notebook = "01_tiny.ipynb"
        title = "Tiny"
        [limits]
        cell_timeout_s = 10
        total_timeout_s = 30
        memory_mb = 1024
        [[checks]]
        id = "double"
        kind = "function_matches"
        points = 2
        target = "double"
        generator = "tiny:probe"
        reference = "tiny:double"
        hint = "Return 2 * x."
        [[checks]]
        id = "summer"
        kind = "model_metric"
        points = 3
        target = "summer"
        method = "call"
        generator = "tiny:eval_data"
        metric = "mse"
        threshold = 0.01
        baselines = { zeros = "tiny:zeros" }
    '''), encoding="utf-8")
    nb = make_notebook([
        ("markdown", "# Tiny"),
        ("code", "import numpy as np\n"
                 "def double(x):\n    ### BEGIN SOLUTION\n    #> return None\n    return 2 * x\n    ### END SOLUTION\n"),
        ("code", "def summer(x):\n    ### BEGIN SOLUTION\n    #> return np.zeros(len(x))\n"
                 "    return x.sum(axis=1)\n    ### END SOLUTION\n"),
    ], exercise="t.ex1")
    write_notebook(root / "solutions" / "01_tiny.ipynb", nb)
    return root


def read_json(text: str) -> object:
    return json.loads(text)
