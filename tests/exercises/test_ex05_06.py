"""Exercises 5 and 6: the grader's NumPy cells agree with Keras, and wrong notebooks get
messages that say what to fix. The kinds they brought (unrolled_step, model_config) are
tested in tests/checks/."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from conftest import write_notebook

from grader.grading import grade_file

# --- references --------------------------------------------------------------------


def test_ln_step_normalises_before_tanh(course):
    ref = course.reference("ch15_cells:ln_rnn_step")
    inp = course.reference("ch15_cells:ln_step_probe")(np.random.default_rng(0))
    out = ref(**inp)
    z = inp["x"] @ inp["kernel"] + inp["h"] @ inp["recurrent_kernel"] + inp["bias"]
    manual = np.tanh(
        inp["gamma"] * (z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + 1e-3) + inp["beta"]
    )
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


# --- model_config ---------------------------------------------------------------------


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
    assert not step.passed and "First mismatch: step 1: c has the right shape" in step.message
    assert "h, computed from c, is wrong because of it" in step.message
    assert "input, forget, candidate, output" in step.message and "c_new" not in step.message
    assert not checks["lstm_sequence"].passed and checks["gru_step"].passed


@pytest.mark.slow
def test_cell_without_layer_norm_and_clipped_relu_fail(course, tmp_path):
    nb = nbformat.read(course.solutions_dir / "05_unstable_gradients.ipynb", as_version=4)
    edits = [
        (
            "norm_outputs = self.activation(self.layer_norm(outputs))",
            "norm_outputs = self.layer_norm(self.activation(outputs))",
        ),
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
    assert "layer normalization" in checks["ln_step"].message and "set_weights" not in checks["ln_step"].message
    assert checks["ln_model_shapes"].passed and checks["ln_model_cells"].passed
    assert not checks["relu_setup"].passed and "no clipping in this run" in checks["relu_setup"].message
    stab = checks["stabilised"]
    assert not stab.passed and "recurrent_dropout > 0; found recurrent_dropout: 0.0" in stab.message
    assert checks["tanh_setup"].passed
