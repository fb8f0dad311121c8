"""The search shortcuts change no result, `prepare` does the pattern work up front, and the
doubts added for unseen answers (contrast, uncredited sentences) are raised where they should be."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from grader.quiz import load_bank, prepare, score_answer, terms
from grader.quiz.compiled import compiled
from grader.quiz.confidence import DOUBT_COST, combine
from grader.quiz.holders import with_context
from grader.quiz.normalize import Normalizer

ROOT = Path(__file__).resolve().parents[2]
BANK = load_bank(ROOT / "quizzes")


def _slow_search(seg, alt):  # type: ignore[no-untyped-def]
    """The search without the per-segment filters: every alternative tried every way."""
    info = terms.alt_info(alt)
    exact = [o for o in terms.search(seg, alt) if not o[3]]
    if exact:
        return exact
    if info.raw_words:
        found = terms.raw_prefix(seg, info.raw_words)
        if found:
            return found
    return terms.fuzzy(seg, alt, info)


@pytest.mark.parametrize(
    "text, term, found",
    [
        (
            "삭제 게이트는 장기 상태에서 지울 부분을 정한다",
            "삭재 게이트",
            False,
        ),  # two words: the short one must be exact
        ("프래임을 하나씩 CNN에 넣는다", "프레임", True),  # a typo of a Hangul term
        ("the gradients keep saturating", "saturat", True),  # an English prefix as written
        ("we use dropuot too", "dropout", True),  # a typo of an English word
        ("use gradient clippng", "gradient clipping", False),  # "clip" is too short to be fuzzy
        ("RNN은 타임 스텝마다 같은 가중치를 쓴다", "타임스텝", True),
        ("the forget gate erases", "forget state", False),  # near, but not a typo of it
    ],
)
def test_filtered_search_finds_what_the_full_search_finds(text: str, term: str, found: bool) -> None:
    norm = Normalizer()
    seg = norm.analyse(text).segments[0]
    alt = norm.phrase(term)
    fast = terms.search(seg, alt)
    seg.__dict__.pop("_index", None)
    assert fast == _slow_search(seg, alt)
    assert bool(fast) is found


def test_the_memo_tells_apart_alternatives_that_analyse_alike() -> None:
    # "시간 순서" and "시간 순서대로" are both 시간 + 순서, but a typo match of the second
    # needs only "시간" as written, the first both words: one must not get the other's result
    norm = Normalizer()
    seg = norm.analyse("입력을 시간순사대로 처리한다").segments[0]
    strict, loose = norm.phrase("시간 순서"), norm.phrase("시간 순서대로")
    assert tuple(strict) == tuple(loose)
    assert terms.find(seg, strict) == []
    assert terms.find(seg, loose) == terms.search(norm.analyse(seg.text).segments[0], loose) != []


def test_the_sieve_never_drops_an_alternative_the_search_finds() -> None:
    # every way of finding a term needs a key the segment has (terms._alt_keys): checked
    # on every alternative of the question against every sentence of the tuning answers
    answers = tomllib.loads((ROOT / "tests" / "data" / "quiz_eval" / "dev.toml").read_text(encoding="utf-8"))
    checked = 0
    for item in answers["answer"][::3]:
        comp = compiled(BANK[item["question"]])
        alts = {a for groups in comp._alts.values() for g in groups for a in g if a}
        for seg in comp.norm.analyse(item["text"]).segments:
            full = with_context(seg)
            keys = terms._seg_keys(full)
            for alt in alts:
                if terms.search(full, alt):
                    checked += 1
                    assert not terms.alt_info(alt).keys.isdisjoint(keys), (full.text, alt)
    assert checked > 100


def test_prepare_analyses_every_pattern_before_the_first_answer() -> None:
    bank = load_bank(ROOT / "quizzes")
    q = bank["ch15.ex6"]
    prepare([q])
    comp = q._compiled
    assert comp is not None
    n = len(comp._alts)
    assert n == len({id(p) for item in [*q.concepts, *q.misconceptions] for p in [*item.patterns, *item.unless]})
    score_answer(q, q.answer["ko"])
    assert len(comp._alts) == n  # scoring added no pattern analysis of its own


def test_questions_of_one_bank_share_one_normaliser() -> None:
    prepare(BANK.values())
    norms = {id(q._compiled.norm) for q in BANK.values() if q._compiled is not None}
    assert len(norms) == 1


def test_a_credited_sentence_with_a_concession_is_doubted() -> None:
    q = BANK["ch15.ex6"]
    plain = score_answer(q, "LSTM 셀은 장기 상태와 단기 상태를 가진다.")
    conceded = score_answer(q, "LSTM 셀은 장기 상태를 가지지만 단기 상태도 가진다.")
    assert "contrast" not in plain.doubts
    assert "contrast" in conceded.doubts
    en = score_answer(q, "An LSTM cell has a long-term state, but it also keeps a short-term state.")
    assert "contrast" in en.doubts


def test_a_long_answer_with_sentences_that_earn_nothing_is_doubted() -> None:
    q = BANK["ch15.ex6"]
    text = (
        "LSTM 셀은 장기 상태와 단기 상태를 가진다. 이 셀은 주로 자연어 처리에서 널리 쓰이며 "
        "연구자들이 오랫동안 다양한 방식으로 개선해 왔고 지금도 여러 분야에서 활용되고 있다."
    )
    r = score_answer(q, text)
    assert r.fraction < 0.8 and "uncredited_sentences" in r.doubts
    assert "uncredited_sentences" not in score_answer(q, q.answer["ko"]).doubts


def test_confidence_falls_with_each_costly_doubt() -> None:
    # the costly ones are whichever the calibration left below 1
    costly = [d for d, c in DOUBT_COST.items() if c < 1][:2]
    base = combine(0.55, [], [])
    one = combine(0.55, costly[:1], [])
    two = combine(0.55, costly, [])
    assert len(costly) == 2 and base > one > two
    assert combine(0.55, ["rival_holders"], [], {"rival_holders": 1.0}) == base
    assert combine(0.34, [], []) < base  # nearer a band boundary


def test_the_calibration_tool_refuses_the_heldout_split() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import quiz_review_calibrate
    finally:
        sys.path.pop(0)
    with pytest.raises(SystemExit, match="heldout"):
        quiz_review_calibrate.score_splits(["heldout"])
