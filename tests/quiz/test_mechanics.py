"""Scorer mechanics that should hold for answers nobody tuned on (issue 18).

Each test states a general rule (how a list, a clause or a heading is read) with
examples written for it, in Korean and English, none taken from the evaluation set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.quiz import band, load_bank, score_answer
from grader.quiz.lists import lead_in

from .bank_ctx import BANK, bank_dir, res

# --- 1. a run of bare terms earns less than a third, whatever separates them -----------


@pytest.mark.parametrize(
    "salad",
    [
        "unrolling, forward pass, loss, backpropagation, gradients, shared weights, truncated BPTT",
        "시간 펼치기, 정방향 계산, 비용 함수, 역전파, 그레이디언트, 가중치 공유, 경사 하강법",
        "시간 펼치기 / 정방향 계산 / 비용 함수 / 역전파 / 그레이디언트 / 가중치 공유",
        "unrolling\nforward pass\ncost function\nbackprop\nshared weights\ngradient descent",
        "시간 펼치기 및 정방향 계산 및 비용 함수 및 역전파 및 가중치 공유",
    ],
)
def test_a_bare_run_of_terms_scores_none(salad: str) -> None:
    r = res("ch15.q03", salad)
    assert band(r.fraction) == "none", (salad, r.to_dict())


@pytest.mark.parametrize(
    "salad",
    [
        "translation, forecasting, sentiment, captioning, encoder-decoder, speech, recommendation",
        "번역, 시계열, 감성 분석, 이미지 캡션, 인코더-디코더, 음성 인식, 추천",
    ],
)
def test_a_long_unlabelled_line_is_a_salad_even_where_lists_are_fair(salad: str) -> None:
    assert BANK["ch15.ex1"].lists_ok
    assert band(res("ch15.ex1", salad).fraction) == "none", salad


def test_a_labelled_list_is_a_note_not_a_salad() -> None:
    # the label says what the items are: the fixes of the problem named before
    note = (
        "Unstable gradients and a short memory.\n"
        "Fixes: a smaller learning rate, tanh, gradient clipping, layer norm, dropout, LSTM or GRU cells"
    )
    bare = "unstable gradients, short memory, smaller learning rate, tanh, clipping, layer norm, dropout, LSTM, GRU"
    assert res("ch15.ex5", note).fraction > res("ch15.ex5", bare).fraction
    assert band(res("ch15.ex5", bare).fraction) == "none"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("대책: 작은 학습률, 클리핑, 층 정규화", True),
        ("Fixes: lower lr, tanh, clipping", True),
        ("seq2vec RNN: 감성 분석, 스팸 분류", True),
        ("번역, 시계열, 감성 분석", False),
        ("s=12, 차분, 계절성", False),
        ("입력은 3차원이고 출력도 시퀀스라서 생기는 문제: 길이", False),
    ],
)
def test_what_counts_as_a_label_before_a_list(text: str, label: bool) -> None:
    assert lead_in(text) is label


@pytest.mark.parametrize(
    "text",
    [
        "seq2seq - 날씨 예측, 번역 / seq2vec - 리뷰 감성 분류 / vec2seq - 이미지 캡션 생성, 음악 추천",
        "seq2seq: forecasting, translation | seq2vec: sentiment of a review | vec2seq: image captioning, playlists",
    ],
)
def test_groups_each_led_by_a_label_relate_their_items(text: str) -> None:
    assert band(res("ch15.ex1", text).fraction) == "full", res("ch15.ex1", text).to_dict()


# --- 2. clauses: groups split by " / ", a step "-ㄴ 다음에" ---------------------------


def _clauses(text: str) -> list[str]:
    from grader.quiz.clauses import segment

    seg = segment(text)
    out: dict[int, list[str]] = {}
    for u in seg.units:
        out.setdefault(u.clause, []).append(u.form)
    return [" ".join(v) for _, v in sorted(out.items())]


def test_a_spaced_slash_separates_clauses_but_a_term_slash_does_not() -> None:
    assert len(_clauses("stateless: 매 배치 리셋 / stateful: 상태 유지")) == 2
    assert len(_clauses("vanishing/exploding gradients를 클리핑으로 막는다")) == 1


def test_a_step_then_the_next_are_two_clauses() -> None:
    assert len(_clauses("정방향 계산을 한 다음에 비용을 구한다")) == 2
    assert len(_clauses("구한 후 역전파한다")) == 2
    # "예측한 다음 값": the next value, not "after predicting"
    assert len(_clauses("예측한 다음 값을 입력에 붙인다")) == 1


@pytest.mark.parametrize(
    "text",
    [
        "seq2seq: 모든 층 True / seq2vec: 마지막 순환 층만 빼고 True",
        "seq2seq: True on every layer / seq2vec: True on all but the top recurrent layer",
    ],
)
def test_each_group_binds_its_setting_to_its_own_label(text: str) -> None:
    r = res("ch15.ex3", text)
    assert band(r.fraction) == "full", r.to_dict()


# --- 4. stems: an adjective and its -ize word are two words -------------------------


def test_normalization_is_not_normal_nor_regularization_regular() -> None:
    from grader.quiz.english import latin_form

    assert latin_form("normalization") == latin_form("normalize") != latin_form("normal")
    assert latin_form("regularization") == latin_form("regularizes") != latin_form("regular")
    assert latin_form("parallelize") == latin_form("parallel")  # one idea: stays one stem
    # "a regular LSTM" says nothing about regularization, "layer normalization" nothing
    # about what a regular (normal) LSTM's gates see
    assert "regularize" not in res("ch15.q14", "It works like in a regular LSTM layer.").matched
    r = res("ch15.q16", "Layer normalization of the gate inputs, as in a normalized LSTM.")
    assert "regular-gates-see-x-h" not in r.matched
    assert "regularize" in res("ch15.q14", "Both are regularization against overfitting.").matched


# --- 5. a swap is a misconception, even when the words alone would earn both concepts -----

SWAP_BANK = """
[[question]]
id = "t.q1"
points = 2
prompt = { ko = "두 게이트는 각각 무엇을 하나요?", en = "What does each of the two gates do?" }
answer = { ko = "삭제 게이트는 장기 상태에서 지울 것을, 입력 게이트는 더할 새 정보를 정한다.", en = "The forget gate erases, the input gate adds." }

[[question.concept]]
id = "forget"
label = { ko = "삭제 게이트", en = "forget gate" }
feedback = { ko = "삭제 게이트가 빠졌습니다.", en = "The forget gate is missing." }
match = ["삭제 게이트|forget gate => 지우|erase", "지우|erase + 장기 상태|long-term state"]

[[question.concept]]
id = "input"
label = { ko = "입력 게이트", en = "input gate" }
feedback = { ko = "입력 게이트가 빠졌습니다.", en = "The input gate is missing." }
match = ["입력 게이트|input gate => 더하|add", "더하|add + 새 정보|new information"]

[[question.misconception]]
id = "swapped"
penalty = 0.5
swap = ["forget", "input"]
label = { ko = "뒤바꿈", en = "swapped" }
feedback = { ko = "두 게이트가 바뀌었습니다.", en = "The two gates are swapped." }
"""


@pytest.mark.parametrize(
    "text",
    [
        "The input gate erases parts of the long-term state, and the forget gate adds new information.",
        "입력 게이트는 장기 상태에서 정보를 지우고, 삭제 게이트는 새 정보를 더한다.",
    ],
)
def test_words_with_no_holder_do_not_outweigh_a_swapped_relation(tmp_path: Path, text: str) -> None:
    q = load_bank(bank_dir(tmp_path, SWAP_BANK))["t.q1"]
    r = score_answer(q, text)
    assert "swapped" in r.misconceptions and band(r.fraction) == "none", r.to_dict()
    right = score_answer(
        q,
        text.replace("input", "X")
        .replace("forget", "input")
        .replace("X", "forget")
        .replace("입력", "Y")
        .replace("삭제", "입력")
        .replace("Y", "삭제"),
    )
    assert "swapped" not in right.misconceptions and band(right.fraction) == "full", right.to_dict()


# --- 3. structure: a holder in brackets closing a sentence tags what it is about -----------


@pytest.mark.parametrize(
    "text",
    [
        "LSTM과 달리 두 상태 벡터를 하나로 합친다 (GRU)",
        "Unlike the LSTM, it merges the two state vectors into one (GRU).",
    ],
)
def test_a_bracketed_holder_at_the_end_owns_the_sentence(text: str) -> None:
    assert "single-state" in res("ch15.q15", text).matched


def test_a_label_line_under_a_heading_holds_its_bullets() -> None:
    note = "GRU:\n- 상태 벡터 하나로 합침\n- 출력 게이트 없음\n- z 하나가 삭제·입력 게이트를 함께 제어"
    r = res("ch15.q15", note)
    assert {"single-state", "no-output-gate"} <= set(r.matched), r.to_dict()


def test_a_labelled_list_under_stated_problems_is_their_note_form() -> None:
    note = (
        "1) 기울기가 불안정하다\n"
        "- 긴 시퀀스를 펼치면 아주 깊은 망이 되어 그래디언트가 소실되거나 폭주한다\n"
        "- 대책: 작은 학습률 / tanh / 그래디언트 클리핑 / 층 정규화 / 드롭아웃\n"
        "2) 단기 기억이 짧다\n"
        "- 앞쪽 입력을 점점 잊어버린다\n"
        "- 대책: LSTM, GRU 셀"
    )
    assert band(res("ch15.ex5", note).fraction) == "full", res("ch15.ex5", note).to_dict()
    # statements that earn nothing lend the list nothing: it stays a capped note
    dump = "이 문제는 중요합니다. 열심히 공부했습니다.\n답: 작은 학습률, tanh, 클리핑, 층 정규화, 드롭아웃, LSTM, GRU, 단기 기억"
    r = res("ch15.ex5", dump)
    assert band(r.fraction) != "full" and "keyword_list" in r.flags, r.to_dict()


# --- 2. polarity: denying what one part does alone does not deny the idea ------------------


@pytest.mark.parametrize(
    "text",
    [
        "1D 합성곱 층은 그 자체로는 긴 패턴을 잡기 어렵지만, 스트라이드로 시퀀스를 줄여 주면 뒤의 RNN이 더 긴 패턴을 잡는다.",
        "A Conv1D layer by itself cannot catch long patterns, but with strides it shortens the sequence "
        "so the RNN after it can detect longer patterns.",
    ],
)
def test_a_by_itself_denial_does_not_contradict(text: str) -> None:
    r = res("ch15.ex7", text)
    assert "contradicts:longer-patterns" not in r.misconceptions, r.to_dict()


def test_a_plain_denial_still_contradicts() -> None:
    r = res("ch15.ex7", "스트라이드로 시퀀스를 줄여도 RNN이 더 긴 패턴을 잡을 수는 없다.")
    assert "longer-patterns" not in r.matched, r.to_dict()


# --- 3. structure: a note line "label: A는 … → B는 …" ----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "- 상태 개수: LSTM은 c, h 두 개 → GRU는 하나로 합쳤다",
        "상태 개수: LSTM은 c, h 두 개 -> GRU는 하나로 합침",
        "LSTM과 비교\n- 상태: LSTM은 c와 h → GRU는 하나로 합침",
    ],
)
def test_an_arrow_before_a_new_topic_opens_its_clause_and_the_label_goes_with_it(text: str) -> None:
    # the line's label ("상태") speaks for the clause after the arrow, whose topic is the GRU
    assert "single-state" in res("ch15.q15", text).matched


def test_the_clause_after_the_arrow_keeps_its_own_holder() -> None:
    # the other way round it is the LSTM that has one state: not the GRU's single state
    r = res("ch15.q15", "- 상태 개수: GRU는 c, h 두 개 → LSTM은 하나로 합쳤다")
    assert "single-state" not in r.matched
