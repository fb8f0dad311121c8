"""`after`: a check whose evidence means nothing after another check failed says so,
instead of failing with a message about something else (no kernel, no TensorFlow)."""

from __future__ import annotations

from grader.checks import GradeContext
from grader.checks.base import CheckSpec
from grader.checks.depends import after_of, apply_after
from grader.results.attempt import CheckResult


def _check(cid: str, kind: str = "model_metric", after: list[str] | None = None, target: str = "m") -> CheckSpec:
    return CheckSpec(
        id=cid,
        kind=kind,
        points=2,
        title={"en": f"title {cid}", "ko": f"제목 {cid}"},
        hint={"en": "Train longer."},
        params={"target": target},
        after=after or [],
    )


def _result(cid: str, kind: str, passed: bool, **details) -> CheckResult:
    return CheckResult(
        id=cid,
        kind=kind,
        passed=passed,
        points=2 if passed else 0,
        max_points=2,
        message="measured",
        details=details,
        evidence="clean",
    )


def _ctx(lang: str = "en") -> GradeContext:
    return GradeContext(seed=1, lang=lang, course=None, spec=None)  # type: ignore[arg-type]


def test_a_check_after_a_failed_causality_check_says_why():
    checks = [_check("causal", "causal", target="wavenet_model"), _check("quality", after=["causal"])]
    results = [_result("causal", "causal", False, first_leaking_step=3), _result("quality", "model_metric", False)]
    en = apply_after(checks, results, _ctx())
    assert en[0] is results[0]
    assert en[1].message == "Not checked: `wavenet_model` is not causal."
    assert en[1].points == 0 and not en[1].passed and en[1].details == {"not_checked_after": ["causal"]}
    assert "Train longer" not in en[1].message  # the hint is about something else
    ko = apply_after(checks, results, _ctx("ko"))
    assert ko[1].message == "확인하지 않음: `wavenet_model`은 인과적이지 않습니다."  # 모델 → 은


def test_a_passed_dependency_changes_nothing():
    checks = [_check("a", "causal"), _check("b", after=["a"])]
    results = [_result("a", "causal", True), _result("b", "model_metric", True)]
    assert apply_after(checks, results, _ctx()) == results


def test_the_first_failure_of_a_chain_is_the_reason():
    checks = [_check("path", "model_path", target="model"), _check("q", after=["path"]), _check("r", after=["q"])]
    checks[0].params["stages"] = [{"class": "GRU", "what": {"en": "recurrent layer", "ko": "순환 층"}}]
    results = [
        _result("path", "model_path", False, missing_stage=0),
        _result("q", "model_metric", True),
        _result("r", "model_metric", True),
    ]
    out = apply_after(checks, results, _ctx())
    assert out[1].message == "Not checked: `model` has no recurrent layer between its input and its output."
    assert out[2].message == out[1].message  # r waited on q, which was not checked for that reason
    assert [r.points for r in out] == [0, 0, 0]


def test_a_dependency_without_a_sharper_reason_is_named_by_its_title():
    checks = [_check("shape", "output_shape"), _check("q", after=["shape"])]
    results = [_result("shape", "output_shape", False), _result("q", "model_metric", True)]
    assert apply_after(checks, results, _ctx())[1].message == "Not checked: “title shape” did not pass."
    assert (
        apply_after(checks, results, _ctx("ko"))[1].message == "확인하지 않음: ‘제목 shape’ 항목을 통과하지 못했습니다."
    )


def test_after_of_reads_the_spec_field_or_the_params():
    assert after_of(_check("q", after=["a"])) == ["a"]
    legacy = CheckSpec(id="q", kind="model_metric", points=1, title={}, hint={}, params={"after": ["b"]})
    assert after_of(legacy) == ["b"]


def test_course_dependencies(course):
    """The exercises declare what their checks come after."""
    deps = {(s.notebook, c.id): after_of(c) for s in course.specs.values() for c in s.checks if after_of(c)}
    assert deps[("07_conv1d.ipynb", "wavenet_quality")] == ["wavenet_causal"]
    assert deps[("07_conv1d.ipynb", "conv_quality")] == ["conv_path"]
    assert deps[("06_lstm_structure.ipynb", "lstm_sequence")] == ["lstm_step"]
    ids = {s.notebook: {c.id for c in s.checks} for s in course.specs.values()}
    for (notebook, _), dep in deps.items():
        assert set(dep) <= ids[notebook]
