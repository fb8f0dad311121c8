"""Exercises 7 and 8: their references and the check kinds they brought
(function_grid, causal, layer_expect), judged on plain probe data; plus slow
runs that verify the formula against Keras and grade wrong notebook variants."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from conftest import write_notebook
from grader.checks import KINDS, GradeContext, ProbeOutput
from grader.errors import SpecError
from grader.checks.base import CheckSpec


def ctx_for(course, exercise: str, lang: str = "en", seed: int = 3) -> GradeContext:
    return GradeContext(seed=seed, lang=lang, course=course, spec=course.specs[exercise])


def spec_check(course, exercise: str, cid: str) -> CheckSpec:
    return next(c for c in course.specs[exercise].checks if c.id == cid)


def make_check(kind: str, **params) -> CheckSpec:
    return CheckSpec(id="t", kind=kind, points=2.0, title={"en": "t"}, hint={"en": "Try harder."}, params=params)


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

class TestFunctionGrid:
    def setup(self, course, lang="en"):
        c = spec_check(course, "ch15.ex7", "length_formula")
        ctx = ctx_for(course, "ch15.ex7", lang)
        kind = KINDS[c.kind]
        return c, ctx, kind, kind.plan(c, ctx)

    def test_plan_sends_each_case_as_keywords(self, course):
        c, ctx, kind, plan = self.setup(course)
        assert len(plan.requests) == 4 + 24 and not plan.inputs
        first = plan.requests[0]
        assert first["op"] == "call" and first["args"] == [] and first["kwargs"] == {
            "length": 50, "kernel_size": 4, "strides": 2, "padding": "valid", "dilation_rate": 1}
        # a regrade with the same seed asks the same questions
        assert kind.plan(c, ctx).requests == plan.requests

    def test_right_answers_pass(self, course):
        c, ctx, kind, plan = self.setup(course)
        outs = {f"case{i}": ProbeOutput(ok=True, arrays=[np.asarray(e)]) for i, e in enumerate(plan.private["expected"])}
        r = kind.evaluate(c, ctx, plan, outs)
        assert r.passed and r.points == c.points and "28 cases" in r.message

    def test_first_failing_case_is_named_with_expected_and_got(self, course):
        c, ctx, kind, plan = self.setup(course)
        f = course.reference("ch15_conv:conv1d_output_length")
        outs = {}
        for i, case in enumerate(plan.private["cases"]):
            wrong = dict(case, padding="same") if case["padding"] == "valid" else case  # forgets "valid"
            outs[f"case{i}"] = ProbeOutput(ok=True, arrays=[np.asarray(f(**wrong))])
        r = kind.evaluate(c, ctx, plan, outs)
        assert not r.passed and r.points == 0
        assert ("First failing case: length=50, kernel_size=4, strides=2, padding=valid, dilation_rate=1: "
                "expected 24, got 25") in r.message
        assert "Failing cases have padding=valid; every padding=causal, same case is right" in r.message
        assert "(kernel_size - 1) * dilation_rate + 1" in r.message  # the hint

    def test_float_results_and_a_raising_case(self, course):
        c, ctx, kind, plan = self.setup(course)
        outs = {f"case{i}": ProbeOutput(ok=True, arrays=[np.asarray(float(e))])
                for i, e in enumerate(plan.private["expected"])}
        assert kind.evaluate(c, ctx, plan, outs).passed  # 24.0 counts as 24
        outs["case1"] = ProbeOutput(ok=False, error="ZeroDivisionError: division by zero")
        r = kind.evaluate(c, ctx, plan, outs)
        assert not r.passed and "padding=same" in r.message and "ZeroDivisionError" in r.message

    def test_same_error_everywhere_is_reported_once(self, course):
        c, ctx, kind, plan = self.setup(course, lang="ko")
        err = "TypeError: returned None, not an array"
        outs = {f"case{i}": ProbeOutput(ok=False, error=err) for i in range(len(plan.requests))}
        r = kind.evaluate(c, ctx, plan, outs)
        assert r.points == 0 and "None을 반환했습니다" in r.message and r.message.count("None") == 1

    def test_partial_credit_and_spec_validation(self):
        kind = KINDS["function_grid"]
        with pytest.raises(SpecError):
            kind.validate(make_check("function_grid", target="f", reference="m:f"))
        c = make_check("function_grid", target="f", reference="m:f", cases=[{"x": 1}, {"x": 2}], partial=True)
        kind.validate(c)
        from grader.checks.base import Plan

        plan = Plan(private={"cases": [{"x": 1}, {"x": 2}], "expected": [np.asarray(2), np.asarray(4)]})

        class Ctx:
            lang = "en"
            run_status = "graded"

            @staticmethod
            def t(en, ko):
                return en

        r = kind.evaluate(c, Ctx, plan, {"case0": ProbeOutput(ok=True, arrays=[np.asarray(2)]),
                                         "case1": ProbeOutput(ok=True, arrays=[np.asarray(5)])})
        assert r.points == 1.0 and "x=2: expected 4, got 5" in r.message


# --- causal -----------------------------------------------------------------------

def _causal_conv(x: np.ndarray, look_ahead: int = 0) -> np.ndarray:
    """A moving sum over the last 3 steps (and `look_ahead` future ones): [b, T, 1] -> [b, T, 2]."""
    b, steps, _ = x.shape
    out = np.zeros((b, steps, 2))
    for t in range(steps):
        win = x[:, max(0, t - 2):min(steps, t + 1 + look_ahead), 0]
        out[:, t, 0] = win.sum(axis=1)
        out[:, t, 1] = np.tanh(win).mean(axis=1)
    return out


class TestCausal:
    def setup(self, course, lang="en"):
        c = spec_check(course, "ch15.ex7", "wavenet_causal")
        ctx = ctx_for(course, "ch15.ex7", lang)
        kind = KINDS[c.kind]
        return c, ctx, kind, kind.plan(c, ctx)

    def run(self, course, model, lang="en"):
        c, ctx, kind, plan = self.setup(course, lang)
        outs = {"base": ProbeOutput(ok=True, arrays=[model(plan.inputs["x"])]),
                "perturbed": ProbeOutput(ok=True, arrays=[model(plan.inputs["x2"])])}
        return kind.evaluate(c, ctx, plan, outs)

    def test_plan_perturbs_only_the_future(self, course):
        c, ctx, kind, plan = self.setup(course)
        x, x2 = plan.inputs["x"], plan.inputs["x2"]
        assert x.shape == (4, 64, 1) and plan.private["t0"] == 40
        assert np.array_equal(x[:, :40], x2[:, :40]) and np.all(x[:, 40:] != x2[:, 40:])
        assert [r["args"] for r in plan.requests] == [["x"], ["x2"]]

    def test_causal_model_passes(self, course):
        r = self.run(course, _causal_conv)
        assert r.passed and r.points == 2 and r.details["max_past_change"] == 0

    def test_leaking_model_names_the_first_leaking_step(self, course):
        r = self.run(course, lambda x: _causal_conv(x, look_ahead=3))
        assert not r.passed and r.points == 0
        assert r.details["first_leaking_step"] == 37
        assert "The first leaking time step is 37" in r.message and 'padding="causal"' in r.message
        ko = self.run(course, lambda x: _causal_conv(x, look_ahead=3), lang="ko")
        assert "처음 새는 타임 스텝은 37" in ko.message

    def test_model_that_ignores_its_input_fails(self, course):
        r = self.run(course, lambda x: np.ones((x.shape[0], x.shape[1], 7)))
        assert not r.passed and "did not change at all" in r.message

    def test_shrinking_or_seq2vec_output_is_explained(self, course):
        r = self.run(course, lambda x: x[:, 3::2])
        assert not r.passed and "[4, 31, 1]" in r.message and "one output per input time step" in r.message
        r = self.run(course, lambda x: x[:, -1])
        assert not r.passed and "one output per input time step" in r.message

    def test_missing_model_and_spec_validation(self, course):
        c, ctx, kind, plan = self.setup(course)
        err = "ValueError: it is None (the notebook has not built it yet)"
        r = kind.evaluate(c, ctx, plan, {"base": ProbeOutput(ok=False, error=err),
                                         "perturbed": ProbeOutput(ok=False, error=err)})
        assert r.points == 0 and "has not built it yet" in r.message
        with pytest.raises(SpecError):
            kind.validate(make_check("causal", target="m", input=[2, 10, 1], t0=10))
        with pytest.raises(SpecError):
            kind.validate(make_check("causal", target="m"))
        kind.validate(make_check("causal", target="m", input=[2, 10, 1], t0=-3))


# --- layer_expect ---------------------------------------------------------------------

def _layer(cls, name="", **config):
    return {"class": cls, "name": name or cls.lower(), "config": {"name": name or cls.lower(), **config},
            "params": 1, "output_shape": None}


def _conv_gru(kernel=(4,), strides=(2,), padding="valid", rnn="GRU"):
    return {"type": "Sequential", "layers": [
        _layer("Conv1D", kernel_size=list(kernel), strides=list(strides), padding=padding, dilation_rate=[1]),
        _layer(rnn, units=20), _layer("Dense", units=7, activation="linear")]}


def _wavenet(padding="causal", rates=(1, 2, 4, 8)):
    layers = [_layer("Conv1D", f"c{i}", kernel_size=[2], padding=padding, dilation_rate=[r])
              for i, r in enumerate(rates)]
    return {"type": "Sequential", "layers": layers + [_layer("Conv1D", kernel_size=[1], padding="valid",
                                                             dilation_rate=[1])]}


def _td(inner):
    lay = _layer("TimeDistributed")
    lay["layer"] = inner
    return lay


def _video_model(last_activation="softmax", units=4, nested=False):
    if nested:  # TimeDistributed(Sequential([...])), described through the inner config
        conv = {"class": "Sequential", "name": "cnn", "config": {"name": "cnn", "layers": [
            {"class_name": "InputLayer", "config": {"name": "in"}},
            {"class_name": "Conv2D", "config": {"name": "conv2d", "filters": 8}},
            {"class_name": "Flatten", "config": {"name": "flatten"}}]}}
        cnn = [_td(conv)]
    else:
        cnn = [_td(_layer("Conv2D", filters=8)), _td(_layer("MaxPooling2D")), _td(_layer("Flatten"))]
    return {"type": "Functional", "layers": [_layer("InputLayer")] + cnn + [
        _layer("GRU", units=32), _layer("Dense", units=units, activation=last_activation)]}


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
        assert "the first layer (Conv1D 'conv1d'): kernel_size=3, expected 4; padding='same', expected 'valid'" \
            in r.message
        r = self.run(course, "ch15.ex7", "conv_layers", {"type": "Sequential", "layers": [
            _layer("GRU", units=20), _layer("Dense", units=7)]})
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
        r = self.run(course, "ch15.ex7", "wavenet_dilations", {"type": "Sequential", "layers": [
            _layer("GRU", units=20), _layer("Dense", units=7)]})
        assert not r.passed and "dilation_rate: the model has no Conv1D layer" in r.message
        assert "[none]" not in r.message

    def test_video_head_and_architecture(self, course):
        assert self.run(course, "ch15.ex8", "head", _video_model()).passed
        r = self.run(course, "ch15.ex8", "head", _video_model(last_activation="linear"))
        assert not r.passed and r.points == 0
        assert "the last layer (Dense 'dense'): activation='linear', expected 'softmax'" in r.message
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
        flat = {"type": "Sequential", "layers": [_td(_layer("Flatten")), _layer("LSTM", units=8),
                                                 _layer("Dense", units=4, activation="softmax")]}
        outs = {"describe": ProbeOutput(ok=True, value=flat)}
        outs.update({k: ProbeOutput(ok=True, arrays=[v]) for k, v in moving.items()})
        r = kind.evaluate(c, ctx, plan, outs)
        assert r.points == 1 and "no per-frame convolution (TimeDistributed Conv2D)" in r.message  # frames read in order
        ko = kind.evaluate(c, ctx_for(course, "ch15.ex8", "ko"), plan, outs)
        assert "프레임별 합성곱 층(TimeDistributed Conv2D)이 없습니다" in ko.message

    def test_not_a_model_and_bad_specs(self, course):
        r = self.run(course, "ch15.ex8", "head", {"type": "function", "module": "builtins"})
        assert r.points == 0 and "not a model with layers" in r.message
        kind = KINDS["layer_expect"]
        for bad in ([], [{"at": 0, "collect": "x", "values": [1]}], [{"collect": "x"}], [{"clas": "GRU"}]):
            with pytest.raises(SpecError):
                kind.validate(make_check("layer_expect", target="m", expect=bad))


# --- slow: Keras itself and wrong notebooks -------------------------------------------

@pytest.mark.slow
def test_formula_agrees_with_keras_conv1d(course):
    keras = pytest.importorskip("keras")
    f = course.reference("ch15_conv:conv1d_output_length")
    cases = course.reference("ch15_conv:length_cases")(np.random.default_rng(0), n=90)
    cases += [dict(length=n, kernel_size=k, strides=s, padding=p, dilation_rate=1)
              for n in (7, 8, 50) for k in (1, 4) for s in (1, 2, 3) for p in ("valid", "same", "causal")]
    for case in cases:
        layer = keras.layers.Conv1D(1, case["kernel_size"], strides=case["strides"], padding=case["padding"],
                                    dilation_rate=case["dilation_rate"])
        assert layer.compute_output_shape((1, case["length"], 1))[1] == f(**case), case
    for case in cases[:6]:  # and on real data, not only the shape arithmetic
        layer = keras.layers.Conv1D(1, case["kernel_size"], strides=case["strides"], padding=case["padding"],
                                    dilation_rate=case["dilation_rate"])
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

    path = _variant(course, tmp_path, "07_conv1d", {
        "def conv1d_output_length": ("span = (kernel_size - 1) * dilation_rate + 1",
                                     "span = kernel_size  # forgot the dilation"),
        "conv_model = keras.Sequential": ("epochs=8", "epochs=1"),
        "wavenet_model = keras.Sequential": ('padding="causal"', 'padding="same"'),
    })
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "wavenet_model = keras" in c.source)
    cell.source = cell.source.replace("epochs=8", "epochs=1")
    write_notebook(path, nb)
    result, _ = grade_file(course, path, lang="en", seed=11)
    assert result.status == "graded"
    checks = {c.id: c for c in result.checks}
    formula = checks["length_formula"]
    assert not formula.passed and "dilation_rate=" in formula.message and "First failing case" in formula.message
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
    path = _variant(course, tmp_path, "08_video_classifier", {
        "model = keras.Sequential": (old_layers, """    keras.layers.TimeDistributed(keras.layers.Flatten()),
    keras.layers.GRU(4),
    keras.layers.Dense(4),"""),
    })
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
    assert "activation='linear', expected 'softmax'" in checks["head"].message
    acc = checks["accuracy"]
    assert not acc.passed and acc.details["accuracy"] < 0.9 and "first frame only" in acc.message
