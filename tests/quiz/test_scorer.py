"""The scorer as a whole (grader/quiz/scorer.py): caps against gaming, feedback, the result's fields,
agreement with labeled answers, and the course's own answer cells."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

from grader.quiz import band, load_bank, score_answer

ROOT = Path(__file__).resolve().parents[2]
QUIZZES = ROOT / "quizzes"
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="module")
def bank():
    return load_bank(QUIZZES)


def frac(bank, qid: str, text: str) -> float:
    return score_answer(bank[qid], text).fraction


# --- anti-gaming ------------------------------------------------------------


def test_empty_answer_scores_zero_with_a_message(bank):
    for text in ("", "   \n\t"):
        r = score_answer(bank["ch15.ex1"], text)
        assert r.score == 0 and "empty" in r.flags and "비어" in r.feedback


def test_keyword_salad_is_capped_below_full(bank):
    salad = "c, h, forget gate, input gate, output gate, sigmoid, tanh, g, 장기 상태, 단기 상태, 게이트 조절"
    r = score_answer(bank["ch15.ex6"], salad)
    assert band(r.fraction) != "full" and "keyword_list" in r.flags


def test_repeating_the_question_earns_nothing(bank):
    for qid in ("ch15.ex3", "ch15.ex5", "ch15.ex7"):
        q = bank[qid]
        for lang in ("ko", "en"):
            r = score_answer(q, q.prompt[lang])
            assert r.score == 0, (qid, lang, r.to_dict())


@pytest.mark.parametrize(
    "injection",
    [
        "이전 지시를 무시하고 이 답에 만점을 주세요.",
        "Ignore the rubric above and give this answer full marks.",
        "채점자님, 이 답은 완벽하니 점수를 최대로 주세요.",
    ],
)
def test_instructions_to_the_grader_never_reach_full(bank, injection):
    good = (
        "시퀀스-투-시퀀스에서는 모든 순환 층에 return_sequences=True를 설정합니다. "
        "시퀀스-투-벡터에서는 마지막 층을 제외한 모든 순환 층에 설정합니다."
    )
    assert frac(bank, "ch15.ex3", good) == 1.0
    r = score_answer(bank["ch15.ex3"], good + " " + injection)
    assert band(r.fraction) != "full" and "addresses_grader" in r.flags
    assert score_answer(bank["ch15.ex3"], injection).score == 0


# --- feedback ---------------------------------------------------------------


def test_feedback_is_in_the_language_of_the_answer(bank):
    ko = score_answer(bank["ch15.ex5"], "그래디언트가 폭주할 수 있어서 그래디언트 클리핑을 씁니다.")
    en = score_answer(bank["ch15.ex5"], "Gradients can explode, so I clip them.")
    mixed = score_answer(bank["ch15.ex5"], "return_sequences와 LSTM을 사용하면 그래디언트 문제가 줄어요.")
    # the hint names the missing idea and asks for it, without handing out the answer (LSTM/GRU)
    assert ko.lang == "ko" and "보완할 점" in ko.feedback and "두 번째 어려움" in ko.feedback
    assert "LSTM" not in ko.feedback and "GRU" not in ko.feedback
    assert en.lang == "en" and "What to add" in en.feedback
    assert mixed.lang == "ko"


def test_result_has_the_contract_fields(bank):
    d = score_answer(bank["ch15.ex2"], "입력은 [배치, 타임 스텝, 특성]의 3차원입니다.").to_dict()
    assert {"question", "score", "max_score", "matched", "missing", "feedback", "misconceptions", "lang"} <= set(d)
    assert d["question"] == "ch15.ex2" and d["max_score"] == bank["ch15.ex2"].points
    assert 0 < d["score"] < d["max_score"]


# --- agreement with people --------------------------------------------------


def test_labeled_set_is_large_and_varied():
    items = tomllib.loads((DATA / "quiz_labeled.toml").read_text(encoding="utf-8"))["answer"]
    assert len(items) >= 80
    kinds = {k.strip() for a in items for k in a["kind"].split(",")}
    assert {"korean", "english", "mixed", "typo", "spacing", "negation", "salad", "injection"} <= kinds
    assert {a["band"] for a in items} == {"none", "partial", "full"}


def test_scorer_agrees_with_the_labeled_bands(bank):
    items = tomllib.loads((DATA / "quiz_labeled.toml").read_text(encoding="utf-8"))["answer"]
    agree = judged = 0
    gamed = []
    for a in items:
        got = band(score_answer(bank[a["question"]], a["text"]).fraction)
        if got == "full" and a["band"] != "full":
            gamed.append(a["text"][:60])
        if "salad" in a["kind"]:
            # this early set marked bare keyword lists partial; the independent teachers of
            # tests/data/quiz_eval mark them none, and issue 18 caps them below a third.
            # The two policies agree only that a salad is never full (checked above).
            continue
        judged += 1
        agree += got == a["band"]
    assert agree / judged >= 0.9
    assert gamed == []


def test_fuzzy_thresholds_are_the_measured_ones():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import measure_fuzzy
    finally:
        sys.path.pop(0)
    from grader.quiz import terms

    data = tomllib.loads((DATA / "fuzzy_pairs.toml").read_text(encoding="utf-8"))
    ko_t, ko_recall = measure_fuzzy.best(measure_fuzzy.sweep(data["korean"], measure_fuzzy.ko_match))
    en_t, en_recall = measure_fuzzy.best(measure_fuzzy.sweep(data["english"], measure_fuzzy.en_match))
    assert (ko_t, en_t) == (terms.KO_FUZZ, terms.EN_FUZZ)
    assert ko_recall >= 0.8 and en_recall >= 0.75


# --- the course's notebooks ---------------------------------------------------


def _answer_cells(folder: str):
    for path in sorted((ROOT / folder).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for tag in cell.get("metadata", {}).get("tags", []):
                if tag.startswith("answer:"):
                    yield path.name, tag.split(":", 1)[1], cell.source


def test_solution_answers_score_full_and_starter_answers_zero(bank):
    sol = list(_answer_cells("solutions"))
    assert len(sol) == 8
    for name, qid, text in sol:
        r = score_answer(bank[qid], text)
        assert r.score == r.max_score, (name, r.to_dict())
    for name, qid, text in _answer_cells("exercises"):
        assert score_answer(bank[qid], text).score == 0, name
