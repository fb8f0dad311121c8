"""`layer_expect` (grader/checks/layer_expect.py) judged on plain probe data, on exercises 7 and 8's checks."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import KINDS, ProbeOutput
from grader.errors import SpecError

from .course_ctx import ctx_for, make_check, spec_check


def _layer(cls, name="", **config):
    return {
        "class": cls,
        "name": name or cls.lower(),
        "config": {"name": name or cls.lower(), **config},
        "params": 1,
        "output_shape": None,
    }


def _conv_gru(kernel=(4,), strides=(2,), padding="valid", rnn="GRU"):
    return {
        "type": "Sequential",
        "layers": [
            _layer("Conv1D", kernel_size=list(kernel), strides=list(strides), padding=padding, dilation_rate=[1]),
            _layer(rnn, units=20),
            _layer("Dense", units=7, activation="linear"),
        ],
    }


def _wavenet(padding="causal", rates=(1, 2, 4, 8)):
    layers = [
        _layer("Conv1D", f"c{i}", kernel_size=[2], padding=padding, dilation_rate=[r]) for i, r in enumerate(rates)
    ]
    return {
        "type": "Sequential",
        "layers": [*layers, _layer("Conv1D", kernel_size=[1], padding="valid", dilation_rate=[1])],
    }


def _td(inner):
    lay = _layer("TimeDistributed")
    lay["layer"] = inner
    return lay


def _video_model(last_activation="softmax", units=4, nested=False):
    if nested:  # TimeDistributed(Sequential([...])), described through the inner config
        conv = {
            "class": "Sequential",
            "name": "cnn",
            "config": {
                "name": "cnn",
                "layers": [
                    {"class_name": "InputLayer", "config": {"name": "in"}},
                    {"class_name": "Conv2D", "config": {"name": "conv2d", "filters": 8}},
                    {"class_name": "Flatten", "config": {"name": "flatten"}},
                ],
            },
        }
        cnn = [_td(conv)]
    else:
        cnn = [_td(_layer("Conv2D", filters=8)), _td(_layer("MaxPooling2D")), _td(_layer("Flatten"))]
    return {
        "type": "Functional",
        "layers": [
            _layer("InputLayer"),
            *cnn,
            _layer("GRU", units=32),
            _layer("Dense", units=units, activation=last_activation),
        ],
    }


class TestLayerExpect:
    def run(self, course, exercise, cid, desc, lang="en"):
        c = spec_check(course, exercise, cid)
        ctx = ctx_for(course, exercise, lang)
        kind = KINDS[c.kind]
        plan = kind.plan(c, ctx)
        assert plan.requests == [{"id": "describe", "op": "describe", "target": c.params["target"]}]
        return kind.evaluate(c, ctx, plan, {"describe": ProbeOutput(ok=True, value=desc)})

    def test_first_layer_config(self, course):
        assert self.run(course, "ch15.ex7", "conv_layers", _conv_gru()).passed
        r = self.run(course, "ch15.ex7", "conv_layers", _conv_gru(kernel=(3,), padding="same"))
        assert not r.passed and r.points == 0
        assert (
            "the first layer (Conv1D 'conv1d'): its kernel_size is 3, expected 4; its padding is 'same', expected 'valid'"
            in r.message
        )
        r = self.run(
            course,
            "ch15.ex7",
            "conv_layers",
            {"type": "Sequential", "layers": [_layer("GRU", units=20), _layer("Dense", units=7)]},
        )
        assert "it is a GRU, expected Conv1D" in r.message

    def test_recurrent_layer_is_required_on_the_path(self, course):
        """conv_path: a convolution, then a recurrent layer, on the way to the output."""
        c = spec_check(course, "ch15.ex7", "conv_path")
        ctx = ctx_for(course, "ch15.ex7")
        kind = KINDS[c.kind]
        plan = kind.plan(c, ctx)
        assert kind.evaluate(c, ctx, plan, {"describe": ProbeOutput(ok=True, value=_conv_gru())}).passed
        desc = _conv_gru()
        desc["layers"][1] = _layer("Dense", "d20", units=20)
        r = kind.evaluate(c, ctx, plan, {"describe": ProbeOutput(ok=True, value=desc)})
        assert r.points == 0  # one skill: the convolution alone earns nothing (partial = false)
        assert "`conv_model` has no recurrent layer after its 1D convolution on the way to the output" in r.message
        assert "Input → Conv1D → Dense → Dense" in r.message

    def test_dilation_rates_in_order(self, course):
        assert self.run(course, "ch15.ex7", "wavenet_dilations", _wavenet(rates=(1, 2, 4, 8) * 2)).passed
        r = self.run(course, "ch15.ex7", "wavenet_dilations", _wavenet(rates=(1, 1, 1, 1)))
        assert not r.passed and "dilation_rate of the Conv1D layers: [1, 1, 1, 1, 1]" in r.message
        assert "expected 1, 2, 4, 8 in this order" in r.message
        # "same" padding is the causality check's business: the rates are read all the same.
        assert self.run(course, "ch15.ex7", "wavenet_dilations", _wavenet(padding="same")).passed
        r = self.run(
            course,
            "ch15.ex7",
            "wavenet_dilations",
            {"type": "Sequential", "layers": [_layer("GRU", units=20), _layer("Dense", units=7)]},
        )
        assert not r.passed and "dilation_rate: the model has no Conv1D layer" in r.message
        assert "[none]" not in r.message

    def test_video_head_and_architecture(self, course):
        assert self.run(course, "ch15.ex8", "head", _video_model()).passed
        r = self.run(course, "ch15.ex8", "head", _video_model(last_activation="linear"))
        assert not r.passed and r.points == 0
        assert "the last layer (Dense 'dense'): its activation is 'linear', expected 'softmax'" in r.message
        c = spec_check(course, "ch15.ex8", "architecture")
        ctx = ctx_for(course, "ch15.ex8")
        kind = KINDS[c.kind]
        plan = kind.plan(c, ctx)
        x = plan.inputs["x"]
        assert x.shape == (8, 10, 16, 16, 1) and np.array_equal(plan.inputs["later"][:, 0], x[:, 0])
        probs = np.random.default_rng(0).random((8, 4))
        moving = {"time_x": probs, "time_later": probs[::-1], "time_reversed": probs + 0.2}
        for desc in (_video_model(), _video_model(nested=True)):
            outs = {"describe": ProbeOutput(ok=True, value=desc)}
            outs.update({k: ProbeOutput(ok=True, arrays=[v]) for k, v in moving.items()})
            assert kind.evaluate(c, ctx, plan, outs).passed
        flat = {
            "type": "Sequential",
            "layers": [_td(_layer("Flatten")), _layer("LSTM", units=8), _layer("Dense", units=4, activation="softmax")],
        }
        outs = {"describe": ProbeOutput(ok=True, value=flat)}
        outs.update({k: ProbeOutput(ok=True, arrays=[v]) for k, v in moving.items()})
        r = kind.evaluate(c, ctx, plan, outs)
        assert (
            r.points == 1 and "no per-frame convolution (TimeDistributed Conv2D)" in r.message
        )  # frames read in order
        ko = kind.evaluate(c, ctx_for(course, "ch15.ex8", "ko"), plan, outs)
        assert "프레임별 합성곱 층(TimeDistributed Conv2D)이 없습니다" in ko.message

    def test_not_a_model_and_bad_specs(self, course):
        r = self.run(course, "ch15.ex8", "head", {"type": "function", "module": "builtins"})
        assert r.points == 0 and "not a model with layers" in r.message
        kind = KINDS["layer_expect"]
        for bad in ([], [{"at": 0, "collect": "x", "values": [1]}], [{"collect": "x"}], [{"clas": "GRU"}]):
            with pytest.raises(SpecError):
                kind.validate(make_check("layer_expect", target="m", expect=bad))
