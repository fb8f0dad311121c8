"""Spec mistakes fail at load, in one line: the file, the line of the key, what is wrong and
the nearest valid key. No course is needed (references: test_spec_course.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from spec_files import header, line_with, load_written, refused

from grader.checks import KINDS
from grader.checks.params import CheckParams
from grader.course.spec import Limits, LimitsTable
from grader.errors import SpecError

# a spec that loads; each case below breaks one thing
BASE = header() + textwrap.dedent("""\
    title = { ko = "연습", en = "Exercise" }

    [limits]
    cell_timeout_s = 60
    total_timeout_s = 120

    [quiz]
    question = "ch15.ex9"

    [[checks]]
    id = "windows"
    kind = "function_matches"
    points = 2
    title = "Windows"
    target = "make_windows"
    generator = "refs:window_probe"
    reference = "refs:make_windows"
    atol = 1e-6
    hint = { ko = "힌트", en = "A hint" }

    [[checks]]
    id = "any_length"
    kind = "output_shape"
    points = 2
    target = "model"
    cases = [
      { input = [3, 50, 1], expect = [3, 7] },
      { input = [5, 30, 1], expect = [5, 7] },
    ]

    [[checks]]
    id = "quality"
    kind = "model_metric"
    points = 4
    target = "model"
    generator = "refs:forecast_eval"
    gen_args = { n = 100 }
    metric = "mse"
    threshold = 0.015
    baselines = { naive = "refs:naive" }
    after = ["any_length"]

    [[checks]]
    id = "stabilised"
    kind = "model_config"
    points = 2
    target = "stable_model"

    [[checks.expect]]
    on = "optimizer"
    any = [
      { key = "clipnorm", op = ">", value = 0 },
      { key = "clipvalue", op = ">", value = 0 },
    ]

    [[checks.expect]]
    class = ["SimpleRNN", "LSTM"]
    key = "recurrent_dropout"
    op = ">"
    value = 0
""")


def error_of(tmp_path: Path, text: str) -> tuple[Path, str]:
    path, err = refused(tmp_path, text)
    return path, str(err)


def once(old: str, new: str) -> str:
    assert BASE.count(old) >= 1, old
    return BASE.replace(old, new, 1)


def test_the_base_spec_loads_with_defaults_filled_in(tmp_path):
    _, spec = load_written(tmp_path, BASE)
    ids = [c.id for c in spec.checks]
    assert ids == ["windows", "any_length", "quality", "stabilised"]
    windows, shape, quality, config = spec.checks
    # params: validated keys as a dict, with the model's defaults; optional keys left out stay out
    assert windows.params["rtol"] == 1e-5 and windows.params["method"] == "call"
    assert "args" not in windows.params and "evidence" not in windows.params
    assert shape.params["cases"][1] == {"input": [5, 30, 1], "expect": [5, 7]}
    assert quality.params["threshold"] == 0.015 and isinstance(quality.params["threshold"], float)
    assert quality.after == ["any_length"] and quality.index == 2
    assert config.params["expect"][1]["class"] == ["SimpleRNN", "LSTM"]  # by its spec name
    assert config.params["expect"][0]["any"][0] == {"key": "clipnorm", "op": ">", "value": 0}
    assert type(quality.options).__name__ == "ModelMetricParams" and quality.options.metric == "mse"
    assert spec.limits == Limits(cell_timeout_s=60, total_timeout_s=120)
    assert spec.quiz == "ch15.ex9" and spec.title == {"ko": "연습", "en": "Exercise"}
    assert windows.title == {"en": "Windows", "ko": "Windows"}


# (the broken text, the text on the line the error must name, fragments the message must hold)
CASES = {
    "misspelt kind key": (
        once("atol = 1e-6", "atoll = 1e-6"),
        "atoll",
        ["unknown key 'atoll' in check 'windows'", "(did you mean 'atol'?)"],
    ),
    "misspelt hint": (
        once('hint = { ko = "힌트"', 'hnit = { ko = "힌트"'),
        "hnit",
        ["unknown key 'hnit' in check 'windows'", "(did you mean 'hint'?)"],
    ),
    "misspelt title": (
        once('title = "Windows"', 'titel = "Windows"'),
        "titel",
        ["unknown key 'titel'", "(did you mean 'title'?)"],
    ),
    "misspelt limit": (
        once("cell_timeout_s = 60", "cell_timout_s = 60"),
        "cell_timout_s",
        ["unknown key 'cell_timout_s' in [limits]", "(did you mean 'cell_timeout_s'?)"],
    ),
    "misspelt quiz table": (
        once("[quiz]", "[quizz]"),
        "[quizz]",
        ["unknown key 'quizz' at the top level", "(did you mean 'quiz'?)"],
    ),
    "a key nothing is close to": (
        once("atol = 1e-6", "colour = 1"),
        "colour",
        ["unknown key 'colour' in check 'windows'", "valid keys:", "'rtol'"],
    ),
    "threshold as text": (
        once("threshold = 0.015", 'threshold = "≤ 0.015"'),
        "threshold",
        ["check 'quality': 'threshold' must be a number", "'≤ 0.015'"],
    ),
    "points as a boolean": (
        once("points = 4", "points = true"),
        "points = true",
        ["check 'quality': 'points' must be a number (got true)"],
    ),
    "negative limit": (
        once("total_timeout_s = 120", "total_timeout_s = -5"),
        "total_timeout_s",
        ["[limits] 'total_timeout_s' must be a number > 0"],
    ),
    "unknown metric": (
        once('metric = "mse"', 'metric = "rmse"'),
        "rmse",
        ["'metric' must be 'mse', 'mae' or 'accuracy'", "did you mean 'mse'?"],
    ),
    "reference without a colon": (
        once('generator = "refs:forecast_eval"', 'generator = "refs.forecast_eval"'),
        "refs.forecast_eval",
        ["'generator' must look like 'module:function'"],
    ),
    "inline-table item": (
        once("{ input = [5, 30, 1], expect", "{ input = [5, 30, 1], expct"),
        "expct",
        ["unknown key 'expct' in check 'any_length', cases[1]", "(did you mean 'expect'?)"],
    ),
    "shape with a string": (
        once("{ input = [3, 50, 1]", '{ input = [3, "50", 1]'),
        '"50"',
        ["'cases[0].input[1]' must be"],
    ),
    "array-of-tables item": (
        once('class = ["SimpleRNN", "LSTM"]', 'clas = ["SimpleRNN", "LSTM"]'),
        "clas =",
        ["unknown key 'clas' in check 'stabilised', expect[1]", "(did you mean 'class'?)"],
    ),
    "condition in a list": (
        once('{ key = "clipvalue", op = ">", value = 0 }', '{ key = "clipvalue", op = "~" }'),
        '"~"',
        ["expect[0].any[1]: 'op' must be", "(unknown op '~')"],
    ),
    "language of a text": (
        once('title = { ko = "연습"', 'title = { kr = "연습"'),
        "kr =",
        ["unknown key 'kr'", "'en', 'ko'"],
    ),
    # no line of its own: the check's [[checks]] line
    "missing required key": (
        once('target = "make_windows"\n', ""),
        "[[checks]]",
        ["check 'windows': check kind 'function_matches' needs target"],
    ),
    "cross-key rule": (
        once("threshold = 0.015", 'threshold = 0.015\ncompare = "linear"'),
        "compare",
        ["'compare' must name one of the baselines ('naive')"],
    ),
    "unknown kind": (
        once('kind = "model_config"', 'kind = "model_configs"'),
        "model_configs",
        ["check 'stabilised': unknown check kind 'model_configs' (did you mean 'model_config'?)"],
    ),
    "after an unknown check": (
        once('after = ["any_length"]', 'after = ["any_lenght"]'),
        "any_lenght",
        ["'after' names 'any_lenght'", "(did you mean 'any_length'?)"],
    ),
    "after itself": (
        once('after = ["any_length"]', 'after = ["quality"]'),
        'after = ["quality"]',
        ["'after' names the check itself"],
    ),
    "duplicate check id": (
        once('id = "any_length"', 'id = "windows"  # again'),
        "# again",
        ["duplicate check id 'windows'"],
    ),
    "not TOML": (once("points = 2\n", "points = \n"), "points =", ["not valid TOML"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_mistake_names_file_line_and_what_to_write(tmp_path, name):
    text, marker, fragments = CASES[name]
    path, message = error_of(tmp_path, text)
    want = line_with(text, marker)
    assert message.startswith(f"{path}:{want}: "), (message, want)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert "\n" not in message and "pydantic" not in message and "Input should" not in message


def test_a_cycle_of_after_is_refused(tmp_path):
    text = once('after = ["any_length"]', 'after = ["stabilised"]').replace(
        'target = "stable_model"', 'target = "stable_model"\nafter = ["quality"]'
    )
    _, message = error_of(tmp_path, text)
    assert "goes round in a circle" in message and "quality → stabilised → quality" in message


def test_a_misspelt_key_is_one_problem_not_two(tmp_path):
    # 'expct' is unknown and 'expect' missing: the same mistake, reported once
    _, message = error_of(tmp_path, once("{ input = [5, 30, 1], expect", "{ input = [5, 30, 1], expct"))
    assert "more problem" not in message


def test_other_problems_in_the_table_are_counted(tmp_path):
    text = once("atol = 1e-6", 'atol = "tiny"\nrtol = "small"')
    _, message = error_of(tmp_path, text)
    assert "'atol' must be a number" in message and "(and 1 more problem in this table)" in message


def test_every_kind_declares_a_closed_parameter_model():
    for name, kind in KINDS.items():
        params = kind.Params
        assert params is not None and issubclass(params, CheckParams) and params is not CheckParams, name
        assert params.model_config.get("extra") == "forbid" and params.model_config.get("strict"), name
        for field_name, f in params.model_fields.items():
            assert f.description, f"{name}.{field_name} has no description (docs/specs.md shows it)"


def test_limits_table_mirrors_the_limits_dataclass():
    import dataclasses

    fields = {f.name: f.default for f in dataclasses.fields(Limits)}
    assert {k: f.default for k, f in LimitsTable.model_fields.items()} == fields


def test_kind_validate_still_checks_a_check_made_in_code():
    from grader.checks.base import CheckSpec

    kind = KINDS["causal"]
    kind.validate(CheckSpec("c", "causal", 1, {}, {}, {"target": "m", "input": [2, 10, 1], "t0": -3}))
    with pytest.raises(SpecError, match="'t0' must fall strictly inside"):
        kind.validate(CheckSpec("c", "causal", 1, {}, {}, {"target": "m", "input": [2, 10, 1], "t0": 10}))
    with pytest.raises(SpecError, match="unknown key 'inputs'"):
        kind.validate(CheckSpec("c", "causal", 1, {}, {}, {"target": "m", "inputs": [2, 10, 1]}))


def test_the_evidence_a_kind_does_not_allow_points_at_its_line(tmp_path):
    text = once('reference = "refs:make_windows"', 'reference = "refs:make_windows"\nevidence = "clean"')
    path, message = error_of(tmp_path, text)
    assert message.startswith(f"{path}:{line_with(text, 'evidence =')}: ")
    assert "'evidence' of a function_matches check must be 'hidden-target'" in message
