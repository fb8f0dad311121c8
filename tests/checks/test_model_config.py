"""`model_config` (grader/checks/model_config.py) judged on plain probe data, on exercise 6's checks."""

from __future__ import annotations

import pytest

from grader.checks import KINDS, GradeContext, ProbeOutput
from grader.checks.base import CheckSpec
from grader.errors import SpecError


def _ctx(course, exercise: str, lang: str = "en") -> GradeContext:
    return GradeContext(seed=3, lang=lang, course=course, spec=course.specs[exercise])


def _check(course, exercise: str, check_id: str) -> CheckSpec:
    return next(c for c in course.specs[exercise].checks if c.id == check_id)


ORTHOGONAL_13 = {
    "module": "keras.initializers",
    "class_name": "Orthogonal",
    "config": {"gain": 1.3, "seed": None},
    "registered_name": None,
}


def _describe(
    clip=None, dropouts=(0.2, 0.2), activation="tanh", cls="SimpleRNN", optimizer=True, cell=None, init=ORTHOGONAL_13
):
    layers = []
    for i, d in enumerate(dropouts):
        lay = {
            "class": cls,
            "name": f"rnn{i}",
            "config": {"recurrent_dropout": d, "activation": activation, "recurrent_initializer": init},
        }
        if cell:
            lay["cell"] = {"class": cell, "name": f"cell{i}", "config": {}}
        layers.append(lay)
    layers.append({"class": "Dense", "name": "dense", "config": {"units": 1}})
    desc = {"type": "Sequential", "layers": layers}
    if optimizer:
        cfg = {"clipnorm": None, "clipvalue": None, "global_clipnorm": None, "learning_rate": 0.01}
        cfg.update(clip or {})
        desc["optimizer"] = {"class": "SGD", "config": cfg}
    return {"describe": ProbeOutput(ok=True, value=desc)}


def _mc(course, check_id, outputs, lang="en"):
    check, ctx = _check(course, "ch15.ex5", check_id), _ctx(course, "ch15.ex5", lang)
    kind = KINDS["model_config"]
    return kind.evaluate(check, ctx, kind.plan(check, ctx), outputs)


@pytest.mark.parametrize(
    "clip, dropouts, fragment",
    [
        ({"clipnorm": 1.0}, (0.2, 0.2), None),
        ({"clipvalue": 0.5}, (0.3, 0.1), None),
        (
            None,
            (0.2, 0.2),
            "gradient clipping: the optimizer (SGD) needs clipnorm > 0 or clipvalue > 0 or "
            "global_clipnorm > 0; found clipnorm: None",
        ),
        (
            {"clipnorm": 1.0},
            (0.2, 0.0),
            "recurrent dropout: SimpleRNN 'rnn1' needs recurrent_dropout > 0; found recurrent_dropout: 0.0",
        ),
    ],
)
def test_model_config_clipping_and_dropout(course, clip, dropouts, fragment):
    r = _mc(course, "stabilised", _describe(clip, dropouts))
    assert r.passed == (fragment is None)
    if fragment:
        assert fragment in r.message and "Where is clipping set" in r.message  # the hint follows
        assert "recurrent_dropout=0.2" not in r.message  # that is the recipe's
        assert r.points == 1.0  # one of the two conditions holds: half of the 2 points (issue 15: was 0/2)


def test_model_config_uncompiled_and_missing(course):
    r = _mc(course, "stabilised", _describe({"clipnorm": 1.0}, optimizer=False))
    assert not r.passed and "`stable_model` has no optimizer: call compile() first" in r.message
    r = _mc(
        course,
        "stabilised",
        {"describe": ProbeOutput(ok=False, error="NameError: name 'stable_model' is not defined in the notebook")},
    )
    assert not r.passed and "Could not use `stable_model`" in r.message
    r = _mc(course, "stabilised", _describe({"clipnorm": 1.0}, dropouts=(), cls="LSTM"))
    assert not r.passed and "expected at least 1 SimpleRNN / LSTM / GRU / RNN layer, found 0" in r.message


def test_model_config_experiment_models(course):
    assert _mc(course, "relu_setup", _describe(activation="relu")).passed
    r = _mc(course, "relu_setup", _describe({"clipnorm": 1.0}, activation="relu"))
    assert not r.passed and "no clipping in this run: the optimizer (SGD) needs clipnorm not set" in r.message
    r = _mc(course, "tanh_setup", _describe({"clipnorm": 1.0}, activation="relu"), lang="ko")
    assert not r.passed and "순환 층" in r.message and "activation == 'tanh'" in r.message
    assert _mc(course, "tanh_setup", _describe({"global_clipnorm": 2.0})).passed


def test_model_config_reads_into_the_initializer(course):
    default = {"module": "keras.initializers", "class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}}
    r = _mc(course, "relu_setup", _describe(activation="relu", init=default))
    assert r.points == pytest.approx(2 / 3, abs=1e-3)  # activation and no clipping right; a third lost
    assert "recurrent_initializer.config.gain == 1.3; found" in r.message and "gain: 1.0" in r.message
    glorot = {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None}}
    r = _mc(course, "tanh_setup", _describe({"clipnorm": 1.0}, init=glorot), lang="ko")
    assert r.points == pytest.approx(2 / 3, abs=1e-3) and "직교 초기화, gain 1.3" in r.message
    from grader.checks.model_config import _MISSING, lookup

    layer = {"class": "SimpleRNN", "config": {"recurrent_initializer": ORTHOGONAL_13}}
    assert lookup(layer, "recurrent_initializer.config.gain") == 1.3
    assert lookup(layer, "recurrent_initializer.config.nothing") is _MISSING
    assert (
        lookup(
            {"class": "SimpleRNN", "config": {"recurrent_initializer": "orthogonal"}},
            "recurrent_initializer.class_name",
        )
        is _MISSING
    )


def test_model_config_reads_nested_cells(course):
    good = _describe(cls="RNN", cell="LNSimpleRNNCell")
    assert _mc(course, "ln_model_cells", good).passed
    r = _mc(course, "ln_model_cells", _describe(cls="SimpleRNN"))
    assert not r.passed and "expected at least 1 RNN layer, found 0 (the model has: SimpleRNN, Dense)" in r.message
    r = _mc(course, "ln_model_cells", _describe(cls="RNN", cell="SimpleRNNCell"))
    assert not r.passed and "cell.class == 'LNSimpleRNNCell'; found cell.class: 'SimpleRNNCell'" in r.message


def test_model_config_ops_and_validation():
    from grader.checks.model_config import _MISSING, holds, lookup

    assert holds(0.2, ">", 0) and not holds(None, ">", 0) and not holds(_MISSING, ">=", 0)
    assert holds(None, "absent", None) and holds(_MISSING, "absent", None) and not holds(1.0, "absent", None)
    assert holds([4], "==", 4) and holds("relu", "in", ["relu", "elu"]) and holds("tanh", "not_in", ["relu"])
    wrapped = {
        "class": "Bidirectional",
        "config": {"merge_mode": "concat"},
        "forward_layer": {"class": "GRU", "config": {"units": 8}},
    }
    assert lookup(wrapped, "units") == 8 and lookup(wrapped, "class") == "Bidirectional"
    assert lookup({"class": "RNN", "config": {"cell": {"class_name": "X", "config": {}}}}, "cell.class") == "X"
    kind = KINDS["model_config"]
    for params, msg in [
        ({"expect": []}, "non-empty"),
        ({"expect": [{"key": "a", "op": "~"}]}, "unknown op"),
        ({"expect": [{"key": "a", "op": ">"}]}, "needs a 'value'"),
        ({"expect": [{"on": "loss", "key": "a", "value": 1}]}, "'on' must be"),
        ({"expect": [{"key": "a", "value": 1, "any": [{"key": "b", "value": 2}]}]}, "either"),
    ]:
        with pytest.raises(SpecError, match=msg):
            kind.validate(CheckSpec("m", "model_config", 1, {}, {}, {"target": "m", **params}))


def test_a_condition_on_a_missing_key_is_said_in_the_readers_language(course):
    r = _mc(course, "relu_setup", _describe({"clipnorm": 1.0}, activation="relu"), lang="ko")
    assert not r.passed and "clipnorm이 설정되지 않은 상태여야 합니다" in r.message, r.message
    assert "not set" not in r.message
