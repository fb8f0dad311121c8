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
    outs = {
        f"case{i}": ProbeOutput(ok=True, arrays=[np.zeros((c["input"][0], 7 if shapes_ok else 1))])
        for i, c in enumerate(check.params["cases"])
    }
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
    outs = {
        f"case{i}": ProbeOutput(ok=True, arrays=[np.zeros((c["input"][0], 7))])
        for i, c in enumerate(check.params["cases"])
    }
    outs["describe"] = ProbeOutput(ok=True, value={"type": "function", "module": "builtins"})
    assert kind.evaluate(check, ctx, plan, outs).passed


def test_the_shape_checks_of_sequence_models_leave_the_time_axis_open(course):
    open_checks = {
        (s.notebook, c.id)
        for s in course.specs.values()
        for c in s.checks
        if c.kind == "output_shape" and c.params.get("open_axes") == [1]
    }
    assert {
        ("01_seq2seq_uses.ipynb", "seq2seq_shape"),
        ("04_forecast7.ipynb", "any_length"),
        ("07_conv1d.ipynb", "wavenet_shape"),
        ("08_video_classifier.ipynb", "frames_shape"),
    } <= open_checks


# --- function_matches and output_shape on exercise 4's checks ----------------------


def ctx_for(course, lang: str = "en", seed: int = 7) -> GradeContext:
    return GradeContext(seed=seed, lang=lang, course=course, spec=course.specs["ch15.ex4"])


def check(course, cid: str):
    return next(c for c in course.specs["ch15.ex4"].checks if c.id == cid)


class TestFunctionMatches:
    def setup(self, course):
        c = check(course, "windows")
        ctx = ctx_for(course)
        kind = KINDS[c.kind]
        plan = kind.plan(c, ctx)
        return c, ctx, kind, plan

    def test_correct_outputs_pass(self, course):
        c, ctx, kind, plan = self.setup(course)
        assert "series" in plan.inputs and "expected" in plan.private
        x, y = plan.private["expected"]
        r = kind.evaluate(c, ctx, plan, {"call": ProbeOutput(ok=True, arrays=[x.copy(), y.copy()])})
        assert r.passed and r.points == c.points

    def test_wrong_shape_names_both_shapes_and_hint(self, course):
        c, ctx, kind, plan = self.setup(course)
        x, y = plan.private["expected"]
        r = kind.evaluate(c, ctx, plan, {"call": ProbeOutput(ok=True, arrays=[x, y[:, :, None]])})
        assert not r.passed and r.points == 0
        assert "[16, 7, 1]" in r.message and "[16, 7]" in r.message and "feature axis" in r.message

    def test_wrong_values_get_half_and_the_difference(self, course):
        c, ctx, kind, plan = self.setup(course)
        x, y = plan.private["expected"]
        r = kind.evaluate(c, ctx, plan, {"call": ProbeOutput(ok=True, arrays=[x, y + 0.5])})
        assert not r.passed and r.points == c.points / 2 and "wrong values" in r.message

    def test_raising_function_reports_the_error(self, course):
        c, ctx, kind, plan = self.setup(course)
        r = kind.evaluate(c, ctx, plan, {"call": ProbeOutput(ok=False, error="IndexError: too many indices")})
        assert r.points == 0 and "IndexError: too many indices" in r.message

    def test_korean_messages(self, course):
        c = check(course, "windows")
        ctx = ctx_for(course, lang="ko")
        kind = KINDS[c.kind]
        plan = kind.plan(c, ctx)
        x, _y = plan.private["expected"]
        r = kind.evaluate(c, ctx, plan, {"call": ProbeOutput(ok=True, arrays=[x])})
        assert "반환" in r.message and r.title == "윈도 함수 make_windows"


class TestOutputShape:
    def run(self, course, shapes, errors=None):
        c = check(course, "any_length")
        ctx = ctx_for(course)
        kind = KINDS[c.kind]
        plan = kind.plan(c, ctx)
        outs = {}
        for i, shape in enumerate(shapes):
            if errors and errors[i]:
                outs[f"case{i}"] = ProbeOutput(ok=False, error=errors[i])
            else:
                outs[f"case{i}"] = ProbeOutput(ok=True, arrays=[np.zeros(shape)])
        return c, kind.evaluate(c, ctx, plan, outs), plan

    def test_inputs_have_the_case_shapes(self, course):
        _, _, plan = self.run(course, [(3, 7), (5, 7), (2, 7)])
        assert [v.shape for v in plan.inputs.values()] == [(3, 50, 1), (5, 30, 1), (2, 80, 1)]

    def test_pass(self, course):
        c, r, _ = self.run(course, [(3, 7), (5, 7), (2, 7)])
        assert r.passed and r.points == c.points

    def test_batch_1_output_fails_with_clear_message(self, course):
        _c, r, _ = self.run(course, [(3, 1), (5, 1), (2, 1)])
        assert not r.passed and r.points == 0
        assert "input [3, 50, 1] gave [3, 1], expected [3, 7]" in r.message

    def test_fixed_length_model_is_caught(self, course):
        _c, r, _ = self.run(
            course,
            [(3, 7), (5, 7), (2, 7)],
            errors=[None, "ValueError: expected shape (None, 50, 1)", "ValueError: expected shape"],
        )
        assert not r.passed and "[5, 30, 1]" in r.message

    def test_same_error_everywhere_is_said_once(self, course):
        err = "NameError: name 'model' is not defined in the notebook"
        _c, r, _ = self.run(course, [(1,), (1,), (1,)], errors=[err] * 3)
        assert r.message.count("NameError") == 1
