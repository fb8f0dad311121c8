"""Quiz feedback follows --lang; the answer's own language is an option (issue 16, item 3)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from grader.cli.app import cli
from grader.quiz import load_bank, score_answer

ROOT = Path(__file__).resolve().parents[2]
BANK = load_bank(ROOT / "quizzes")
KO_ANSWER = "LSTM 셀은 장기 상태와 단기 상태를 가진다."


def test_an_empty_answer_is_told_in_the_language_asked_for() -> None:
    q = BANK["ch15.ex6"]
    assert score_answer(q, "", lang="en").feedback.startswith("The answer is empty")
    assert score_answer(q, "   ", lang="ko").feedback.startswith("답이 비어 있습니다")
    assert score_answer(q, "").feedback.startswith("답이 비어 있습니다")  # no language asked: Korean


def test_feedback_in_the_asked_language_whatever_the_answer_is_written_in() -> None:
    q = BANK["ch15.ex6"]
    en = score_answer(q, KO_ANSWER, lang="en")
    ko = score_answer(q, KO_ANSWER, lang="ko")
    assert en.lang == ko.lang == "ko"  # the answer's language is still reported
    assert en.score == ko.score
    assert "What to add:" in en.feedback and "보완할 점:" not in en.feedback
    assert "보완할 점:" in ko.feedback
    # without a language, the answer's own
    assert "보완할 점:" in score_answer(q, KO_ANSWER).feedback


def _score(*args: str, env: dict[str, str] | None = None) -> dict:
    r = CliRunner().invoke(cli, ["quiz", "score", "ch15.ex6", "--course", str(ROOT), "--json", *args], env=env)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_quiz_score_follows_lang_and_grade_lang() -> None:
    assert _score("--answer", "", "--lang", "en")["feedback"].startswith("The answer is empty")
    assert "What to add:" in _score("--answer", KO_ANSWER, "--lang", "en")["feedback"]
    assert "보완할 점:" in _score("--answer", KO_ANSWER, "--lang", "en", "--quiz-lang", "answer")["feedback"]
    assert "What to add:" in _score("--answer", KO_ANSWER, env={"GRADE_LANG": "en"})["feedback"]
    assert "보완할 점:" in _score("--answer", KO_ANSWER, "--lang", "ko", env={"GRADE_LANG": "en"})["feedback"]


def test_a_bad_grade_lang_is_one_error_line() -> None:
    r = CliRunner().invoke(
        cli, ["quiz", "score", "ch15.ex6", "--course", str(ROOT), "--answer", "x"], env={"GRADE_LANG": "fr"}
    )
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "GRADE_LANG" in r.output
