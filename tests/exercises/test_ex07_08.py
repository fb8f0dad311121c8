"""Exercises 7 and 8: their references, plus slow runs that verify the formula against Keras
and grade wrong notebook variants. The kinds they brought (function_grid, causal,
layer_expect) are tested in tests/checks/."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest import write_notebook

# --- references -------------------------------------------------------------------


def test_conv_length_formula_by_hand(course):
    f = course.reference("ch15_conv:conv1d_output_length")
    assert f(50, 4, 2, "valid") == 24
    assert f(50, 4, 2, "same") == 25 and f(50, 4, 2, "causal") == 25
    assert f(30, 4, 2, "valid") == 14 and f(81, 4, 2, "valid") == 39
    assert f(64, 2, 1, "valid", 8) == 56 and f(64, 2, 1, "causal", 8) == 64
    assert f(3, 5, 1, "valid") == 0
    with pytest.raises(ValueError):
        f(10, 3, 1, "full")


def test_length_cases_are_settings_keras_accepts(course):
    cases = course.reference("ch15_conv:length_cases")(np.random.default_rng(0), n=60)
    assert len(cases) == 60
    assert {c["padding"] for c in cases} == {"valid", "same", "causal"}
    for c in cases:
        assert c["strides"] == 1 or c["dilation_rate"] == 1
        assert c["length"] >= (c["kernel_size"] - 1) * c["dilation_rate"] + 1
        assert all(isinstance(v, (int, str)) for v in c.values())


def test_downsample_targets_matches_the_conv_alignment(course):
    y = course.reference("ch15_conv:seq2seq_targets_probe")(np.random.default_rng(0))["Y"]
    down = course.reference("ch15_conv:downsample_targets")(y)
    assert y.shape == (8, 50, 7) and down.shape == (8, 24, 7)
    assert np.array_equal(down[:, 0], y[:, 3]) and np.array_equal(down[:, -1], y[:, 49])


def test_videos_have_a_square_moving_in_the_labelled_direction(course):
    make = course.reference("ch15_video:make_videos")
    x, y = make(50, 8, np.random.default_rng(1), noise=0.0)
    assert x.shape == (50, 8, 16, 16, 1) and x.dtype == np.float32 and set(y) <= {0, 1, 2, 3}
    steps = {0: (0, 1), 1: (0, -1), 2: (1, 0), 3: (-1, 0)}
    for clip, label in zip(x[..., 0], y):
        centres = np.array([np.argwhere(f > 0.5).mean(axis=0) for f in clip])
        assert np.allclose(np.diff(centres, axis=0), steps[int(label)])
        assert all((f > 0.5).sum() == 9 for f in clip)  # the whole 3x3 square, every frame


def test_video_baselines_stay_far_below_the_threshold(course):
    inputs, y = course.reference("ch15_video:video_eval")(np.random.default_rng(2), n=400)
    rng = np.random.default_rng(0)
    for name, ceiling in (("constant_class", 0.35), ("random_guess", 0.35), ("first_frame", 0.8)):
        probs = course.reference(f"ch15_video:{name}")(inputs, y, rng)
        assert probs.shape == (400, 4)
        assert float(np.mean(probs.argmax(axis=1) == y)) < ceiling


# --- function_grid ----------------------------------------------------------------


# --- causal -----------------------------------------------------------------------


# --- layer_expect ---------------------------------------------------------------------


# --- slow: Keras itself and wrong notebooks -------------------------------------------


@pytest.mark.slow
def test_formula_agrees_with_keras_conv1d(course):
    keras = pytest.importorskip("keras")
    f = course.reference("ch15_conv:conv1d_output_length")
    cases = course.reference("ch15_conv:length_cases")(np.random.default_rng(0), n=90)
    cases += [
        dict(length=n, kernel_size=k, strides=s, padding=p, dilation_rate=1)
        for n in (7, 8, 50)
        for k in (1, 4)
        for s in (1, 2, 3)
        for p in ("valid", "same", "causal")
    ]
    for case in cases:
        layer = keras.layers.Conv1D(
            1,
            case["kernel_size"],
            strides=case["strides"],
            padding=case["padding"],
            dilation_rate=case["dilation_rate"],
        )
        assert layer.compute_output_shape((1, case["length"], 1))[1] == f(**case), case
    for case in cases[:6]:  # and on real data, not only the shape arithmetic
        layer = keras.layers.Conv1D(
            1,
            case["kernel_size"],
            strides=case["strides"],
            padding=case["padding"],
            dilation_rate=case["dilation_rate"],
        )
        assert layer(np.zeros((1, case["length"], 1), "float32")).shape[1] == f(**case)


def _variant(course, tmp_path: Path, name: str, edits: dict[str, tuple[str, str]]) -> Path:
    nb = nbformat.read(course.solutions_dir / f"{name}.ipynb", as_version=4)
    for needle, (old, new) in edits.items():
        cell = next(c for c in nb.cells if c.cell_type == "code" and needle in c.source)
        assert old in cell.source, old
        cell.source = cell.source.replace(old, new)
    return write_notebook(tmp_path / f"{name}.ipynb", nb)


@pytest.mark.slow
def test_ex07_wrong_formula_and_a_wavenet_that_sees_the_future(course, tmp_path):
    from grader.grading import grade_file

    path = _variant(
        course,
        tmp_path,
        "07_conv1d",
        {
            "def conv1d_output_length": (
                "span = (kernel_size - 1) * dilation_rate + 1",
                "span = kernel_size  # forgot the dilation",
            ),
            "conv_model = keras.Sequential": ("epochs=8", "epochs=1"),
            "wavenet_model = keras.Sequential": ('padding="causal"', 'padding="same"'),
        },
    )
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "wavenet_model = keras" in c.source)
    cell.source = cell.source.replace("epochs=8", "epochs=1")
    write_notebook(path, nb)
    result, _ = grade_file(course, path, lang="en", seed=11)
    assert result.status == "graded"
    checks = {c.id: c for c in result.checks}
    formula = checks["length_formula"]
    assert not formula.passed and "dilation_rate " in formula.message and "First failing case" in formula.message
    assert checks["targets"].passed and checks["conv_shape"].passed and checks["conv_layers"].passed
    causal = checks["wavenet_causal"]
    assert not causal.passed and "looks into the future" in causal.message
    assert 0 <= causal.details["first_leaking_step"] < 40
    # One mistake, one deduction: "same" padding costs causality; the rates 1, 2, 4, 8 still count.
    assert checks["wavenet_dilations"].passed, checks["wavenet_dilations"].message
    assert checks["wavenet_shape"].passed  # "same" keeps the length, so only causality tells


@pytest.mark.slow
def test_ex08_model_without_a_per_frame_cnn(course, tmp_path):
    from grader.grading import grade_file

    old_layers = """    keras.layers.TimeDistributed(keras.layers.Conv2D(8, 3, padding="same", activation="relu")),
    keras.layers.TimeDistributed(keras.layers.MaxPooling2D(2)),
    keras.layers.TimeDistributed(keras.layers.Conv2D(16, 3, padding="same", activation="relu")),
    keras.layers.TimeDistributed(keras.layers.MaxPooling2D(2)),
    keras.layers.TimeDistributed(keras.layers.Flatten()),
    keras.layers.GRU(32),
    keras.layers.Dense(4, activation="softmax"),"""
    path = _variant(
        course,
        tmp_path,
        "08_video_classifier",
        {
            "model = keras.Sequential": (
                old_layers,
                """    keras.layers.TimeDistributed(keras.layers.Flatten()),
    keras.layers.GRU(4),
    keras.layers.Dense(4),""",
            ),
        },
    )
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "model = keras.Sequential" in c.source)
    cell.source = cell.source.replace("epochs=5", "epochs=1")
    write_notebook(path, nb)
    result, _ = grade_file(course, path, lang="en", seed=12)
    assert result.status == "graded"
    checks = {c.id: c for c in result.checks}
    assert checks["frames_shape"].passed
    arch = checks["architecture"]
    assert not arch.passed and arch.points == 1  # the two time tests pass, the CNN stage does not
    assert "no per-frame convolution (TimeDistributed Conv2D)" in arch.message
    assert "its activation is 'linear', expected 'softmax'" in checks["head"].message
    acc = checks["accuracy"]
    assert not acc.passed and acc.details["accuracy"] < 0.9 and "first frame only" in acc.message
