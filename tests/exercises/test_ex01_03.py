"""Exercises 1-3: the shape/parameter references and the specs' kinds, plus slow runs that
verify the formulas against Keras and grade wrong notebook variants. The kinds they brought
(sequence_kind, value_matches, layer_config) are tested in tests/checks/."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest import write_notebook

# --- references -------------------------------------------------------------------


def test_param_counts_by_hand(course):
    f = course.reference("ch15_shapes:rnn_param_count")
    assert f("SimpleRNN", 32, 2) == 1120
    assert f("LSTM", 20, 1) == 1760 and f("LSTM", 64, 10) == 19200
    assert f("GRU", 16, 3) == 1008 and f("GRU", 8, 8) == 432
    assert f("GRU", 16, 3, reset_after=False) == 3 * (16 * 19 + 16)
    with pytest.raises(ValueError):
        f("Dense", 3, 3)


def test_table_and_stack_expectations(course):
    table = course.reference("ch15_shapes:rnn_table")(
        {
            "a": {"layer": "SimpleRNN", "units": 32, "features": 2, "return_sequences": False},
            "b": {"layer": "GRU", "units": 8, "features": 8, "return_sequences": True},
        },
        batch=5,
        steps=10,
    )
    assert table == {"a": {"shape": [5, 32], "params": 1120}, "b": {"shape": [5, 10, 8], "params": 432}}
    stack = course.reference("ch15_shapes:stack_expectations")(
        2,
        [
            {"class": "SimpleRNN", "units": 32, "return_sequences": True},
            {"class": "LSTM", "units": 20, "return_sequences": True},
            {"class": "GRU", "units": 16},
            {"class": "Dense", "units": 1},
        ],
    )
    assert [e["params"] for e in stack] == [1120, 4240, 1824, 17]
    assert [e["output_shape"] for e in stack] == [[None, None, 32], [None, None, 20], [None, 16], [None, 1]]
    with pytest.raises(ValueError):
        course.reference("ch15_shapes:stack_expectations")(
            2, [{"class": "GRU", "units": 4}, {"class": "GRU", "units": 4}]
        )


def test_param_cases_cover_every_layer(course):
    cases = course.reference("ch15_shapes:param_cases")(np.random.default_rng(0), n=18)
    assert len(cases) == 18 and {c["layer"] for c in cases} == {"SimpleRNN", "LSTM", "GRU"}
    assert all(isinstance(c["units"], int) and c["units"] >= 1 and c["features"] >= 1 for c in cases)


def test_specs_load_with_their_kinds(course):
    kinds = {c.kind for ex in ("ch15.ex1", "ch15.ex2", "ch15.ex3") for c in course.specs[ex].checks}
    assert {"sequence_kind", "value_matches", "layer_config", "output_shape", "function_grid"} <= kinds


# --- sequence_kind ----------------------------------------------------------------


# --- value_matches ----------------------------------------------------------------


# --- layer_config -----------------------------------------------------------------


# --- slow: Keras itself and wrong notebooks -------------------------------------------


@pytest.mark.slow
def test_formulas_agree_with_keras(course):
    keras = pytest.importorskip("keras")
    count = course.reference("ch15_shapes:rnn_param_count")
    shape = course.reference("ch15_shapes:rnn_output_shape")
    cases = course.reference("ch15_shapes:param_cases")(np.random.default_rng(1), n=12)
    cases += [
        {"layer": lay, "units": u, "features": f}
        for lay in ("SimpleRNN", "LSTM", "GRU")
        for u, f in ((1, 1), (32, 2), (7, 50))
    ]
    for i, case in enumerate(cases):
        rs = bool(i % 2)
        layer = getattr(keras.layers, case["layer"])(case["units"], return_sequences=rs)
        y = layer(np.zeros((3, 6, case["features"]), "float32"))
        assert layer.count_params() == count(**case), case
        assert list(y.shape) == shape(3, 6, case["units"], rs), case
    gru = keras.layers.GRU(5, reset_after=False)
    gru(np.zeros((1, 2, 3), "float32"))
    assert gru.count_params() == count("GRU", 5, 3, reset_after=False)
    spec = [
        {"class": "SimpleRNN", "units": 32, "return_sequences": True},
        {"class": "LSTM", "units": 20, "return_sequences": True},
        {"class": "GRU", "units": 16},
        {"class": "Dense", "units": 1},
    ]
    model = keras.Sequential(
        [keras.Input(shape=(None, 2))]
        + [
            keras.layers.Dense(s["units"])
            if s["class"] == "Dense"
            else getattr(keras.layers, s["class"])(s["units"], return_sequences=s.get("return_sequences", False))
            for s in spec
        ]
    )
    exp = course.reference("ch15_shapes:stack_expectations")(2, spec)
    assert [lay.count_params() for lay in model.layers] == [e["params"] for e in exp]
    assert [list(lay.output.shape) for lay in model.layers] == [e["output_shape"] for e in exp]


def _variant(course, tmp_path: Path, name: str, edits: list[tuple[str, str]]) -> Path:
    nb = nbformat.read(course.solutions_dir / f"{name}.ipynb", as_version=4)
    for old, new in edits:
        cell = next(c for c in nb.cells if c.cell_type == "code" and old in c.source)
        cell.source = cell.source.replace(old, new, 1)
    return write_notebook(tmp_path / f"{name}.ipynb", nb)


@pytest.mark.slow
def test_ex01_seq2vec_model_that_returns_sequences(course, tmp_path):
    from grader.grading import grade_file

    path = _variant(
        course,
        tmp_path,
        "01_seq2seq_uses",
        [
            ("    keras.layers.SimpleRNN(16),", "    keras.layers.SimpleRNN(16, return_sequences=True),"),
            ('"image_caption": "vec2seq"', '"image_caption": "seq2vec"'),
        ],
    )
    result, _ = grade_file(course, path, lang="en", seed=21)
    assert result.status == "graded"
    checks = {c.id: c for c in result.checks}
    assert checks["seq2seq_kind"].passed and checks["vec2seq_kind"].passed and checks["vec2seq_shape"].passed
    kind = checks["seq2vec_kind"]
    assert not kind.passed and "but it is a sequence-to-sequence model" in kind.message
    assert not checks["seq2vec_shape"].passed and "gave [3, 7, 4], expected [3, 4]" in checks["seq2vec_shape"].message
    uses = checks["use_cases"]
    assert not uses.passed and uses.points > 0 and "image_caption (you wrote 'seq2vec')" in uses.message


@pytest.mark.slow
def test_ex02_gru_without_its_second_bias(course, tmp_path):
    from grader.grading import grade_file

    path = _variant(
        course,
        tmp_path,
        "02_rnn_shapes",
        [
            ('biases = 2 if layer == "GRU" else 1', "biases = 1"),
            ('"params": 3 * (16 * (16 + 3) + 2 * 16)}', '"params": 3 * (16 * (16 + 3) + 16)}'),
            (
                "keras.layers.LSTM(20, return_sequences=True),",
                "keras.layers.LSTM(20, return_sequences=True),\n    keras.layers.GRU(16, return_sequences=True),",
            ),
        ],
    )
    result, _ = grade_file(course, path, lang="en", seed=22)
    assert result.status == "graded"
    checks = {c.id: c for c in result.checks}
    pred = checks["predictions"]
    assert (
        not pred.passed
        and "11 of 12 right" in pred.message
        and "gru_last.params (you wrote 960: too low)" in pred.message
    )
    formula = checks["formula"]
    assert not formula.passed and "Failing cases have layer: GRU" in formula.message
    stack = checks["stack"]
    assert not stack.passed and "it has 5 layers" in stack.message and "expected exactly 4" in stack.message


@pytest.mark.slow
def test_ex03_top_layer_still_returning_sequences(course, tmp_path):
    from grader.grading import grade_file

    path = _variant(
        course,
        tmp_path,
        "03_return_sequences",
        [
            (
                "    keras.layers.SimpleRNN(20),\n    keras.layers.Dense(1),\n])\n### END SOLUTION",
                "    keras.layers.SimpleRNN(20, return_sequences=True),\n    keras.layers.Dense(1),\n])\n### END SOLUTION",
            ),
        ],
    )
    result, _ = grade_file(course, path, lang="en", seed=23)
    assert result.status == "graded"
    checks = {c.id: c for c in result.checks}
    layers = checks["fixed_layers"]
    assert not layers.passed and 0 < layers.points < layers.max_points
    assert (
        "recurrent layer 3 of 3" in layers.message and "its return_sequences is True, expected False" in layers.message
    )
    assert "but it is a sequence-to-sequence model" in checks["fixed_kind"].message
    assert not checks["fixed_runs"].passed
    assert checks["seq2seq_layers"].passed and checks["seq2seq_kind"].passed
