"""The question bank (grader/quiz/bank.py, questions.py, tomlfile.py): what it holds, and malformed
banks refused with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli.app import cli
from grader.errors import SpecError
from grader.quiz import load_bank

ROOT = Path(__file__).resolve().parents[2]
QUIZZES = ROOT / "quizzes"


@pytest.fixture(scope="module")
def bank():
    return load_bank(QUIZZES)


# --- the bank ---------------------------------------------------------------


def test_bank_has_the_exercises_and_twenty_concept_questions(bank):
    assert {f"ch15.ex{i}" for i in range(1, 9)} <= set(bank)
    concept_ids = sorted(q for q in bank if q.startswith("ch15.q"))
    assert len(concept_ids) >= 20
    assert concept_ids[0] == "ch15.q01"
    for q in bank.values():
        assert q.prompt["ko"] and q.prompt["en"] and q.points > 0
        for c in q.concepts:
            assert c.feedback["ko"] and c.feedback["en"]


def test_every_pattern_keeps_words_after_analysis():
    result = CliRunner().invoke(cli, ["quiz", "validate", "--course", str(ROOT), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


BAD_BANKS = {
    "syntax": ('[[question]]\nid = "x.q1"\npoints = \n', ":3"),
    "no_feedback": (
        '[[question]]\nid = "x.q1"\npoints = 1\nprompt = { ko = "질문", en = "q" }\n\n'
        '[[question.concept]]\nid = "c1"\nko = ["가"]\nen = ["a"]\n',
        ":6",
    ),
    "bad_polarity": (
        '[[question]]\nid = "x.q1"\npoints = 1\nprompt = { ko = "질문", en = "q" }\n\n'
        '[[question.concept]]\nid = "c1"\nko = ["가"]\nen = ["a"]\npolarity = "maybe"\n'
        'feedback = { ko = "가", en = "a" }\n',
        ":6",
    ),
    "no_concepts": ('# a comment\n\n[[question]]\nid = "x.q1"\npoints = 1\nprompt = { ko = "질문", en = "q" }\n', ":3"),
    "bad_points": ('[[question]]\nid = "x.q1"\npoints = "two"\nprompt = { ko = "질문", en = "q" }\n', ":1"),
    "empty_group": (
        '[[question]]\nid = "x.q1"\npoints = 1\nprompt = { ko = "질문", en = "q" }\n\n'
        '[[question.concept]]\nid = "c1"\nko = ["가 + "]\nen = ["a"]\n'
        'feedback = { ko = "가", en = "a" }\n',
        ":6",
    ),
    "unknown_item_key": (
        '[[question]]\nid = "x.q1"\npoints = 1\nprompt = { ko = "질문", en = "q" }\n\n'
        '[[question.concept]]\nid = "c1"\nko = ["가"]\nen = ["a"]\npolarty = "negate"\n'
        'feedback = { ko = "가", en = "a" }\n',
        ":6",
    ),
    "unknown_key": ('[[question]]\nid = "x.q1"\npoints = 1\nprompt = { ko = "질문", en = "q" }\nrubrik = 1\n', ":5"),
}


@pytest.mark.parametrize("case", sorted(BAD_BANKS))
def test_malformed_bank_is_rejected_with_file_and_line(tmp_path, case):
    text, line = BAD_BANKS[case]
    (tmp_path / "bad.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_bank(tmp_path)
    assert f"bad.toml{line}:" in str(err.value), str(err.value)


def test_duplicate_question_ids_across_files_are_rejected(tmp_path):
    q = (
        '[[question]]\nid = "x.q1"\npoints = 1\nprompt = { ko = "질문", en = "q" }\n\n'
        '[[question.concept]]\nid = "c1"\nko = ["가"]\nen = ["a"]\nfeedback = { ko = "가", en = "a" }\n'
    )
    (tmp_path / "a.toml").write_text(q, encoding="utf-8")
    (tmp_path / "b.toml").write_text(q, encoding="utf-8")
    with pytest.raises(SpecError, match=r"b\.toml:1: question id x\.q1 is already defined at .*a\.toml:1"):
        load_bank(tmp_path)


def test_cli_validate_reports_a_broken_bank_in_one_line(tmp_path):
    course = tmp_path / "c"
    (course / "quizzes").mkdir(parents=True)
    (course / "course.toml").write_text('[course]\nid = "c"\ntitle = "c"\n', encoding="utf-8")
    (course / "quizzes" / "q.toml").write_text(BAD_BANKS["bad_polarity"][0], encoding="utf-8")
    result = CliRunner().invoke(cli, ["quiz", "validate", "--course", str(course)])
    assert result.exit_code == 1
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "q.toml:6" in lines[0] and "polarity" in lines[0]
    assert "Traceback" not in result.output
