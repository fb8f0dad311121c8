"""Reading fixes found on the third tuning round (issue 18, `dev3`).

Each test states a general reading rule with sentences written for it, not
taken from the evaluation set.
"""

from __future__ import annotations

from pathlib import Path

from grader.quiz import load_bank, score_answer
from grader.quiz.compiled import compiled

ROOT = Path(__file__).resolve().parents[2]
BANK = load_bank(ROOT / "quizzes")


def res(qid: str, text: str):  # noqa: ANN201
    return score_answer(BANK[qid], text)


def units(qid: str, text: str):  # noqa: ANN201
    return [u for s in compiled(BANK[qid]).norm.analyse(text).segments for u in s.units]


def test_a_particle_after_a_unified_spelling_stays_a_particle() -> None:
    # "시퀀스-투-시퀀스는" is rewritten to seq2seq; the particle must stay on it
    # (spaced off, "는" was read as the verb 늘다 and the topic was lost)
    us = units("ch15.ex3", "시퀀스-투-시퀀스는 모든 층에 True를 준다.")
    assert "늘" not in [u.form for u in us]
    assert next(u for u in us if u.form == "seq2seq").topic


def test_a_new_topic_after_a_comma_opens_its_own_clause() -> None:
    us = units("ch15.ex3", "seq2seq는 모든 층이 True, seq2vec는 마지막 층만 빼고 True.")
    first = next(u for u in us if u.form == "seq2seq")
    second = next(u for u in us if u.form == "seq2vec")
    assert first.clause != second.clause
    r = res("ch15.ex3", "seq2seq는 모든 층이 True, seq2vec는 마지막 층만 빼고 True.")
    assert {"seq2seq-all-layers", "seq2vec-all-but-top"} <= set(r.matched), r.matched


def test_a_comma_inside_one_topic_does_not_split() -> None:
    us = units("ch15.ex3", "seq2seq는 모든 층에, 그리고 마지막 층에도 True를 준다.")
    assert len({u.clause for u in us if u.form in ("seq2seq", "true")}) == 1


def test_not_x_but_y_denies_x_even_with_a_second_negator_after() -> None:
    # "A가 아니라 B가 아닌 C": the two 아니 deny different arguments, they do not cancel
    r = res("ch15.q24", "조건을 어기면 오류가 나는 것이 아니라 cuDNN이 아닌 일반 구현으로 대체되어 느려진다.")
    assert "error-raised" not in r.misconceptions
    assert "fallback-slow" in r.matched


def test_a_double_negation_still_cancels() -> None:
    us = units("ch15.q24", "recurrent_dropout을 쓰지 않으면 안 된다.")
    assert not next(u for u in us if u.form == "쓰").negated


def test_a_one_letter_identifier_is_not_dropped_as_a_pronoun() -> None:
    # "i(t)" (the input gate) lost its "i" like the pronoun "I" and then named every "x(t)"
    forms = [u.form for u in units("ch15.ex6", "i(t)는 입력 게이트의 출력이다. I think so.")]
    assert forms[:2] == ["i", "t"]
    assert "i" not in forms[2:]


def test_c_t_under_a_gate_label_is_no_rival_holder() -> None:
    r = res("ch15.ex6", "forget gate: c(t-1)에서 뭘 버릴지 정함")
    assert "forget-gate-role" in r.matched, r.matched


def test_explanation_by_example_of_two_lengths_reads_as_any_length() -> None:
    r = res("ch15.q04", "같은 가중치라서 시퀀스가 5스텝이든 500스텝이든 같은 RNN에 넣을 수 있다.")
    assert "any-length" in r.matched


def test_a_postposition_made_of_a_verb_does_not_close_a_clause() -> None:
    # "시퀀스 전체에 대해 반복": 대해 is "about", not a clause ending; the role stays with the layer
    us = units("ch15.q21", "층은 시퀀스 전체에 대해 셀을 반복해 호출한다.")
    assert len({u.clause for u in us if u.form in ("층", "시퀀스", "반복")}) == 1
    r = res("ch15.q21", "layer는 그걸 sequence 전체에 대해 반복해 준다.")
    assert "layer-loops" in r.matched, r.matched
