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
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from rapidfuzz import fuzz

from grader.quiz.bank import Concept, Misconception, Pattern, Question, RubricItem
from grader.quiz.normalize import Doc, Normalizer, Segment, Unit, jamo

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
KEYWORD_LIST_CAP = 0.6  # concepts named only in bare lists earn at most this share
INJECTION_CAP = 0.5
MISCONCEPTION_CAP = 0.75  # an answer with a misconception or a contradiction is at best partial
REPEAT_RATIO = 88.0
CRAMMED_CONCEPTS = 3  # a verb-less line naming this many concepts is a keyword list, even with lists_ok
MAX_CHARS = 4000  # longer answers are refused, not scored
TIME_BUDGET_S = 2.0  # CPU seconds per answer; a typical one takes a few milliseconds
REVIEW_THRESHOLD = 0.368  # below this: scored provisionally, marked for review (tools/quiz_review_calibrate.py)

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


@dataclass
class _Hit:
    holds: bool = False  # read somewhere with the wanted polarity
    contradicted: bool = False  # read somewhere with the opposite one
    segments: set[int] = field(default_factory=set)
    fuzzy: bool = False  # found only through a typo match
    borrowed: bool = False  # the holder came from a heading or an earlier clause


_GENERIC = set(
    [
        "것",
        "수",
        "등",
        "때",
        "이",
        "그",
        "저",
        "더",
        "잘",
        "또",
        "및",
        "매우",
        "아주",
        "좀",
        "같",
        "있",
        "되",
        "하",
        "보",
        "있다",
        "경우",
        "방법",
        "문제",
        "점",
        "위",
        "통해",
        "대해",
        "때문",
        "이유",
        "있",
        "가지",
        "여러",
        "모든",
        "각",
        "정도",
        "부분",
        "쪽",
        "때문에",
        "즉",
        "또한",
        "그리고",
        "그래서",
        "하지만",
        "따라서",
        "그러나",
        "의",
        "를",
        "은",
        "는",
        "이다",
        "것이다",
        "답",
        "생각",
    ]
)


_NORMALIZERS: dict[Any, Normalizer] = {}


def _normalizer(variants: dict[str, list[str]], note_predicates: frozenset[str]) -> Normalizer:
    """One normaliser per bank: its questions share the variants, the lexicon and so the
    analysis of every pattern phrase (half the phrases recur across questions)."""
    key = (tuple((k, tuple(v)) for k, v in sorted(variants.items())), note_predicates)
    norm = _NORMALIZERS.get(key)
    if norm is None:
        norm = _NORMALIZERS[key] = Normalizer(variants, note_predicates)
    return norm


class _Compiled:
    """A question's patterns as unit tuples, built once per process."""

    def __init__(self, q: Question) -> None:
        from grader.quiz.normalize import register_terms

        register_terms(q.lexicon.nouns if q.lexicon else frozenset())  # before anything is analysed
        self.norm = _normalizer(q.variants, q.lexicon.note_predicates if q.lexicon else frozenset())
        # each prompt sentence with its words, for spotting answers that repeat it
        self.prompt_sentences = [
            (seg, {u.form for u in seg.units}) for p in q.prompt.values() for seg in self.norm.analyse(p).segments
        ]
        self._alts: dict[int, list[list[tuple[str, ...]]]] = {}
        self._unless: dict[int, list[tuple[str, ...]]] = {}
        self.holders = [(h, self.norm.phrase(h)) for h in q.holders()]
        self.holder_groups = {p.holder for item in [*q.concepts, *q.misconceptions] for p in item.patterns if p.holder}
        # holder -> every role word some pattern gives it: who competes for a word
        self.roles: dict[str, set[tuple[str, ...]]] = {}
        for item in [*q.concepts, *q.misconceptions]:
            for p in item.patterns:
                for h in p.holder:
                    self.roles.setdefault(h, set()).update(a for g in self.alts(p) for a in g)
        self._vocab: set[str] | None = None
        self.q = q

    # keyed by identity: hashing a pattern (all its groups) on every lookup cost more than
    # the lookup; the question keeps its patterns alive as long as this object
    def alts(self, pattern: Pattern) -> list[list[tuple[str, ...]]]:
        found = self._alts.get(id(pattern))
        if found is None:
            found = self._alts[id(pattern)] = [[self.norm.phrase(a) for a in group] for group in pattern.groups]
        return found

    def unless(self, pattern: Pattern) -> list[tuple[str, ...]]:
        found = self._unless.get(id(pattern))
        if found is None:
            found = self._unless[id(pattern)] = [self.norm.phrase(a) for a in pattern.unless]
        return found

    def vocabulary(self) -> set[str]:
        """Every unit the rubric, the prompt or the model answer uses: what the scorer can read."""
        if self._vocab is None:
            vocab: set[str] = set(_GENERIC)
            items: list[RubricItem] = [*self.q.concepts, *self.q.misconceptions]
            for item in items:
                for p in [*item.patterns, *item.unless]:
                    groups: list[Sequence[tuple[str, ...]]] = [
                        *self.alts(p),
                        self.unless(p),
                        [self.norm.phrase(h) for h in p.holder if h != "*"],
                    ]
                    for group in groups:
                        for alt in group:
                            vocab.update(alt)
            for text in [*self.q.prompt.values(), *self.q.answer.values()]:
                for seg in self.norm.analyse(text).segments:
                    vocab.update(u.form for u in seg.units)
            self._vocab = vocab
        return self._vocab


def compiled(q: Question) -> _Compiled:
    if q._compiled is None:
        q._compiled = _Compiled(q)
    return q._compiled


def prepare(questions: Iterable[Question]) -> None:
    """Analyse every pattern, prompt and model answer of these questions now.

    Scoring does it lazily, question by question; a batch that will score many
    answers calls this once after loading the bank, so the first answers are not
    slower than the rest and the time of each answer is its own."""
    for q in questions:
        comp = compiled(q)
        for item in [*q.concepts, *q.misconceptions]:
            for p in [*item.patterns, *item.unless]:
                comp.alts(p)
                comp.unless(p)
        comp.vocabulary()


_STEM_PREFIX = re.compile(r"[a-z]{5,}")
_HANGUL_CHAR = re.compile(r"[\uac00-\ud7a3]")


def _is_hangul(s: str) -> bool:
    return _HANGUL_CHAR.search(s) is not None


# (clause, first unit, last unit, found by a typo match)
Occurrence = tuple[int, int, int, bool]


def _find(seg: Segment, alt: tuple[str, ...]) -> list[Occurrence]:
    """Each occurrence of `alt` in the segment (empty: absent); remembered per segment,
    since many patterns of a question share their words."""
    found = seg.found.get(alt)
    if found is None:
        found = seg.found[alt] = _search(seg, alt) if alt else []
    return found


class _AltInfo(NamedTuple):
    """What the search needs to know of a pattern alternative, worked out once per alternative."""

    target: str
    strict_start: bool
    strict_end: bool
    raw_words: tuple[str, ...]  # English words as written, for the prefix match ("" : none)
    hangul: bool  # every unit Hangul: typo match on jamo
    latin: bool  # no unit Hangul: typo match on stems
    first_initial: str  # the first letter of the first syllable (Hangul)
    short_words: tuple[str, ...]  # the short words of a Hangul phrase, which must be there as written


# keyed by the forms and the words as written: two alternatives that analyse alike
# ("saturat", "saturation") still differ in their prefix match
_ALT_INFO: dict[tuple[tuple[str, ...], tuple[str, ...]], _AltInfo] = {}


def _alt_info(alt: tuple[str, ...]) -> _AltInfo:
    info = getattr(alt, "info", None)  # a Phrase keeps its own
    if info is not None:
        return info
    key = (tuple(alt), getattr(alt, "words", ()))
    info = _ALT_INFO.get(key)
    if info is None:
        target = "".join(alt)
        # Latin units and one-syllable Korean units must line up with unit
        # boundaries ("rnn" is not inside "birnn", "층" not inside "계층");
        # longer Korean terms may sit inside a compound ("정규화" in "층정규화")
        strict_start = not _is_hangul(alt[0]) or len(alt[0]) == 1
        # an English word of five letters or more may be written as a stem ("dimens",
        # "classif") that the stemmer cuts once more: let it end inside a word
        strict_end = (not _is_hangul(alt[-1]) and not _STEM_PREFIX.fullmatch(alt[-1])) or len(alt[-1]) == 1
        words = getattr(alt, "words", ())
        raw: tuple[str, ...] = ()
        if all(u.isascii() for u in alt):
            ws = [w.lower() for w in words if re.fullmatch(r"[A-Za-z]+", w)]
            if ws and len(ws) == len(alt) and len(ws[-1]) >= 4:
                raw = tuple(ws)
        hangul = all(_is_hangul(a) for a in alt)
        info = _AltInfo(
            target,
            strict_start,
            strict_end,
            raw,
            hangul,
            not any(_is_hangul(a) for a in alt),
            jamo(target[0])[0] if hangul and target else "",
            tuple(w for w in words if len(w) < KO_FUZZ_MIN_SYLLABLES) if len(words) > 1 else (),
        )
        _ALT_INFO[key] = info
    if hasattr(alt, "words"):
        alt.info = info  # type: ignore[attr-defined]
    return info


class _SegIndex(NamedTuple):
    """A segment's words arranged for the typo and prefix searches, built once per segment."""

    latin_by_initial: dict[str, list[int]]  # first letter -> indices of Latin units
    raws: list[tuple[int, str]]  # (index, word as written) of Latin units
    raw_heads: frozenset[str]  # those words, and their first four letters
    initials: str  # first letters of every Hangul syllable
    syllables: frozenset[str]  # every Hangul syllable written


def _seg_index(seg: Segment) -> _SegIndex:
    cached = seg.__dict__.get("_index")
    if cached is None:
        by_initial: dict[str, list[int]] = {}
        raws = []
        for i, u in enumerate(seg.units):
            if u.latin:
                by_initial.setdefault(u.form[:1], []).append(i)
                if u.raw:
                    raws.append((i, u.raw))
        cached = _SegIndex(
            by_initial,
            raws,
            frozenset(r for _, w in raws for r in (w, w[:4])),
            "".join(x[2] for x in _initials(seg)),
            frozenset(ch for x in _initials(seg) for ch in x[1]),
        )
        seg.__dict__["_index"] = cached
    return cached


def _search(seg: Segment, alt: tuple[str, ...]) -> list[Occurrence]:
    info = getattr(alt, "info", None) or _alt_info(alt)
    target = info.target
    found: list[Occurrence] = []
    # exact, on the spacing-free concatenation (see _AltInfo for the boundary rules)
    start = seg.concat.find(target)
    if start < 0 and not info.raw_words and not info.hangul and not info.latin:
        return found  # a mixed Hangul-Latin term has no typo match
    while start >= 0:
        end = start + len(target)
        # a stem may end inside a word, not inside an identifier ("encoder" in "encoder_decoder")
        inside_code = not info.strict_end and end not in seg.ends and not seg.units[seg.unit_at[end - 1]].form.isalpha()
        if (
            (not info.strict_start or start in seg.starts)
            and (not info.strict_end or end in seg.ends)
            and not inside_code
        ):
            a, b = seg.unit_at[start], seg.unit_at[end - 1]
            found.append((seg.units[b].clause, a, b, False))
        start = seg.concat.find(target, start + 1)
    if found:
        return found
    # the slower searches only where the segment has what they need (see _raw_prefix, _fuzzy)
    index = _seg_index(seg)
    if info.raw_words and (info.raw_words[0] if len(info.raw_words) > 1 else info.raw_words[0][:4]) in index.raw_heads:
        found = _raw_prefix(seg, info.raw_words)
        if found:
            return found
    if info.hangul and (len(target) < KO_FUZZ_MIN_SYLLABLES or info.first_initial not in index.initials):
        return found
    if info.latin and (
        (len(alt) == 1 and len(target) < EN_FUZZ_MIN_LETTERS) or target[:1] not in index.latin_by_initial
    ):
        return found
    return _fuzzy(seg, alt, info)


def _raw_prefix(seg: Segment, words: tuple[str, ...]) -> list[Occurrence]:
    """English words as written, the last one as a prefix: a rubric's "saturat" or "dimens"
    meets "saturating" and "dimension" whatever the stemmer makes of either. Not across
    -ful/-less: "state" is not "stateless"."""
    k = len(words)
    out: list[Occurrence] = []
    first, last_word = words[0], words[-1]
    for i, raw in _seg_index(seg).raws:
        if (raw != first if k > 1 else not raw.startswith(first)) or i + k > len(seg.units):
            continue
        window = seg.units[i : i + k]
        if not all(u.latin and u.raw for u in window):
            continue
        if all(u.raw == w for u, w in zip(window[:-1], words[:-1])):
            last = window[-1].raw
            if last.isalpha() and last.startswith(last_word) and not last[len(last_word) :].startswith(("ful", "less")):
                out.append((window[-1].clause, i, i + k - 1, False))
    return out


def _unit_near(seg: Segment, offset: int) -> int:
    best = 0
    for i, u in enumerate(seg.units):
        if u.start <= offset and u.clause >= 0:
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


def _initials(seg: Segment) -> list[tuple[int, str, str]]:
    """(offset, word, first letter of each syllable) for every Hangul run: a cheap filter
    before the jamo comparison, whose first letters must agree."""
    cached = seg.found.get(("\0initials",))
    if cached is None:
        cached = [
            (m.start(), m.group(), "".join(jamo(ch)[0] for ch in m.group())) for m in _HANGUL_RUN.finditer(seg.text)
        ]
        seg.found[("\0initials",)] = cached
    return cached


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


def _fuzzy(seg: Segment, alt: tuple[str, ...], info: _AltInfo) -> list[Occurrence]:
    target = info.target
    if info.hangul:
        if len(target) < KO_FUZZ_MIN_SYLLABLES or not seg.units:
            return []
        first = info.first_initial
        index = _seg_index(seg)
        if first not in index.initials:
            return []  # no syllable starts with the term's first letter: no typo of it either
        if sum(ch in index.syllables for ch in target) < len(target) - 1:
            return []  # one slip leaves all syllables but one as written (see _one_slip)
        # in a phrase of several words, the short ones must be there as
        # written, as words: "마지막 스텝" is not a typo of "마지막 층에만", nor
        # "활성화 함수 … 직후" of "활성화 후"
        if any(not re.search(r"(?<![\uac00-\ud7a3])" + re.escape(w), seg.text) for w in info.short_words):
            return []
        out: list[Occurrence] = []
        # Compare with the written words (a typo may hide a morpheme from the
        # analyser: "프래임을" loses its noun), from any syllable of a word, so
        # compounds are searched too.
        for offset, word, initials in _initials(seg):
            for s in range(len(word)):
                if initials[s] != first:
                    continue
                for width in (len(target) - 1, len(target), len(target) + 1):
                    window = word[s : s + width]
                    if len(window) == width and _one_slip(target, window) and ko_similar(target, window):
                        i = _unit_near(seg, offset + s)
                        out.append((seg.units[i].clause, i, i, True))
        return out
    if info.latin:
        k = len(alt)
        if k == 1 and len(target) < EN_FUZZ_MIN_LETTERS:
            return []
        joined = " ".join(alt)
        out = []
        for i in _seg_index(seg).latin_by_initial.get(joined[:1], ()):
            if i + k > len(seg.units):
                break
            head = seg.units[i]
            span = seg.units[i : i + k]
            if k == 1 and abs(len(head.form) - len(joined)) > 3:
                continue
            if all(u.latin for u in span) and en_similar(joined, " ".join(u.form for u in span)):
                out.append((span[-1].clause, i, i + k - 1, True))
        return out
    return []


def _negated(units: list[Unit], occ: Occurrence, covered: set[int]) -> bool:
    """Whether a negator outside the pattern's own words governs the occurrence."""
    _, a, b, _ = occ
    return any(sum(1 for g in units[k].governors if g not in covered) % 2 for k in range(a, b + 1))


@dataclass
class _Match:
    affirmed: bool
    negated: bool
    fuzzy: bool
    borrowed: bool
    clauses: set[int] = field(default_factory=set)


INHERITED = -2  # the clause of a holder carried over from the sentence before


class Holder(NamedTuple):
    """A holder named in a segment: who a role can belong to."""

    term: str
    clause: int
    first: int
    last: int
    topic: bool  # marked as topic or subject (은/는/이/가)
    oblique: bool  # in a prepositional phrase or marked by 에/로/보다: not an agent
    predicative: bool  # "…는 X다", "… by X", "… is X"
    weak: bool  # a possessor ("LSTM의", "the LSTM's"): only when nothing else fits


def _words_between(seg: Segment, a: int, b: int) -> int:
    """Written words from unit a up to unit b, counting a's own (dropped ones too: "must also have the")."""
    if seg.units[a].clause < 0 or seg.units[b].clause < 0:
        return 99
    return len(re.findall(r"[A-Za-z0-9_'’]+|[\uac00-\ud7a3]+", seg.text[seg.units[a].start : seg.units[b].start]))


def _bracketed(seg: Segment, h: Holder) -> bool:
    if h.clause < 0:
        return False
    at = seg.units[h.first].start
    return seg.text[:at].count("(") > seg.text[:at].count(")")


def _cut_between(seg: Segment, a: int, b: int) -> bool:
    if not seg.cuts or seg.units[a].clause < 0 or seg.units[b].clause < 0:
        return False
    lo, hi = seg.units[a].start, seg.units[b].start
    return any(lo < c < hi for c in seg.cuts)


_RESPECTIVELY = {"각각", "respect", "respectiv", "순서대로", "차례대로", "차례로"}


def _respectively(seg: Segment, clause: int, before: list[Holder], first: int) -> Holder | None:
    """ "삭제·입력·출력 게이트가 지울 것, 더할 것, 내보낼 것을 각각 정한다": the i-th role listed
    after the holders belongs to the i-th holder."""
    if (
        len(before) < 2
        or seg.units[first].clause < 0
        or not any(u.form in _RESPECTIVELY for u in seg.units if u.clause == clause)
    ):
        return None
    ordered = sorted({(h[2], h[3]): h for h in before}.values(), key=lambda h: h[2])
    after = seg.units[ordered[-1][3]].start
    index = sum(1 for c in seg.cuts if after < c < seg.units[first].start)
    return ordered[index] if index < len(ordered) else None


def _bound_holder(
    seg: Segment, holders: list[Holder], clause: int, first: int, last: int
) -> tuple[Holder | None, bool]:
    """The holder a role stated between units first..last belongs to, and whether it was borrowed.

    The nearest holder before it in the clause ("삭제 게이트는 … 지운다"), else
    the nearest after it in the clause ("… 지우는 것은 삭제 게이트"), else the
    last one named before it in the sentence or in the heading above.
    """
    # a holder the sentence denies before the role ("입력 특성 수가 아니라 … 유닛 수") is not its owner
    holders = [
        h
        for h in holders
        if not (
            h.clause >= 0
            and h.last < first
            and any(h.last < g < first for k in range(h.first, h.last + 1) for g in seg.units[k].governors)
        )
    ]
    same = [h for h in holders if h[1] == clause]
    # a holder in a comparison or a prepositional phrase ("선형 모델보다", "parts of g(t)") is not the agent
    before = [h for h in same if h[3] < first and not h[5]]
    # a holder right after the role word is what it describes: "a vector-to-sequence decoder"
    # ("벡터-투-시퀀스 네트워크인 디코더": one word may come between)
    # in English the noun comes right after its modifier; in Korean "X인 Y" puts one word between
    nxt = seg.units[last + 1] if last + 1 < len(seg.units) else seg.units[last]
    reach = 1 if nxt.latin else 2
    adjacent = [
        h
        for h in same
        if 0 < h[2] - last <= reach
        and not any(seg.units[k].boundary for k in range(last, h[2]))
        and _words_between(seg, last, h[2]) <= reach
    ]
    if adjacent:
        return adjacent[0], False
    spread = _respectively(seg, clause, before, first)
    if spread is not None:
        return spread, False
    # a possessor right before the role owns it ("the LSTM's two state vectors"); one further
    # away yields to any other holder ("입력의 마지막 차원은 유닛 수" has no other)
    owner = [h for h in before if h.weak and _words_between(seg, h.last, first) <= 1]
    if owner:
        return max(owner, key=lambda h: h.last), False
    before = [h for h in before if not h.weak] or before
    if before:
        if seg.units[first].latin:
            # English: the nearest holder before it
            return max(before, key=lambda h: (h[3], h[3] - h[2])), False
        # Korean: the topic or subject (은/는/이/가) is the agent, else the nearest mention
        return max(before, key=lambda h: (h[4], h[3], h[3] - h[2])), False
    # a holder after the role counts only within the same stretch of text:
    # in "…which parts to erase, the input gate decides…" the comma ends the forget gate's part
    after = [
        h
        for h in same
        if h[2] > last
        and not h[5]
        and not _cut_between(seg, last, h[2])
        and (h[4] or h[6] or not seg.units[first].latin)
    ]  # English: only "… by X", "… is X"
    if after:
        return min(after, key=lambda h: (h[2], h[2] - h[3])), False
    # an earlier clause: its topic ("출력도 …하고, 마지막 차원은 …") before a mere mention
    earlier = [h for h in holders if h[3] < first and h[1] != INHERITED and not h[5]]
    earlier = [h for h in earlier if not h.weak] or earlier
    if earlier:
        if seg.units[first].latin:
            # English: the nearest one ("the LSTM's" is a possessive, not a candidate)
            return max(earlier, key=lambda h: (h[3], h[3] - h[2])), True
        return max(earlier, key=lambda h: (h[4], h[3], h[3] - h[2])), True
    # Korean often names the category last: "…리뷰의 별점을 예측하는 건 시퀀스-투-벡터다"
    # (only a holder the sentence predicates, not any later mention)
    later = [h for h in holders if h[2] > last and h[1] != INHERITED and not h[5] and h[6]]
    if later:
        return min(later, key=lambda h: h[2]), True
    # else the one the previous sentence was about: "X는 …입니다. 예: 번역, 음성 인식"
    inherited = [h for h in holders if h[1] == INHERITED]
    if inherited:
        return inherited[0], True
    return None, False


def _pattern_hit(
    seg: Segment,
    pattern: Pattern,
    groups: list[list[tuple[str, ...]]],
    holders: list[Any],
    claims_only: bool = False,
    roles: dict[str, set[tuple[str, ...]]] | None = None,
) -> _Match | None:
    """How the pattern reads in the segment, if every group occurs there
    (in one clause for `clause:` patterns; said of the right holder for role patterns)."""
    # role words inside a holder's name ("forget" in "forget gate", 순환 in 순환 층) say nothing
    # about a role; a group may name another holder whole ("… + 선형 모델")
    own = [(h[2], h[3]) for h in holders if h[0] in pattern.holder] if pattern.holder else []
    named = [(h[2], h[3]) for h in holders if h[1] >= 0] if pattern.holder else []
    per_group: list[list[Occurrence]] = []
    group_alts: list[list[tuple[str, ...]]] = []
    for group in groups:
        occ: list[Occurrence] = []
        which: list[tuple[str, ...]] = []
        for alt in group:
            found = _find(seg, alt)
            occ.extend(found)
            which.extend([alt] * len(found))
        if named:
            keep = [
                i
                for i, o in enumerate(occ)
                if not any(a <= o[1] and o[2] <= b for a, b in own)
                and not any(a <= o[1] and o[2] <= b and (a, b) != (o[1], o[2]) for a, b in named)
            ]
            occ, which = [occ[i] for i in keep], [which[i] for i in keep]
        if not occ:
            return None
        per_group.append(occ)
        group_alts.append(which)
    roles = roles or {}
    if claims_only and seg.text.rstrip().endswith(("?", "？")):
        return None  # "Dense에도 필요?": a question asked, not a claim made
    if claims_only and all(all(o[0] < 0 for o in occ) for occ in per_group):
        return None  # all of it in the heading above: the heading is scored (or asked) on its own
    if claims_only and all(
        all(seg.units[k].hypothetical for o in occ for k in range(o[1], o[2] + 1)) for occ in per_group
    ):
        return None  # a misconception is a claim, not a condition ("미래 값을 보면 정답을 엿보는 셈")
    borrowed = False
    if pattern.clause:
        # the heading's units (clause -1) go with every clause of the line under it
        body = [{c for c, *_ in occ if c >= 0} for occ in per_group]
        wild = [any(c < 0 for c, *_ in occ) for occ in per_group]
        candidates = set.union(*body) if body else set()
        shared = {c for c in candidates if all(c in b or w for b, w in zip(body, wild))}
        if not shared and all(wild):
            shared = {-1}
        if not shared:
            return None
        if pattern.holder:
            # the role is bound where its first word is said
            anchors = []
            # a claim names whom it is about in its own sentence (not in code between brackets),
            # or in the heading above it
            bind = [h for h in holders if h.clause != INHERITED and not _bracketed(seg, h)] if claims_only else holders
            for o in per_group[0]:
                if o[0] not in shared and not (o[0] < 0 and -1 in shared):
                    continue
                h, lent = _bound_holder(seg, bind, o[0], o[1], o[2])
                # "*": the role may go unsaid whose it is ("병렬로 계산된다" about the layer asked of)
                if (h is not None and h[0] in pattern.holder) or (h is None and "*" in pattern.holder):
                    anchors.append(o)
                    borrowed = borrowed or lent
            if not anchors:
                return None
            shared = {o[0] for o in anchors}
            per_group[0] = anchors
            group_alts[0] = [group_alts[0][0]] * len(anchors)
            # the other parts of the role belong to the same holder: "LSTM은 h와 c를, GRU는 h만"
            # does not say that the GRU has c
            # (only where the other holder has that same role word: "RNNs must have the trend
            # removed" binds "removed" to no rival of the RNN)
            for g in range(1, len(per_group)):
                words = set(groups[g])
                mine = []
                for o, _alt in zip(per_group[g], group_alts[g]):
                    if o[0] < 0:
                        mine.append(o)
                        continue
                    h, _ = _bound_holder(seg, holders, o[0], o[1], o[2])
                    rival = h is not None and h[0] not in pattern.holder and words & roles.get(h[0], set())
                    if not rival:
                        mine.append(o)
                if not mine:
                    return None
                per_group[g] = mine
        per_group = [[o for o in occ if o[0] in shared or o[0] < 0] for occ in per_group]
        if any(not occ for occ in per_group):
            return None
        if claims_only and all(
            all(seg.units[k].hypothetical for o in occ for k in range(o[1], o[2] + 1)) for occ in per_group
        ):
            return None  # the clause that holds it is a condition ("ReLU 쓰면 터질 수 있음")
    covered = {k for occ in per_group for o in occ for k in range(o[1], o[2] + 1)}
    if pattern.holder:
        covered |= {k for h in holders if h[0] in pattern.holder for k in range(h[2], h[3] + 1)}
    affirmed = all(any(not _negated(seg.units, o, covered) for o in occ) for occ in per_group)
    negated = any(any(_negated(seg.units, o, covered) for o in occ) for occ in per_group)
    fuzzy = any(all(o[3] for o in occ) for occ in per_group)  # some group found only as a typo
    return _Match(affirmed, negated, fuzzy, borrowed, {o[0] for occ in per_group for o in occ})


def _holder_occurrences(seg: Segment, comp: _Compiled) -> list[Holder]:
    """Every holder named in the segment (see Holder)."""
    out = []
    for h, phrase in comp.holders:
        for clause, a, b, _ in _find(seg, phrase):
            # a denied holder ("순환이 없어서", "no recurrence") is not what the sentence is about
            # a holder denied where it stands ("순환이 없어서", "no recurrence") is not what the
            # sentence is about; a topic that a later negator governs ("RNN에서는 필요하지 않다") is
            if not any(g in (b + 1, a - 1) for k in range(a, b + 1) for g in seg.units[k].governors):
                out.append(
                    Holder(
                        h,
                        clause,
                        a,
                        b,
                        seg.units[b].topic or seg.units[b].subject,
                        seg.units[a].oblique
                        or seg.units[b].compared
                        or (seg.units[b].oblique and not seg.units[b].latin and not seg.units[b].topic),
                        seg.units[b].predicative or seg.units[a].predicative,
                        seg.units[b].genitive and not seg.units[b].topic,
                    )
                )
    # where two holders overlap ("입력 게이트" inside "입력 게이트 제어기"), the longer one names it
    out.sort(key=lambda x: -(x[3] - x[2]))
    kept: list[Holder] = []
    out.sort(key=lambda x: (-(x[3] - x[2]), x[2]))
    for x in out:
        # overlapping names ("output gate controls" holds "output gate" and "gate control…"):
        # the longer, else the earlier, names the holder
        if not any(k[2] <= x[3] and x[2] <= k[3] and (k[1] == x[1]) and (k[2], k[3]) != (x[2], x[3]) for k in kept):
            kept.append(x)
    return kept


def _holders_by_segment(live: list[tuple[int, Segment]], comp: _Compiled) -> dict[int, list[Any]]:
    """Each segment's holders; one that names none carries the last holder of the sentence before."""
    out: dict[int, list[Any]] = {}
    last: Any = None
    for i, s in live:
        found = _holder_occurrences(_with_context(s), comp) if comp.holders else []
        own = [h for h in found if h[1] >= 0]
        if last is not None and _subjectless(s):
            # the sentence before was about one thing; this one may go on about it
            found = [*found, Holder(last[0], INHERITED, -1, -1, True, False, False, False)]
        # a sentence that contrasts two holders ("dropout은 …, recurrent_dropout은 …") hands on neither
        last = (
            own[-1]
            if own and len({h.term for h in own}) == 1
            else (max(own, key=lambda h: h.last) if own and len({_family(h.term, comp) for h in own}) == 1 else None)
        )
        out[i] = found
    return out


_PRONOUNS = {"it", "they", "this", "these", "that", "its", "their", "e", "eg", "such", "like", "example", "for"}


def _family(term: str, comp: _Compiled) -> frozenset[str]:
    """The holder alternatives that name the same thing as `term` (seq2seq|encoder_decoder)."""
    return frozenset(a for group in comp.holder_groups if term in group for a in group) or frozenset([term])


def _subjectless(seg: Segment) -> bool:
    """A sentence that names no subject of its own ("예: 번역, 음성 인식", "It also …"): it goes on
    about what the one before was about."""
    if not seg.units or not seg.units[0].latin:
        return True  # Korean keeps the topic of the sentence before unless it names another
    words = re.findall(r"[A-Za-z]+", seg.text[:40])
    if words and seg.units and seg.units[0].latin and seg.statement and seg.predicates:
        return words[0].lower() in _PRONOUNS
    return True


def _with_context(seg: Segment) -> Segment:
    """The segment with the heading it sits under in front (clause -1, never negated by the body)."""
    ctx = seg.context
    if ctx is None:
        return seg
    cached = getattr(seg, "_combined", None)
    if cached is not None:
        return cached
    n = len(ctx.units) + 1
    units = [replace(u, clause=-1) for u in ctx.units]
    units.append(Unit("\u241f", False, "", -1))  # no term matches across the join
    units += [replace(u, governors=tuple(g + n if g >= 0 else g for g in u.governors)) for u in seg.units]
    combined = Segment(
        text=seg.text,
        units=units,
        statement=seg.statement,
        predicates=seg.predicates,
        separators=seg.separators,
        cuts=seg.cuts,
    )
    seg._combined = combined  # type: ignore[attr-defined]
    return combined


def _scan(
    doc_segments: list[tuple[int, Segment]],
    comp: _Compiled,
    patterns: list[Pattern],
    unless: list[Pattern],
    polarity: str,
    deadline: Callable[[], None],
    holders: dict[int, list[Any]],
    claims_only: bool = False,
) -> _Hit:
    """Where the patterns hold, and whether they were read in the wanted polarity."""
    hit = _Hit()
    exact = False
    for idx, seg in doc_segments:
        deadline()
        full = _with_context(seg)
        hs = holders[idx]
        if any(_pattern_hit(full, u, comp.alts(u), hs) for u in unless):
            continue
        for p in patterns:
            cancel = [o for a in comp.unless(p) for o in _find(full, a)]
            if cancel and not p.clause:
                continue
            r = _pattern_hit(full, p, comp.alts(p), hs, claims_only, comp.roles)
            if r is None:
                continue
            if cancel and (r.clauses & {o[0] for o in cancel} or any(o[0] < 0 for o in cancel)):
                continue  # in a clause pattern, "! …" cancels within the clause it matched
            pol = p.polarity or polarity
            if pol == "any" or (pol == "affirm" and r.affirmed) or (pol == "negate" and r.negated):
                hit.holds = True
                hit.segments.add(idx)
                exact = exact or not r.fuzzy
                hit.borrowed = hit.borrowed or r.borrowed
            elif pol == "affirm":
                # only an explicit negator contradicts; a plain mention of a
                # term a `not:` pattern wants denied is just not the point
                hit.contradicted = True
    hit.fuzzy = hit.holds and not exact
    return hit


def _repeats_prompt(seg: Segment, comp: _Compiled) -> bool:
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
        return _result(
            question,
            0.0,
            [],
            list(question.concepts),
            [],
            [],
            _lang_of(text),
            ["too_long"],
            reveal=False,
            confidence=1.0,
            doubts=[],
            feedback_lang=lang,
        )
    comp = compiled(question)
    if not text.strip():
        return _result(
            question,
            0.0,
            [],
            list(question.concepts),
            [],
            [],
            lang or "ko",
            ["empty"],
            reveal=reveal,
            confidence=1.0,
            doubts=[],
            feedback_lang=lang,
        )
    deadline = Deadline(budget_s)
    try:
        return _score(question, comp, text, reveal, deadline, lang)
    except OutOfTime:
        return _result(
            question,
            0.0,
            [],
            list(question.concepts),
            [],
            [],
            _lang_of(text),
            ["time_budget"],
            reveal=False,
            confidence=0.0,
            doubts=["time_budget"],
            feedback_lang=lang,
        )


def _lang_of(text: str) -> str:
    from grader.quiz.normalize import answer_language

    return answer_language(text[:MAX_CHARS])


def _score(
    question: Question, comp: _Compiled, text: str, reveal: bool, deadline: Deadline, feedback_lang: str | None = None
) -> QuizResult:
    doc: Doc = comp.norm.analyse(text, deadline)
    flags: list[str] = []
    live = [(i, s) for i, s in enumerate(doc.segments) if not _repeats_prompt(s, comp)]
    if len(live) < len(doc.segments):
        flags.append("repeats_question")
    holders = _holders_by_segment(live, comp)

    total = question.total_weight or 1.0
    matched: list[Concept] = []
    missing: list[Concept] = []
    contradicted: list[Concept] = []
    seg_concepts: dict[int, set[str]] = {}
    hits: dict[str, _Hit] = {}
    for c in question.concepts:
        hit = _scan(live, comp, c.patterns, c.unless, c.polarity, deadline, holders)
        hits[c.id] = hit
        if hit.holds:
            matched.append(c)
            for i in hit.segments:
                seg_concepts.setdefault(i, set()).add(c.id)
        else:
            missing.append(c)
            if hit.contradicted:
                contradicted.append(c)
    statement_idx = set()
    for i, s in live:
        n = len(seg_concepts.get(i, ()))
        if s.statement:
            statement_idx.add(i)
        elif question.lists_ok and n < CRAMMED_CONCEPTS:
            # a verb-less line is fine ("seq2seq: translation"), unless it crams
            # several concepts together the way a keyword list does
            statement_idx.add(i)
    stated_weight = sum(c.weight for c in matched if hits[c.id].segments & statement_idx)
    raw = sum(c.weight for c in matched) / total
    stated = stated_weight / total
    scale = 1.0 / question.full_at
    frac_all = min(1.0, raw * scale)
    frac_stated = min(1.0, stated * scale)
    fraction = max(frac_stated, min(frac_all, KEYWORD_LIST_CAP))
    if frac_all > fraction + 1e-9:
        flags.append("keyword_list")

    found_mis: list[Misconception] = []
    mis_hits: list[_Hit] = []
    matched_ids = {c.id for c in matched}
    for m in question.misconceptions:
        if m.swap and set(m.swap) <= matched_ids:
            continue  # both roles are stated the right way somewhere: not a swap
        h = _scan(live, comp, m.patterns, m.unless, m.polarity, deadline, holders, claims_only=True)
        if h.holds:
            found_mis.append(m)
            mis_hits.append(h)
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
    confidence, doubts = _confidence(
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


# How much each doubt costs the confidence (multiplied in). The costs of the doubts in
# tools/quiz_review_calibrate.py TUNED, and REVIEW_THRESHOLD, are what that tool chose on the
# tuning splits (at most 15% marked, the best agreement on the rest, checked leaving each
# author out); the others were set by hand on dev. A doubt at 1.0 is reported, costs nothing.
DOUBT_COST = {
    "near_boundary": 1.0,  # scaled by the distance instead, see _confidence
    "conflict": 0.85,  # a misconception or contradiction next to credited concepts
    "typo_match": 0.85,  # a concept found only through a typo
    "borrowed_holder": 1.0,  # a role bound to a heading or an earlier clause
    "unknown_words": 0.8,  # much of the answer uses words the rubric does not know
    "short": 0.8,  # very few words for a credited answer
    "long": 0.9,  # a long answer: more room for things the rubric misreads
    "capped_list": 0.7,  # a keyword list capped below what its terms would earn
    "contrast": 0.85,  # a credited sentence with a contrast, concession or negation
    "rival_holders": 0.85,  # two holders named where a role was credited
    "uncredited_sentences": 0.5,  # a substantive answer below full with sentences that earned nothing
    "list_only": 0.5,  # an answer of terms only, no statement
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


def _confidence(
    question: Question,
    comp: _Compiled,
    doc: Doc,
    live: list[tuple[int, Segment]],
    fraction: float,
    flags: list[str],
    matched: list[Concept],
    contradicted: list[Concept],
    mis: list[Misconception],
    hits: list[_Hit],
    frac_all: float,
    credited: Sequence[Segment] = (),
    credited_holders: Sequence[list[Any]] = (),
) -> tuple[float, list[str]]:
    """How sure the scorer is of the band, from 0 to 1, and the reasons for doubt."""
    doubts: list[str] = []
    if any(_CONTRAST.search(s.text) for s in credited):
        doubts.append("contrast")
    if any(len({_family(h.term, comp) for h in hs if h.clause >= 0}) >= 2 for hs in credited_holders):
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
        if not u.negator and not u.form.isdigit() and (len(u.form) > 1 or _is_hangul(u.form))
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
