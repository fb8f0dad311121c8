"""A question's rubric analysed once per process: its patterns as unit tuples.

Patterns, holders, prompt sentences and the words the rubric knows are analysed
exactly like answers are, on first use, and kept on the question.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from grader.quiz import terms, textcache
from grader.quiz.korean import warm
from grader.quiz.normalize import Normalizer
from grader.quiz.rubric import Pattern, Question, RubricItem

GENERIC = set(
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


class Compiled:
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
            vocab: set[str] = set(GENERIC)
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


def compiled(q: Question) -> Compiled:
    """The question's rubric analysed: every pattern, prompt and model answer, once per process
    (their tokens from the disk cache of grader/quiz/textcache.py when they are there)."""
    if q._compiled is None:
        with textcache.bank_text():
            comp = Compiled(q)
            for item in [*q.concepts, *q.misconceptions]:
                for p in [*item.patterns, *item.unless]:
                    # the search facts and sieve keys too (grader/quiz/terms.py), so that the
                    # first answer to the question does not pay for them
                    for group in comp.alts(p):
                        terms.group_keys(group)
                    for alt in comp.unless(p):
                        if alt:
                            terms.alt_info(alt)
            comp.vocabulary()
        q._compiled = comp
    return q._compiled


def prepare(questions: Iterable[Question]) -> None:
    """Analyse every pattern, prompt and model answer of these questions now.

    Scoring does it question by question, on the first answer to each; a batch that
    will score many answers calls this once after loading the bank, so the first
    answers are not slower than the rest and the time of each answer is its own."""
    with textcache.bank_text():  # one write of the cache for the whole bank
        for q in questions:
            compiled(q)
    warm()  # the bank's text may all have come from the cache: the analyser has read nothing yet
