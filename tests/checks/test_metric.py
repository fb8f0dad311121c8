"""`model_metric` (grader/checks/metric.py) judged on plain probe data, on exercise 4's checks."""

from __future__ import annotations

import numpy as np

from grader.checks import KINDS, GradeContext, ProbeOutput


def ctx_for(course, lang: str = "en", seed: int = 7) -> GradeContext:
    return GradeContext(seed=seed, lang=lang, course=course, spec=course.specs["ch15.ex4"])


def check(course, cid: str):
    return next(c for c in course.specs["ch15.ex4"].checks if c.id == cid)


class TestModelMetric:
    def setup(self, course, cid="quality"):
        c = check(course, cid)
        ctx = ctx_for(course)
        kind = KINDS[c.kind]
        plan = kind.plan(c, ctx)
        return c, ctx, kind, plan

    def test_targets_stay_in_the_grader(self, course):
        _c, _ctx, _kind, plan = self.setup(course)
        assert set(plan.inputs) == {"X"} and plan.inputs["X"].shape == (1000, 50, 1)
        assert plan.private["targets"].shape == (1000, 7)
        assert all("targets" not in r for r in plan.requests)

    def test_good_predictions_pass_and_report_baselines(self, course):
        c, ctx, kind, plan = self.setup(course)
        y = plan.private["targets"]
        preds = y + np.random.default_rng(1).normal(0, 0.05, size=y.shape)
        r = kind.evaluate(c, ctx, plan, {"predict": ProbeOutput(ok=True, arrays=[preds])})
        assert r.passed and r.points == c.points
        assert "naive" in r.message and "linear" in r.message
        assert r.details["baseline_naive"] > 0.1 and 0.0 < r.details["mse"] < 0.005

    def test_naive_forecast_fails(self, course):
        c, ctx, kind, plan = self.setup(course)
        naive = course.reference("ch15_series:naive_forecast")(plan.inputs, plan.private["targets"], None)
        r = kind.evaluate(c, ctx, plan, {"predict": ProbeOutput(ok=True, arrays=[naive])})
        assert not r.passed and r.points == 0 and f"needed ≤ {c.params['threshold']:g}" in r.message

    def test_trailing_unit_axis_is_accepted_but_other_shapes_are_not(self, course):
        c, ctx, kind, plan = self.setup(course)
        y = plan.private["targets"]
        assert kind.evaluate(c, ctx, plan, {"predict": ProbeOutput(ok=True, arrays=[y[..., None]])}).passed
        r = kind.evaluate(c, ctx, plan, {"predict": ProbeOutput(ok=True, arrays=[y[:, :1]])})
        assert not r.passed and "[1000, 1]" in r.message and "[1000, 7]" in r.message

    def test_nan_predictions_say_diverged(self, course):
        c, ctx, kind, plan = self.setup(course)
        y = plan.private["targets"].copy()
        y[0, 0] = np.nan
        r = kind.evaluate(c, ctx, plan, {"predict": ProbeOutput(ok=True, arrays=[y])})
        assert not r.passed and "diverged" in r.message

    def test_seq2seq_scored_on_last_step(self, course):
        c, ctx, kind, plan = self.setup(course, "seq2seq_quality")
        y = plan.private["targets"]
        seq = np.zeros((len(y), 50, 7), dtype=np.float32)
        seq[:, -1] = y
        assert kind.evaluate(c, ctx, plan, {"predict": ProbeOutput(ok=True, arrays=[seq])}).passed
        r = kind.evaluate(c, ctx, plan, {"predict": ProbeOutput(ok=True, arrays=[y])})
        assert not r.passed and "[batch, time steps, outputs]" in r.message

    def test_linear_baseline_is_a_real_fit(self, course):
        _c, _ctx, _kind, plan = self.setup(course)
        y = plan.private["targets"]
        lin = course.reference("ch15_series:linear_forecast")(plan.inputs, y, np.random.default_rng(3))
        assert float(np.mean((lin - y) ** 2)) < 0.03
