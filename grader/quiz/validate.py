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

from grader.quiz.normalize import answer_language
from grader.quiz.rubric import Misconception, Question, RubricItem


@dataclass(frozen=True)
class Problem:
    where: str  # file:line
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


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
        kind = "misconception" if isinstance(item, Misconception) else "concept"
        for p in [*item.patterns, *item.unless]:
            groups: list[Sequence[tuple[str, ...]]] = [
                *comp.alts(p),
                [comp.norm.phrase(h) for h in p.holder if h != "*"],
            ]
            for group in groups:
                if any(not alt for alt in group):
                    problems.append(
                        Problem(
                            f"{path}:{item.line}",
                            f"{q.id} {item.id}: pattern {p.text!r} has an "
                            f"alternative with no words left after analysis",
                        )
                    )
                for alt in group:
                    written: tuple[str, ...] = getattr(alt, "words", ())  # a Phrase keeps the words as written
                    lost = [w for w in written if len(written) > 1 and _hangul(w) and not comp.norm.phrase(w)]
                    if lost:
                        # "relu 보다": 보다 is a particle, so the alternative is just "relu"
                        problems.append(
                            Problem(
                                f"{path}:{item.line}",
                                f"{q.id} {item.id}: in pattern {p.text!r}, "
                                f"{lost[0]!r} disappears in analysis "
                                f"(a particle or an ending)",
                            )
                        )
        if require_examples:
            langs = {answer_language(e.text) for e in item.examples if e.expect}
            for lang in ("ko", "en"):
                if lang not in langs:
                    problems.append(
                        Problem(
                            f"{path}:{item.line}",
                            f"{q.id} {kind} {item.id}: no must_match example "
                            f"in {'Korean' if lang == 'ko' else 'English'}",
                        )
                    )
            if not any(not e.expect for e in item.examples):
                problems.append(Problem(f"{path}:{item.line}", f"{q.id} {kind} {item.id}: no must_not_match example"))
        if not isinstance(item, Misconception):
            # the hint asks for the idea: pasted back as an answer it must not earn it
            for lang in ("ko", "en"):
                for what, text in (("feedback", item.feedback[lang]), ("label", item.label[lang])):
                    if item.id in score_answer(q, text, budget_s=None).matched:
                        problems.append(
                            Problem(
                                f"{path}:{item.line}",
                                f"{q.id} concept {item.id}: its {what} "
                                f"({lang}) earns the concept when pasted back "
                                f"as an answer; ask without stating it",
                            )
                        )
        for ex in item.examples:
            got = _found(q, item, ex.text)
            if got != ex.expect:
                said = "does not find" if ex.expect else "finds"
                problems.append(
                    Problem(f"{path}:{ex.line}", f"{q.id} {kind} {item.id} {said} its example {_short(ex.text)}")
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
            problems.append(
                Problem(
                    q.source,
                    f"{q.id}: {w!r} comes apart in analysis: add it to "
                    f"lexicon.toml notes.nouns so answers and patterns keep it whole",
                )
            )
    for lang, text in q.answer.items():
        res = score_answer(q, text, budget_s=None)
        if res.fraction < 0.999:
            lacking = ", ".join(res.missing + res.misconceptions + res.flags) or "?"
            problems.append(
                Problem(
                    q.source, f"{q.id}: the model answer ({lang}) scores {res.score:g}/{res.max_score:g} ({lacking})"
                )
            )
    if require_examples and set(q.answer) != {"ko", "en"}:
        problems.append(Problem(q.source, f"{q.id}: no model answer (answer.ko, answer.en)"))
    return problems


def _hangul(word: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in word)


def _short(text: str, n: int = 70) -> str:
    one = " ".join(text.split())
    return repr(one if len(one) <= n else one[: n - 1] + "…")


def explain(q: Question, text: str) -> list[str]:
    """Which pattern of which rubric item holds in which sentence of `text`: for rubric authors."""
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
        kind = "statement" if seg.statement else "list"
        lines.append(f"[{i}] ({kind}) {seg.text}" + (f"   <- under {seg.context.text!r}" if seg.context else ""))
        if holders[i]:
            lines.append("     holders: " + ", ".join(f"{h[0]}@{h[1]}" for h in holders[i]))
        for item in [*q.concepts, *q.misconceptions]:
            for p in item.patterns:
                r = pattern_hit(full, p, comp.alts(p), holders[i])
                if r is not None:
                    lines.append(f"     {item.id}: {p.text!r} affirmed={r.affirmed} negated={r.negated}")
    Deadline(None)()
    return lines
