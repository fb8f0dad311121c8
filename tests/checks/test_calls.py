"""`output_shape` with `open_axes`: a model declared with a fixed length runs on other
lengths in Keras 3 (with a warning), so only its declared input shows the mistake."""

from __future__ import annotations

import numpy as np

from grader.checks import KINDS, GradeContext, ProbeOutput


def _spec_check(course, exercise: str, cid: str):
    return next(c for c in course.specs[exercise].checks if c.id == cid)


def _grade(course, declared, lang="en", shapes_ok=True):
    check = _spec_check(course, "ch15.ex4", "any_length")
    ctx = GradeContext(seed=2, lang=lang, course=course, spec=course.specs["ch15.ex4"])
    kind = KINDS["output_shape"]
    plan = kind.plan(check, ctx)
    assert plan.requests[-1] == {"id": "describe", "op": "describe", "target": "model"}
    outs = {f"case{i}": ProbeOutput(ok=True, arrays=[np.zeros((c["input"][0], 7 if shapes_ok else 1))])
            for i, c in enumerate(check.params["cases"])}
    outs["describe"] = ProbeOutput(ok=True, value={"type": "Sequential", "input_shape": [declared], "layers": []})
    return kind.evaluate(check, ctx, plan, outs)


def test_an_open_time_axis_passes(course):
    r = _grade(course, [None, None, 1])
    assert r.passed and r.points == 2


def test_a_fixed_length_fails_even_when_every_call_worked(course):
    r = _grade(course, [None, 50, 1])
    assert r.points == 0 and r.details["fixed_input"] and r.details["cases_ok"] == 3
    assert "`model` declares its input as [None, 50, 1], which fixes the time axis (50)" in r.message
    ko = _grade(course, [None, 50, 1], "ko")
    assert "`model`의 입력이 [None, 50, 1]로 선언되어 시간 축(50)이 고정되어 있습니다" in ko.message


def test_wrong_shapes_and_a_fixed_length_are_both_named(course):
    r = _grade(course, [None, 50, 1], shapes_ok=False)
    assert r.points == 0 and "expected [3, 7]" in r.message and "fixes the time axis" in r.message


def test_a_target_that_declares_no_input_is_judged_by_its_calls(course):
    check = _spec_check(course, "ch15.ex4", "any_length")
    ctx = GradeContext(seed=2, lang="en", course=course, spec=course.specs["ch15.ex4"])
    kind = KINDS["output_shape"]
    plan = kind.plan(check, ctx)
    outs = {f"case{i}": ProbeOutput(ok=True, arrays=[np.zeros((c["input"][0], 7))])
            for i, c in enumerate(check.params["cases"])}
    outs["describe"] = ProbeOutput(ok=True, value={"type": "function", "module": "builtins"})
    assert kind.evaluate(check, ctx, plan, outs).passed


def test_the_shape_checks_of_sequence_models_leave_the_time_axis_open(course):
    open_checks = {(s.notebook, c.id) for s in course.specs.values() for c in s.checks
                   if c.kind == "output_shape" and c.params.get("open_axes") == [1]}
    assert {("01_seq2seq_uses.ipynb", "seq2seq_shape"), ("04_forecast7.ipynb", "any_length"),
            ("07_conv1d.ipynb", "wavenet_shape"), ("08_video_classifier.ipynb", "frames_shape")} <= open_checks
