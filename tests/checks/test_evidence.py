"""Where each check's evidence comes from, and what a clean check does with a model the
clean loader could not measure. Plain data only: no kernel, no TensorFlow."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from grader.checks import KINDS, GradeContext, ProbeOutput
from grader.checks.base import CLEAN_FAILURES
from grader.course.spec import load_spec
from grader.errors import SpecError
from grader.grading import all_checks, evaluate_checks, plan_checks
from grader.results.attempt import EVIDENCE

MODEL_FACTS = (
    "output_shape",
    "sequence_kind",
    "causal",
    "layer_config",
    "layer_expect",
    "model_config",
    "model_metric",
)
HIDDEN_TARGET = ("function_matches", "function_grid", "unrolled_step", "value_matches")


def ctx_for(course, exercise: str, lang: str = "en") -> GradeContext:
    return GradeContext(seed=11, lang=lang, course=course, spec=course.specs[exercise])


def test_every_kind_declares_a_known_source():
    for name, kind in KINDS.items():
        assert kind.evidence in EVIDENCE, name
        assert set(kind.other_evidence) <= set(EVIDENCE), name


@pytest.mark.parametrize("name", MODEL_FACTS)
def test_model_facts_are_clean_by_default(name):
    # Shapes, layers, causality and predictions must not default to what the kernel says.
    assert KINDS[name].evidence == "clean"


@pytest.mark.parametrize("name", HIDDEN_TARGET)
def test_function_outputs_are_hidden_target_and_nothing_else(name):
    assert KINDS[name].evidence == "hidden-target" and KINDS[name].other_evidence == ()


def test_model_metric_may_not_be_self_reported():
    assert "self-reported" not in (KINDS["model_metric"].evidence, *KINDS["model_metric"].other_evidence)


def _spec(tmp_path: Path, check: str) -> Path:
    path = tmp_path / "09_x.toml"
    path.write_text(
        'id = "ch15.ex9"\nnotebook = "09_x.ipynb"\n\n[[checks]]\n' + textwrap.dedent(check), encoding="utf-8"
    )
    return path


def test_spec_may_choose_an_allowed_source(tmp_path):
    spec = load_spec(
        _spec(
            tmp_path,
            """
        id = "s"
        kind = "output_shape"
        points = 1
        target = "m"
        evidence = "self-reported"
        cases = [{ input = [2, 3], expect = [2, 1] }]
    """,
        )
    )
    assert KINDS["output_shape"].evidence_of(spec.checks[0]) == "self-reported"


@pytest.mark.parametrize(
    "kind_body, evidence",
    [
        ('kind = "function_matches"\ntarget = "f"\ngenerator = "m:g"\nreference = "m:r"\n', "clean"),
        ('kind = "model_metric"\ntarget = "m"\ngenerator = "m:g"\nmetric = "mse"\nthreshold = 1\n', "self-reported"),
        ('kind = "causal"\ntarget = "m"\ninput = [2, 8, 1]\n', "trusted"),
    ],
)
def test_spec_cannot_claim_another_source(tmp_path, kind_body, evidence):
    with pytest.raises(SpecError, match="'evidence'"):
        load_spec(_spec(tmp_path, f'id = "s"\npoints = 1\n{kind_body}evidence = "{evidence}"\n'))


def test_course_evidence(course):
    """Only exercise 5's ln_model facts stay in the kernel (its cell is the notebook's class)."""
    self_reported = {
        (s.id, c.id) for s in course.specs.values() for c in s.checks if KINDS[c.kind].evidence_of(c) == "self-reported"
    }
    assert self_reported == {("ch15.ex5", "ln_model_shapes"), ("ch15.ex5", "ln_model_cells")}
    ex5 = {c.id: c for c in course.specs["ch15.ex5"].checks}
    assert KINDS["function_matches"].evidence_of(ex5["ln_step"]) == "hidden-target"


def test_result_carries_evidence_into_json(course):
    ctx = ctx_for(course, "ch15.ex4")
    checks = all_checks(course.specs["ch15.ex4"], course)
    plans, _, _ = plan_checks(checks, ctx)
    results = evaluate_checks(
        checks,
        ctx,
        plans,
        {},
        "the probe failed",
        {c.id: KINDS[c.kind].result(c, ctx, 0, "x") for c in checks if not KINDS[c.kind].needs_kernel},
    )
    got = {r.id: json.loads(json.dumps(r.to_dict()))["evidence"] for r in results}
    quiz = {k: got.pop(k) for k in list(got) if k.startswith("quiz:")}
    assert got == {
        "windows": "hidden-target",
        "any_length": "clean",
        "recurrent": "clean",
        "quality": "clean",
        "seq2seq_targets": "hidden-target",
        "seq2seq_shape": "clean",
        "seq2seq_rnn": "clean",
        "seq2seq_quality": "clean",
    }
    assert set(quiz.values()) <= {"clean"}  # the answer is read from the file, no notebook code runs


def test_clean_requests_and_their_inputs_are_marked(course):
    ctx = ctx_for(course, "ch15.ex4")
    _, requests, _inputs = plan_checks(course.specs["ch15.ex4"].checks, ctx)
    by_check = {r["id"].split("/")[0]: r.get("where") for r in requests}
    assert by_check["windows"] is None and by_check["seq2seq_targets"] is None
    assert by_check["any_length"] == by_check["quality"] == by_check["seq2seq_quality"] == "clean"


# --- a model the clean loader could not measure earns nothing ----------------------


def _forged_outputs(plan, failure: str, error: str) -> dict[str, ProbeOutput]:
    return {r["id"]: ProbeOutput(ok=False, error=error, clean_failure=failure) for r in plan.requests}


@pytest.mark.parametrize("failure", CLEAN_FAILURES)
def test_unmeasured_model_earns_nothing_in_both_languages(course, failure):
    spec = course.specs["ch15.ex3"]
    for lang in ("en", "ko"):
        ctx = ctx_for(course, "ch15.ex3", lang)
        checks = [c for c in spec.checks if c.id in ("fixed_runs", "fixed_layers")]
        plans, _, _ = plan_checks(checks, ctx)
        probe = {
            f"{c.id}/{rid}": o for c in checks for rid, o in _forged_outputs(plans[c.id], failure, "LNCell").items()
        }
        for r in evaluate_checks(checks, ctx, plans, probe, "", {}):
            assert r.points == 0 and not r.passed and r.evidence == "clean"
            assert r.details["clean_failure"] == failure
            assert "`fixed_model`" in r.message
            if lang == "en":
                assert "earns nothing" in r.message and "safe mode" in r.message
            else:
                assert "점수를 받지 못합니다" in r.message and "안전 모드" in r.message


def test_failure_texts_say_what_happened(course):
    ctx = ctx_for(course, "ch15.ex1")
    check = next(c for c in course.specs["ch15.ex1"].checks if c.id == "seq2seq_shape")
    kind = KINDS[check.kind]
    cases = {
        "not_keras": ("function", "`function` object, not a Keras model"),
        "unsafe": ("ValueError: Requested the deserialization of a `Lambda` layer", "refused to load"),
        "custom": ("LNSimpleRNNCell", "needs LNSimpleRNNCell from the notebook"),
        "no_file": ("models/m.keras is missing", "no usable saved model"),
    }
    for code, (detail, expected) in cases.items():
        r = kind.not_measured(check, ctx, ProbeOutput(ok=False, error=detail, clean_failure=code))
        assert expected in r.message, (code, r.message)


def test_clean_failure_wins_over_forged_data(course):
    """Even if some output looks perfect (a forged describe), one unmeasured request zeroes the check."""
    ctx = ctx_for(course, "ch15.ex3")
    check = next(c for c in course.specs["ch15.ex3"].checks if c.id == "fixed_runs")
    plans, _, _ = plan_checks([check], ctx)
    good = {f"fixed_runs/case{i}": ProbeOutput(ok=True, arrays=[np.zeros((n, 1))]) for i, n in enumerate((4, 2, 3))}
    assert evaluate_checks([check], ctx, plans, good, "", {})[0].passed
    good["fixed_runs/case1"] = ProbeOutput(ok=False, error="", clean_failure="no_file")
    assert evaluate_checks([check], ctx, plans, good, "", {})[0].points == 0


def test_self_reported_checks_do_not_look_at_clean_failures(course):
    """ln_model's facts come from the kernel: the probe's own error is what it sees."""
    ctx = ctx_for(course, "ch15.ex5")
    check = next(c for c in course.specs["ch15.ex5"].checks if c.id == "ln_model_shapes")
    plans, requests, _ = plan_checks([check], ctx)
    assert all("where" not in r for r in requests)
    probe = {f"ln_model_shapes/case{i}": ProbeOutput(ok=True, arrays=[np.zeros((n, 1))]) for i, n in enumerate((3, 2))}
    r = evaluate_checks([check], ctx, plans, probe, "", {})[0]
    assert r.passed and r.evidence == "self-reported"


def test_check_result_keeps_evidence_through_its_dict():
    from grader.results.attempt import CheckResult

    r = CheckResult(id="a", kind="quiz", passed=True, points=1, max_points=1, message="", evidence="clean")
    assert r.to_dict()["evidence"] == "clean"
    assert CheckResult(**{**r.to_dict(), "evidence": "self-reported"}).evidence == "self-reported"


@pytest.mark.kernel
def test_submit_json_has_evidence_for_every_check(runner, tiny_course, tmp_path):
    from grader.cli.app import cli

    r = runner.invoke(
        cli,
        [
            "submit",
            str(tiny_course / "solutions" / "01_tiny.ipynb"),
            "--json",
            "--course",
            str(tiny_course),
            "--gradebook",
            str(tmp_path / "gb.db"),
            "--member",
            "jiho",
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [(c["id"], c["evidence"]) for c in doc["checks"]] == [
        ("double", "hidden-target"),
        ("summer", "hidden-target"),
    ]
