"""Score one free-text answer against a question's rubric.

Credit comes from concepts found in sentences with the polarity the rubric asks
for; misconceptions and concepts stated the wrong way round cost points. Three
guards keep gaming out of the `full` band: keyword lists without statements are
capped, sentences that merely repeat the question earn nothing, and text that
addresses the grader caps the score and is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from grader.quiz.bank import Concept, Misconception, Pattern, Question
from grader.quiz.normalize import Doc, Normalizer, Segment, jamo

# Chosen by tools/measure_fuzzy.py on tests/data/fuzzy_pairs.toml (see docs/quiz.md):
# the best recall on real typos with no look-alike word accepted, in the middle
# of the range of thresholds that achieve it. Korean 76-83
# all reach 89% recall with no false match (74 lets 순환/순한-style pairs in);
# English needs > 83.3, the ratio of a 6-letter word with one letter changed
# (causal/casual, stride/strive).
KO_FUZZ = 80.0          # rapidfuzz ratio on jamo, Hangul terms of 3+ syllables
EN_FUZZ = 85.0          # rapidfuzz ratio on stems, Latin words of 6+ letters
KO_FUZZ_MIN_SYLLABLES = 3
EN_FUZZ_MIN_LETTERS = 6
KEYWORD_LIST_CAP = 0.6      # concepts named only in bare lists earn at most this share
INJECTION_CAP = 0.5
REPEAT_RATIO = 88.0
CRAMMED_CONCEPTS = 3        # a verb-less line naming this many concepts is a keyword list

_INJECTION = [re.compile(p, re.IGNORECASE) for p in (
    r"\b(ignore|disregard|forget|override)\b.{0,50}\b(instructions?|rubric|rules?|previous|above|prompt|criteria)",
    r"\b(give|award|assign|grant)\b.{0,30}\b(full|max(imum)?|perfect|100\s*%?|all)\b.{0,20}\b(marks?|points?|score|credit)",
    r"\b(full|perfect|maximum)\s+(marks?|score|points?|credit)\b",
    r"\b(grader|grading (system|model|bot)|system prompt|language model|as an ai)\b",
    r"(지시|지침|규칙|채점\s*기준|루브릭|프롬프트|명령).{0,20}(무시|잊어|따르지)",
    r"(만점|최고\s*점|100\s*점|점수를?\s*(최대로|많이|다)?\s*(주|줘|부여|매겨))",
    r"(채점자|채점기|채점\s*시스템|채점\s*봇|채점\s*모델|인공지능\s*채점)",
)]


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
    labels: dict[str, dict[str, str]] = field(default_factory=dict)   # id -> {ko, en}

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "score": self.score, "max_score": self.max_score,
                "matched": self.matched, "missing": self.missing, "misconceptions": self.misconceptions,
                "feedback": self.feedback, "lang": self.lang, "flags": self.flags,
                "fraction": round(self.fraction, 4), "labels": self.labels}


@dataclass
class _Hit:
    holds: bool = False          # read somewhere with the wanted polarity
    contradicted: bool = False   # read somewhere with the opposite one
    segments: set[int] = field(default_factory=set)


class _Compiled:
    """A question's patterns as unit tuples, built once per process."""

    def __init__(self, q: Question) -> None:
        self.norm = Normalizer(q.variants)
        # each prompt sentence with its words, for spotting answers that repeat it
        self.prompt_sentences = [(seg, {u.form for u in seg.units})
                                 for p in q.prompt.values() for seg in self.norm.analyse(p).segments]
        self._alts: dict[Pattern, list[list[tuple[str, ...]]]] = {}
        self._unless: dict[Pattern, list[tuple[str, ...]]] = {}

    def alts(self, pattern: Pattern) -> list[list[tuple[str, ...]]]:
        if pattern not in self._alts:
            self._alts[pattern] = [[self.norm.phrase(a) for a in group] for group in pattern.groups]
        return self._alts[pattern]

    def unless(self, pattern: Pattern) -> list[tuple[str, ...]]:
        if pattern not in self._unless:
            self._unless[pattern] = [self.norm.phrase(a) for a in pattern.unless]
        return self._unless[pattern]


def compiled(q: Question) -> _Compiled:
    if q._compiled is None:
        q._compiled = _Compiled(q)
    return q._compiled


def _is_hangul(s: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in s)


Occurrence = tuple[bool, int]     # (negated, clause)


def _find(seg: Segment, alt: tuple[str, ...]) -> list[Occurrence]:
    """Each occurrence of `alt` in the segment (empty: absent)."""
    if not alt:
        return []
    target = "".join(alt)
    found: list[Occurrence] = []
    # exact, on the spacing-free concatenation; Latin units and one-syllable
    # Korean units must line up with unit boundaries ("rnn" is not inside
    # "birnn", "층" not inside "계층"); longer Korean terms may sit inside a
    # compound ("정규화" in "층정규화")
    strict_start = not _is_hangul(alt[0]) or len(alt[0]) == 1
    strict_end = not _is_hangul(alt[-1]) or len(alt[-1]) == 1
    start = seg.concat.find(target)
    while start >= 0:
        end = start + len(target)
        if (not strict_start or start in seg.starts) and (not strict_end or end in seg.ends):
            found.append(_state(seg, start, end))
        start = seg.concat.find(target, start + 1)
    if found:
        return found
    return _fuzzy(seg, alt, target)


def _state(seg: Segment, start: int, end: int) -> Occurrence:
    units = sorted({seg.unit_at[i] for i in range(start, end)})
    return any(seg.units[i].negated for i in units), seg.units[units[-1]].clause


def _unit_near(seg: Segment, offset: int) -> int:
    best = 0
    for i, u in enumerate(seg.units):
        if u.start <= offset:
            best = i
    return best


_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")


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
    words, seen = term.split(), written.split()
    if len(words) > 1:
        # word by word: "forget gate" is not "forget state"
        return len(words) == len(seen) and all(en_similar(a, b, threshold) for a, b in zip(words, seen))
    if len(term) < EN_FUZZ_MIN_LETTERS:
        return False
    return term[:1] == written[:1] and fuzz.ratio(term, written) >= threshold


def _fuzzy(seg: Segment, alt: tuple[str, ...], target: str) -> list[Occurrence]:
    if all(_is_hangul(a) for a in alt):
        if len(target) < KO_FUZZ_MIN_SYLLABLES:
            return []
        # in a phrase of several words, the short ones must be there as
        # written: "마지막 스텝" is not a typo of "마지막 층에만"
        words = getattr(alt, "words", ())
        if len(words) > 1 and any(len(w) < KO_FUZZ_MIN_SYLLABLES and w not in seg.text for w in words):
            return []
        out = []
        # Compare with the written words (a typo may hide a morpheme from the
        # analyser: "프래임을" loses its noun), from any syllable of a word, so
        # compounds are searched too.
        for m in _HANGUL_RUN.finditer(seg.text):
            word = m.group()
            for s in range(len(word)):
                for width in (len(target) - 1, len(target), len(target) + 1):
                    window = word[s:s + width]
                    if len(window) == width and ko_similar(target, window):
                        u = seg.units[_unit_near(seg, m.start() + s)] if seg.units else None
                        out.append((u.negated, u.clause) if u else (False, 0))
        return out
    if all(not _is_hangul(a) for a in alt):
        k = len(alt)
        joined = " ".join(alt)
        out = []
        for i in range(0, len(seg.units) - k + 1):
            window = seg.units[i:i + k]
            if all(u.latin for u in window) and en_similar(joined, " ".join(u.form for u in window)):
                out.append((any(u.negated for u in window), window[-1].clause))
        return out
    return []


def _pattern_hit(seg: Segment, pattern: Pattern,
                 groups: list[list[tuple[str, ...]]]) -> tuple[bool, bool] | None:
    """(can be read affirmed, can be read negated) if every group occurs in the
    segment (in one clause, for `clause:` patterns)."""
    per_group: list[list[Occurrence]] = []
    for group in groups:
        occ: list[Occurrence] = []
        for alt in group:
            occ.extend(_find(seg, alt))
        if not occ:
            return None
        per_group.append(occ)
    if pattern.clause:
        shared = set.intersection(*({c for _, c in occ} for occ in per_group))
        if not shared:
            return None
        per_group = [[o for o in occ if o[1] in shared] for occ in per_group]
    affirmed = all(any(not neg for neg, _ in occ) for occ in per_group)
    negated = any(any(neg for neg, _ in occ) for occ in per_group)
    return affirmed, negated


def _scan(doc_segments: list[tuple[int, Segment]], comp: _Compiled, patterns: list[Pattern],
          unless: list[Pattern], polarity: str) -> _Hit:
    """Where the patterns hold, and whether they were read in the wanted polarity."""
    hit = _Hit()
    for idx, seg in doc_segments:
        if any(_pattern_hit(seg, u, comp.alts(u)) for u in unless):
            continue
        for p in patterns:
            if any(_find(seg, a) for a in comp.unless(p)):
                continue
            r = _pattern_hit(seg, p, comp.alts(p))
            if r is None:
                continue
            pol = p.polarity or polarity
            affirmed, negated = r
            if pol == "any" or (pol == "affirm" and affirmed) or (pol == "negate" and negated):
                hit.holds = True
                hit.segments.add(idx)
            elif pol == "affirm":
                # only an explicit negator contradicts; a plain mention of a
                # term a `not:` pattern wants denied is just not the point
                hit.contradicted = True
    return hit


def _repeats_prompt(seg: Segment, comp: _Compiled) -> bool:
    words = {u.form for u in seg.units}
    for p, p_words in comp.prompt_sentences:
        if len(seg.concat) <= len(p.concat) * 1.15 + 2 and words <= p_words \
                and fuzz.ratio(seg.concat, p.concat) >= REPEAT_RATIO:
            return True
    return False


def _injection(text: str) -> bool:
    return any(rx.search(text) for rx in _INJECTION)


def score_answer(question: Question, text: str | None) -> QuizResult:
    """Score `text` against `question`; never raises for any string."""
    text = text or ""
    comp = compiled(question)
    if not text.strip():
        return _result(question, 0.0, [], list(question.concepts), [], [], "ko", ["empty"])
    doc: Doc = comp.norm.analyse(text)
    flags: list[str] = []
    live = [(i, s) for i, s in enumerate(doc.segments) if not _repeats_prompt(s, comp)]
    if len(live) < len(doc.segments):
        flags.append("repeats_question")

    total = question.total_weight or 1.0
    matched: list[Concept] = []
    missing: list[Concept] = []
    contradicted: list[Concept] = []
    stated_weight = 0.0
    seg_concepts: dict[int, set[str]] = {}
    hits: dict[str, _Hit] = {}
    for c in question.concepts:
        hit = _scan(live, comp, c.patterns, c.unless, c.polarity)
        hits[c.id] = hit
        if hit.holds:
            matched.append(c)
            for i in hit.segments:
                seg_concepts.setdefault(i, set()).add(c.id)
        else:
            missing.append(c)
            if hit.contradicted:
                contradicted.append(c)
    statement_idx = {i for i, s in live if s.statement}
    if question.lists_ok:
        # a verb-less line is fine ("seq2seq: translation"), unless it crams
        # several concepts together the way a keyword list does
        statement_idx |= {i for i, s in live if not s.statement
                          and len(seg_concepts.get(i, ())) < CRAMMED_CONCEPTS}
    for c in matched:
        if hits[c.id].segments & statement_idx:
            stated_weight += c.weight
    raw = sum(c.weight for c in matched) / total
    stated = stated_weight / total
    scale = 1.0 / question.full_at
    frac_all = min(1.0, raw * scale)
    frac_stated = min(1.0, stated * scale)
    fraction = max(frac_stated, min(frac_all, KEYWORD_LIST_CAP))
    if frac_all > fraction + 1e-9:
        flags.append("keyword_list")

    found_mis: list[Misconception] = []
    for m in question.misconceptions:
        if _scan(live, comp, m.patterns, m.unless, m.polarity).holds:
            found_mis.append(m)
    fraction -= sum(m.penalty for m in found_mis)
    fraction -= sum(c.weight / total * scale for c in contradicted)
    if _injection(text):
        flags.append("addresses_grader")
        fraction = min(fraction, INJECTION_CAP)
    if not live:
        fraction = 0.0
    fraction = max(0.0, min(1.0, fraction))
    return _result(question, fraction, matched, missing, contradicted, found_mis, doc.lang, flags)


def _result(q: Question, fraction: float, matched: list[Concept], missing: list[Concept],
            contradicted: list[Concept], mis: list[Misconception], lang: str, flags: list[str]) -> QuizResult:
    from grader.quiz.feedback import compose

    max_score = float(q.points)
    score = round(fraction * max_score, 2)
    text = compose(lang, fraction, flags, missing, contradicted, mis)
    labels = {c.id: c.label for c in q.concepts} | {m.id: m.label for m in q.misconceptions}
    labels |= {f"contradicts:{c.id}": c.label for c in contradicted}
    return QuizResult(question=q.id, score=score, max_score=max_score, matched=[c.id for c in matched],
                      missing=[c.id for c in missing],
                      misconceptions=[m.id for m in mis] + [f"contradicts:{c.id}" for c in contradicted],
                      feedback=text, lang=lang, flags=flags, fraction=fraction, labels=labels)
