"""Each check kind judged on plain probe data, without a kernel."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import KINDS, GradeContext, ProbeOutput


def ctx_for(course, lang: str = "en", seed: int = 7) -> GradeContext:
    return GradeContext(seed=seed, lang=lang, course=course, spec=course.specs["ch15.ex4"])


def check(course, cid: str):
    return next(c for c in course.specs["ch15.ex4"].checks if c.id == cid)


def test_rng_is_reproducible_per_seed_and_check(course):
    a = ctx_for(course).rng("x").random(3)
    assert np.array_equal(a, ctx_for(course).rng("x").random(3))
    assert not np.array_equal(a, ctx_for(course).rng("y").random(3))
    assert not np.array_equal(a, ctx_for(course, seed=8).rng("x").random(3))


def test_windows_reference_shapes(course):
    series = course.reference("ch15_series:window_probe")(np.random.default_rng(0))["series"]
    x, y = course.reference("ch15_series:make_windows")(series)
    assert series.shape == (16, 57, 1) and x.shape == (16, 50, 1) and y.shape == (16, 7)
    assert np.array_equal(y[:, 0], series[:, 50, 0])


class TestFunctionMatches:
    def setup(self, course):
        c = check(course, "windows")
        ctx = ctx_for(course)
        kind = KINDS[c.kind]
        plan = kind.plan(c, ctx)
        return c, ctx, kind, plan

    def test_correct_outputs_pass(self, course):
        c, ctx, kind, plan = self.setup(course)
        assert "series" in plan.inputs and "expected" in plan.private
        x, y = plan.private["expected"]
        r = kind.evaluate(c, ctx, plan, {"call": ProbeOutput(ok=True, arrays=[x.copy(), y.copy()])})
        assert r.passed and r.points == c.points

    def test_wrong_shape_names_both_shapes_and_hint(self, course):
        c, ctx, kind, plan = self.setup(course)
        x, y = plan.private["expected"]
        r = kind.evaluate(c, ctx, plan, {"call": ProbeOutput(ok=True, arrays=[x, y[:, :, None]])})
        assert not r.passed and r.points == 0
        assert "[16, 7, 1]" in r.message and "[16, 7]" in r.message and "feature axis" in r.message

    def test_wrong_values_get_half_and_the_difference(self, course):
        c, ctx, kind, plan = self.setup(course)
        x, y = plan.private["expected"]
        r = kind.evaluate(c, ctx, plan, {"call": ProbeOutput(ok=True, arrays=[x, y + 0.5])})
        assert not r.passed and r.points == c.points / 2 and "wrong values" in r.message

    def test_raising_function_reports_the_error(self, course):
        c, ctx, kind, plan = self.setup(course)
        r = kind.evaluate(c, ctx, plan, {"call": ProbeOutput(ok=False, error="IndexError: too many indices")})
        assert r.points == 0 and "IndexError: too many indices" in r.message

    def test_korean_messages(self, course):
        c = check(course, "windows")
        ctx = ctx_for(course, lang="ko")
        kind = KINDS[c.kind]
        plan = kind.plan(c, ctx)
        x, y = plan.private["expected"]
        r = kind.evaluate(c, ctx, plan, {"call": ProbeOutput(ok=True, arrays=[x])})
        assert "반환" in r.message and r.title == "윈도 함수 make_windows"


class TestOutputShape:
    def run(self, course, shapes, errors=None):
        c = check(course, "any_length")
        ctx = ctx_for(course)
        kind = KINDS[c.kind]
        plan = kind.plan(c, ctx)
        outs = {}
        for i, shape in enumerate(shapes):
            if errors and errors[i]:
                outs[f"case{i}"] = ProbeOutput(ok=False, error=errors[i])
            else:
                outs[f"case{i}"] = ProbeOutput(ok=True, arrays=[np.zeros(shape)])
        return c, kind.evaluate(c, ctx, plan, outs), plan

    def test_inputs_have_the_case_shapes(self, course):
        _, _, plan = self.run(course, [(3, 7), (5, 7), (2, 7)])
        assert [v.shape for v in plan.inputs.values()] == [(3, 50, 1), (5, 30, 1), (2, 80, 1)]

    def test_pass(self, course):
        c, r, _ = self.run(course, [(3, 7), (5, 7), (2, 7)])
        assert r.passed and r.points == c.points

    def test_batch_1_output_fails_with_clear_message(self, course):
        c, r, _ = self.run(course, [(3, 1), (5, 1), (2, 1)])
        assert not r.passed and r.points == 0
        assert "input [3, 50, 1] gave [3, 1], expected [3, 7]" in r.message

    def test_fixed_length_model_is_caught(self, course):
        c, r, _ = self.run(course, [(3, 7), (5, 7), (2, 7)],
                           errors=[None, "ValueError: expected shape (None, 50, 1)", "ValueError: expected shape"])
        assert not r.passed and "[5, 30, 1]" in r.message

    def test_same_error_everywhere_is_said_once(self, course):
        err = "NameError: name 'model' is not defined in the notebook"
        c, r, _ = self.run(course, [(1,), (1,), (1,)], errors=[err] * 3)
        assert r.message.count("NameError") == 1


class TestModelMetric:
    def setup(self, course, cid="quality"):
        c = check(course, cid)
        ctx = ctx_for(course)
        kind = KINDS[c.kind]
        plan = kind.plan(c, ctx)
        return c, ctx, kind, plan

    def test_targets_stay_in_the_grader(self, course):
        c, ctx, kind, plan = self.setup(course)
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
        c, ctx, kind, plan = self.setup(course)
        y = plan.private["targets"]
        lin = course.reference("ch15_series:linear_forecast")(plan.inputs, y, np.random.default_rng(3))
        assert float(np.mean((lin - y) ** 2)) < 0.03


def test_timeout_status_reads_as_not_checked(course):
    c = check(course, "windows")
    ctx = ctx_for(course)
    ctx.run_status = "timeout"
    kind = KINDS[c.kind]
    r = kind.evaluate(c, ctx, kind.plan(c, ctx), {})
    assert r.points == 0 and "did not finish (timeout)" in r.message


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_a_name_and_evaluate(kind):
    k = KINDS[kind]
    assert k.name == kind and callable(k.evaluate)
