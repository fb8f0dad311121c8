"""Reading an answer (grader/quiz/normalize.py, clauses.py, negation.py): spacing, particles,
variants, typos, identifiers, and negation in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.quiz import load_bank, score_answer

ROOT = Path(__file__).resolve().parents[2]
QUIZZES = ROOT / "quizzes"


@pytest.fixture(scope="module")
def bank():
    return load_bank(QUIZZES)


def frac(bank, qid: str, text: str) -> float:
    return score_answer(bank[qid], text).fraction


# --- normalisation ----------------------------------------------------------


def test_spacing_particles_and_endings_do_not_matter(bank):
    a = frac(
        bank,
        "ch15.ex5",
        "그래디언트 클리핑과 층 정규화를 씁니다. 단기 기억 문제는 LSTM으로 풉니다. "
        "그래디언트가 폭주하는 문제가 있습니다.",
    )
    b = frac(
        bank,
        "ch15.ex5",
        "그래디언트클리핑이랑 층정규화를 사용해요. 단기기억 문제는 LSTM 셀로 해결해요. 그래디언트 폭주 문제가 생겨요.",
    )
    assert a == pytest.approx(b) and a > 0.5


def test_spelling_variants_and_typos_are_forgiven(bank):
    clean = frac(
        bank,
        "ch15.ex8",
        "각 프레임을 합성곱 신경망에 넣고, 그 특성 시퀀스를 LSTM에 넣어 마지막 출력만 쓰고, 소프트맥스로 분류합니다.",
    )
    typo = frac(
        bank,
        "ch15.ex8",
        "각 프래임을 합성곱 신경망에 넣고, 그 특성 시퀀스를 LSMT에 넣어 마지막 출력만 쓰고, 소프트멕스로 분류합니다.",
    )
    assert clean >= 0.8 and typo >= 0.8


def test_short_terms_are_matched_exactly_not_fuzzily(bank):
    # 손실 (loss) is not 소실 (vanishing): no credit for unstable gradients
    r = score_answer(bank["ch15.ex5"], "손실 함수가 커지는 문제가 있습니다.")
    assert "unstable-gradients" not in r.matched


def test_code_identifiers_match_as_written(bank):
    r = score_answer(bank["ch15.ex3"], "seq2seq에서는 모든 층에 return_sequences=True를 줍니다.")
    assert "seq2seq-all-layers" in r.matched


# --- polarity ---------------------------------------------------------------


def test_negation_flips_a_concept(bank):
    right = "시퀀스-투-시퀀스에서는 모든 순환 층에 return_sequences=True를 설정합니다."
    wrong = "시퀀스-투-시퀀스에서는 모든 순환 층에 return_sequences=True를 설정하지 않습니다."
    assert "seq2seq-all-layers" in score_answer(bank["ch15.ex3"], right).matched
    r = score_answer(bank["ch15.ex3"], wrong)
    assert "seq2seq-all-layers" not in r.matched
    assert "contradicts:seq2seq-all-layers" in r.misconceptions


def test_a_correct_negative_statement_earns_the_concept(bank):
    for text in (
        "시퀀스-투-벡터에서는 마지막 순환 층에 return_sequences=True가 필요 없습니다.",
        "In a seq2vec RNN the top recurrent layer does not return sequences.",
        "seq2vec: the last layer keeps return_sequences=False.",
    ):
        assert "seq2vec-all-but-top" in score_answer(bank["ch15.ex3"], text).matched, text


def test_double_negative_obligation_is_affirmative(bank):
    r = score_answer(bank["ch15.ex3"], "seq2seq에서는 모든 층에 return_sequences=True를 설정하지 않으면 안 됩니다.")
    assert "seq2seq-all-layers" in r.matched


def test_english_negation_precedes_the_term(bank):
    good = score_answer(
        bank["ch15.ex7"], "Conv1D layers do not keep a state between time steps, so they run in parallel."
    )
    assert "no-recurrence" in good.matched and "conv-keeps-state" not in good.misconceptions
    bad = score_answer(bank["ch15.ex7"], "Conv1D layers keep a hidden state between time steps.")
    assert "conv-keeps-state" in bad.misconceptions


def test_misconception_costs_points(bank):
    base = (
        "Unstable gradients: use gradient clipping and layer normalization. Short-term memory: use LSTM or GRU cells."
    )
    with_mistake = base + " Also ReLU fixes exploding gradients."
    assert frac(bank, "ch15.ex5", with_mistake) < frac(bank, "ch15.ex5", base)
    assert "relu-fixes-it" in score_answer(bank["ch15.ex5"], with_mistake).misconceptions
