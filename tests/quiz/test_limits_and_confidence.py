"""Bounded and fast (item 7) and knowing when unsure (item 4)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from grader.cli.app import cli
from grader.quiz import load_bank, score_answer, scorer

ROOT = Path(__file__).resolve().parents[2]
BANK = load_bank(ROOT / "quizzes")


# --- size cap and time budget ------------------------------------------------------


def test_an_answer_over_the_cap_is_refused_not_scored() -> None:
    long = "LSTM은 게이트로 정보를 조절한다. " * 300
    assert len(long) > scorer.MAX_CHARS
    r = score_answer(BANK["ch15.ex6"], long)
    assert r.score == 0 and r.flags == ["too_long"] and "4,000자" in r.feedback
    assert r.matched == [] and not r.needs_review


def test_cli_refuses_a_long_answer_in_one_line_in_both_languages() -> None:
    for lang, said in (("en", "4,001 characters"), ("ko", "4,000자")):
        r = CliRunner().invoke(
            cli, ["quiz", "score", "ch15.ex6", "--answer", "가" * 4001, "--course", str(ROOT), "--lang", lang]
        )
        assert r.exit_code == 1 and "Traceback" not in r.output
        line = r.output.strip()
        assert said in line and line.startswith("grade: error:") and len(line.splitlines()) == 1


def test_the_time_budget_stops_scoring_and_marks_for_review() -> None:
    r = score_answer(BANK["ch15.ex6"], "LSTM 셀은 장기 상태와 단기 상태를 가진다.\n" * 40, budget_s=0.0)
    assert r.flags == ["time_budget"] and r.score == 0 and r.needs_review and r.confidence == 0.0
    assert "시간" in r.feedback


def test_the_budget_is_checked_between_steps() -> None:
    calls = []

    class Counting(scorer.Deadline):
        def __call__(self) -> None:
            calls.append(1)
            super().__call__()

    real = scorer.Deadline
    scorer.Deadline = Counting  # type: ignore[misc]
    try:
        score_answer(BANK["ch15.ex5"], "그래디언트가 폭주한다.\n학습률을 낮춘다.\nLSTM을 쓴다.")
    finally:
        scorer.Deadline = real  # type: ignore[misc]
    assert len(calls) > 10  # per line and per concept, not once at the end


# --- confidence and review -----------------------------------------------------------


def test_a_clear_answer_is_confident_and_a_borderline_one_is_not() -> None:
    q = BANK["ch15.ex3"]
    clear = score_answer(q, q.answer["ko"])
    assert clear.confidence >= 0.9 and not clear.needs_review
    capped = score_answer(
        BANK["ch15.ex5"],
        "그래디언트 폭주, 그래디언트 클리핑, 층 정규화, 드롭아웃, LSTM, GRU, 단기 기억, tanh, 작은 학습률",
    )
    assert "capped_list" in capped.doubts and capped.needs_review
    assert capped.confidence < scorer.REVIEW_THRESHOLD <= clear.confidence


def test_cli_shows_needs_review_and_json_carries_it() -> None:
    salad = "그래디언트 폭주, 그래디언트 클리핑, 층 정규화, 드롭아웃, LSTM, GRU, 단기 기억, tanh, 작은 학습률"
    text = CliRunner().invoke(cli, ["quiz", "score", "ch15.ex5", "--answer", salad, "--course", str(ROOT)])
    assert "검토 필요" in text.output
    en = CliRunner().invoke(
        cli,
        [
            "quiz",
            "score",
            "ch15.ex5",
            "--answer",
            "exploding gradients, clipping, layer norm, dropout, LSTM, GRU, tanh, smaller learning "
            "rate, short-term memory",
            "--course",
            str(ROOT),
            "--lang",
            "en",
        ],
    )
    assert "needs review" in en.output
    js = json.loads(
        CliRunner()
        .invoke(cli, ["quiz", "score", "ch15.ex5", "--answer", salad, "--json", "--course", str(ROOT)])
        .output
    )
    assert js["needs_review"] is True and 0 <= js["confidence"] < scorer.REVIEW_THRESHOLD and js["doubts"]


def test_hints_full_reveals_the_model_answer() -> None:
    r = CliRunner().invoke(
        cli,
        [
            "quiz",
            "score",
            "ch15.ex4",
            "--answer",
            "Dense(7)로 한 번에 예측한다.",
            "--hints",
            "full",
            "--json",
            "--course",
            str(ROOT),
        ],
    )
    assert "모범 답안" in json.loads(r.output)["feedback"]
    plain = CliRunner().invoke(
        cli, ["quiz", "score", "ch15.ex4", "--answer", "Dense(7)로 한 번에 예측한다.", "--json", "--course", str(ROOT)]
    )
    assert "모범 답안" not in json.loads(plain.output)["feedback"]


@pytest.mark.parametrize(
    "lang, said",
    [("en", ["(statement)", "holders: 삭제 게이트", "affirmed="]), ("ko", ["(문장)", "주체: 삭제 게이트", "긍정="])],
)
def test_cli_explain_shows_which_pattern_holds_where(lang: str, said: list[str]) -> None:
    r = CliRunner().invoke(
        cli,
        [
            "quiz",
            "score",
            "ch15.ex6",
            "--explain",
            "--answer",
            "삭제 게이트는 오래된 정보를 지운다.",
            "--course",
            str(ROOT),
            "--lang",
            lang,
        ],
    )
    assert r.exit_code == 0
    assert "forget-gate-role" in r.stderr and all(s in r.stderr for s in said)


def test_submit_json_carries_the_review_flag(tiny_course: Path, tmp_path: Path) -> None:
    from conftest import write_notebook

    from grader.course.loader import load_course
    from grader.grading import grade_file

    shutil.copytree(ROOT / "quizzes", tiny_course / "quizzes")
    spec = tiny_course / "exercises" / "specs" / "01_tiny.toml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace('title = "Tiny"\n', 'title = "Tiny"\n[quiz]\nquestion = "ch15.ex5"\n'),
        encoding="utf-8",
    )
    nb = nbformat.read(tiny_course / "solutions" / "01_tiny.ipynb", as_version=4)
    cell = nbformat.v4.new_markdown_cell(
        "그래디언트 폭주, 그래디언트 클리핑, 층 정규화, 드롭아웃, LSTM, GRU, 단기 기억, tanh"
    )
    cell.metadata["tags"] = ["answer:ch15.ex5"]
    nb.cells.append(cell)
    result, _ = grade_file(load_course(tiny_course), write_notebook(tmp_path / "01_tiny.ipynb", nb), lang="ko")
    quiz = next(c for c in result.checks if c.kind == "quiz")
    assert quiz.details["needs_review"] is True and quiz.details["confidence"] < scorer.REVIEW_THRESHOLD
    assert quiz.message.startswith("검토 필요")


@pytest.mark.parametrize("qid", ["ch15.ex1", "ch15.q11", "ch15.q24"])
def test_model_answers_score_full_and_confidently(qid: str) -> None:
    q = BANK[qid]
    for lang in ("ko", "en"):
        r = score_answer(q, q.answer[lang])
        assert r.fraction == 1.0 and not r.needs_review, (qid, lang, r.to_dict())
