"""Reading relations, not only words (issue 18, item 2).

Roles bound to their holder within a clause, across a list lead-in and its
items and across a heading and its bullets; swaps read as misconceptions;
concessions and contrasts keep each clause's polarity; keyword lists are
capped whatever separates their items. The examples are written for these
tests, not taken from the evaluation set.
"""

from __future__ import annotations

import pytest

from grader.quiz import band

from .bank_ctx import ROOT, res

# --- roles within a clause -----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "삭제 게이트는 장기 상태에서 버릴 정보를 고르고, 입력 게이트는 새 정보 중 저장할 것을 고른다.",
        "The forget gate picks what to drop from the long-term state, while the input gate picks what to store.",
        "삭제 게이트는 버릴 정보를, 입력 게이트는 추가할 정보를 결정한다.",  # one clause, two holders
    ],
)
def test_each_gate_gets_its_own_job(text: str) -> None:
    r = res("ch15.ex6", text)
    assert {"forget-gate-role", "input-gate-role"} <= set(r.matched), r.matched
    assert "forget-input-swapped" not in r.misconceptions


@pytest.mark.parametrize(
    "text",
    [
        "삭제 게이트는 새 정보를 추가하고, 입력 게이트는 오래된 정보를 버린다.",
        "The input gate decides what to erase, and the forget gate decides what to add.",
    ],
)
def test_swapped_gate_jobs_are_a_misconception_not_half_credit(text: str) -> None:
    r = res("ch15.ex6", text)
    assert "forget-input-swapped" in r.misconceptions
    assert "forget-gate-role" not in r.matched and "input-gate-role" not in r.matched


def test_swapped_rnn_kinds_in_one_sentence() -> None:
    right = res(
        "ch15.ex1",
        "번역은 시퀀스-투-시퀀스로 하고, 감성 분석은 시퀀스-투-벡터로 하며, 이미지 캡션은 벡터-투-시퀀스로 만든다.",
    )
    wrong = res(
        "ch15.ex1",
        "번역은 시퀀스-투-시퀀스로 하고, 감성 분석은 벡터-투-시퀀스로 하며, 이미지 캡션은 시퀀스-투-벡터로 만든다.",
    )
    assert right.fraction == 1.0
    assert {"vec2seq-classifies", "seq2vec-generates"} <= set(wrong.misconceptions)
    assert band(wrong.fraction) != "full"


def test_which_layer_gets_return_sequences_reversed() -> None:
    r = res("ch15.ex3", "seq2vec에서는 모든 층에 return_sequences=True를 주고, seq2seq에서는 마지막 층만 빼고 준다.")
    assert "kinds-swapped" in r.misconceptions and r.matched == []


def test_a_possessor_owns_the_number_after_it() -> None:
    # the two states are the LSTM's; the single one is the GRU's
    r = res("ch15.q15", "The GRU merges the LSTM's two state vectors into a single state vector h(t).")
    assert "single-state" in r.matched and "gru-has-long-term-state" not in r.misconceptions


def test_respectively_spreads_the_roles_over_the_holders() -> None:
    r = res("ch15.ex6", "삭제·입력·출력 게이트가 장기 상태에서 지울 것, 더할 것, 출력할 것을 각각 결정한다.")
    assert {"forget-gate-role", "input-gate-role", "output-gate-role"} <= set(r.matched), r.matched
    assert not r.misconceptions


# --- across a heading or a lead-in and its items ------------------------------------


def test_a_heading_binds_its_bullets() -> None:
    r = res(
        "ch15.ex1",
        "시퀀스-투-시퀀스:\n- 기계 번역\n- 음성 인식\n시퀀스-투-벡터:\n- 감성 분석\n벡터-투-시퀀스:\n- 이미지 캡션",
    )
    assert r.fraction == 1.0, r.to_dict()


def test_a_lead_in_line_binds_its_items() -> None:
    r = res("ch15.q15", "GRU는 LSTM과 달리\n- 상태 벡터가 하나로 합쳐졌고\n- 출력 게이트가 없다")
    assert {"single-state", "no-output-gate"} <= set(r.matched), r.matched


def test_a_label_before_a_colon_speaks_for_the_whole_line() -> None:
    r = res("ch15.ex1", "벡터-투-시퀀스: 사진 한 장을 받는다. 그 사진을 설명하는 캡션을 만든다.")
    assert "vec2seq-uses" in r.matched


# --- concessions, contrasts and denials -------------------------------------------------


def test_a_concession_keeps_its_negation_in_its_own_clause() -> None:
    good = res("ch15.ex7", "RNN은 병렬화가 어렵지만 1D 합성곱 층은 모든 위치를 병렬로 계산할 수 있다.")
    bad = res("ch15.ex7", "1D 합성곱 층은 병렬화는 어렵지만 긴 패턴을 잘 잡는다.")
    assert "parallel" in good.matched and "conv-not-parallel" not in good.misconceptions
    assert "parallel" not in bad.matched and "conv-not-parallel" in bad.misconceptions


@pytest.mark.parametrize(
    "text",
    [
        "Although recurrent layers cannot be parallelized, convolutions compute every position at once.",
        "Recurrent layers are hard to parallelize, whereas Conv1D layers run in parallel.",
    ],
)
def test_english_contrasts_bind_polarity_to_the_right_clause(text: str) -> None:
    assert "parallel" in res("ch15.ex7", text).matched


def test_a_claim_then_denied_is_not_claimed() -> None:
    r = res("ch15.ex7", "1D 합성곱 층이 상태를 유지한다고 생각하기 쉽지만 그렇지 않다.")
    assert "conv-keeps-state" not in r.misconceptions
    said = res("ch15.ex7", "1D 합성곱 층은 타임 스텝 사이에 상태를 유지한다.")
    assert "conv-keeps-state" in said.misconceptions


def test_what_others_say_is_not_what_the_writer_claims() -> None:
    r = res("ch15.q02", "기본 셀에서는 h(t)와 y(t)가 같다고들 하는데, 실제로는 언제나 다르다.")
    # the writer's own view is the opposite of what "they say"
    assert "simple-cell-equal" not in r.matched and "contradicts:simple-cell-equal" in r.misconceptions


def test_a_condition_is_not_a_claim_but_advice_is() -> None:
    cond = res("ch15.q17", "causal 패딩은 앞쪽에만 0을 채운다. 예측 모델이 미래 값을 보면 정답을 엿보는 셈이다.")
    assert "pads-both-or-end" not in cond.misconceptions
    advice = res("ch15.ex5", "그래디언트 폭주를 막으려면 활성화 함수를 ReLU로 바꾸면 된다.")
    assert "relu-fixes-it" in advice.misconceptions


def test_the_thing_compared_against_is_not_the_agent() -> None:
    r = res("ch15.q12", "반복 예측은 선형 모델보다 못하다.")
    assert "worse-than-linear" in r.matched and "iterative-is-best" not in r.misconceptions


# --- keyword lists, whatever separates them -------------------------------------------


@pytest.mark.parametrize(
    "salad",
    [
        "그래디언트 폭주, 그래디언트 클리핑, 층 정규화, 드롭아웃, LSTM, GRU, 단기 기억, tanh, 작은 학습률",
        "그래디언트 폭주 / 그래디언트 클리핑 / 층 정규화 / 드롭아웃 / LSTM / GRU / 단기 기억 / tanh / 작은 학습률",
        "그래디언트 폭주 → 그래디언트 클리핑 → 층 정규화 → 드롭아웃 → LSTM → 단기 기억 → tanh",
        "그래디언트 폭주 및 그래디언트 클리핑 및 층 정규화 및 드롭아웃 및 LSTM 및 단기 기억 및 tanh",
        "vanishing gradients\nclipping\nlayer norm\ndropout\nLSTM\nshort-term memory\ntanh\nsmaller learning rate",
        "exploding gradients · gradient clipping · layer normalization · dropout · LSTM · short-term memory · tanh",
    ],
)
def test_keyword_lists_are_capped_whatever_the_separator(salad: str) -> None:
    r = res("ch15.ex5", salad)
    assert band(r.fraction) != "full" and "keyword_list" in r.flags, (salad, r.to_dict())


def test_a_study_note_that_relates_its_terms_is_not_a_keyword_list() -> None:
    note = (
        "- 불안정한 그래디언트 → 작은 학습률, tanh, 그래디언트 클리핑, 층 정규화로 완화\n"
        "- 단기 기억 문제: 앞쪽 입력을 잊어버림 → LSTM/GRU 셀 사용"
    )
    r = res("ch15.ex5", note)
    assert "keyword_list" not in r.flags and band(r.fraction) == "full", r.to_dict()


def test_paraphrase_families_live_in_the_lexicon() -> None:
    from grader.quiz.bank import load_lexicon

    lex = load_lexicon(ROOT / "quizzes" / "lexicon.toml")
    assert {"낮추", "줄이", "lower", "reduc"} <= set(lex.families["lower"])  # action for adjective
    assert {"막", "방지", "prevent"} <= set(lex.families["prevent"])  # antonym pairs, one idea
    assert "해결" in lex.note_predicates  # study-note endings
    for text in ("학습률을 낮춘다.", "학습률 줄임", "learning rate를 lower", "Use a smaller learning rate."):
        assert "small-learning-rate" in res("ch15.ex5", text).matched, text
