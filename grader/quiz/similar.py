"""Whether a written word is a typo of a rubric term: Korean on jamo, English on stems.

Pure functions of two strings, so the comparisons the scorer makes over and over
(the bank's terms against the same words in answer after answer) are cached.
"""

from __future__ import annotations

import functools

from rapidfuzz import fuzz

from grader.quiz.english import IZE_APART
from grader.quiz.korean import jamo

# Chosen by tools/measure_fuzzy.py on tests/data/fuzzy_pairs.toml (see docs/quiz.md):
# the best recall on real typos with no look-alike word accepted, in the middle
# of the range of thresholds that achieve it. Korean 76-83
# all reach 89% recall with no false match (74 lets 순환/순한-style pairs in);
# English needs > 83.3, the ratio of a 6-letter word with one letter changed
# (causal/casual, stride/strive).
KO_FUZZ = 80.0  # rapidfuzz ratio on jamo, Hangul terms of 3+ syllables
EN_FUZZ = 85.0  # rapidfuzz ratio on stems, Latin words of 6+ letters
KO_FUZZ_MIN_SYLLABLES = 3
EN_FUZZ_MIN_LETTERS = 6


def _ize_apart(stem: str, rest: str) -> bool:
    """Whether `stem` + `rest` is the -ize word of an adjective that means something else."""
    return rest.startswith("iz") and stem.endswith(IZE_APART)


def ko_similar(term: str, written: str, threshold: float = KO_FUZZ) -> bool:
    """A Korean term and a written form read as the same word (spacing ignored).

    Compared on jamo, so one wrong vowel costs one letter; the first consonant
    must agree and short terms must match exactly (소실/손실 are 91% alike).
    """
    a, b = term.replace(" ", ""), written.replace(" ", "")
    if a == b:
        return True
    if len(a) < KO_FUZZ_MIN_SYLLABLES:
        return False
    ja, jb = jamo(a), jamo(b)
    return ja[:1] == jb[:1] and fuzz.ratio(ja, jb) >= threshold


def en_similar(term: str, written: str, threshold: float = EN_FUZZ) -> bool:
    """Two stemmed English forms read as the same word; short ones must be equal."""
    if term == written:
        return True
    if threshold == EN_FUZZ:
        return _en_similar(term, written)
    return _en_compare(term, written, threshold)


@functools.lru_cache(maxsize=1 << 16)
def _en_similar(term: str, written: str) -> bool:
    # the bank's terms meet the same few hundred words in answer after answer
    return _en_compare(term, written, EN_FUZZ)


def _en_compare(term: str, written: str, threshold: float) -> bool:
    words, seen = term.split(), written.split()
    if len(words) > 1:
        # word by word: "forget gate" is not "forget state"
        return len(words) == len(seen) and all(en_similar(a, b, threshold) for a, b in zip(words, seen))
    if len(term) < EN_FUZZ_MIN_LETTERS:
        return False
    short, long_ = sorted((term, written), key=len)
    if long_.startswith(short) and _ize_apart(short, long_[len(short) :]):
        return False  # "regular" is no typo of "regulariz(ation)"
    return term[:1] == written[:1] and fuzz.ratio(term, written) >= threshold


def _one_slip(term: str, window: str) -> bool:
    """A typo is one slip: one syllable with a letter off (프래임/프레임), or one syllable
    dropped or doubled in a long word; not another word sharing a prefix (출력값/출력시퀀스)."""
    if len(term) == len(window):
        diff = [(a, b) for a, b in zip(term, window) if a != b]
        if len(diff) != 1:
            return len(diff) == 0
        ja, jb = jamo(diff[0][0]), jamo(diff[0][1])
        return sum(x == y for x, y in zip(ja, jb)) >= min(len(ja), len(jb)) - 1
    short, long_ = sorted((term, window), key=len)
    if len(long_) - len(short) != 1 or len(short) < 3:
        return False
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@functools.lru_cache(maxsize=1 << 16)
def _ko_typo(term: str, window: str) -> bool:
    # a pure function of two short strings, met again in answer after answer
    return _one_slip(term, window) and ko_similar(term, window)
