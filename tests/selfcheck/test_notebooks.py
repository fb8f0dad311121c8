"""Every notebook of the course ends with the self-check and says both ways to check; the Colab
cell installs from the repository course.toml names and does nothing outside Colab."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "solutions").glob("*.ipynb")) + sorted((ROOT / "exercises").glob("*.ipynb"))


def _code(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_last_cell_is_the_selfcheck_and_the_first_says_both_ways(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[-1].cell_type == "code" and nb.cells[-1].source == "from grader import selfcheck\nselfcheck()"
    intro = nb.cells[0].source
    assert "selfcheck()" in intro and f"grade submit --dry-run {path.name}" in intro
    assert "in the last cell." not in intro  # the answer cell is no longer the last one


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_colab_cell_installs_from_the_course_repository(path):
    repo = tomllib.loads((ROOT / "course.toml").read_text(encoding="utf-8"))["selfcheck"]["repository"]
    first = _code(nbformat.read(path, as_version=4))[0]
    assert f'"{repo}"' in first and 'name.startswith("COLAB_") for name in os.environ' in first
    assert "grader.selfcheck.colab" in first
    # Not a line the graded run strips and reports as a skipped install (`!pip`, `%pip`).
    assert not any(line.lstrip().startswith(("!", "%")) for line in first.splitlines())


def test_the_colab_cell_does_nothing_outside_colab(tmp_path):
    first = _code(nbformat.read(ROOT / "solutions" / "04_forecast7.ipynb", as_version=4))[0]
    calls: list[object] = []
    namespace: dict[str, object] = {}
    real_run = subprocess.run
    subprocess.run = lambda *a, **k: calls.append(a)  # type: ignore[assignment]
    try:
        import os

        saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("COLAB_")}
        exec(compile(first, "<colab cell>", "exec"), namespace)  # noqa: S102 - the course's own cell
        os.environ["COLAB_RELEASE_TAG"] = "release-colab-test"
        exec(compile(first, "<colab cell>", "exec"), namespace)  # noqa: S102
    finally:
        subprocess.run = real_run  # type: ignore[assignment]
        os.environ.pop("COLAB_RELEASE_TAG", None)
        os.environ.update(saved)
    assert len(calls) == 2  # only the second run, "in Colab": the package, then what the self-check needs
    assert "--no-deps" in calls[0][0] and calls[1][0][-1] == "grader.selfcheck.colab"


def test_colab_helper_knows_what_is_missing():
    from grader.selfcheck import colab

    assert colab.requirement("kiwipiepy").startswith("kiwipiepy")
    for lang, said in (("en", "everything it needs"), ("ko", "모두 설치되어 있습니다")):
        out = subprocess.run(
            [sys.executable, "-m", "grader.selfcheck.colab", "--dry-run"],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ, GRADE_LANG=lang),
        ).stdout
        assert said in out  # this environment has them all
