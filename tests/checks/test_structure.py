"""`model_path`: the layers a model's output cannot do without, from the described graph,
and the time probe that tells a model reading every step from one that keeps the first.
Hand-made probe data only: no kernel, no TensorFlow."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from grader.checks import KINDS, GradeContext, ProbeOutput
from grader.checks.base import CheckSpec
from grader.checks.structure import stages_reached
from grader.i18n import attach

RECURRENT = {
    "class": ["SimpleRNN", "LSTM", "GRU", "RNN", "Bidirectional"],
    "what": {"en": "recurrent layer", "ko": "순환 층"},
}
PER_FRAME_CNN = {
    "class": "TimeDistributed",
    "wraps": "Conv2D",
    "what": {"en": "per-frame convolution", "ko": "프레임별 합성곱 층(TimeDistributed Conv2D)"},
}


def layer(cls: str, name: str, inner: str | None = None, **config: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"class": cls, "name": name, "config": {"name": name, **config}}
    if inner:
        d["layer"] = {"class": inner, "name": inner.lower(), "config": {}}
    return d


def sequential(*layers: dict[str, Any]) -> dict[str, Any]:
    """A described Sequential: its layers, and the graph its Functional records."""
    names = ["input_layer"] + [lay["name"] for lay in layers]
    nodes = [{"name": "input_layer", "class": "InputLayer", "inbound": []}]
    nodes += [
        {"name": lay["name"], "class": lay["class"], "inbound": [names[i]], "layer": i} for i, lay in enumerate(layers)
    ]
    return {
        "type": "Sequential",
        "layers": list(layers),
        "graph": {"nodes": nodes, "inputs": ["input_layer"], "outputs": [names[-1]], "built": True},
    }


def functional(nodes: list[tuple[dict[str, Any] | str, list[str]]], outputs: list[str]) -> dict[str, Any]:
    """A described functional model from (layer or "Op:name", inbound names) pairs."""
    layers, gnodes = [], []
    for item, inbound in nodes:
        if isinstance(item, str):  # an operation that is not a layer (x[:, 0] is GetItem)
            cls, name = item.split(":")
            gnodes.append({"name": name, "class": cls, "inbound": inbound})
        else:
            gnodes.append({"name": item["name"], "class": item["class"], "inbound": inbound, "layer": len(layers)})
            layers.append(item)
    return {
        "type": "Functional",
        "layers": layers,
        "graph": {"nodes": gnodes, "inputs": [gnodes[0]["name"]], "outputs": outputs, "built": True},
    }


def check(stages: list[dict[str, Any]], target: str = "m", points: float = 2, **params: Any) -> CheckSpec:
    spec = CheckSpec(
        id="path",
        kind="model_path",
        points=points,
        title={"en": "path", "ko": "경로"},
        hint={},
        params={"target": target, "stages": stages, "partial": True, **params},
    )
    KINDS["model_path"].validate(spec)
    return spec


def grade(chk: CheckSpec, desc: dict[str, Any], lang: str = "en", calls: dict[str, np.ndarray] | None = None):
    ctx = GradeContext(seed=3, lang=lang, course=None, spec=None)  # type: ignore[arg-type]
    kind = KINDS["model_path"]
    plan = kind.plan(chk, ctx)
    outs = {"describe": ProbeOutput(ok=True, value=desc)}
    for name, arr in (calls or {}).items():
        outs[f"time_{name}"] = ProbeOutput(ok=True, arrays=[arr])
    return kind.evaluate(chk, ctx, plan, outs), plan


INPUT = layer("InputLayer", "input_layer")


def test_dense_reshape_is_not_an_rnn_in_either_language():
    desc = sequential(layer("Dense", "dense", units=20), layer("Reshape", "reshape"))
    en, _ = grade(check([RECURRENT], target="vec2seq_model"), desc)
    assert en.points == 0 and not en.passed
    assert "`vec2seq_model` has no recurrent layer on the way from its input to its output" in en.message
    assert "Input → Dense → Reshape" in en.message
    ko, _ = grade(check([RECURRENT], target="vec2seq_model"), desc, "ko")
    assert "`vec2seq_model`의 입력에서 출력으로 가는 길에 순환 층이 없습니다" in ko.message


def test_a_recurrent_layer_on_the_path_passes():
    desc = sequential(
        layer("RepeatVector", "rep", n=10), layer("SimpleRNN", "rnn", return_sequences=True), layer("Dense", "dense")
    )
    r, _ = grade(check([RECURRENT]), desc)
    assert r.passed and r.points == 2 and "Input → RepeatVector → SimpleRNN → Dense" in r.message


def test_a_linear_shortcut_around_the_rnn_fails_every_path_but_not_any():
    desc = functional(
        [
            (INPUT, []),
            (layer("Flatten", "flat"), ["input_layer"]),
            (layer("Dense", "lin", units=7), ["flat"]),
            (layer("GRU", "gru"), ["input_layer"]),
            (layer("Dense", "head", units=7), ["gru"]),
            (layer("Add", "add"), ["lin", "head"]),
        ],
        outputs=["add"],
    )
    every, _ = grade(check([RECURRENT]), desc)
    assert not every.passed and "Input → Flatten → Dense → Add" in every.message
    assert grade(check([RECURRENT], paths="any"), desc)[0].passed


def test_an_unused_recurrent_branch_does_not_count():
    desc = functional(
        [
            (INPUT, []),
            (layer("GRU", "gru"), ["input_layer"]),
            (layer("Flatten", "flat"), ["input_layer"]),
            (layer("Dense", "out", units=7), ["flat"]),
        ],
        outputs=["out"],
    )
    assert not grade(check([RECURRENT]), desc)[0].passed


def test_stages_must_come_in_order_and_earn_partial_credit():
    good = sequential(
        layer("TimeDistributed", "td", inner="Conv2D"),
        layer("TimeDistributed", "tf", inner="Flatten"),
        layer("GRU", "gru"),
        layer("Dense", "out", units=4),
    )
    assert grade(check([PER_FRAME_CNN, RECURRENT]), good)[0].passed
    # The recurrent layer comes before the per-frame CNN: only the first stage is reached in order.
    swapped = sequential(
        layer("GRU", "gru", return_sequences=True),
        layer("TimeDistributed", "td", inner="Conv2D"),
        layer("Dense", "out", units=4),
    )
    r, _ = grade(check([PER_FRAME_CNN, RECURRENT]), swapped)
    assert r.points == 1 and "no recurrent layer after its per-frame convolution" in r.message
    ko, _ = grade(check([PER_FRAME_CNN, RECURRENT]), swapped, "ko")
    assert "프레임별 합성곱 층(TimeDistributed Conv2D) 뒤로 출력까지 가는 길에 순환 층이 없습니다" in ko.message
    no_cnn = sequential(layer("Flatten", "f"), layer("GRU", "gru"), layer("Dense", "out"))
    r, _ = grade(check([PER_FRAME_CNN, RECURRENT]), no_cnn)
    assert r.points == 0 and "no per-frame convolution" in r.message


def test_a_model_used_as_a_layer_is_followed_inside():
    inner = {
        "nodes": [
            {"name": "in2", "class": "InputLayer", "inbound": []},
            {"name": "gru", "class": "GRU", "inbound": ["in2"], "desc": layer("GRU", "gru")},
            {"name": "d", "class": "Dense", "inbound": ["gru"], "desc": layer("Dense", "d")},
        ],
        "inputs": ["in2"],
        "outputs": ["d"],
    }
    desc = functional(
        [
            (INPUT, []),
            (layer("TimeDistributed", "td", inner="Conv2D"), ["input_layer"]),
            (layer("Sequential", "head"), ["td"]),
        ],
        outputs=["head"],
    )
    desc["graph"]["nodes"][2]["graph"] = inner
    r, _ = grade(check([PER_FRAME_CNN, RECURRENT]), desc)
    assert r.passed, r.message
    assert "Sequential(GRU → Dense)" in r.message


def test_an_operation_that_is_not_a_layer_is_on_the_path():
    # x[:, 0] after the per-frame CNN, before the GRU: it cuts the path, and shows in it.
    desc = functional(
        [
            (INPUT, []),
            (layer("TimeDistributed", "td", inner="Conv2D"), ["input_layer"]),
            ("GetItem:get_item", ["td"]),
            (layer("Dense", "out", units=4), ["get_item"]),
        ],
        outputs=["out"],
    )
    r, _ = grade(check([PER_FRAME_CNN, RECURRENT]), desc)
    assert r.points == 1 and "TimeDistributed(Conv2D) → GetItem → Dense" in r.message


def test_a_description_without_a_graph_is_read_in_layer_order():
    desc = {"type": "Sequential", "layers": [layer("LSTM", "l"), layer("Dense", "d")]}
    assert stages_reached(desc, [RECURRENT], every=True)[0] == 1
    desc = {"type": "Sequential", "layers": [layer("Flatten", "f"), layer("Dense", "d")]}
    assert stages_reached(desc, [RECURRENT], every=True)[0] == 0


def test_a_cycle_in_forged_data_does_not_hang():
    desc = {
        "type": "Functional",
        "layers": [layer("Dense", "a"), layer("Dense", "b")],
        "graph": {
            "nodes": [
                {"name": "a", "class": "Dense", "inbound": ["b"], "layer": 0},
                {"name": "b", "class": "Dense", "inbound": ["a"], "layer": 1},
            ],
            "inputs": [],
            "outputs": ["b"],
        },
    }
    assert stages_reached(desc, [RECURRENT], every=True)[0] == 0


def test_not_a_model():
    r, _ = grade(check([RECURRENT]), {"type": "function"})
    assert r.points == 0 and "not a model with layers" in r.message


# --- the time probe ---------------------------------------------------------------------

VIDEO_MODEL = sequential(
    layer("TimeDistributed", "td", inner="Conv2D"), layer("GRU", "gru"), layer("Dense", "out", units=4)
)


def _timed(**probe: Any) -> CheckSpec:
    return check(
        [PER_FRAME_CNN, RECURRENT],
        time_probe={"input": [4, 6, 5, 5, 1], "step": {"en": "frame", "ko": "프레임"}, **probe},
    )


def test_time_probe_inputs_differ_only_in_time():
    chk = _timed()
    _, plan = grade(chk, VIDEO_MODEL, calls={})
    x, later, rev = plan.inputs["x"], plan.inputs["later"], plan.inputs["reversed"]
    assert np.array_equal(later[:, 0], x[:, 0]) and not np.array_equal(later[:, 1:], x[:, 1:])
    assert np.array_equal(rev, x[:, ::-1])
    assert {r["id"] for r in plan.requests} == {"describe", "time_x", "time_later", "time_reversed"}


def test_a_model_that_reads_every_frame_passes():
    base = np.random.default_rng(0).random((4, 4))
    r, _ = grade(_timed(), VIDEO_MODEL, calls={"x": base, "later": base + 0.1, "reversed": base[::-1] * 0.5})
    assert r.passed and r.points == 2


def test_a_model_that_keeps_the_first_frame_fails_with_a_message_that_says_so():
    base = np.random.default_rng(0).random((4, 4))
    r, _ = grade(_timed(), VIDEO_MODEL, calls={"x": base, "later": base.copy(), "reversed": base + 1})
    assert r.points == pytest.approx(1.5)  # 3 of 4 conditions
    assert (
        "stayed the same when every frame after the first was replaced: it looks only at the first frame" in r.message
    )
    ko, _ = grade(_timed(), VIDEO_MODEL, "ko", calls={"x": base, "later": base.copy(), "reversed": base + 1})
    assert "첫 프레임만 남기고 나머지 프레임을 모두 바꿔도 `m`의 출력이 그대로입니다" in ko.message


def test_a_model_that_averages_over_time_fails_the_order_test():
    base = np.random.default_rng(0).random((4, 4))
    r, _ = grade(_timed(), VIDEO_MODEL, calls={"x": base, "later": base + 1, "reversed": base + 1e-7})
    assert r.points == pytest.approx(1.5) and "played in reverse order" in r.message


def test_time_probe_failure_to_call_is_reported():
    ctx = GradeContext(seed=3, lang="en", course=None, spec=None)  # type: ignore[arg-type]
    chk = _timed(tests=["order"])
    kind = KINDS["model_path"]
    plan = kind.plan(chk, ctx)
    outs = {
        "describe": ProbeOutput(ok=True, value=VIDEO_MODEL),
        "time_x": ProbeOutput(ok=False, error="ValueError: bad input"),
    }
    r = kind.evaluate(chk, ctx, plan, outs)
    assert r.points == 0 and "ValueError: bad input" in r.message


@pytest.mark.parametrize(
    "params, key",
    [
        ({"stages": []}, "stages"),
        ({"stages": [{"what": {"en": "x"}}]}, "class"),
        ({"stages": [RECURRENT], "paths": "some"}, "paths"),
        ({"stages": [RECURRENT], "time_probe": {"tests": ["order"]}}, "input"),
        ({"stages": [RECURRENT], "time_probe": {"input": [1, 5, 1]}}, "input"),
        ({"stages": [RECURRENT], "time_probe": {"input": [2, 5, 1], "tests": ["backwards"]}}, "tests"),
        ({"stages": [{**RECURRENT, "colour": "red"}]}, "colour"),
    ],
)
def test_bad_parameters_are_spec_errors(params, key):
    from grader.errors import SpecError

    spec = CheckSpec(id="p", kind="model_path", points=1, title={}, hint={}, params={"target": "m", **params})
    with pytest.raises(SpecError, match=key):
        KINDS["model_path"].validate(spec)


def test_korean_subject_particle():
    # the stage names of model_path messages take their particle from grader/i18n/particles.py
    assert attach("순환 층", "이/가") == "순환 층이"
    assert attach("합성곱 모델", "이/가") == "합성곱 모델이" and attach("드롭아웃", "이/가") == "드롭아웃이"
    assert (
        attach("프레임별 합성곱 층(TimeDistributed Conv2D)", "이/가") == "프레임별 합성곱 층(TimeDistributed Conv2D)이"
    )
    assert attach("시퀀스", "이/가") == "시퀀스가"
