"""`function_grid` (grader/checks/grid.py) judged on plain probe data, on exercise 7's checks."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import KINDS, ProbeOutput
from grader.errors import SpecError

from .course_ctx import ctx_for, make_check, spec_check


class TestFunctionGrid:
    def setup(self, course, lang="en"):
        c = spec_check(course, "ch15.ex7", "length_formula")
        ctx = ctx_for(course, "ch15.ex7", lang)
        kind = KINDS[c.kind]
        return c, ctx, kind, kind.plan(c, ctx)

    def test_plan_sends_each_case_as_keywords(self, course):
        c, ctx, kind, plan = self.setup(course)
        assert len(plan.requests) == 4 + 24 and not plan.inputs
        first = plan.requests[0]
        assert (
            first["op"] == "call"
            and first["args"] == []
            and first["kwargs"]
            == {"length": 50, "kernel_size": 4, "strides": 2, "padding": "valid", "dilation_rate": 1}
        )
        # a regrade with the same seed asks the same questions
        assert kind.plan(c, ctx).requests == plan.requests

    def test_right_answers_pass(self, course):
        c, ctx, kind, plan = self.setup(course)
        outs = {
            f"case{i}": ProbeOutput(ok=True, arrays=[np.asarray(e)]) for i, e in enumerate(plan.private["expected"])
        }
        r = kind.evaluate(c, ctx, plan, outs)
        assert r.passed and r.points == c.points and "28 cases" in r.message

    def test_first_failing_case_is_named_with_expected_and_got(self, course):
        c, ctx, kind, plan = self.setup(course)
        f = course.reference("ch15_conv:conv1d_output_length")
        outs = {}
        for i, case in enumerate(plan.private["cases"]):
            wrong = dict(case, padding="same") if case["padding"] == "valid" else case  # forgets "valid"
            outs[f"case{i}"] = ProbeOutput(ok=True, arrays=[np.asarray(f(**wrong))])
        r = kind.evaluate(c, ctx, plan, outs)
        assert not r.passed and r.points == 0
        assert (
            "First failing case: length 50, kernel_size 4, strides 2, padding 'valid', dilation_rate 1: "
            "expected 24, got 25"
        ) in r.message
        assert "Failing cases have padding: valid; every case with padding: causal, same is right" in r.message
        assert "rounded up or down" in r.message  # the hint asks; the formula is the recipe's
        assert "(kernel_size - 1) * dilation_rate + 1" not in r.message

    def test_float_results_and_a_raising_case(self, course):
        c, ctx, kind, plan = self.setup(course)
        outs = {
            f"case{i}": ProbeOutput(ok=True, arrays=[np.asarray(float(e))])
            for i, e in enumerate(plan.private["expected"])
        }
        assert kind.evaluate(c, ctx, plan, outs).passed  # 24.0 counts as 24
        outs["case1"] = ProbeOutput(ok=False, error="ZeroDivisionError: division by zero")
        r = kind.evaluate(c, ctx, plan, outs)
        assert not r.passed and "padding 'same'" in r.message and "ZeroDivisionError" in r.message

    def test_same_error_everywhere_is_reported_once(self, course):
        c, ctx, kind, plan = self.setup(course, lang="ko")
        err = "TypeError: returned None, not an array"
        outs = {f"case{i}": ProbeOutput(ok=False, error=err) for i in range(len(plan.requests))}
        r = kind.evaluate(c, ctx, plan, outs)
        assert r.points == 0 and "None을 반환했습니다" in r.message and r.message.count("None") == 1

    def test_partial_credit_and_spec_validation(self):
        kind = KINDS["function_grid"]
        with pytest.raises(SpecError):
            kind.validate(make_check("function_grid", target="f", reference="m:f"))
        c = make_check("function_grid", target="f", reference="m:f", cases=[{"x": 1}, {"x": 2}], partial=True)
        kind.validate(c)
        from grader.checks.base import Plan

        plan = Plan(private={"cases": [{"x": 1}, {"x": 2}], "expected": [np.asarray(2), np.asarray(4)]})

        class Ctx:
            lang = "en"
            run_status = "graded"

            @staticmethod
            def text(key, **fields):
                from grader.i18n import text

                return text(key, "en", **fields)

        r = kind.evaluate(
            c,
            Ctx,
            plan,
            {
                "case0": ProbeOutput(ok=True, arrays=[np.asarray(2)]),
                "case1": ProbeOutput(ok=True, arrays=[np.asarray(5)]),
            },
        )
        assert r.points == 1.0 and "x 2: expected 4, got 5" in r.message
