"""How sure the scorer is of a band: the doubts it has about an answer, and their cost.

Below `REVIEW_THRESHOLD` a score is provisional and marked for a teacher's review.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from grader.quiz.compiled import Compiled
from grader.quiz.holders import family
from grader.quiz.matching import Hit
from grader.quiz.rubric import Concept, Misconception, Question
from grader.quiz.terms import is_hangul
from grader.quiz.units import Doc, Segment

REVIEW_THRESHOLD = 0.469  # below this: scored provisionally, marked for review (tools/quiz_review_calibrate.py)


# How much each doubt costs the confidence (multiplied in). A doubt at 1.0 is reported and
# costs nothing. Only two doubts cost anything besides the distance to a band boundary: they
# are the two that say a right idea may be in words the rubric does not know, and so hold on
# answers nobody tuned on. The hand-set costs of a typo match, unknown words, a short or a long
# answer marked right answers of dev and dev2 more often than wrong ones (with them at 1.0 both
# splits mark fewer and agree as well or better on the rest), so they are reported only.
# The costs of tools/quiz_review_calibrate.py TUNED and REVIEW_THRESHOLD are what that tool
# chose on dev with at most 11% marked (room for unseen answers), then checked on dev2.
DOUBT_COST = {
    "near_boundary": 1.0,  # scaled by the distance instead, see assess
    "conflict": 1.0,  # a misconception or contradiction next to credited concepts
    "typo_match": 1.0,  # a concept found only through a typo
    "borrowed_holder": 1.0,  # a role bound to a heading or an earlier clause
    "unknown_words": 1.0,  # much of the answer uses words the rubric does not know
    "short": 1.0,  # very few words for a credited answer
    "long": 1.0,  # a long answer: more room for things the rubric misreads
    "capped_list": 0.5,  # a keyword list capped below what its terms would earn
    "contrast": 1.0,  # a credited sentence with a contrast, concession or negation
    "rival_holders": 1.0,  # two holders named where a role was credited
    "uncredited_sentences": 0.5,  # a substantive answer below full with sentences that earned nothing
    "list_only": 1.0,  # an answer of terms only, no statement
}
BOUNDARIES = (1 / 3, 0.8)
MARGIN = 0.15  # score distance from a band boundary that counts as clear


# A contrast or concession inside a sentence that earned credit: the clause the polarity
# binds to is where the engine most often misreads an unseen answer ("병렬화는 어렵지만 …")
_CONTRAST = re.compile(
    r"지만|는데|은데|반면|아니라|와\s*달리|과\s*달리|대신|\b(but|although|though|whereas|while|"
    r"however|unlike|instead|rather\s+than|not|isn't|doesn't|don't|aren't)\b",
    re.IGNORECASE,
)


def assess(
    question: Question,
    comp: Compiled,
    doc: Doc,
    live: list[tuple[int, Segment]],
    fraction: float,
    flags: list[str],
    matched: list[Concept],
    contradicted: list[Concept],
    mis: list[Misconception],
    hits: list[Hit],
    frac_all: float,
    credited: Sequence[Segment] = (),
    credited_holders: Sequence[list[Any]] = (),
) -> tuple[float, list[str]]:
    """How sure the scorer is of the band, from 0 to 1, and the reasons for doubt."""
    doubts: list[str] = []
    if any(_CONTRAST.search(s.text) for s in credited):
        doubts.append("contrast")
    if any(len({family(h.term, comp) for h in hs if h.clause >= 0}) >= 2 for hs in credited_holders):
        # two holders named where a role was credited: the words may be bound the wrong way round
        doubts.append("rival_holders")
    if min(abs(fraction - b) for b in BOUNDARIES) < MARGIN:
        doubts.append("near_boundary")
    if (mis or contradicted) and matched:
        doubts.append("conflict")
    if any(h.fuzzy for h in hits):
        doubts.append("typo_match")
    if any(h.borrowed for h in hits):
        doubts.append("borrowed_holder")
    vocab = comp.vocabulary()
    words = [
        u.form
        for _, s in live
        for u in s.units
        if not u.negator and not u.form.isdigit() and (len(u.form) > 1 or is_hangul(u.form))
    ]
    if words:
        unknown = sum(1 for w in words if w not in vocab) / len(words)
        if unknown > 0.6 and len(words) >= 6:
            doubts.append("unknown_words")
        if fraction < 0.8 and len(words) >= 12 and len(live) > len(credited):
            # a substantive answer with sentences that earned nothing: perhaps ideas in words
            # the rubric does not know (the usual way an unseen right answer is under-scored)
            doubts.append("uncredited_sentences")
    if fraction > 0 and len(words) < 5:
        doubts.append("short")
    if len(words) > 120:
        doubts.append("long")
    if "keyword_list" in flags and frac_all >= 0.8:
        doubts.append("capped_list")
    if fraction > 0 and live and not any(s.statement for _, s in live):
        # nothing but terms: teachers differ on what a bare list earns (the labelers of the
        # evaluation set gave such lists anything from none to full), so a teacher decides
        doubts.append("list_only")
    return combine(fraction, doubts, flags), doubts


def combine(fraction: float, doubts: list[str], flags: list[str], costs: dict[str, float] | None = None) -> float:
    """The confidence of a score from its distance to the nearest band boundary and its doubts.

    `costs` defaults to DOUBT_COST; tools/quiz_review_calibrate.py tries others."""
    costs = DOUBT_COST if costs is None else costs
    margin = min(abs(fraction - b) for b in BOUNDARIES)
    conf = 0.4 + 0.6 * min(1.0, margin / MARGIN)
    for d in doubts:
        conf *= costs.get(d, 1.0) or 1.0
    if {"addresses_grader", "repeats_question"} & set(flags) and fraction < 1 / 3:
        conf = max(conf, 0.9)  # a gaming answer scored none is a safe none
    return round(conf, 3)
