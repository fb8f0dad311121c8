"""Score one free-text answer against a question's rubric.

Credit comes from concepts found in sentences with the polarity the rubric asks
for; misconceptions and concepts stated the wrong way round cost points. A role
pattern ("삭제 게이트 => @erase") holds only when the role is said of its
holder: the nearest holder in the clause, else the one the sentence or the
heading above it is about, so a swap of two gates' jobs reads as a swap, not as
two half-right statements. Three guards keep gaming out of the `full` band:
keyword lists are capped whatever separates their items, sentences that merely
repeat the question earn nothing, and text that addresses the grader caps the
score and is reported. Every result carries a confidence; below
`REVIEW_THRESHOLD` it is marked for a teacher's review.

This module orchestrates; the parts are `terms` (finding words), `holders` (who a role
is said of), `matching` (where a pattern holds), `compiled` (the rubric analysed once)
and `confidence` (how sure the score is).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from grader.quiz.compiled import Compiled, compiled, prepare
from grader.quiz.confidence import DOUBT_COST, REVIEW_THRESHOLD, assess, combine
from grader.quiz.holders import holders_by_segment
from grader.quiz.lists import lead_in
from grader.quiz.matching import Hit, scan
from grader.quiz.rubric import Concept, Misconception, Question
from grader.quiz.terms import EN_FUZZ, KO_FUZZ, en_similar, ko_similar
from grader.quiz.units import Doc, Segment

KEYWORD_LIST_CAP = 0.6  # concepts named only in labelled lists ("Fixes: a, b, c") earn at most this share
SALAD_CAP = 0.3  # concepts named only in bare runs of terms earn less than a third: band none
INJECTION_CAP = 0.5
MISCONCEPTION_CAP = 0.75  # an answer with a misconception or a contradiction is at best partial
REPEAT_RATIO = 88.0
SALAD_ITEMS = 6  # an unlabelled line of this many terms is a salad, even where lists are fair answers
CRAMMED_CONCEPTS = 3  # a verb-less line naming this many concepts is a keyword list, even with lists_ok
MAX_CHARS = 4000  # longer answers are refused, not scored
TIME_BUDGET_S = 2.0  # CPU seconds per answer; a typical one takes a few milliseconds

_INJECTION = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(ignore|disregard|forget|override)\b.{0,50}\b(instructions?|rubric|rules?|previous|above|prompt|criteria)",
        r"\b(give|award|assign|grant)\b.{0,30}\b(full|max(imum)?|perfect|100\s*%?|all)\b.{0,20}\b(marks?|points?|score|credit)",
        r"\b(full|perfect|maximum)\s+(marks?|score|points?|credit)\b",
        r"\b(grader|grading (system|model|bot)|system prompt|language model|as an ai)\b",
        r"(지시|지침|규칙|채점\s*기준|루브릭|프롬프트|명령).{0,20}(무시|잊어|따르지)",
        r"(만점|최고\s*점|100\s*점|점수를?\s*(최대로|많이|다)?\s*(주|줘|부여|매겨))",
        r"(채점자|채점기|채점\s*시스템|채점\s*봇|채점\s*모델|인공지능\s*채점)",
    )
]


class OutOfTime(Exception):
    """The answer used up its time budget."""


class Deadline:
    """A cooperative time budget: the scorer calls it between steps.

    It counts this thread's CPU time, not the wall clock, so a busy machine
    (a batch on every core) does not cut a normal answer short, while a
    pathological one still stops."""

    def __init__(self, seconds: float | None) -> None:
        self.at = None if seconds is None else time.thread_time() + seconds

    def __call__(self) -> None:
        if self.at is not None and time.thread_time() > self.at:
            raise OutOfTime


@dataclass
class QuizResult:
    question: str
    score: float
    max_score: float
    matched: list[str]
    missing: list[str]
    misconceptions: list[str]
    feedback: str
    lang: str
    flags: list[str] = field(default_factory=list)
    fraction: float = 0.0
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> {ko, en}
    confidence: float = 1.0
    needs_review: bool = False
    doubts: list[str] = field(default_factory=list)  # why the scorer is unsure

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "score": self.score,
            "max_score": self.max_score,
            "matched": self.matched,
            "missing": self.missing,
            "misconceptions": self.misconceptions,
            "feedback": self.feedback,
            "lang": self.lang,
            "flags": self.flags,
            "fraction": round(self.fraction, 4),
            "confidence": round(self.confidence, 3),
            "needs_review": self.needs_review,
            "doubts": self.doubts,
            "labels": self.labels,
        }


def _repeats_prompt(seg: Segment, comp: Compiled) -> bool:
    words = {u.form for u in seg.units}
    for p, p_words in comp.prompt_sentences:
        if (
            len(seg.concat) <= len(p.concat) * 1.15 + 2
            and words <= p_words
            and fuzz.ratio(seg.concat, p.concat) >= REPEAT_RATIO
        ):
            return True
    return False


def _injection(text: str) -> bool:
    return any(rx.search(text) for rx in _INJECTION)


def score_answer(
    question: Question,
    text: str | None,
    *,
    reveal: bool = False,
    budget_s: float | None = TIME_BUDGET_S,
    lang: str | None = None,
) -> QuizResult:
    """Score `text` against `question`; never raises for any string.

    `reveal` adds the model answer to the feedback (the member asked for full
    hints, or has answered this question twice); `budget_s` bounds the time
    spent (None: no bound); `lang` is the feedback's language (None: the
    language the answer is written in, Korean for an empty one).
    """
    text = text or ""
    if len(text) > MAX_CHARS:
        return _unread(question, _lang_of(text), "too_long", feedback_lang=lang)
    comp = compiled(question)
    if not text.strip():
        return _unread(question, lang or "ko", "empty", reveal=reveal, feedback_lang=lang)
    deadline = Deadline(budget_s)
    try:
        return _score(question, comp, text, reveal, deadline, lang)
    except OutOfTime:
        return _unread(
            question, _lang_of(text), "time_budget", confidence=0.0, doubts=("time_budget",), feedback_lang=lang
        )


def _lang_of(text: str) -> str:
    from grader.quiz.normalize import answer_language

    return answer_language(text[:MAX_CHARS])


def _score(
    question: Question, comp: Compiled, text: str, reveal: bool, deadline: Deadline, feedback_lang: str | None = None
) -> QuizResult:
    doc: Doc = comp.norm.analyse(text, deadline)
    flags: list[str] = []
    live = [(i, s) for i, s in enumerate(doc.segments) if not _repeats_prompt(s, comp)]
    if len(live) < len(doc.segments):
        flags.append("repeats_question")
    holders = holders_by_segment(live, comp)

    total = question.total_weight or 1.0
    matched: list[Concept] = []
    missing: list[Concept] = []
    contradicted: list[Concept] = []
    seg_concepts: dict[int, set[str]] = {}
    hits: dict[str, Hit] = {}
    for c in question.concepts:
        hit = scan(live, comp, c.patterns, c.unless, c.polarity, deadline, holders)
        hits[c.id] = hit
        if hit.holds:
            matched.append(c)
            for i in hit.segments:
                seg_concepts.setdefault(i, set()).add(c.id)
        else:
            missing.append(c)
            if hit.contradicted:
                contradicted.append(c)
    found_mis: list[Misconception] = []
    mis_hits: list[Hit] = []
    by_id = {c.id: c for c in question.concepts}
    for m in question.misconceptions:
        h = scan(live, comp, m.patterns, m.unless, m.polarity, deadline, holders, claims_only=True)
        if not h.holds:
            continue
        if m.swap:
            # Where two roles are bound to each other's holders, a concept found there only
            # through words with no holder ("마지막 상태를 다음 배치로") is not stated: the
            # words are right, the relation is wrong. Bound to its own holder as well, or
            # stated elsewhere, it stands; when both stand, there is no swap.
            kept = {}
            for cid in m.swap:
                c = by_id[cid]
                bound = scan(live, comp, [p for p in c.patterns if p.holder], c.unless, c.polarity, deadline, holders)
                kept[cid] = hits[cid].segments - (h.segments - bound.segments)
            if all(kept.values()):
                continue
            for cid, segs in kept.items():
                hit = hits[cid]
                if hit.holds and not segs:
                    hit.holds = False
                    hit.segments = set()
            matched = [c for c in matched if hits[c.id].holds]
            missing = [c for c in question.concepts if not hits[c.id].holds]
            seg_concepts = {}
            for c in matched:
                for i in hits[c.id].segments:
                    seg_concepts.setdefault(i, set()).add(c.id)
        found_mis.append(m)
        mis_hits.append(h)
    statement_idx = set()
    for i, s in live:
        n = len(seg_concepts.get(i, ()))
        if s.statement:
            statement_idx.add(i)
        elif (
            question.lists_ok
            and n < CRAMMED_CONCEPTS
            and (s.separators < SALAD_ITEMS - 1 or s.context is not None or lead_in(s.text))
        ):
            # a verb-less line is fine ("seq2seq: translation"), unless it crams several
            # concepts together or runs on unlabelled the way a keyword list does
            statement_idx.add(i)
    # a list under a label or a heading says what its items are ("대책: A, B, C"): a note,
    # capped; a run of terms with nothing to say what they are is a salad, worth less
    labelled_idx = statement_idx | {i for i, s in live if s.context is not None or lead_in(s.text)}
    scale = 1.0 / question.full_at

    def credit(idx: set[int] | None) -> float:
        w = sum(c.weight for c in matched if idx is None or hits[c.id].segments & idx)
        return min(1.0, w / total * scale)

    frac_all = credit(None)
    # a labelled list inside an answer that states things ("1) 기울기 불안정 … - 대책: A / B / C")
    # is the note form of those statements: the label relates its items to what is stated
    stated_any = any(statement_idx & hits[c.id].segments for c in matched)
    labelled_cap = 1.0 if stated_any and len(statement_idx) >= 2 else KEYWORD_LIST_CAP
    fraction = max(credit(statement_idx), min(credit(labelled_idx), labelled_cap), min(frac_all, SALAD_CAP))
    if frac_all > fraction + 1e-9:
        flags.append("keyword_list")

    # a wrong claim and a concept stated the wrong way round are often the same mistake
    # said twice: the larger of the two costs count, not their sum
    fraction -= max(sum(m.penalty for m in found_mis), sum(c.weight / total * scale for c in contradicted))
    if found_mis or contradicted:
        # a wrong claim keeps an answer out of the full band, whatever else it gets right
        fraction = min(fraction, MISCONCEPTION_CAP)
    if _injection(text):
        flags.append("addresses_grader")
        fraction = min(fraction, INJECTION_CAP)
    if not live:
        fraction = 0.0
    fraction = max(0.0, min(1.0, fraction))
    credited = {i for c in matched for i in hits[c.id].segments}
    confidence, doubts = assess(
        question,
        comp,
        doc,
        live,
        fraction,
        flags,
        matched,
        contradicted,
        found_mis,
        [hits[c.id] for c in matched] + mis_hits,
        frac_all,
        [s for i, s in live if i in credited],
        [holders[i] for i, _ in live if i in credited],
    )
    return _result(
        question,
        fraction,
        matched,
        missing,
        contradicted,
        found_mis,
        doc.lang,
        flags,
        reveal=reveal,
        confidence=confidence,
        doubts=doubts,
        feedback_lang=feedback_lang,
    )


def _unread(
    q: Question,
    lang: str,
    flag: str,
    *,
    feedback_lang: str | None,
    reveal: bool = False,
    confidence: float = 1.0,
    doubts: tuple[str, ...] = (),
) -> QuizResult:
    """No points and every concept missing, for an answer not read through (`flag` says why:
    too long, empty, out of time)."""
    return _result(
        q,
        0.0,
        [],
        list(q.concepts),
        [],
        [],
        lang,
        [flag],
        reveal=reveal,
        confidence=confidence,
        doubts=list(doubts),
        feedback_lang=feedback_lang,
    )


def _result(
    q: Question,
    fraction: float,
    matched: list[Concept],
    missing: list[Concept],
    contradicted: list[Concept],
    mis: list[Misconception],
    lang: str,
    flags: list[str],
    *,
    reveal: bool,
    confidence: float,
    doubts: list[str],
    feedback_lang: str | None = None,
) -> QuizResult:
    from grader.quiz.feedback import compose

    max_score = float(q.points)
    score = round(fraction * max_score, 2)
    text = compose(
        feedback_lang or lang, fraction, flags, missing, contradicted, mis, answer=q.answer if reveal else None
    )
    labels = {c.id: c.label for c in q.concepts} | {m.id: m.label for m in q.misconceptions}
    labels |= {f"contradicts:{c.id}": c.label for c in contradicted}
    return QuizResult(
        question=q.id,
        score=score,
        max_score=max_score,
        matched=[c.id for c in matched],
        missing=[c.id for c in missing],
        misconceptions=[m.id for m in mis] + [f"contradicts:{c.id}" for c in contradicted],
        feedback=text,
        lang=lang,
        flags=flags,
        fraction=fraction,
        labels=labels,
        confidence=confidence,
        needs_review=confidence < REVIEW_THRESHOLD,
        doubts=doubts,
    )


__all__ = [
    "DOUBT_COST",
    "EN_FUZZ",
    "KO_FUZZ",
    "MAX_CHARS",
    "REVIEW_THRESHOLD",
    "Deadline",
    "QuizResult",
    "combine",
    "compiled",
    "en_similar",
    "ko_similar",
    "prepare",
    "score_answer",
]
