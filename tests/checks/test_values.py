"""`value_matches` (grader/checks/values.py) judged on plain probe data, on exercises 1-3's checks."""

from __future__ import annotations

from functools import partial

import pytest

from grader.checks import KINDS, ProbeOutput
from grader.checks.base import CheckSpec
from grader.errors import SpecError

from . import course_ctx
from .course_ctx import make_check, spec_check

# The seed these tests' expectations were written with.
ctx_for = partial(course_ctx.ctx_for, seed=5)


class TestValueMatches:
    def setup(self, course, exercise="ch15.ex2", cid="predictions", lang="en"):
        c = spec_check(course, exercise, cid)
        ctx = ctx_for(course, exercise, lang)
        kind = KINDS[c.kind]
        return c, ctx, kind, kind.plan(c, ctx)

    def right_table(self, plan):
        return {k: {"shape": list(v["shape"]), "params": v["params"]} for k, v in plan.private["expected"].items()}

    def test_right_table_passes_and_tuples_or_strings_are_fine(self, course):
        c, ctx, kind, plan = self.setup(course)
        table = self.right_table(plan)
        table["simple_last"]["shape"] = "(5, 32)"
        table["gru_last"]["params"] = 1008.0
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=table)})
        assert r.passed and r.points == c.points and "all 12 entries" in r.message

    def test_wrong_entries_are_named_without_the_answer(self, course):
        c, ctx, kind, plan = self.setup(course)
        table = self.right_table(plan)
        table["gru_last"]["params"] = 960  # forgot GRU's second bias
        table["lstm_seq"]["shape"] = [5, 64]  # forgot return_sequences
        table["simple_seq"]["shape"] = [5, 10, 23]  # a typo in one axis
        del table["gru_seq"]
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=table)})
        assert not r.passed and r.points == pytest.approx(c.points * 7 / 12)
        assert "7 of 12 right" in r.message and "Missing entries: gru_seq" in r.message
        assert "gru_last.params (you wrote 960: too low)" in r.message
        assert "lstm_seq.shape (you wrote (5, 64), which has the wrong number of dimensions)" in r.message
        assert "simple_seq.shape (you wrote (5, 10, 23); axis 2 is wrong)" in r.message
        assert "1,008" not in r.message and "(5, 10, 64)" not in r.message  # no answers given away

    def test_korean_and_reveal(self, course):
        c, ctx, kind, plan = self.setup(course, lang="ko")
        table = self.right_table(plan)
        table["gru_last"]["params"] = 2000
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=table)})
        assert "gru_last.params (2,000으로 썼습니다: 너무 큽니다)" in r.message
        c2 = CheckSpec(**{**c.__dict__, "params": dict(c.params, reveal=True)})
        r = KINDS[c.kind].evaluate(c2, ctx_for(course, "ch15.ex2"), plan, {"value": ProbeOutput(ok=True, value=table)})
        assert "(expected 1,008)" in r.message

    def test_empty_wrong_type_and_missing(self, course):
        c, ctx, kind, plan = self.setup(course)
        empty = {k: {"shape": None, "params": None} for k in plan.private["expected"]}
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=empty)})
        assert r.points == 0 and "not filled in yet: all 12 entries are empty" in r.message
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=[1, 2])})
        assert r.points == 0 and "should be a dict with the keys 'simple_last'" in r.message
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=None)})
        assert r.points == 0 and "still None" in r.message
        r = kind.evaluate(
            c,
            ctx,
            plan,
            {"value": ProbeOutput(ok=False, error="NameError: name 'predictions' is not defined in the notebook")},
        )
        assert r.points == 0 and "predictions" in r.message

    def test_flat_dict_of_strings(self, course):
        c, ctx, kind, plan = self.setup(course, "ch15.ex1", "use_cases")
        answers = dict(plan.private["expected"])
        answers["sentiment"] = " SEQ2VEC "
        assert kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=answers)}).passed
        answers["image_caption"] = "seq2vec"
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=answers)})
        assert r.points == pytest.approx(c.points * 5 / 6) and "image_caption (you wrote 'seq2vec')" in r.message

    def test_list_reference_and_validation(self, course, monkeypatch):
        c = make_check(
            "value_matches",
            target="v",
            reference="ch15_shapes:rnn_param_count",
            ref_args={"layer": "GRU", "units": 2, "features": 1},
            partial=False,
        )
        with pytest.raises(SpecError):  # a bare number is not a table
            KINDS["value_matches"].plan(c, ctx_for(course, "ch15.ex2"))
        from grader.checks.base import Plan

        plan = Plan(private={"expected": [1, [2, None], "x"]})
        kind = KINDS["value_matches"]
        ctx = ctx_for(course, "ch15.ex2")
        assert kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=[1, [2, None], "x"])}).passed
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=[1, [3, None]])})
        assert r.points == 0 and "Missing entries: entry 3" in r.message and "entry 2" in r.message
        with pytest.raises(SpecError):
            kind.validate(make_check("value_matches", target="v", reference="m:f", fields="shape"))
