"""The probe's layer graph on real Keras models, as the kernel and the clean loader report
it (what feeds what, including operations that are not layers), and `model_path` judging
it; also after a safe-mode load, the way the clean loader sees a model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.checks import KINDS, GradeContext, ProbeOutput
from grader.checks.base import CheckSpec

pytestmark = pytest.mark.slow

RECURRENT = {"class": ["SimpleRNN", "LSTM", "GRU", "RNN", "Bidirectional"], "what": {"en": "recurrent layer"}}


def probe(
    tmp_path: Path, ns: dict[str, Any], requests: list[dict[str, Any]], inputs: dict[str, np.ndarray] | None = None
) -> dict[str, ProbeOutput]:
    """Run the probe function in this process on `ns`, as the clean loader does."""
    from grader.execution.probe_kernel import __grade_probe_run__

    d = tmp_path / f"p{len(list(tmp_path.iterdir()))}"
    d.mkdir()
    (d / "requests.json").write_text(json.dumps(requests), encoding="utf-8")
    np.savez(d / "inputs.npz", **(inputs or {}))
    __grade_probe_run__(str(d), ns)
    out = json.loads((d / "out.json").read_text(encoding="utf-8"))
    arrays = np.load(d / "out.npz")
    return {
        rid: ProbeOutput(
            ok=r["ok"],
            value=r.get("value"),
            error=r.get("error", ""),
            arrays=[arrays[f"{rid}::{i}"] for i in range(r.get("n_arrays", 0))],
        )
        for rid, r in out.items()
    }


def judge(tmp_path: Path, model: Any, stages: list[dict[str, Any]], **params: Any):
    chk = CheckSpec(
        id="p",
        kind="model_path",
        points=2,
        title={"en": "p"},
        hint={},
        params={"target": "m", "stages": stages, **params},
    )
    KINDS["model_path"].validate(chk)
    ctx = GradeContext(seed=5, lang="en", course=None, spec=None)  # type: ignore[arg-type]
    plan = KINDS["model_path"].plan(chk, ctx)
    reqs = [dict(r, args=r.get("args", [])) for r in plan.requests]
    outs = probe(tmp_path, {"m": model}, reqs, plan.inputs)
    return KINDS["model_path"].evaluate(chk, ctx, plan, outs), outs


def _reload(keras: Any, model: Any, tmp_path: Path) -> Any:
    path = tmp_path / f"m{len(list(tmp_path.iterdir()))}.keras"
    model.save(path)
    return keras.saving.load_model(path, safe_mode=True)


def test_graph_of_sequential_and_functional_models(tmp_path):
    keras = pytest.importorskip("keras")
    dense = keras.Sequential([keras.Input((5,)), keras.layers.Dense(20), keras.layers.Reshape((10, 2))])
    r, outs = judge(tmp_path, dense, [RECURRENT])
    graph = outs["describe"].value["graph"]
    assert [n["class"] for n in graph["nodes"]] == ["InputLayer", "Dense", "Reshape"]
    assert graph["nodes"][2]["inbound"] == [graph["nodes"][1]["name"]]
    assert not r.passed and "Input → Dense → Reshape" in r.message

    inp = keras.Input((None, 1))
    lin = keras.layers.Dense(7)(keras.layers.GlobalAveragePooling1D()(inp))
    rnn = keras.layers.Dense(7)(keras.layers.GRU(4)(inp))
    shortcut = keras.Model(inp, keras.layers.Add()([lin, rnn]))
    assert not judge(tmp_path, shortcut, [RECURRENT])[0].passed
    assert judge(tmp_path, shortcut, [RECURRENT], paths="any")[0].passed
    # The clean loader sees the same graph in the file it loads.
    assert not judge(tmp_path, _reload(keras, shortcut, tmp_path), [RECURRENT])[0].passed

    built_late = keras.Sequential([keras.layers.SimpleRNN(3, return_sequences=True), keras.layers.Dense(2)])
    built_late(np.zeros((1, 4, 1), "float32"))
    assert judge(tmp_path, built_late, [RECURRENT])[0].passed


def test_a_classifier_that_keeps_the_first_frame(tmp_path):
    """GRU over per-frame CNN features, then x[:, 0]: the layers are right; the time probe
    sees that only the first frame counts, also after a safe-mode load."""
    keras = pytest.importorskip("keras")
    cnn = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten()])
    inp = keras.Input((None, 6, 6, 1))
    seq = keras.layers.GRU(4, return_sequences=True)(keras.layers.TimeDistributed(cnn)(inp))
    first = keras.Model(inp, keras.layers.Dense(4, activation="softmax")(seq[:, 0]))
    stages = [{"class": "TimeDistributed", "wraps": "Conv2D", "what": {"en": "per-frame convolution"}}, RECURRENT]
    probe_args = {"input": [4, 5, 6, 6, 1], "method": "call", "step": {"en": "frame"}}
    for model in (first, _reload(keras, first, tmp_path)):
        r, outs = judge(tmp_path, model, stages, time_probe=probe_args)
        assert "GetItem" in [n["class"] for n in outs["describe"].value["graph"]["nodes"]]
        assert r.points == pytest.approx(1.5) and "looks only at the first frame" in r.message
    whole = keras.Model(
        inp, keras.layers.Dense(4, activation="softmax")(keras.layers.GRU(4)(keras.layers.TimeDistributed(cnn)(inp)))
    )
    assert judge(tmp_path, whole, stages, time_probe=probe_args)[0].passed
    mean = keras.Model(
        inp,
        keras.layers.Dense(4, activation="softmax")(
            keras.layers.GlobalAveragePooling1D()(keras.layers.TimeDistributed(cnn)(inp))
        ),
    )
    r, _ = judge(tmp_path, mean, stages, time_probe=probe_args)
    assert "does not use the order of the frames" in r.message and "no recurrent layer" in r.message


def test_a_nested_model_is_followed(tmp_path):
    keras = pytest.importorskip("keras")
    head = keras.Sequential([keras.layers.GRU(3), keras.layers.Dense(4)])
    inp = keras.Input((None, 2))
    model = keras.Model(inp, head(keras.layers.Dense(5)(inp)))
    r, outs = judge(tmp_path, model, [RECURRENT])
    assert r.passed and "Sequential(GRU → Dense)" in r.message
    nested = next(n for n in outs["describe"].value["graph"]["nodes"] if "graph" in n)
    assert [n["class"] for n in nested["graph"]["nodes"]][1:] == ["GRU", "Dense"]
