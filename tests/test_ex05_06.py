"""Exercises 5 and 6: the grader's NumPy cells agree with Keras; wrong cells are caught."""

from __future__ import annotations

import numpy as np
import nbformat
import pytest

from conftest import write_notebook
from grader.grading import grade_file


def test_ln_step_normalises_before_tanh(course):
    ref = course.reference("ch15_cells:ln_rnn_step")
    inp = course.reference("ch15_cells:ln_step_probe")(np.random.default_rng(0))
    out = ref(**inp)
    z = inp["x"] @ inp["kernel"] + inp["h"] @ inp["recurrent_kernel"] + inp["bias"]
    manual = np.tanh(inp["gamma"] * (z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + 1e-3)
                     + inp["beta"])
    assert out.shape == (4, 6) and np.allclose(out, manual)


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
    ln = keras.layers.LayerNormalization()
    z = rng.normal(size=(4, 6)).astype("float32")
    ones, zeros = np.ones(6, "float32"), np.zeros(6, "float32")
    ref = course.reference("ch15_cells:ln_rnn_step")(z, np.zeros((4, 1)), np.eye(6), np.zeros((1, 6)), zeros,
                                                       ones, zeros)
    assert np.max(np.abs(ref - np.tanh(ln(z).numpy()))) < 1e-5


@pytest.mark.slow
def test_lstm_with_swapped_gates_fails_with_a_useful_message(course, tmp_path):
    nb = nbformat.read(course.solutions_dir / "06_lstm_structure.ipynb", as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("i, f, g, o = np.split", "i, g, f, o = np.split")
    result, _ = grade_file(course, write_notebook(tmp_path / "06_lstm_structure.ipynb", nb), lang="en")
    checks = {c.id: c for c in result.checks}
    assert result.status == "graded"
    assert not checks["lstm_step"].passed and "wrong values" in checks["lstm_step"].message
    assert "i, f, g, o" in checks["lstm_step"].message
    assert not checks["lstm_sequence"].passed and checks["gru_step"].passed


def _describe(clipnorm, dropouts):
    from grader.checks import ProbeOutput

    layers = [{"class": "SimpleRNN", "name": f"rnn{i}", "config": {"recurrent_dropout": d}}
              for i, d in enumerate(dropouts)]
    opt = {"class": "Adam", "config": {"clipnorm": clipnorm, "clipvalue": None}}
    return {"describe": ProbeOutput(ok=True, value={"layers": layers, "optimizer": opt})}


@pytest.mark.parametrize("clipnorm, dropouts, fragment", [
    (1.0, [0.2, 0.2], None),
    (None, [0.2, 0.2], "sets none of clipnorm"),
    (1.0, [0.2, 0.0], "recurrent_dropout must be > 0 on rnn1"),
])
def test_training_config_kind(course, clipnorm, dropouts, fragment):
    from grader.checks import KINDS, GradeContext

    spec = course.specs["ch15.ex5"]
    check = next(c for c in spec.checks if c.kind == "training_config")
    ctx = GradeContext(seed=1, lang="en", course=course, spec=spec)
    r = KINDS["training_config"].evaluate(check, ctx, KINDS["training_config"].plan(check, ctx),
                                          _describe(clipnorm, dropouts))
    assert r.passed == (fragment is None)
    if fragment:
        assert fragment in r.message and "clipnorm=1.0" in r.message  # the hint follows


@pytest.mark.slow
def test_ln_step_without_normalisation_fails(course, tmp_path):
    nb = nbformat.read(course.solutions_dir / "05_unstable_gradients.ipynb", as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("return np.tanh(gamma * (z - mean) / np.sqrt(var + epsilon) + beta)",
                                          "return np.tanh(z)")
        cell.source = cell.source.replace("tanh_model.fit(X_train", "0 and tanh_model.fit(X_train")
    result, _ = grade_file(course, write_notebook(tmp_path / "05_unstable_gradients.ipynb", nb), lang="en")
    checks = {c.id: c for c in result.checks}
    assert not checks["ln_step"].passed and "wrong values" in checks["ln_step"].message
    assert not checks["tanh_quality"].passed and checks["stabilised"].passed
