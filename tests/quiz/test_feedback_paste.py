"""Feedback teaches without handing out the answer (issue 18, item 5).

For every question and both languages, whatever the scorer can show a member
without revealing the model answer - each hint, each label, the composed
feedback to a blank-ish answer, the lists of missing and matched labels - is
pasted back as the answer, alone and all together. None of it may score full.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.quiz import band, load_bank, score_answer
from grader.quiz.feedback import all_texts

ROOT = Path(__file__).resolve().parents[2]
BANK = load_bank(ROOT / "quizzes")


def _pastes(qid: str, lang: str) -> list[str]:
    q = BANK[qid]
    items = [*q.concepts, *q.misconceptions]
    texts = all_texts(lang, q.concepts, q.misconceptions)
    labels = [i.label[lang] for i in items]
    given = score_answer(q, "모르겠습니다" if lang == "ko" else "I don't know").feedback
    pastes = [
        *texts,
        *labels,
        given,
        "\n".join(texts),
        "\n".join(labels),
        ", ".join(labels),
        # the JSON `missing` list read out as one sentence
        ("빠진 것: " if lang == "ko" else "Missing: ") + ", ".join(c.label[lang] for c in q.concepts) + ".",
        "\n".join([given, *labels]),
    ]
    return pastes


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("qid", sorted(BANK))
def test_nothing_the_feedback_shows_scores_full_when_pasted_back(qid: str, lang: str) -> None:
    for text in _pastes(qid, lang):
        res = score_answer(BANK[qid], text)
        assert band(res.fraction) != "full", (qid, lang, text[:120], res.matched, res.fraction)


def test_the_model_answer_is_shown_only_when_revealed() -> None:
    q = BANK["ch15.ex6"]
    hidden = score_answer(q, "LSTM에는 게이트가 있다.")
    shown = score_answer(q, "LSTM에는 게이트가 있다.", reveal=True)
    assert q.answer["ko"] not in hidden.feedback
    assert q.answer["ko"] in shown.feedback and "모범 답안" in shown.feedback
    # a full answer needs no model answer, revealed or not
    full = score_answer(q, q.answer["ko"], reveal=True)
    assert full.fraction == 1.0 and "모범 답안" not in full.feedback


def test_feedback_names_the_wrong_idea_and_asks() -> None:
    q = BANK["ch15.ex6"]
    res = score_answer(q, "삭제 게이트는 새 정보를 장기 상태에 더하고, 입력 게이트는 오래된 정보를 지운다.")
    assert "forget-input-swapped" in res.misconceptions
    assert "바로잡을 점" in res.feedback and "역할이 서로 바뀌었습니다" in res.feedback
    # a hint asks; it does not state which gate erases and which adds
    assert "?" in res.feedback
    assert "지울 부분을 정" not in res.feedback and "더할 부분을 정" not in res.feedback
