"""`sequence_kind` (grader/checks/sequence_kind.py) judged on plain probe data, on exercise 1's checks."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from grader.checks import KINDS, ProbeOutput
from grader.errors import SpecError

from . import course_ctx
from .course_ctx import make_check

# The seed these tests' expectations were written with.
ctx_for = partial(course_ctx.ctx_for, seed=5)


def run(course, exercise, check, outputs_fn, lang="en"):
    """Plan, let `outputs_fn(plan)` play the kernel, evaluate."""
    ctx = ctx_for(course, exercise, lang)
    kind = KINDS[check.kind]
    plan = kind.plan(check, ctx)
    return kind.evaluate(check, ctx, plan, outputs_fn(plan))


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
            return np.zeros((*x.shape[:-1], units))
        if kind == "fixed_len":
            return None if x.ndim != 3 or x.shape[1] != 7 else np.zeros((x.shape[0], units))
        raise AssertionError(kind)

    def outputs(plan):
        outs = {}
        for req in plan.requests:
            y = call(plan.inputs[req["args"][0]])
            outs[req["id"]] = (
                ProbeOutput(ok=True, arrays=[y])
                if y is not None
                else ProbeOutput(ok=False, error="ValueError: Invalid input shape")
            )
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
        r = run(
            course,
            "ch15.ex1",
            make_check("sequence_kind", target="m", expect="vec2seq", features=5),
            _fake_model("seq2vec"),
            lang="ko",
        )
        assert "시퀀스-투-벡터 모델입니다" in r.message and "벡터-투-시퀀스 모델이어야" in r.message

    def test_encoder_decoder_and_a_model_that_takes_both(self, course):
        c = make_check("sequence_kind", target="m", expect="seq2seq", features=3)
        r = run(course, "ch15.ex1", c, _fake_model("seq2fixed"))
        assert not r.passed and "encoder-decoder" in r.message
        assert run(
            course,
            "ch15.ex1",
            make_check("sequence_kind", target="m", expect=["seq2fixed"], features=3),
            _fake_model("seq2fixed"),
        ).passed
        # a per-step Dense takes vectors and sequences: it is whichever the spec asks for, if it is one
        assert run(course, "ch15.ex1", c, _fake_model("dense")).passed
        r = run(
            course,
            "ch15.ex1",
            make_check("sequence_kind", target="m", expect="vec2seq", features=3),
            _fake_model("dense"),
        )
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
            return {
                "seq0": ProbeOutput(ok=False, error="E1"),
                "seq1": ProbeOutput(ok=False, error="E1"),
                "vec": ProbeOutput(ok=False, error="E2"),
            }

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
        for bad in (
            {"expect": "seq2tree", "features": 3},
            {"expect": "seq2vec", "features": 0},
            {"expect": "seq2vec", "features": 3, "lengths": [5, 5]},
            {"expect": "seq2vec"},
        ):
            with pytest.raises(SpecError):
                kind.validate(make_check("sequence_kind", target="m", **bad))
