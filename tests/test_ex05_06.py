"""Exercises 5 and 6: the grader's NumPy cells agree with Keras, the `unrolled_step`
and `model_config` kinds judge plain probe data correctly, and wrong notebooks get
messages that say what to fix."""

from __future__ import annotations

import numpy as np
import nbformat
import pytest

from conftest import write_notebook
from grader.checks import KINDS, GradeContext, ProbeOutput
from grader.errors import SpecError
from grader.grading import grade_file
from grader.checks.base import CheckSpec


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _ctx(course, exercise: str, lang: str = "en") -> GradeContext:
    return GradeContext(seed=3, lang=lang, course=course, spec=course.specs[exercise])


def _check(course, exercise: str, check_id: str) -> CheckSpec:
    return next(c for c in course.specs[exercise].checks if c.id == check_id)


# --- references --------------------------------------------------------------------

def test_ln_step_normalises_before_tanh(course):
    ref = course.reference("ch15_cells:ln_rnn_step")
    inp = course.reference("ch15_cells:ln_step_probe")(np.random.default_rng(0))
    out = ref(**inp)
    z = inp["x"] @ inp["kernel"] + inp["h"] @ inp["recurrent_kernel"] + inp["bias"]
    manual = np.tanh(inp["gamma"] * (z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + 1e-3)
                     + inp["beta"])
    assert out.shape == (4, 6) and np.allclose(out, manual)


def test_unroll_generators_have_keras_layouts(course):
    g = course.reference("ch15_cells:lstm_unroll_probe")(np.random.default_rng(0), steps=6)
    assert g["X"].shape == (4, 6, 3) and g["kernel"].shape == (3, 20) and g["recurrent_kernel"].shape == (5, 20)
    assert g["bias"].shape == (20,) and g["h"].shape == g["c"].shape == (4, 5)
    g = course.reference("ch15_cells:gru_unroll_probe")(np.random.default_rng(0))
    assert g["bias"].shape == (2, 15) and g["kernel"].shape == (3, 15)


@pytest.mark.slow
def test_numpy_cells_match_keras(course):
    import keras

    rng = np.random.default_rng(1)
    X = rng.normal(size=(2, 7, 3)).astype("float32")
    lstm = keras.layers.LSTM(5, return_sequences=True)
    want = lstm(X).numpy()
    got = course.reference("ch15_cells:lstm_sequence")(X, *lstm.get_weights())
    assert np.max(np.abs(got - want)) < 1e-5
    gru = keras.layers.GRU(5, return_sequences=True)
    want = gru(X).numpy()
    k, rk, b = gru.get_weights()
    h = np.zeros((2, 5))
    step = course.reference("ch15_cells:gru_step")
    for t in range(7):
        h = step(X[:, t], h, k, rk, b)
        assert np.max(np.abs(h - want[:, t])) < 1e-5
    # The layer-normalised step against Keras's own SimpleRNNCell + LayerNormalization.
    inp = course.reference("ch15_cells:ln_step_probe")(rng)
    cell = keras.layers.SimpleRNNCell(6, activation=None)
    cell(inp["x"], [inp["h"]])
    cell.set_weights([inp["kernel"], inp["recurrent_kernel"], inp["bias"]])
    norm = keras.layers.LayerNormalization()
    z, _ = cell(inp["x"], [inp["h"]])
    norm(z)
    norm.set_weights([inp["gamma"], inp["beta"]])
    want = np.tanh(norm(z).numpy())
    assert np.max(np.abs(course.reference("ch15_cells:ln_rnn_step")(**inp) - want)) < 1e-5


# --- unrolled_step -------------------------------------------------------------------

def _lstm_swapped(x, h, c, kernel, recurrent_kernel, bias):
    i, g, f, o = np.split(x @ kernel + h @ recurrent_kernel + bias, 4, axis=-1)
    c_new = _sig(f) * c + _sig(i) * np.tanh(g)
    return _sig(o) * np.tanh(c_new), c_new


def _run_steps(check, ctx, fn):
    """Evaluate the kind on what `fn` returns for each probe request (no kernel)."""
    kind = KINDS["unrolled_step"]
    plan = kind.plan(check, ctx)
    outputs = {}
    for req in plan.requests:
        try:
            out = fn(*[plan.inputs[a] for a in req["args"]])
            arrays = [np.asarray(o) for o in (out if isinstance(out, tuple) else (out,))]
            outputs[req["id"]] = ProbeOutput(ok=True, arrays=arrays)
        except Exception as exc:  # noqa: BLE001
            outputs[req["id"]] = ProbeOutput(ok=False, error=f"{type(exc).__name__}: {exc}")
    return plan, kind.evaluate(check, ctx, plan, outputs)


def test_unrolled_step_uses_the_graders_state_at_every_step(course):
    check, ctx = _check(course, "ch15.ex6", "lstm_step"), _ctx(course, "ch15.ex6")
    plan, r = _run_steps(check, ctx, course.reference("ch15_cells:lstm_step"))
    assert r.passed and r.points == check.points and "all 8 time steps" in r.message
    assert len(plan.requests) == 8 and plan.requests[0]["args"][:3] == ["x__t0", "h__t0", "c__t0"]
    # Teacher forcing: step t's input state is the reference's output of step t-1.
    h1, c1 = course.reference("ch15_cells:lstm_step")(*[plan.inputs[a] for a in plan.requests[0]["args"]])
    assert np.allclose(plan.inputs["h__t1"], h1) and np.allclose(plan.inputs["c__t1"], c1)
    # The hidden states and targets never appear in what goes to the kernel besides the inputs.
    assert "expected" in plan.private and not any(k.startswith("expected") for k in plan.inputs)


def test_unrolled_step_names_first_step_and_state(course):
    check, ctx = _check(course, "ch15.ex6", "lstm_step"), _ctx(course, "ch15.ex6")
    _, r = _run_steps(check, ctx, _lstm_swapped)
    assert not r.passed and r.points == 0
    assert "matched at 0 of 8 steps" in r.message and "step 1: h has the right shape [4, 5] but wrong values" \
        in r.message
    assert "i, f, g (candidate), o" in r.message  # the hint follows
    ko = _run_steps(check, _ctx(course, "ch15.ex6", "ko"), _lstm_swapped)[1]
    assert "1번째 스텝" in ko.message and "i, f, g(후보), o" in ko.message


def test_unrolled_step_late_bug_and_partial(course):
    ref = course.reference("ch15_cells:lstm_step")

    def clipped(*args):  # h is computed right, the returned long-term state is not
        h, c = ref(*args)
        return h, np.clip(c, -0.5, 0.5)

    check, ctx = _check(course, "ch15.ex6", "lstm_step"), _ctx(course, "ch15.ex6")
    _, r = _run_steps(check, ctx, clipped)
    assert not r.passed and "c has the right shape" in r.message and "(h is right)" in r.message
    calls = []

    def late(*args):  # right for the first three steps only
        calls.append(1)
        h, c = ref(*args)
        return (h, c) if len(calls) <= 3 else (h * 1.1, c)

    partial = CheckSpec(check.id, check.kind, check.points, check.title, check.hint, dict(check.params, partial=True))
    _, r = _run_steps(partial, ctx, late)
    assert r.details["steps_ok"] == 3 and r.points == pytest.approx(check.points * 3 / 8)
    assert "matched at 3 of 8 steps. First mismatch: step 4: h" in r.message


def test_unrolled_step_wrong_arity_and_errors(course):
    check, ctx = _check(course, "ch15.ex6", "lstm_step"), _ctx(course, "ch15.ex6")
    ref = course.reference("ch15_cells:lstm_step")
    _, r = _run_steps(check, ctx, lambda *a: ref(*a)[0])
    assert not r.passed and "returned 1 value(s); expected 2 (h, c)" in r.message

    def boom(*a):
        raise ValueError("shapes (4,3) and (5,20) not aligned")

    _, r = _run_steps(check, ctx, boom)
    assert not r.passed and "Could not use `lstm_step`: ValueError: shapes" in r.message
    gru = _check(course, "ch15.ex6", "gru_step")
    _, r = _run_steps(gru, ctx, lambda x, h, k, rk, b: h)  # state never changes
    assert not r.passed and "step 1: h has the right shape" in r.message


def test_unrolled_step_validates_its_spec():
    kind = KINDS["unrolled_step"]
    bad = CheckSpec("s", "unrolled_step", 1, {}, {}, {"target": "f", "generator": "m:g", "reference": "m:r",
                                                     "states": ["h"], "args": ["x", "kernel"]})
    with pytest.raises(SpecError, match="step argument and every state"):
        kind.validate(bad)


# --- model_config ---------------------------------------------------------------------

ORTHOGONAL_13 = {"module": "keras.initializers", "class_name": "Orthogonal", "config": {"gain": 1.3, "seed": None},
                 "registered_name": None}


def _describe(clip=None, dropouts=(0.2, 0.2), activation="tanh", cls="SimpleRNN", optimizer=True, cell=None,
              init=ORTHOGONAL_13):
    layers = []
    for i, d in enumerate(dropouts):
        lay = {"class": cls, "name": f"rnn{i}", "config": {"recurrent_dropout": d, "activation": activation,
                                                           "recurrent_initializer": init}}
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


@pytest.mark.parametrize("clip, dropouts, fragment", [
    ({"clipnorm": 1.0}, (0.2, 0.2), None),
    ({"clipvalue": 0.5}, (0.3, 0.1), None),
    (None, (0.2, 0.2), "gradient clipping: the optimizer (SGD) needs clipnorm > 0 or clipvalue > 0 or "
                       "global_clipnorm > 0; found clipnorm=None"),
    ({"clipnorm": 1.0}, (0.2, 0.0), "recurrent dropout: SimpleRNN 'rnn1' needs recurrent_dropout > 0; "
                                    "found recurrent_dropout=0.0"),
])
def test_model_config_clipping_and_dropout(course, clip, dropouts, fragment):
    r = _mc(course, "stabilised", _describe(clip, dropouts))
    assert r.passed == (fragment is None)
    if fragment:
        assert fragment in r.message and "recurrent_dropout=0.2" in r.message  # the hint follows
        assert r.points == 1.0  # one of the two conditions holds: half of the 2 points (issue 15: was 0/2)


def test_model_config_uncompiled_and_missing(course):
    r = _mc(course, "stabilised", _describe({"clipnorm": 1.0}, optimizer=False))
    assert not r.passed and "`stable_model` has no optimizer: compile it first" in r.message
    r = _mc(course, "stabilised", {"describe": ProbeOutput(ok=False, error="NameError: name 'stable_model' is "
                                                                           "not defined in the notebook")})
    assert not r.passed and "Could not use `stable_model`" in r.message
    r = _mc(course, "stabilised", _describe({"clipnorm": 1.0}, dropouts=(), cls="LSTM"))
    assert not r.passed and "expected at least 1 SimpleRNN / LSTM / GRU / RNN layer(s), found 0" in r.message


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
    assert "recurrent_initializer.config.gain == 1.3; found" in r.message and "gain=1.0" in r.message
    glorot = {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None}}
    r = _mc(course, "tanh_setup", _describe({"clipnorm": 1.0}, init=glorot), lang="ko")
    assert r.points == pytest.approx(2 / 3, abs=1e-3) and "Orthogonal(gain=1.3)" in r.message
    from grader.checks.model_config import _MISSING, lookup

    layer = {"class": "SimpleRNN", "config": {"recurrent_initializer": ORTHOGONAL_13}}
    assert lookup(layer, "recurrent_initializer.config.gain") == 1.3
    assert lookup(layer, "recurrent_initializer.config.nothing") is _MISSING
    assert lookup({"class": "SimpleRNN", "config": {"recurrent_initializer": "orthogonal"}},
                  "recurrent_initializer.class_name") is _MISSING


def test_model_config_reads_nested_cells(course):
    good = _describe(cls="RNN", cell="LNSimpleRNNCell")
    assert _mc(course, "ln_model_cells", good).passed
    r = _mc(course, "ln_model_cells", _describe(cls="SimpleRNN"))
    assert not r.passed and "expected at least 2 RNN layer(s), found 0 (the model has: SimpleRNN, Dense)" \
        in r.message
    r = _mc(course, "ln_model_cells", _describe(cls="RNN", cell="SimpleRNNCell"))
    assert not r.passed and "cell.class == 'LNSimpleRNNCell'; found cell.class='SimpleRNNCell'" in r.message


def test_model_config_ops_and_validation():
    from grader.checks.model_config import _MISSING, holds, lookup

    assert holds(0.2, ">", 0) and not holds(None, ">", 0) and not holds(_MISSING, ">=", 0)
    assert holds(None, "absent", None) and holds(_MISSING, "absent", None) and not holds(1.0, "absent", None)
    assert holds([4], "==", 4) and holds("relu", "in", ["relu", "elu"]) and holds("tanh", "not_in", ["relu"])
    wrapped = {"class": "Bidirectional", "config": {"merge_mode": "concat"},
               "forward_layer": {"class": "GRU", "config": {"units": 8}}}
    assert lookup(wrapped, "units") == 8 and lookup(wrapped, "class") == "Bidirectional"
    assert lookup({"class": "RNN", "config": {"cell": {"class_name": "X", "config": {}}}}, "cell.class") == "X"
    kind = KINDS["model_config"]
    for params, msg in [({"expect": []}, "non-empty"),
                        ({"expect": [{"key": "a", "op": "~"}]}, "unknown op"),
                        ({"expect": [{"key": "a", "op": ">"}]}, "needs a 'value'"),
                        ({"expect": [{"on": "loss", "key": "a", "value": 1}]}, "'on' must be"),
                        ({"expect": [{"key": "a", "value": 1, "any": [{"key": "b", "value": 2}]}]}, "either")]:
        with pytest.raises(SpecError, match=msg):
            kind.validate(CheckSpec("m", "model_config", 1, {}, {}, {"target": "m", **params}))


# --- wrong notebooks, graded for real ---------------------------------------------------

@pytest.mark.slow
def test_lstm_with_swapped_gates_fails_with_a_useful_message(course, tmp_path):
    nb = nbformat.read(course.solutions_dir / "06_lstm_structure.ipynb", as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("i, f, g, o = np.split", "i, g, f, o = np.split")
    result, _ = grade_file(course, write_notebook(tmp_path / "06_lstm_structure.ipynb", nb), lang="en")
    checks = {c.id: c for c in result.checks}
    assert result.status == "graded"
    step = checks["lstm_step"]
    assert not step.passed and "First mismatch: step 1: h has the right shape" in step.message
    assert "i, f, g (candidate), o" in step.message
    assert not checks["lstm_sequence"].passed and checks["gru_step"].passed


@pytest.mark.slow
def test_cell_without_layer_norm_and_clipped_relu_fail(course, tmp_path):
    nb = nbformat.read(course.solutions_dir / "05_unstable_gradients.ipynb", as_version=4)
    edits = [
        ("norm_outputs = self.activation(self.layer_norm(outputs))", "norm_outputs = self.layer_norm(self.activation(outputs))"),
        ("SGD(learning_rate=0.02, momentum=0.9))", "SGD(learning_rate=0.02, momentum=0.9, clipnorm=1.0))"),
        ("SimpleRNN(20, recurrent_dropout=0.2)", "SimpleRNN(20)"),
        ("epochs=4", "epochs=1"),  # keep the test short; tanh_quality is not asserted
    ]
    for cell in nb.cells:
        for old, new in edits:
            cell.source = cell.source.replace(old, new)
    result, _ = grade_file(course, write_notebook(tmp_path / "05_unstable_gradients.ipynb", nb), lang="en")
    checks = {c.id: c for c in result.checks}
    assert result.status == "graded"
    assert not checks["ln_step"].passed and "wrong values" in checks["ln_step"].message
    assert "LayerNormalization" in checks["ln_step"].message
    assert checks["ln_model_shapes"].passed and checks["ln_model_cells"].passed
    assert not checks["relu_setup"].passed and "no clipping in this run" in checks["relu_setup"].message
    stab = checks["stabilised"]
    assert not stab.passed and "recurrent_dropout > 0; found recurrent_dropout=0.0" in stab.message
    assert checks["tanh_setup"].passed
