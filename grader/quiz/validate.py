"""Check a bank against itself: every rubric item's examples, every model answer.

A teacher adds a question by writing its concepts with a few answers each must
find (`must_match`) and a few it must not (`must_not_match`, including one that
swaps the roles); `grade quiz validate` runs them all and names the file and
line of each example the rubric no longer reads the way it says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grader.errors import Phrase
from grader.i18n import text as say
from grader.quiz.normalize import answer_language
from grader.quiz.rubric import Misconception, Question, RubricItem


@dataclass(frozen=True)
class Problem:
    """One way a question disagrees with itself: where (file:line) and what, a catalog entry."""

    where: str  # file:line
    phrase: Phrase

    @property
    def message(self) -> str:
        """What is wrong, in English (the JSON document's words)."""
        return self.said("en")

    def said(self, lang: str) -> str:
        return self.phrase.said(lang)

    def line(self, lang: str) -> str:
        return f"{self.where}: {self.said(lang)}"

    def __str__(self) -> str:
        return self.line("en")


def _problem(where: str, key: str, **fields: Any) -> Problem:  # noqa: ANN401
    return Problem(where, Phrase(key, fields))


_KIND = {"concept": Phrase("quiz.validate.kind.concept"), "misconception": Phrase("quiz.validate.kind.misconception")}
_LANGUAGE = {"ko": Phrase("quiz.validate.language.korean"), "en": Phrase("quiz.validate.language.english")}


def _found(question: Question, item: RubricItem, text: str) -> bool:
    from grader.quiz.scorer import score_answer

    res = score_answer(question, text, budget_s=None)
    if isinstance(item, Misconception):
        return item.id in res.misconceptions
    return item.id in res.matched


def check_question(q: Question, require_examples: bool = True) -> list[Problem]:
    """Every way `q` disagrees with its own examples and model answer."""
    from grader.quiz.scorer import compiled, score_answer

    problems: list[Problem] = []
    path = q.path
    comp = compiled(q)
    items: list[RubricItem] = [*q.concepts, *q.misconceptions]
    for item in items:
        kind = _KIND["misconception" if isinstance(item, Misconception) else "concept"]
        for p in [*item.patterns, *item.unless]:
            groups: list[Sequence[tuple[str, ...]]] = [
                *comp.alts(p),
                [comp.norm.phrase(h) for h in p.holder if h != "*"],
            ]
            for group in groups:
                if any(not alt for alt in group):
                    problems.append(
                        _problem(
                            f"{path}:{item.line}",
                            "quiz.validate.empty_alternative",
                            qid=q.id,
                            item=item.id,
                            pattern=p.text,
                        )
                    )
                for alt in group:
                    written: tuple[str, ...] = getattr(alt, "words", ())  # a Phrase keeps the words as written
                    lost = [w for w in written if len(written) > 1 and _hangul(w) and not comp.norm.phrase(w)]
                    if lost:
                        # "relu 보다": 보다 is a particle, so the alternative is just "relu"
                        problems.append(
                            _problem(
                                f"{path}:{item.line}",
                                "quiz.validate.lost_word",
                                qid=q.id,
                                item=item.id,
                                pattern=p.text,
                                word=lost[0],
                            )
                        )
        if require_examples:
            langs = {answer_language(e.text) for e in item.examples if e.expect}
            for lang in ("ko", "en"):
                if lang not in langs:
                    problems.append(
                        _problem(
                            f"{path}:{item.line}",
                            "quiz.validate.no_example_in",
                            qid=q.id,
                            kind=kind,
                            item=item.id,
                            language=_LANGUAGE[lang],
                        )
                    )
            if not any(not e.expect for e in item.examples):
                problems.append(
                    _problem(
                        f"{path}:{item.line}", "quiz.validate.no_counter_example", qid=q.id, kind=kind, item=item.id
                    )
                )
        if not isinstance(item, Misconception):
            # the hint asks for the idea: pasted back as an answer it must not earn it
            for lang in ("ko", "en"):
                for what, text in (("feedback", item.feedback[lang]), ("label", item.label[lang])):
                    if item.id in score_answer(q, text, budget_s=None).matched:
                        problems.append(
                            _problem(
                                f"{path}:{item.line}",
                                "quiz.validate.hint_gives_away",
                                qid=q.id,
                                item=item.id,
                                what=what,
                                lang=lang,
                            )
                        )
        for ex in item.examples:
            got = _found(q, item, ex.text)
            if got != ex.expect:
                key = "quiz.validate.example_not_found" if ex.expect else "quiz.validate.example_found"
                problems.append(
                    _problem(f"{path}:{ex.line}", key, qid=q.id, kind=kind, item=item.id, example=_short(ex.text))
                )
    from grader.quiz.normalize import splits_into_nouns

    words = sorted(
        {
            w
            for item in [*q.concepts, *q.misconceptions]
            for p in [*item.patterns, *item.unless]
            for alts in [*p.groups, p.unless, p.holder]
            for a in alts
            for w in a.split()
            if re.fullmatch(r"[\uac00-\ud7a3]{2,}", w)
        }
    )
    for w in words:
        if splits_into_nouns(w):
            problems.append(_problem(q.source, "quiz.validate.comes_apart", qid=q.id, word=w))
    for lang, text in q.answer.items():
        res = score_answer(q, text, budget_s=None)
        if res.fraction < 0.999:
            lacking = ", ".join(res.missing + res.misconceptions + res.flags) or "?"
            problems.append(
                _problem(
                    q.source,
                    "quiz.validate.model_answer_short",
                    qid=q.id,
                    lang=lang,
                    score=f"{res.score:g}",
                    max_score=f"{res.max_score:g}",
                    lacking=lacking,
                )
            )
    if require_examples and set(q.answer) != {"ko", "en"}:
        problems.append(_problem(q.source, "quiz.validate.no_model_answer", qid=q.id))
    return problems


def _hangul(word: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in word)


def _short(text: str, n: int = 70) -> str:
    one = " ".join(text.split())
    return repr(one if len(one) <= n else one[: n - 1] + "…")


def explain(q: Question, text: str, lang: str = "en") -> list[str]:
    """Which pattern of which rubric item holds in which sentence of `text`: for rubric authors,
    in `lang`."""
    from grader.quiz.compiled import compiled
    from grader.quiz.holders import holders_by_segment, with_context
    from grader.quiz.matching import pattern_hit
    from grader.quiz.scorer import Deadline

    comp = compiled(q)
    doc = comp.norm.analyse(text)
    live = list(enumerate(doc.segments))
    holders = holders_by_segment(live, comp)
    lines = []
    for i, seg in live:
        full = with_context(seg)
        kind = say("quiz.validate.explain.statement" if seg.statement else "quiz.validate.explain.list", lang)
        line = say("quiz.validate.explain.segment", lang, n=i, kind=kind, segment=seg.text)
        if seg.context:
            line += say("quiz.validate.explain.under", lang, context=seg.context.text)
        lines.append(line)
        if holders[i]:
            found = ", ".join(f"{h[0]}@{h[1]}" for h in holders[i])
            lines.append(say("quiz.validate.explain.holders", lang, holders=found))
        for item in [*q.concepts, *q.misconceptions]:
            for p in item.patterns:
                r = pattern_hit(full, p, comp.alts(p), holders[i])
                if r is not None:
                    lines.append(
                        say(
                            "quiz.validate.explain.hit",
                            lang,
                            item=item.id,
                            pattern=p.text,
                            affirmed=r.affirmed,
                            negated=r.negated,
                        )
                    )
    Deadline(None)()
    return lines
