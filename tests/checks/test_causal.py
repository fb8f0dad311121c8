"""`causal` (grader/checks/causal.py) judged on plain probe data, on exercise 7's checks."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import KINDS, ProbeOutput
from grader.errors import SpecError

from .course_ctx import ctx_for, make_check, spec_check


def _causal_conv(x: np.ndarray, look_ahead: int = 0) -> np.ndarray:
    """A moving sum over the last 3 steps (and `look_ahead` future ones): [b, T, 1] -> [b, T, 2]."""
    b, steps, _ = x.shape
    out = np.zeros((b, steps, 2))
    for t in range(steps):
        win = x[:, max(0, t - 2) : min(steps, t + 1 + look_ahead), 0]
        out[:, t, 0] = win.sum(axis=1)
        out[:, t, 1] = np.tanh(win).mean(axis=1)
    return out


class TestCausal:
    def setup(self, course, lang="en"):
        c = spec_check(course, "ch15.ex7", "wavenet_causal")
        ctx = ctx_for(course, "ch15.ex7", lang)
        kind = KINDS[c.kind]
        return c, ctx, kind, kind.plan(c, ctx)

    def run(self, course, model, lang="en"):
        c, ctx, kind, plan = self.setup(course, lang)
        outs = {
            "base": ProbeOutput(ok=True, arrays=[model(plan.inputs["x"])]),
            "perturbed": ProbeOutput(ok=True, arrays=[model(plan.inputs["x2"])]),
        }
        return kind.evaluate(c, ctx, plan, outs)

    def test_plan_perturbs_only_the_future(self, course):
        _c, _ctx, _kind, plan = self.setup(course)
        x, x2 = plan.inputs["x"], plan.inputs["x2"]
        assert x.shape == (4, 64, 1) and plan.private["t0"] == 40
        assert np.array_equal(x[:, :40], x2[:, :40]) and np.all(x[:, 40:] != x2[:, 40:])
        assert [r["args"] for r in plan.requests] == [["x"], ["x2"]]

    def test_causal_model_passes(self, course):
        r = self.run(course, _causal_conv)
        assert r.passed and r.points == 2 and r.details["max_past_change"] == 0

    def test_leaking_model_names_the_first_leaking_step(self, course):
        r = self.run(course, lambda x: _causal_conv(x, look_ahead=3))
        assert not r.passed and r.points == 0
        assert r.details["first_leaking_step"] == 37
        assert "The first leaking time step is 37" in r.message and "padding looks both ways" in r.message
        assert 'padding="causal"' not in r.message  # the recipe's
        ko = self.run(course, lambda x: _causal_conv(x, look_ahead=3), lang="ko")
        assert "처음 새는 타임 스텝은 37" in ko.message

    def test_model_that_ignores_its_input_fails(self, course):
        r = self.run(course, lambda x: np.ones((x.shape[0], x.shape[1], 7)))
        assert not r.passed and "did not change at all" in r.message

    def test_shrinking_or_seq2vec_output_is_explained(self, course):
        r = self.run(course, lambda x: x[:, 3::2])
        assert not r.passed and "[4, 31, 1]" in r.message and "one output per input time step" in r.message
        r = self.run(course, lambda x: x[:, -1])
        assert not r.passed and "one output per input time step" in r.message

    def test_missing_model_and_spec_validation(self, course):
        c, ctx, kind, plan = self.setup(course)
        err = "ValueError: it is None (the notebook has not built it yet)"
        r = kind.evaluate(
            c, ctx, plan, {"base": ProbeOutput(ok=False, error=err), "perturbed": ProbeOutput(ok=False, error=err)}
        )
        assert r.points == 0 and "has not built it yet" in r.message
        with pytest.raises(SpecError):
            kind.validate(make_check("causal", target="m", input=[2, 10, 1], t0=10))
        with pytest.raises(SpecError):
            kind.validate(make_check("causal", target="m"))
        kind.validate(make_check("causal", target="m", input=[2, 10, 1], t0=-3))
