"""checks/values.py: a value the notebook wrote is parsed as a literal only when it is short and
shallow, so a 6 MB string (10 s and 1 GB inside `ast.literal_eval`) costs the grader nothing."""

from __future__ import annotations

import resource
import time

import pytest

from grader.checks import KINDS, GradeContext, ProbeOutput
from grader.checks.values import MAX_LITERAL_CHARS, _literal, _show


def _table_check(course, lang="en"):
    spec = course.specs["ch15.ex2"]
    check = next(c for c in spec.checks if c.id == "predictions")
    ctx = GradeContext(seed=5, lang=lang, course=course, spec=spec)
    kind = KINDS[check.kind]
    plan = kind.plan(check, ctx)
    table = {k: {"shape": list(v["shape"]), "params": v["params"]} for k, v in plan.private["expected"].items()}
    return check, ctx, kind, plan, table


def test_a_six_megabyte_literal_is_not_parsed(course):
    check, ctx, kind, plan, table = _table_check(course)
    table["simple_last"]["shape"] = "(" + "1, " * 2_000_000 + ")"  # 6 MB: 10 s and 1 GB if parsed
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.monotonic()
    r = kind.evaluate(check, ctx, plan, {"value": ProbeOutput(ok=True, value=table)})
    assert time.monotonic() - t0 < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before < 100
    assert not r.passed and r.points == pytest.approx(check.points * 11 / 12)  # only that entry is lost
    assert "a text of 6,000,002 characters" in r.message
    assert f"only up to {MAX_LITERAL_CHARS} characters" in r.message
    assert len(r.message) < 2000  # the message quotes nothing of the 6 MB


def test_deep_nesting_is_not_parsed(course):
    check, ctx, kind, plan, table = _table_check(course, lang="ko")
    table["lstm_seq"]["shape"] = "[" * 60 + "]" * 60  # short, but 60 brackets deep
    r = kind.evaluate(check, ctx, plan, {"value": ProbeOutput(ok=True, value=table)})
    assert not r.passed and "괄호 8겹까지만 읽습니다" in r.message


def test_short_literals_still_read_and_huge_values_are_quoted_short():
    assert _literal("(5, 32)") == [5, 32]
    assert _literal(" [None, 10, 64] ") == [None, 10, 64]
    assert _literal("(" + "1," * 150 + ")") == "(" + "1," * 150 + ")"  # over the cap: stays text
    assert len(_show(list(range(1_000_000)))) <= 80
    assert len(_show("x" * 10_000_000)) <= 80
    assert _show([[5, 32], 7]) == "((5, 32), 7)"


def test_a_huge_wrong_value_is_quoted_briefly(course):
    check, ctx, kind, plan, _ = _table_check(course)
    r = kind.evaluate(check, ctx, plan, {"value": ProbeOutput(ok=True, value=list(range(10_000)))})
    assert r.points == 0 and "should be a dict" in r.message and len(r.message) < 600
