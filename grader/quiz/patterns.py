"""The pattern syntax of a rubric item (written out in docs/quiz.md and at the top of
quizzes/ch15_exercises.toml)."""

from __future__ import annotations

import re

from grader.quiz.rubric import Malformed, Pattern

_FAMILY = re.compile(r"^@([A-Za-z0-9_\-]+)$")


def _expand(alts: list[str], families: dict[str, tuple[str, ...]], text: str) -> tuple[str, ...]:
    out: list[str] = []
    for a in alts:
        m = _FAMILY.match(a)
        if m is None:
            out.append(a)
        elif m.group(1) in families:
            out.extend(families[m.group(1)])
        else:
            raise Malformed("quiz.bank.pattern.unknown_family", family=a, pattern=text)
    return tuple(dict.fromkeys(out))


def parse_pattern(text: str, families: dict[str, tuple[str, ...]] | None = None) -> Pattern:
    families = families or {}
    body, _, unless_part = text.partition("!")
    polarity = None
    clause = False
    while head := re.match(r"\s*(not|any|affirm|clause)\s*:", body):
        if head.group(1) == "clause":
            clause = True
        else:
            polarity = {"not": "negate"}.get(head.group(1), head.group(1))
        body = body[head.end() :]
    holder: tuple[str, ...] = ()
    if "=>" in body:
        left, _, body = body.partition("=>")
        holder = _expand([a.strip() for a in left.split("|") if a.strip()], families, text)
        if not holder or "+" in left:
            raise Malformed("quiz.bank.pattern.holders", pattern=text)
        clause = True
    unless = _expand([a.strip() for a in unless_part.split("|") if a.strip()], families, text)
    if "!" in text and not unless:
        raise Malformed("quiz.bank.pattern.empty_unless", pattern=text)
    groups = []
    for part in body.split("+"):
        alts = _expand([a.strip() for a in part.split("|") if a.strip()], families, text)
        if not alts:
            raise Malformed("quiz.bank.pattern.empty_group", pattern=text)
        groups.append(alts)
    return Pattern(text=text, groups=tuple(groups), polarity=polarity, unless=unless, clause=clause, holder=holder)
