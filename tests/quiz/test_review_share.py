"""The review mark rests on few, general doubts, and the calibration tool projects the share
it would mark on answers nobody tuned on."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from grader.quiz.confidence import DOUBT_COST, REVIEW_THRESHOLD, combine

ROOT = Path(__file__).resolve().parents[2]


def _tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("quiz_review_calibrate", ROOT / "tools" / "quiz_review_calibrate.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_only_the_doubts_about_unknown_wording_cost_confidence() -> None:
    # a typo, unknown words, a short or a long answer marked more right bands than wrong ones
    # on the tuning splits: they are reported, and cost nothing
    costly = {d for d, c in DOUBT_COST.items() if c < 1}
    assert costly == {"uncredited_sentences", "capped_list"}
    for doubt in ("typo_match", "unknown_words", "short", "long", "contrast", "rival_holders"):
        assert combine(0.55, [doubt], []) == combine(0.55, [], [])


@pytest.mark.parametrize(
    ("fraction", "doubts", "marked"),
    [
        (0.55, [], False),  # mid-band, no doubt
        (0.55, ["uncredited_sentences"], False),  # mid-band: one doubt is not enough
        (0.67, ["uncredited_sentences"], True),  # two ideas of three, the rest in words the rubric lacks
        (0.67, ["typo_match", "short"], False),
        (0.9, ["capped_list"], True),  # near full and capped as a list
    ],
)
def test_what_is_marked_for_review(fraction: float, doubts: list[str], marked: bool) -> None:
    assert (combine(fraction, doubts, []) < REVIEW_THRESHOLD) is marked


def test_the_projected_share_weighs_right_and_wrong_bands_by_the_unseen_agreement() -> None:
    tool = _tool()
    right = [tool.Scored("k1", True, 0.55, (), ()) for _ in range(9)]
    wrong = [tool.Scored("k1", False, 0.67, ("uncredited_sentences",), ())]
    rows = right + wrong
    # here 1 of 10 is marked, but it is every wrong band: at 70 % agreement 30 % would be
    share = tool.projected_share(rows, DOUBT_COST, REVIEW_THRESHOLD, 0.7)
    assert share == pytest.approx(0.3)
    assert tool.projected_share(rows, DOUBT_COST, REVIEW_THRESHOLD, 1.0) == pytest.approx(0.0)


def test_the_tool_keeps_the_projected_share_under_its_limit() -> None:
    tool = _tool()
    rows = [tool.Scored("k1", True, 0.55, (), ()) for _ in range(8)] + [
        tool.Scored("k1", False, 0.67, ("uncredited_sentences",), ()) for _ in range(2)
    ]
    _, _, _, review = tool.choose(rows, max_review=0.5)
    assert review == pytest.approx(0.2)  # marking both wrong bands is best here
    _, _, _, review = tool.choose(rows, max_review=0.5, max_projected=0.1, agreement=0.7)
    assert review == 0.0  # marking them would mark 30 % of unseen answers
