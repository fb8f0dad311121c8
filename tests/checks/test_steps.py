"""`unrolled_step` (grader/checks/steps.py) judged on plain probe data, on exercise 5's checks."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import KINDS, GradeContext, ProbeOutput
from grader.checks.base import CheckSpec
from grader.errors import SpecError


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _ctx(course, exercise: str, lang: str = "en") -> GradeContext:
    return GradeContext(seed=3, lang=lang, course=course, spec=course.specs[exercise])


def _check(course, exercise: str, check_id: str) -> CheckSpec:
    return next(c for c in course.specs[exercise].checks if c.id == check_id)


def _lstm_swapped(x, h, c, kernel, recurrent_kernel, bias):
    i, g, f, o = np.split(x @ kernel + h @ recurrent_kernel + bias, 4, axis=-1)
    c_new = _sig(f) * c + _sig(i) * np.tanh(g)
    return _sig(o) * np.tanh(c_new), c_new


def _run_steps(check, ctx, fn):
    """Evaluate the kind on what `fn` returns for each probe request (no kernel)."""
    kind = KINDS["unrolled_step"]
    plan = kind.plan(check, ctx)
    outputs = {}
    for req in plan.requests:
        try:
            out = fn(*[plan.inputs[a] for a in req["args"]])
            arrays = [np.asarray(o) for o in (out if isinstance(out, tuple) else (out,))]
            outputs[req["id"]] = ProbeOutput(ok=True, arrays=arrays)
        except Exception as exc:  # noqa: BLE001
            outputs[req["id"]] = ProbeOutput(ok=False, error=f"{type(exc).__name__}: {exc}")
    return plan, kind.evaluate(check, ctx, plan, outputs)


def test_unrolled_step_uses_the_graders_state_at_every_step(course):
    check, ctx = _check(course, "ch15.ex6", "lstm_step"), _ctx(course, "ch15.ex6")
    plan, r = _run_steps(check, ctx, course.reference("ch15_cells:lstm_step"))
    assert r.passed and r.points == check.points and "all 8 time steps" in r.message
    assert len(plan.requests) == 8 and plan.requests[0]["args"][:3] == ["x__t0", "h__t0", "c__t0"]
    # Teacher forcing: step t's input state is the reference's output of step t-1.
    h1, c1 = course.reference("ch15_cells:lstm_step")(*[plan.inputs[a] for a in plan.requests[0]["args"]])
    assert np.allclose(plan.inputs["h__t1"], h1) and np.allclose(plan.inputs["c__t1"], c1)
    # The hidden states and targets never appear in what goes to the kernel besides the inputs.
    assert "expected" in plan.private and not any(k.startswith("expected") for k in plan.inputs)


def test_unrolled_step_names_first_step_and_state(course):
    check, ctx = _check(course, "ch15.ex6", "lstm_step"), _ctx(course, "ch15.ex6")
    _, r = _run_steps(check, ctx, _lstm_swapped)
    assert not r.passed and r.points == 0
    assert (
        "matched at 0 of 8 steps" in r.message and "step 1: c has the right shape [4, 5] but wrong values" in r.message
    )
    assert "; h, computed from c, is wrong because of it." in r.message  # issue 16: it said "h is wrong"
    assert "input, forget, candidate, output" in r.message  # the hint follows, without the formula
    assert "c_new" not in r.message and r.hint_level == "brief"
    ko = _run_steps(check, _ctx(course, "ch15.ex6", "ko"), _lstm_swapped)[1]
    assert "1번째 스텝" in ko.message and "c부터 보세요" in ko.message
    assert "c 값으로 계산하는 h도 그래서 틀립니다" in ko.message


def test_follows_names_states_of_the_step(course):
    check = _check(course, "ch15.ex6", "lstm_step")
    kind = KINDS["unrolled_step"]
    for bad in ({"h": "z"}, {"h": "h"}):
        with pytest.raises(SpecError, match="'follows' must map a state to another state"):
            kind.validate(
                CheckSpec(check.id, check.kind, check.points, check.title, check.hint, dict(check.params, follows=bad))
            )


def test_unrolled_step_late_bug_and_partial(course):
    ref = course.reference("ch15_cells:lstm_step")

    def clipped(*args):  # h is computed right, the returned long-term state is not
        h, c = ref(*args)
        return h, np.clip(c, -0.5, 0.5)

    check, ctx = _check(course, "ch15.ex6", "lstm_step"), _ctx(course, "ch15.ex6")
    _, r = _run_steps(check, ctx, clipped)
    assert not r.passed and "c has the right shape" in r.message and "(h is right)" in r.message
    calls = []

    def late(*args):  # right for the first three steps only
        calls.append(1)
        h, c = ref(*args)
        return (h, c) if len(calls) <= 3 else (h * 1.1, c)

    partial = CheckSpec(check.id, check.kind, check.points, check.title, check.hint, dict(check.params, partial=True))
    _, r = _run_steps(partial, ctx, late)
    assert r.details["steps_ok"] == 3 and r.points == pytest.approx(check.points * 3 / 8)
    assert "matched at 3 of 8 steps. First mismatch: step 4: h" in r.message


def test_unrolled_step_wrong_arity_and_errors(course):
    check, ctx = _check(course, "ch15.ex6", "lstm_step"), _ctx(course, "ch15.ex6")
    ref = course.reference("ch15_cells:lstm_step")
    _, r = _run_steps(check, ctx, lambda *a: ref(*a)[0])
    assert not r.passed and "returned 1 value; expected 2 (h, c)" in r.message

    def boom(*a):
        raise ValueError("shapes (4,3) and (5,20) not aligned")

    _, r = _run_steps(check, ctx, boom)
    assert not r.passed and "Could not use `lstm_step`: ValueError: shapes" in r.message
    gru = _check(course, "ch15.ex6", "gru_step")
    _, r = _run_steps(gru, ctx, lambda x, h, k, rk, b: h)  # state never changes
    assert not r.passed and "step 1: h has the right shape" in r.message


def test_unrolled_step_validates_its_spec():
    kind = KINDS["unrolled_step"]
    bad = CheckSpec(
        "s",
        "unrolled_step",
        1,
        {},
        {},
        {"target": "f", "generator": "m:g", "reference": "m:r", "states": ["h"], "args": ["x", "kernel"]},
    )
    with pytest.raises(SpecError, match="step argument and every state"):
        kind.validate(bad)
