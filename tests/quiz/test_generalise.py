"""Relations read the same for every author (issue #18, second round): what is replaced
("X 대신 Y", "the same as X") is no agent of the role, a typo match needs the short words of
a phrase as words, and "all but the top" is an exception, not the top."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.quiz import load_bank, score_answer
from grader.quiz.normalize import Normalizer

ROOT = Path(__file__).resolve().parents[2]
BANK = load_bank(ROOT / "quizzes")


def test_what_is_replaced_is_not_the_holder() -> None:
    doc = Normalizer().analyse("마지막 차원이 입력 특성 수 대신 층의 유닛 수로 바뀐다")
    units = {u.form: u for u in doc.segments[0].units}
    assert units["입력"].compared and units["특성"].compared
    assert not units["유닛"].compared


@pytest.mark.parametrize(
    "text",
    [
        "출력은 [배치, 타임 스텝, 유닛 수]이고, 마지막 차원이 입력 특성 수 대신 층의 유닛 수로 바뀐다.",
        "With return_sequences=True the output is 3D too, so its first two dimensions are the same as the input "
        "and the last is the number of units.",
    ],
)
def test_units_replacing_the_input_features_are_no_misconception(text: str) -> None:
    assert "units-in-input" not in score_answer(BANK["ch15.ex2"], text).misconceptions


@pytest.mark.parametrize(
    "text", ["입력의 마지막 차원은 유닛 수다.", "The input's last dimension is the number of units."]
)
def test_units_said_of_the_input_still_are(text: str) -> None:
    assert "units-in-input" in score_answer(BANK["ch15.ex2"], text).misconceptions


def test_a_short_word_of_a_phrase_must_be_a_word_for_a_typo_match() -> None:
    # "직후" holds the letter 후, but "활성화 함수를 … 직전" is no typo of "활성화 후"
    r = score_answer(
        BANK["ch15.q13"],
        "층 정규화는 셀 안에서 입력과 은닉 상태의 선형 조합 직후, 활성화 함수를 적용하기 직전에 넣습니다.",
    )
    assert "wrong-axis-or-place" not in r.misconceptions
    said = score_answer(BANK["ch15.q13"], "층 정규화는 셀 안에서 활성화 후에 넣습니다.")
    assert "wrong-axis-or-place" in said.misconceptions


@pytest.mark.parametrize(
    "text",
    [
        "시퀀스-투-벡터: RNN 층을 쌓고 마지막 RNN 층만 빼고 return_sequences=True, 출력층은 Dense(7).",
        "Seq2vec: stack RNN layers with return_sequences=True on all but the top one and end with a Dense(7).",
    ],
)
def test_all_but_the_top_layer_is_not_the_top_layer(text: str) -> None:
    assert "options-swapped" not in score_answer(BANK["ch15.ex4"], text).misconceptions


def test_what_others_say_then_concede_is_not_the_writers_claim() -> None:
    q = BANK["ch15.q12"]
    reported = score_answer(
        q,
        "예측값을 입력에 다시 넣어서 반복하면 오차가 누적된다는 말도 있긴 한데, "
        "실제로는 이 방법이 한 번에 10개를 예측하는 RNN보다 더 정확합니다.",
    )
    assert "errors-accumulate" not in reported.matched
    assert "contradicts:errors-accumulate" in reported.misconceptions
    # the same words as the writer's own statement, or agreed with, still count
    assert "errors-accumulate" in score_answer(q, "예측값을 입력에 다시 넣어 반복하면 오차가 누적됩니다.").matched
    assert "errors-accumulate" in score_answer(q, "오차가 누적된다는 설명이 맞습니다.").matched


@pytest.mark.parametrize("denial", ["실제론 아님.", "근데 틀림.", "사실은 아님."])
def test_a_study_note_denial_withdraws_the_clause_before(denial: str) -> None:
    q = BANK["ch15.q09"]
    text = f"SimpleRNN(1)이 선형 모델보다 좋을 것 같지만 {denial} 순진한 예측보다는 낫지만 선형 모델한테 짐."
    assert "beats-linear" not in score_answer(q, text).misconceptions
    assert "beats-linear" in score_answer(q, "SimpleRNN(1)은 선형 모델보다 좋음.").misconceptions


def test_a_number_that_ends_a_sentence_is_read_without_its_period() -> None:
    doc = Normalizer().analyse("Naive forecasting gets about 0.004.")
    assert doc.segments[0].units[-1].form == "0.004"


@pytest.mark.parametrize(
    "text",
    [
        "이 모델의 MSE는 0.020 정도이고 순진한 예측이 0.004라서 순진한 예측이 더 좋습니다.",
        "The linear model gets an MSE of about 0.020, while naive forecasting gets about 0.004.",
    ],
)
def test_the_two_baselines_results_swapped_are_not_full(text: str) -> None:
    r = score_answer(BANK["ch15.q07"], text)
    assert "naive-credited" in r.misconceptions and r.fraction < 0.8


def test_a_misconception_held_only_by_a_condition_is_no_claim() -> None:
    q = BANK["ch15.ex5"]
    # "쓰" is also said plainly in the first clause; the clause that names ReLU is a condition
    cond = score_answer(q, "tanh 쓰기(ReLU 쓰면 터질 수 있음), 그레이디언트 클리핑, 층 정규화")
    assert "relu-fixes-it" not in cond.misconceptions
    assert (
        "relu-fixes-it" in score_answer(q, "그레이디언트 소실은 활성화 함수를 ReLU로 바꾸면 해결됩니다.").misconceptions
    )
