"""A check kind's own spec rules (ParamError in a Params model, SpecError from a kind or from
what a reference returned) are catalog entries: said in the reader's language, English in
`str()`, and the line still points at the key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from spec_files import header, refused

from grader.checks import KINDS
from grader.checks.base import CheckSpec
from grader.checks.layers import LayerConfig
from grader.errors import SpecError

SPEC = header() + textwrap.dedent("""
    [[checks]]
    id = "quality"
    kind = "model_metric"
    points = 4
    target = "model"
    generator = "refs:forecast_eval"
    metric = "mse"
    threshold = 0.015
    baselines = { naive = "refs:naive" }
    """)


def _refused(tmp_path: Path, extra: str) -> SpecError:
    return refused(tmp_path, SPEC + extra + "\n")[1]


def test_a_rule_across_keys_is_said_in_korean_at_its_line(tmp_path: Path) -> None:
    err = _refused(tmp_path, 'compare = "linear"')
    assert str(err).endswith(":13: check 'quality': 'compare' must name one of the baselines ('naive')")
    assert err.said("ko") == (
        "'quality' 검사: 'compare'에는 'baselines'에 선언된 기준 모델 중 하나를 적어야 합니다 (있는 것: 'naive')"
    )


def test_compare_without_baselines_says_none_are_declared(tmp_path: Path) -> None:
    spec = SPEC.replace('baselines = { naive = "refs:naive" }\n', "")
    err = refused(tmp_path, spec + 'compare = "naive"\n')[1]
    assert str(err).endswith("check 'quality': 'compare' must name one of the baselines (none are declared)")
    assert "'baselines'에 선언된 것이 없습니다" in err.said("ko")


@pytest.mark.parametrize(
    ("before", "after", "words"),
    [
        ('metric = "mse"', 'metric = "rmse"', "'metric' must be 'mse', 'mae' or 'accuracy'"),
        ("threshold = 0.015", "threshold = true", "'threshold' must be a number"),
    ],
)
def test_a_metrics_own_keys_are_refused_at_their_line(tmp_path: Path, before: str, after: str, words: str) -> None:
    # The kind checks nothing of its own after its model: the model's types say it, at the key.
    spec = SPEC.replace(before, after)
    err = refused(tmp_path, spec)[1]
    lineno = spec.splitlines().index(after) + 1
    assert f":{lineno}: check 'quality': {words}" in str(err)


def test_a_kinds_evidence_rule_is_said_in_korean(tmp_path: Path) -> None:
    err = _refused(tmp_path, 'evidence = "self-reported"')
    assert "'evidence' of a model_metric check must be one of 'clean', 'hidden-target'" in str(err)
    assert err.said("ko") == (
        "'quality' 검사: 'model_metric' 검사의 'evidence'는 'clean', 'hidden-target' 중 하나여야 합니다"
    )


def test_one_allowed_evidence_is_not_a_list_of_one() -> None:
    kind = KINDS["function_matches"]
    check = CheckSpec(
        "w", "function_matches", 1, {}, {}, {"target": "f", "generator": "m:g", "reference": "m:r", "evidence": "clean"}
    )
    with pytest.raises(SpecError) as info:
        kind.validate(check)
    assert str(info.value) == "'evidence' of a function_matches check must be 'hidden-target'"
    assert info.value.said("ko") == "'function_matches' 검사의 'evidence'는 'hidden-target'이어야 합니다"


def test_a_code_made_check_missing_a_key_names_the_kind_in_korean() -> None:
    with pytest.raises(SpecError) as info:
        KINDS["model_metric"].validate(CheckSpec("q", "model_metric", 1, {}, {}, {"target": "model"}))
    assert "check kind 'model_metric'" in str(info.value)
    assert "'model_metric' 검사 종류" in info.value.said("ko") and "check kind" not in info.value.said("ko")


@pytest.mark.parametrize(
    "rule, en, ko",
    [
        ({"which": "middle", "class": "LSTM"}, "'which' must be an index", "'which'는 인덱스이거나"),
        ({"which": 0}, "a rule needs at least one of", "규칙에는 'class', 'config'"),
        ({"which": 0, "clas": "LSTM"}, "unknown keys in a rule: 'clas'", "규칙에 알 수 없는 키가 있습니다: 'clas'"),
    ],
)
def test_a_rule_a_reference_returned_is_refused_in_both_languages(rule: dict, en: str, ko: str) -> None:
    with pytest.raises(SpecError) as info:
        LayerConfig._validate_rule(rule)  # noqa: SLF001
    assert en in str(info.value) and ko in info.value.said("ko")


def test_a_rule_of_a_nested_table_reads_as_text_with_its_place(tmp_path: Path) -> None:
    # validation.py puts the table's place (rules[0]) before a keyless rule's message, in
    # the reader's language: no English rule inside the Korean line.
    spec = header() + textwrap.dedent("""
        [[checks]]
        id = "cfg"
        kind = "layer_config"
        points = 1
        target = "model"
        rules = [{ which = "all" }]
        """)
    _, err = refused(tmp_path, spec)
    assert "check 'cfg': rules[0]: a rule needs at least one of 'class'" in str(err)
    said = err.said("ko")
    assert "rules[0]: 규칙에는 'class'" in said and "a rule needs" not in said and "Phrase(" not in said
