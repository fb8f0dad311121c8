"""Every notebook states its time budget, and the limits it quotes are the ones its spec
enforces; every training cell has a budget of its own in the markdown just before it."""

from __future__ import annotations

import re

import nbformat
import pytest

LIMITS = re.compile(
    r"셀 하나에 (\d+)초, 노트북 전체에 (\d+)초.*?up to (\d+) s for one cell and (\d+) s for the whole "
    r"notebook",
    re.S,
)


def _notebooks(course):
    for spec in course.specs.values():
        yield spec, nbformat.read(course.solutions_dir / spec.notebook, as_version=4)


def test_the_first_cell_quotes_the_spec_limits(course):
    for spec, nb in _notebooks(course):
        top = nb.cells[0].source
        line = next((ln for ln in top.splitlines() if ln.startswith("⏱")), "")
        m = LIMITS.search(line)
        assert m, (spec.notebook, line)
        ko_cell, ko_total, en_cell, en_total = map(int, m.groups())
        assert (ko_cell, ko_total) == (en_cell, en_total), spec.notebook
        assert (ko_cell, ko_total) == (spec.limits.cell_timeout_s, spec.limits.total_timeout_s), spec.notebook


def test_every_training_cell_has_its_budget(course):
    for spec, nb in _notebooks(course):
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or ".fit(" not in cell.source:
                continue
            before = next((c.source for c in reversed(nb.cells[:i]) if c.cell_type == "markdown"), "")
            assert "⏱" in before, (spec.notebook, i)
            assert re.search(r"(\d+)초 이내", before) and re.search(r"within (\d+) s", before), (spec.notebook, i)


@pytest.mark.parametrize("stem", ["04_forecast7", "08_video_classifier"])
def test_the_starter_states_the_same_budget(course, stem):
    sol = nbformat.read(course.solutions_dir / f"{stem}.ipynb", as_version=4)
    starter = nbformat.read(course.exercises_dir / f"{stem}.ipynb", as_version=4)
    assert [c.source for c in sol.cells if c.cell_type == "markdown" and "⏱" in c.source] == [
        c.source for c in starter.cells if c.cell_type == "markdown" and "⏱" in c.source
    ]
