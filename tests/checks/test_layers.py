"""`layer_config` (grader/checks/layers.py) judged on plain probe data, on exercises 1-3's checks."""

from __future__ import annotations

from functools import partial

import pytest

from grader.checks import KINDS, ProbeOutput
from grader.errors import SpecError

from . import course_ctx
from .course_ctx import make_check, spec_check

# The seed these tests' expectations were written with.
ctx_for = partial(course_ctx.ctx_for, seed=5)


def _rnn(cls, units=20, rs=False, params=None, out=None, name=""):
    return {
        "class": cls,
        "name": name or cls.lower(),
        "config": {"units": units, "return_sequences": rs},
        "params": params,
        "output_shape": out or ([None, None, units] if rs else [None, units]),
    }


def _desc(*layers):
    return {"type": "Sequential", "layers": [{"class": "InputLayer", "config": {}}, *layers]}


class TestLayerConfig:
    def evaluate(self, course, exercise, cid, desc, lang="en"):
        c = spec_check(course, exercise, cid)
        ctx = ctx_for(course, exercise, lang)
        kind = KINDS[c.kind]
        plan = kind.plan(c, ctx)
        return c, kind.evaluate(c, ctx, plan, {"describe": ProbeOutput(ok=True, value=desc)})

    def test_seq2vec_stack_passes_and_a_top_layer_returning_sequences_fails(self, course):
        dense = {"class": "Dense", "config": {"units": 1}, "params": 21, "output_shape": [None, 1]}
        good = _desc(_rnn("SimpleRNN", rs=True), _rnn("SimpleRNN", rs=True), _rnn("SimpleRNN"), dense)
        c, r = self.evaluate(course, "ch15.ex3", "fixed_layers", good)
        assert r.passed and "SimpleRNN → SimpleRNN → SimpleRNN" in r.message
        bad = _desc(
            _rnn("SimpleRNN", rs=True), _rnn("SimpleRNN", rs=True), _rnn("SimpleRNN", rs=True, name="top"), dense
        )
        c, r = self.evaluate(course, "ch15.ex3", "fixed_layers", bad)
        assert not r.passed and 0 < r.points < c.points
        assert (
            "recurrent layer 3 of 3 (SimpleRNN 'top'): its return_sequences is True, expected False, "
            "its output [None, None, 20] has 3 axes, expected 2"
        ) in r.message
        assert "only the last step's output" in r.message  # the rule's reason

    def test_lower_layer_without_sequences_and_wrong_depth(self, course):
        lower = _desc(_rnn("SimpleRNN", rs=True), _rnn("SimpleRNN", name="mid"), _rnn("SimpleRNN"))
        _c, r = self.evaluate(course, "ch15.ex3", "fixed_layers", lower, lang="ko")
        assert (
            "마지막을 뺀 모든 순환 층: 3개 중 2번째 순환 층 (SimpleRNN 'mid'): return_sequences 값이 False입니다 (기대값 True)"
            in r.message
        )
        _c, r = self.evaluate(course, "ch15.ex3", "fixed_layers", _desc(_rnn("SimpleRNN", rs=True), _rnn("SimpleRNN")))
        assert "it has 2 recurrent layers (SimpleRNN → SimpleRNN), expected exactly 3" in r.message

    def test_a_layer_of_another_class_is_told_the_classes_expected(self, course):
        c = make_check("layer_config", target="model", rules=[{"which": "all", "class": ["LSTM", "GRU"]}])
        ctx = ctx_for(course, "ch15.ex3")
        kind = KINDS[c.kind]
        out = {"describe": ProbeOutput(ok=True, value=_desc(_rnn("SimpleRNN", name="s")))}
        r = kind.evaluate(c, ctx, kind.plan(c, ctx), out)
        assert not r.passed and "(SimpleRNN 's'): it is a SimpleRNN, expected LSTM or GRU" in r.message, r.message

    def test_bidirectional_settings_are_read_from_the_wrapped_layer(self, course):
        bi = {
            "class": "Bidirectional",
            "name": "bi",
            "config": {"merge_mode": "concat"},
            "params": 10,
            "output_shape": [None, None, 40],
            "layer": _rnn("SimpleRNN", rs=True),
        }
        c = make_check(
            "layer_config", target="m", rules=[{"which": "first", "config": {"return_sequences": True, "units": 20}}]
        )
        ctx = ctx_for(course, "ch15.ex3")
        kind = KINDS["layer_config"]
        r = kind.evaluate(c, ctx, kind.plan(c, ctx), {"describe": ProbeOutput(ok=True, value=_desc(bi))})
        assert r.passed, r.message

    def test_reference_stack_checks_params_and_shapes(self, course):
        exp = course.reference("ch15_shapes:stack_expectations")(
            2,
            [
                {"class": "SimpleRNN", "units": 32, "return_sequences": True},
                {"class": "LSTM", "units": 20, "return_sequences": True},
                {"class": "GRU", "units": 16},
                {"class": "Dense", "units": 1},
            ],
        )
        layers = [
            {
                "class": e["class"],
                "name": e["class"].lower(),
                "config": dict(e["config"]),
                "params": e["params"],
                "output_shape": e["output_shape"],
            }
            for e in exp
        ]
        c, r = self.evaluate(course, "ch15.ex2", "stack", _desc(*layers))
        assert r.passed, r.message
        layers[1]["config"]["return_sequences"] = False
        layers[1]["output_shape"] = [None, 20]
        layers[2]["params"] = 2000
        c, r = self.evaluate(course, "ch15.ex2", "stack", _desc(*layers))
        assert not r.passed and r.points == pytest.approx(c.points * 3 / 5)
        assert (
            "layer 2 of 4 (LSTM 'lstm'): its return_sequences is False, expected True, output shape [None, 20]"
            in r.message
        )
        assert "2,000 parameters, expected 1,824" in r.message

    def test_not_a_model_missing_and_validation(self, course):
        c, r = self.evaluate(course, "ch15.ex3", "fixed_layers", {"type": "function"})
        assert r.points == 0 and "not a model with layers" in r.message
        kind = KINDS["layer_config"]
        ctx = ctx_for(course, "ch15.ex3")
        c = spec_check(course, "ch15.ex3", "fixed_layers")
        r = kind.evaluate(
            c, ctx, kind.plan(c, ctx), {"describe": ProbeOutput(ok=False, error="ValueError: it is None")}
        )
        assert r.points == 0 and "it is None" in r.message
        for bad in (
            {},
            {"rules": [{"which": "middle", "config": {}}]},
            {"rules": [{"which": "all"}]},
            {"rules": [{"colour": 1, "params": 3}]},
            {"rules": [{"params": 1}], "select": "GRU"},
        ):
            with pytest.raises(SpecError):
                kind.validate(make_check("layer_config", target="m", **bad))
