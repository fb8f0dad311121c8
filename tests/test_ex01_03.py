"""Exercises 1-3: the shape/parameter references and the check kinds they brought
(sequence_kind, value_matches, layer_config), judged on plain probe data; plus slow
runs that verify the formulas against Keras and grade wrong notebook variants."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from conftest import write_notebook
from grader.checks import KINDS, GradeContext, ProbeOutput
from grader.errors import SpecError
from grader.checks.base import CheckSpec


def ctx_for(course, exercise: str, lang: str = "en", seed: int = 5) -> GradeContext:
    return GradeContext(seed=seed, lang=lang, course=course, spec=course.specs[exercise])


def spec_check(course, exercise: str, cid: str) -> CheckSpec:
    return next(c for c in course.specs[exercise].checks if c.id == cid)


def make_check(kind: str, **params) -> CheckSpec:
    return CheckSpec(id="t", kind=kind, points=2.0, title={"en": "t"}, hint={"en": "Try harder."}, params=params)


def run(course, exercise, check, outputs_fn, lang="en"):
    """Plan, let `outputs_fn(plan)` play the kernel, evaluate."""
    ctx = ctx_for(course, exercise, lang)
    kind = KINDS[check.kind]
    plan = kind.plan(check, ctx)
    return kind.evaluate(check, ctx, plan, outputs_fn(plan))


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
        {"a": {"layer": "SimpleRNN", "units": 32, "features": 2, "return_sequences": False},
         "b": {"layer": "GRU", "units": 8, "features": 8, "return_sequences": True}}, batch=5, steps=10)
    assert table == {"a": {"shape": [5, 32], "params": 1120}, "b": {"shape": [5, 10, 8], "params": 432}}
    stack = course.reference("ch15_shapes:stack_expectations")(2, [
        {"class": "SimpleRNN", "units": 32, "return_sequences": True},
        {"class": "LSTM", "units": 20, "return_sequences": True},
        {"class": "GRU", "units": 16}, {"class": "Dense", "units": 1}])
    assert [e["params"] for e in stack] == [1120, 4240, 1824, 17]
    assert [e["output_shape"] for e in stack] == [[None, None, 32], [None, None, 20], [None, 16], [None, 1]]
    with pytest.raises(ValueError):
        course.reference("ch15_shapes:stack_expectations")(2, [{"class": "GRU", "units": 4},
                                                              {"class": "GRU", "units": 4}])


def test_param_cases_cover_every_layer(course):
    cases = course.reference("ch15_shapes:param_cases")(np.random.default_rng(0), n=18)
    assert len(cases) == 18 and {c["layer"] for c in cases} == {"SimpleRNN", "LSTM", "GRU"}
    assert all(isinstance(c["units"], int) and c["units"] >= 1 and c["features"] >= 1 for c in cases)


def test_specs_load_with_their_kinds(course):
    kinds = {c.kind for ex in ("ch15.ex1", "ch15.ex2", "ch15.ex3") for c in course.specs[ex].checks}
    assert {"sequence_kind", "value_matches", "layer_config", "output_shape", "function_grid"} <= kinds


# --- sequence_kind ----------------------------------------------------------------

def _fake_model(kind: str, units: int = 4, steps_out: int = 10):
    """A stand-in for the kernel: output shapes of a model of the given kind."""
    def call(x):
        if kind == "seq2seq":
            return None if x.ndim != 3 else np.zeros((x.shape[0], x.shape[1], units))
        if kind == "seq2vec":
            return None if x.ndim != 3 else np.zeros((x.shape[0], units))
        if kind == "seq2fixed":
            return None if x.ndim != 3 else np.zeros((x.shape[0], steps_out, units))
        if kind == "vec2seq":
            return None if x.ndim != 2 else np.zeros((x.shape[0], steps_out, units))
        if kind == "dense":  # accepts both: a per-step Dense
            return np.zeros(x.shape[:-1] + (units,))
        if kind == "fixed_len":
            return None if x.ndim != 3 or x.shape[1] != 7 else np.zeros((x.shape[0], units))
        raise AssertionError(kind)

    def outputs(plan):
        outs = {}
        for req in plan.requests:
            y = call(plan.inputs[req["args"][0]])
            outs[req["id"]] = (ProbeOutput(ok=True, arrays=[y]) if y is not None
                               else ProbeOutput(ok=False, error="ValueError: Invalid input shape"))
        return outs
    return outputs


class TestSequenceKind:
    def test_each_kind_is_recognised(self, course):
        for expect, features in (("seq2seq", 3), ("seq2vec", 3), ("vec2seq", 5)):
            c = make_check("sequence_kind", target="m", expect=expect, features=features)
            r = run(course, "ch15.ex1", c, _fake_model(expect))
            assert r.passed and r.details["kind"] == expect, r.message

    def test_wrong_kind_is_named_with_the_shapes_that_show_it(self, course):
        c = make_check("sequence_kind", target="seq2vec_model", expect="seq2vec", features=3)
        r = run(course, "ch15.ex1", c, _fake_model("seq2seq"))
        assert not r.passed and r.points == 0
        assert "should be a sequence-to-vector model, but it is a sequence-to-sequence model" in r.message
        assert "7 steps → [3, 7, 4]" in r.message and "12 steps → [3, 12, 4]" in r.message
        assert r.message.endswith("Try harder.")
        r = run(course, "ch15.ex1", make_check("sequence_kind", target="m", expect="vec2seq", features=5),
                _fake_model("seq2vec"), lang="ko")
        assert "시퀀스-투-벡터 모델입니다" in r.message and "벡터-투-시퀀스 모델이어야" in r.message

    def test_encoder_decoder_and_a_model_that_takes_both(self, course):
        c = make_check("sequence_kind", target="m", expect="seq2seq", features=3)
        r = run(course, "ch15.ex1", c, _fake_model("seq2fixed"))
        assert not r.passed and "encoder-decoder" in r.message
        assert run(course, "ch15.ex1", make_check("sequence_kind", target="m", expect=["seq2fixed"], features=3),
                   _fake_model("seq2fixed")).passed
        # a per-step Dense takes vectors and sequences: it is whichever the spec asks for, if it is one
        assert run(course, "ch15.ex1", c, _fake_model("dense")).passed
        r = run(course, "ch15.ex1", make_check("sequence_kind", target="m", expect="vec2seq", features=3),
                _fake_model("dense"))
        assert not r.passed and "sequence-to-sequence" in r.message

    def test_fixed_length_input_is_explained(self, course):
        c = make_check("sequence_kind", target="m", expect="seq2vec", features=3)
        r = run(course, "ch15.ex1", c, _fake_model("fixed_len"))
        assert not r.passed and "accepts a sequence [3, 7, 3] but not [3, 12, 3]" in r.message
        assert "None" in r.message

    def test_missing_model_and_unusable_one(self, course):
        c = make_check("sequence_kind", target="m", expect="seq2vec", features=3)
        none = ProbeOutput(ok=False, error="ValueError: it is None (the notebook has not built it yet)")
        r = run(course, "ch15.ex1", c, lambda plan: {rq["id"]: none for rq in plan.requests})
        assert not r.passed and r.message.count("it is None") == 1
        r = run(course, "ch15.ex1", c, lambda plan: {})
        assert not r.passed and "did not run" in r.message

        def two_errors(plan):
            return {"seq0": ProbeOutput(ok=False, error="E1"), "seq1": ProbeOutput(ok=False, error="E1"),
                    "vec": ProbeOutput(ok=False, error="E2")}
        r = run(course, "ch15.ex1", c, two_errors)
        assert "could not be called on a sequence [3, 7, 3] (E1) nor on a vector [3, 3] (E2)" in r.message

    def test_plan_varies_only_the_length(self, course):
        c = make_check("sequence_kind", target="m", expect="seq2vec", features=2, lengths=[4, 9], batch=2)
        plan = KINDS["sequence_kind"].plan(c, ctx_for(course, "ch15.ex1"))
        assert plan.inputs["seq0"].shape == (2, 4, 2) and plan.inputs["seq1"].shape == (2, 9, 2)
        assert np.array_equal(plan.inputs["seq1"][:, :4], plan.inputs["seq0"])
        assert plan.inputs["vec"].shape == (2, 2)

    def test_spec_validation(self):
        kind = KINDS["sequence_kind"]
        for bad in ({"expect": "seq2tree", "features": 3}, {"expect": "seq2vec", "features": 0},
                    {"expect": "seq2vec", "features": 3, "lengths": [5, 5]}, {"expect": "seq2vec"}):
            with pytest.raises(SpecError):
                kind.validate(make_check("sequence_kind", target="m", **bad))


# --- value_matches ----------------------------------------------------------------

class TestValueMatches:
    def setup(self, course, exercise="ch15.ex2", cid="predictions", lang="en"):
        c = spec_check(course, exercise, cid)
        ctx = ctx_for(course, exercise, lang)
        kind = KINDS[c.kind]
        return c, ctx, kind, kind.plan(c, ctx)

    def right_table(self, plan):
        return {k: {"shape": list(v["shape"]), "params": v["params"]} for k, v in plan.private["expected"].items()}

    def test_right_table_passes_and_tuples_or_strings_are_fine(self, course):
        c, ctx, kind, plan = self.setup(course)
        table = self.right_table(plan)
        table["simple_last"]["shape"] = "(5, 32)"
        table["gru_last"]["params"] = 1008.0
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=table)})
        assert r.passed and r.points == c.points and "all 12 entries" in r.message

    def test_wrong_entries_are_named_without_the_answer(self, course):
        c, ctx, kind, plan = self.setup(course)
        table = self.right_table(plan)
        table["gru_last"]["params"] = 960            # forgot GRU's second bias
        table["lstm_seq"]["shape"] = [5, 64]         # forgot return_sequences
        table["simple_seq"]["shape"] = [5, 10, 23]   # a typo in one axis
        del table["gru_seq"]
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=table)})
        assert not r.passed and r.points == pytest.approx(c.points * 7 / 12)
        assert "7 of 12 right" in r.message and "Missing entries: gru_seq" in r.message
        assert "gru_last.params (you wrote 960: too low)" in r.message
        assert "lstm_seq.shape (you wrote (5, 64), which has the wrong number of dimensions)" in r.message
        assert "simple_seq.shape (you wrote (5, 10, 23); axis 2 is wrong)" in r.message
        assert "1,008" not in r.message and "(5, 10, 64)" not in r.message  # no answers given away

    def test_korean_and_reveal(self, course):
        c, ctx, kind, plan = self.setup(course, lang="ko")
        table = self.right_table(plan)
        table["gru_last"]["params"] = 2000
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=table)})
        assert "gru_last.params (2,000로 썼습니다: 너무 큽니다)" in r.message
        c2 = CheckSpec(**{**c.__dict__, "params": dict(c.params, reveal=True)})
        r = KINDS[c.kind].evaluate(c2, ctx_for(course, "ch15.ex2"), plan,
                                   {"value": ProbeOutput(ok=True, value=table)})
        assert "(expected 1,008)" in r.message

    def test_empty_wrong_type_and_missing(self, course):
        c, ctx, kind, plan = self.setup(course)
        empty = {k: {"shape": None, "params": None} for k in plan.private["expected"]}
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=empty)})
        assert r.points == 0 and "not filled in yet: all 12 entries are empty" in r.message
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=[1, 2])})
        assert r.points == 0 and "should be a dict with the keys 'simple_last'" in r.message
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=None)})
        assert r.points == 0 and "still None" in r.message
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=False, error="NameError: name 'predictions' "
                                                                                "is not defined in the notebook")})
        assert r.points == 0 and "predictions" in r.message

    def test_flat_dict_of_strings(self, course):
        c, ctx, kind, plan = self.setup(course, "ch15.ex1", "use_cases")
        answers = dict(plan.private["expected"])
        answers["sentiment"] = " SEQ2VEC "
        assert kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=answers)}).passed
        answers["image_caption"] = "seq2vec"
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=answers)})
        assert r.points == pytest.approx(c.points * 5 / 6) and "image_caption (you wrote 'seq2vec')" in r.message

    def test_list_reference_and_validation(self, course, monkeypatch):
        c = make_check("value_matches", target="v", reference="ch15_shapes:rnn_param_count",
                       ref_args={"layer": "GRU", "units": 2, "features": 1}, partial=False)
        with pytest.raises(SpecError):  # a bare number is not a table
            KINDS["value_matches"].plan(c, ctx_for(course, "ch15.ex2"))
        from grader.checks.base import Plan
        plan = Plan(private={"expected": [1, [2, None], "x"]})
        kind = KINDS["value_matches"]
        ctx = ctx_for(course, "ch15.ex2")
        assert kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=[1, [2, None], "x"])}).passed
        r = kind.evaluate(c, ctx, plan, {"value": ProbeOutput(ok=True, value=[1, [3, None]])})
        assert r.points == 0 and "Missing entries: entry 3" in r.message and "entry 2" in r.message
        with pytest.raises(SpecError):
            kind.validate(make_check("value_matches", target="v", reference="m:f", fields="shape"))


# --- layer_config -----------------------------------------------------------------

def _rnn(cls, units=20, rs=False, params=None, out=None, name=""):
    return {"class": cls, "name": name or cls.lower(), "config": {"units": units, "return_sequences": rs},
            "params": params, "output_shape": out or ([None, None, units] if rs else [None, units])}


def _desc(*layers):
    return {"type": "Sequential", "layers": [{"class": "InputLayer", "config": {}}, *layers]}


class TestLayerConfig:
    def evaluate(self, course, exercise, cid, desc, lang="en"):
        c = spec_check(course, exercise, cid)
        ctx = ctx_for(course, exercise, lang)
        kind = KINDS[c.kind]
        plan = kind.plan(c, ctx)
        return c, kind.evaluate(c, ctx, plan, {"describe": ProbeOutput(ok=True, value=desc)})

    def test_seq2vec_stack_passes_and_a_top_layer_returning_sequences_fails(self, course):
        dense = {"class": "Dense", "config": {"units": 1}, "params": 21, "output_shape": [None, 1]}
        good = _desc(_rnn("SimpleRNN", rs=True), _rnn("SimpleRNN", rs=True), _rnn("SimpleRNN"), dense)
        c, r = self.evaluate(course, "ch15.ex3", "fixed_layers", good)
        assert r.passed and "SimpleRNN → SimpleRNN → SimpleRNN" in r.message
        bad = _desc(_rnn("SimpleRNN", rs=True), _rnn("SimpleRNN", rs=True), _rnn("SimpleRNN", rs=True, name="top"),
                    dense)
        c, r = self.evaluate(course, "ch15.ex3", "fixed_layers", bad)
        assert not r.passed and 0 < r.points < c.points
        assert ("recurrent layer 3 of 3 (SimpleRNN 'top'): return_sequences=True, expected False, "
                "its output [None, None, 20] has 3 axes, expected 2") in r.message
        assert "only the last step's output" in r.message  # the rule's reason

    def test_lower_layer_without_sequences_and_wrong_depth(self, course):
        lower = _desc(_rnn("SimpleRNN", rs=True), _rnn("SimpleRNN", name="mid"), _rnn("SimpleRNN"))
        c, r = self.evaluate(course, "ch15.ex3", "fixed_layers", lower, lang="ko")
        assert "마지막을 뺀 모든 순환 층: 3개 중 2번째 순환 층 (SimpleRNN 'mid'): return_sequences=False (True이어야 함)" \
            in r.message
        c, r = self.evaluate(course, "ch15.ex3", "fixed_layers", _desc(_rnn("SimpleRNN", rs=True), _rnn("SimpleRNN")))
        assert "it has 2 recurrent layer(s) (SimpleRNN → SimpleRNN), expected exactly 3" in r.message

    def test_bidirectional_settings_are_read_from_the_wrapped_layer(self, course):
        bi = {"class": "Bidirectional", "name": "bi", "config": {"merge_mode": "concat"}, "params": 10,
              "output_shape": [None, None, 40], "layer": _rnn("SimpleRNN", rs=True)}
        c = make_check("layer_config", target="m", rules=[{"which": "first", "config": {"return_sequences": True,
                                                                                         "units": 20}}])
        ctx = ctx_for(course, "ch15.ex3")
        kind = KINDS["layer_config"]
        r = kind.evaluate(c, ctx, kind.plan(c, ctx), {"describe": ProbeOutput(ok=True, value=_desc(bi))})
        assert r.passed, r.message

    def test_reference_stack_checks_params_and_shapes(self, course):
        exp = course.reference("ch15_shapes:stack_expectations")(2, [
            {"class": "SimpleRNN", "units": 32, "return_sequences": True},
            {"class": "LSTM", "units": 20, "return_sequences": True},
            {"class": "GRU", "units": 16}, {"class": "Dense", "units": 1}])
        layers = [{"class": e["class"], "name": e["class"].lower(), "config": dict(e["config"]),
                   "params": e["params"], "output_shape": e["output_shape"]} for e in exp]
        c, r = self.evaluate(course, "ch15.ex2", "stack", _desc(*layers))
        assert r.passed, r.message
        layers[1]["config"]["return_sequences"] = False
        layers[1]["output_shape"] = [None, 20]
        layers[2]["params"] = 2000
        c, r = self.evaluate(course, "ch15.ex2", "stack", _desc(*layers))
        assert not r.passed and r.points == pytest.approx(c.points * 3 / 5)
        assert "layer 2 of 4 (LSTM 'lstm'): return_sequences=False, expected True, output shape [None, 20]" in r.message
        assert "2,000 parameters, expected 1,824" in r.message

    def test_not_a_model_missing_and_validation(self, course):
        c, r = self.evaluate(course, "ch15.ex3", "fixed_layers", {"type": "function"})
        assert r.points == 0 and "not a model with layers" in r.message
        kind = KINDS["layer_config"]
        ctx = ctx_for(course, "ch15.ex3")
        c = spec_check(course, "ch15.ex3", "fixed_layers")
        r = kind.evaluate(c, ctx, kind.plan(c, ctx), {"describe": ProbeOutput(ok=False, error="ValueError: it is None")})
        assert r.points == 0 and "it is None" in r.message
        for bad in ({}, {"rules": [{"which": "middle", "config": {}}]}, {"rules": [{"which": "all"}]},
                    {"rules": [{"colour": 1, "params": 3}]}, {"rules": [{"params": 1}], "select": "GRU"}):
            with pytest.raises(SpecError):
                kind.validate(make_check("layer_config", target="m", **bad))


# --- slow: Keras itself and wrong notebooks -------------------------------------------

@pytest.mark.slow
def test_formulas_agree_with_keras(course):
    keras = pytest.importorskip("keras")
    count = course.reference("ch15_shapes:rnn_param_count")
    shape = course.reference("ch15_shapes:rnn_output_shape")
    cases = course.reference("ch15_shapes:param_cases")(np.random.default_rng(1), n=12)
    cases += [{"layer": lay, "units": u, "features": f} for lay in ("SimpleRNN", "LSTM", "GRU")
              for u, f in ((1, 1), (32, 2), (7, 50))]
    for i, case in enumerate(cases):
        rs = bool(i % 2)
        layer = getattr(keras.layers, case["layer"])(case["units"], return_sequences=rs)
        y = layer(np.zeros((3, 6, case["features"]), "float32"))
        assert layer.count_params() == count(**case), case
        assert list(y.shape) == shape(3, 6, case["units"], rs), case
    gru = keras.layers.GRU(5, reset_after=False)
    gru(np.zeros((1, 2, 3), "float32"))
    assert gru.count_params() == count("GRU", 5, 3, reset_after=False)
    spec = [{"class": "SimpleRNN", "units": 32, "return_sequences": True},
            {"class": "LSTM", "units": 20, "return_sequences": True},
            {"class": "GRU", "units": 16}, {"class": "Dense", "units": 1}]
    model = keras.Sequential([keras.Input(shape=(None, 2))] + [
        keras.layers.Dense(s["units"]) if s["class"] == "Dense"
        else getattr(keras.layers, s["class"])(s["units"], return_sequences=s.get("return_sequences", False))
        for s in spec])
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

    path = _variant(course, tmp_path, "01_seq2seq_uses", [
        ("    keras.layers.SimpleRNN(16),", "    keras.layers.SimpleRNN(16, return_sequences=True),"),
        ('"image_caption": "vec2seq"', '"image_caption": "seq2vec"'),
    ])
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

    path = _variant(course, tmp_path, "02_rnn_shapes", [
        ("biases = 2 if layer == \"GRU\" else 1", "biases = 1"),
        ('"params": 3 * (16 * (16 + 3) + 2 * 16)}', '"params": 3 * (16 * (16 + 3) + 16)}'),
        ("keras.layers.LSTM(20, return_sequences=True),", "keras.layers.LSTM(20, return_sequences=True),\n"
                                                          "    keras.layers.GRU(16, return_sequences=True),"),
    ])
    result, _ = grade_file(course, path, lang="en", seed=22)
    assert result.status == "graded"
    checks = {c.id: c for c in result.checks}
    pred = checks["predictions"]
    assert not pred.passed and "11 of 12 right" in pred.message and "gru_last.params (you wrote 960: too low)" in pred.message
    formula = checks["formula"]
    assert not formula.passed and "Failing cases have layer=GRU" in formula.message
    stack = checks["stack"]
    assert not stack.passed and "it has 5 layer(s)" in stack.message and "expected exactly 4" in stack.message


@pytest.mark.slow
def test_ex03_top_layer_still_returning_sequences(course, tmp_path):
    from grader.grading import grade_file

    path = _variant(course, tmp_path, "03_return_sequences", [
        ("    keras.layers.SimpleRNN(20),\n    keras.layers.Dense(1),\n])\n### END SOLUTION",
         "    keras.layers.SimpleRNN(20, return_sequences=True),\n    keras.layers.Dense(1),\n])\n### END SOLUTION"),
    ])
    result, _ = grade_file(course, path, lang="en", seed=23)
    assert result.status == "graded"
    checks = {c.id: c for c in result.checks}
    layers = checks["fixed_layers"]
    assert not layers.passed and 0 < layers.points < layers.max_points
    assert "recurrent layer 3 of 3" in layers.message and "return_sequences=True, expected False" in layers.message
    assert "but it is a sequence-to-sequence model" in checks["fixed_kind"].message
    assert not checks["fixed_runs"].passed
    assert checks["seq2seq_layers"].passed and checks["seq2seq_kind"].passed
