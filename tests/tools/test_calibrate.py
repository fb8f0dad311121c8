"""tools/calibrate.py's verdicts and table, on hand-made results (no notebook runs), and
the fast subset of the calibration that CI keeps: a few real variants on one seed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("calibrate_tool", ROOT / "tools" / "calibrate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _row(name: str, kind: str, results: dict[str, tuple[bool, float | None]], seeds: int = 20):
    one = [
        {"id": cid, "passed": ok, "points": 4.0 if ok else 0.0, "max": 4.0, "value": v}
        for cid, (ok, v) in results.items()
    ]
    return {
        "name": name,
        "kind": kind,
        "status": "graded",
        "cells_s": 30.0,
        "seeds": [[dict(r) for r in one] for _ in range(seeds)],
    }


def _checks(course):
    tool = _tool()
    return tool, tool.code_checks(course.specs["ch15.ex4"])


def test_metric_checks_are_judged_again_with_todays_threshold(course):
    tool, checks = _checks(course)
    quality = next(c for c in checks if c.id == "quality")
    thr = float(quality.params["threshold"])
    row = _row("ok_x", "ok", {c.id: (True, None) for c in checks})
    for seed in row["seeds"]:
        next(r for r in seed if r["id"] == "quality").update(passed=True, value=thr * 1.05)
    judged = tool.rejudged(row, checks)
    assert all(not next(r for r in s if r["id"] == "quality")["passed"] for s in judged)
    ok, why = tool.verdict(row, checks, {}, 20)
    assert not ok and why == "fails quality 0/20"


def test_after_is_applied_to_stored_results(course):
    tool, checks = _checks(course)
    quality = next(c for c in checks if c.id == "quality")
    quality_after = type(quality)(**{**quality.__dict__, "after": ["recurrent"]})
    checks = [quality_after if c.id == "quality" else c for c in checks]
    row = _row("wrong_flat", "wrong", {c.id: (c.id not in ("recurrent",), None) for c in checks})
    judged = tool.rejudged(row, checks)
    q = next(r for r in judged[0] if r["id"] == "quality")
    assert not q["passed"] and q["not_checked"]


def test_wrong_variant_verdicts(course):
    tool, checks = _checks(course)
    expected = {"wrong_flat": {"loses": ["recurrent", "quality"]}, "ok_nobonus": {"skips": ["seq2seq_quality"]}}
    lost = _row(
        "wrong_flat", "wrong", {c.id: (c.id not in ("recurrent", "quality", "any_length"), None) for c in checks}
    )
    ok, why = tool.verdict(lost, checks, expected, 20)
    assert ok and why == "also loses any_length 20/20"
    kept = _row("wrong_flat", "wrong", {c.id: (c.id != "recurrent", None) for c in checks})
    ok, why = tool.verdict(kept, checks, expected, 20)
    assert not ok and "keeps quality 20/20" in why
    assert not tool.verdict(_row("wrong_other", "wrong", {}), checks, expected, 20)[0]
    nobonus = _row("ok_nobonus", "ok", {c.id: (c.id != "seq2seq_quality", None) for c in checks})
    assert tool.verdict(nobonus, checks, expected, 20) == (True, "")
    one_seed_off = _row("ok_nobonus", "ok", {c.id: (True, None) for c in checks})
    one_seed_off["seeds"][3][0]["passed"] = False
    assert tool.verdict(one_seed_off, checks, expected, 20)[0]  # 19 of 20 is enough


def test_table_marks_baselines_that_pass(course):
    tool, checks = _checks(course)
    saved = {
        "exercise": "04_forecast7",
        "n_seeds": 2,
        "date": "d",
        "load": "1.0",
        "notebooks": [
            _row(
                "solution",
                "solution",
                {c.id: (True, 0.005 if c.kind == "model_metric" else None) for c in checks},
                seeds=2,
            )
        ],
        "baselines": {"quality": {"naive": [0.19, 0.2], "linear": [0.001, 0.02]}},
    }
    text = tool.table(saved, course)
    assert "| solution | solution | 30 s |" in text
    assert "baseline: naive" in text and "✗ passes 1/2" in text
    assert "Some rows are not as expected" in text


@pytest.mark.slow
def test_fast_subset_of_the_calibration(course):
    """CI's share of the calibration: a correct and a wrong variant of exercise 6 (NumPy only)
    and the Dense → Reshape "vec2seq RNN" of exercise 1, graded on one seed."""
    from grader.grading import grade_file

    variants = course.root / "calibration" / "variants"
    cases = [
        ("06_lstm_structure/ok_split_blocks.ipynb", set()),
        ("06_lstm_structure/wrong_sequence_resets_c.ipynb", {"lstm_sequence"}),
        ("01_seq2seq_uses/wrong_vec2seq_dense_reshape.ipynb", {"vec2seq_rnn"}),
    ]
    for rel, loses in cases:
        result, _ = grade_file(course, variants / rel, seed=1, lang="en")
        assert result.status == "graded", (rel, result.message)
        failed = {c.id for c in result.checks if not c.is_quiz and not c.passed}
        assert failed == loses, (rel, {c.id: c.message for c in result.checks if c.id in failed})
        lost = sum(c.max_points - c.points for c in result.checks if not c.is_quiz)
        assert lost == pytest.approx(2.0 if loses else 0.0), rel


def test_structure_checks_run_on_the_first_seeds_only(course):
    tool, checks = _checks(course)
    by_id = {c.id: c for c in checks}
    assert tool.seed_invariant(by_id["any_length"]) and tool.seed_invariant(by_id["recurrent"])
    assert not tool.seed_invariant(by_id["quality"]) and not tool.seed_invariant(by_id["windows"])
    planned = [{c.id for c in tool._for_seed(checks, i)} for i in range(4)]
    assert "any_length" in planned[1] and "any_length" not in planned[2] and "quality" in planned[3]
    row = _row("wrong_flat", "wrong", {c.id: (c.id != "recurrent", None) for c in checks})
    for seed in row["seeds"][tool.STRUCTURE_SEEDS :]:
        seed[:] = [r for r in seed if not tool.seed_invariant(by_id[r["id"]])]
    ok, why = tool.verdict(row, checks, {"wrong_flat": {"loses": ["recurrent"]}}, 20)
    assert ok and why == ""
    # A check that comes after a structure check is not checked on any seed.
    quality = type(by_id["quality"])(**{**by_id["quality"].__dict__, "after": ["recurrent"]})
    judged = tool.rejudged(row, [quality if c.id == "quality" else c for c in checks])
    assert all(not next(r for r in s if r["id"] == "quality")["passed"] for s in judged)
