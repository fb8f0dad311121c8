"""tools/quiz_full_lacks.py: the teacher's table of what full answers lack reads tuning splits only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from grader.quiz import load_bank

ROOT = Path(__file__).resolve().parents[2]


def _tool():  # noqa: ANN202
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import quiz_full_lacks
    finally:
        sys.path.pop(0)
    return quiz_full_lacks


def test_it_refuses_the_heldout_split() -> None:
    with pytest.raises(SystemExit, match="heldout"):
        _tool().load_items(["heldout"])


def test_a_what_if_changes_only_the_loaded_bank() -> None:
    tool = _tool()
    bank = load_bank(ROOT / "quizzes")
    q = bank["ch15.q17"]
    cid = q.concepts[0].id
    changed = tool.apply_set(tool.apply_set(bank, "ch15.q17:full_at=0.6"), f"ch15.q17/{cid}:weight=0.25")
    assert changed["ch15.q17"].full_at == 0.6 and changed["ch15.q17"].concepts[0].weight == 0.25
    assert changed["ch15.q17"].total_weight == q.total_weight - q.concepts[0].weight + 0.25
    assert (q.full_at, q.concepts[0].weight) != (0.6, 0.25)  # the loaded bank is shared: left alone
    for bad in ("ch15.q17:weight=1", "ch15.q17/nope:weight=1", "ch15.nope:full_at=1", "ch15.q17"):
        with pytest.raises(SystemExit, match="--set"):
            tool.apply_set(bank, bad)
