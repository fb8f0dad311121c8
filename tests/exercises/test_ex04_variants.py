"""Exercise 4 graded as students get it wrong (real kernel, TensorFlow)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import write_notebook

from grader.grading import grade_file

pytestmark = pytest.mark.slow


def _variant(course, tmp_path: Path, edit) -> Path:
    nb = nbformat.read(course.solutions_dir / "04_forecast7.ipynb", as_version=4)
    edit(nb)
    return write_notebook(tmp_path / "04_forecast7.ipynb", nb)


def _cell(nb, needle: str):
    return next(c for c in nb.cells if c.cell_type == "code" and needle in c.source)


def test_model_with_one_output_fails_the_shape_check(course, tmp_path):
    def edit(nb):
        cell = _cell(nb, "model = keras.Sequential")
        cell.source = (
            "model = keras.Sequential([keras.Input(shape=(None, 1)), keras.layers.SimpleRNN(4),"
            " keras.layers.Dense(1)])\nmodel.compile(loss='mse', optimizer='adam')\n"
        )
        _cell(nb, "seq2seq_model = keras").source = "seq2seq_model = None\n"

    result, _ = grade_file(course, _variant(course, tmp_path, edit), lang="en", seed=5)
    assert result.status == "graded"
    checks = {c.id: c for c in result.checks}
    assert checks["windows"].passed
    shape = checks["any_length"]
    assert not shape.passed and "gave [3, 1], expected [3, 7]" in shape.message and "output layer" in shape.message
    quality = checks["quality"]
    assert not quality.passed and "[1000, 1]" in quality.message


def test_printed_fake_low_loss_without_training_fails_quality(course, tmp_path):
    def edit(nb):
        cell = _cell(nb, "model = keras.Sequential")
        cell.source = cell.source.replace("history = model.fit(", "history = None and model.fit(")
        cell.source = cell.source.replace(
            'print("validation MSE:", history.history["val_loss"][-1])',
            'print("validation MSE: 0.0001  (quality check passed)")',
        )
        _cell(nb, "seq2seq_model = keras").source = "seq2seq_model = None\n"

    result, _ = grade_file(course, _variant(course, tmp_path, edit), lang="en", seed=6)
    checks = {c.id: c for c in result.checks}
    assert checks["any_length"].passed  # the architecture is right
    quality = checks["quality"]
    assert not quality.passed and quality.points == 0
    assert quality.details["mse"] > 0.015 and "naive" in quality.message and "linear" in quality.message
