"""One `[[question]]` table checked and made into a Question: keys, types, ranges, swaps.

Every problem is a SpecError naming the file and the line of the table at fault.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from grader.errors import GradeError, SpecError
from grader.quiz.patterns import parse_pattern
from grader.quiz.rubric import Concept, Example, Malformed, Misconception, Pattern, Question
from grader.quiz.tomlfile import Lines

POLARITIES = ("affirm", "negate", "any")
_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
QUESTION_KEYS = {
    "id",
    "points",
    "prompt",
    "concept",
    "misconception",
    "full_at",
    "lists_ok",
    "topic",
    "edition",
    "answer",
}
ITEM_KEYS = {"id", "label", "ko", "en", "match", "feedback", "polarity", "unless", "must_match", "must_not_match"}


def _bilingual(value: Any, what: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"ko": value, "en": value}
    if (
        not isinstance(value, dict)
        or not {"ko", "en"} <= set(value)
        or not all(isinstance(value[k], str) and value[k].strip() for k in ("ko", "en"))
    ):
        raise Malformed("quiz.bank.item.bilingual", what=what)
    return {"ko": value["ko"], "en": value["en"]}


def _strings(raw: dict[str, Any], key: str, what: str) -> list[str]:
    items = raw.get(key, [])
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise Malformed("quiz.bank.item.strings", what=what, key=key)
    return items


def _patterns(
    raw: dict[str, Any],
    what: str,
    families: dict[str, tuple[str, ...]],
    keys: tuple[str, ...] = ("ko", "en", "match"),
    required: bool = True,
) -> list[Pattern]:
    out: list[Pattern] = []
    for key in keys:
        out.extend(parse_pattern(i, families) for i in _strings(raw, key, what))
    if not out and required:
        raise Malformed("quiz.bank.item.no_patterns", what=what)
    return out


def _polarity(raw: dict[str, Any], what: str) -> str:
    pol = raw.get("polarity", "affirm")
    if pol not in POLARITIES:
        raise Malformed("quiz.bank.item.polarity", what=what, choices=", ".join(POLARITIES), value=pol)
    return pol


def _number(raw: dict[str, Any], key: str, default: float, what: str, lo: float, hi: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo < value <= hi:
        raise Malformed("quiz.bank.item.number", what=what, key=key, lo=lo, hi=hi, value=value)
    return float(value)


def _examples(raw: dict[str, Any], what: str, lines: Lines, line: int) -> list[Example]:
    out = []
    for key, expect in (("must_match", True), ("must_not_match", False)):
        for text in _strings(raw, key, what):
            if not text.strip():
                raise Malformed("quiz.bank.item.empty_example", what=what, key=key)
            out.append(Example(text=text, expect=expect, line=lines.text(text, line)))
    return out


def _items(
    raws: Any, kind: str, qid: str, lines: Lines, qline: int, path: Path, families: dict[str, tuple[str, ...]]
) -> list[Any]:
    """The question's [[question.concept]] or [[question.misconception]] tables."""
    cls, extra, default, hi = (Concept, "weight", 1.0, 100) if kind == "concept" else (Misconception, "penalty", 0.5, 1)
    if not isinstance(raws, list):
        raise SpecError.told("quiz.bank.item.not_tables", f"{path}:{qline}", qid=qid, kind=kind)
    items: list[Any] = []
    line = qline
    for j, raw in enumerate(raws):
        line = lines.header(f"question.{kind}", 0, line)
        iid = raw.get("id") if isinstance(raw, dict) else None
        what = f"{qid} {kind} {iid or j + 1}"
        try:
            if not isinstance(iid, str) or not _ID.match(iid):
                raise Malformed("quiz.bank.item.bad_id", what=what)
            if iid in {x.id for x in items}:
                raise Malformed("quiz.bank.item.duplicate", what=what, kind=kind)
            allowed = ITEM_KEYS | {extra} | ({"swap"} if kind == "misconception" else set())
            unknown = sorted(set(raw) - allowed)
            if unknown:
                raise Malformed("quiz.bank.unknown_key", what=what, key=unknown[0])
            kw: dict[str, Any] = {extra: _number(raw, extra, default, what, 0, hi)}
            swap = raw.get("swap")
            if swap is not None:
                if not (isinstance(swap, list) and len(swap) == 2 and all(isinstance(s, str) for s in swap)):
                    raise Malformed("quiz.bank.item.swap_pair", what=what)
                kw["swap"] = tuple(swap)
            items.append(
                cls(
                    id=iid,
                    label=_bilingual(raw.get("label", iid), f"{what}: label"),
                    patterns=_patterns(raw, what, families, required=swap is None),
                    feedback=_bilingual(raw.get("feedback"), f"{what}: feedback"),
                    polarity=_polarity(raw, what),
                    unless=[parse_pattern(u, families) for u in _strings(raw, "unless", what)],
                    examples=_examples(raw, what, lines, line),
                    line=line,
                    **kw,
                )
            )
        except Malformed as exc:
            raise exc.at(f"{path}:{line}") from None
    return items


def _swaps(q: Question, path: Path) -> None:
    """A swap misconception holds each concept's role bound to the other's holder."""
    by_id = {c.id: c for c in q.concepts}
    for m in q.misconceptions:
        if not m.swap:
            continue
        where = f"{path}:{m.line}"
        found = [by_id.get(s) for s in m.swap]
        if None in found:
            missing = m.swap[found.index(None)]
            raise SpecError.told("quiz.bank.swap.not_a_concept", where, qid=q.id, item=m.id, missing=missing)
        a, b = found
        assert a is not None and b is not None  # a missing one was reported above
        roles_a = [p for p in a.patterns if p.holder]
        roles_b = [p for p in b.patterns if p.holder]
        if not roles_a or not roles_b:
            lacking = a.id if not roles_a else b.id
            raise SpecError.told("quiz.bank.swap.no_roles", where, qid=q.id, item=m.id, lacking=lacking)
        for pa in roles_a:
            for pb in roles_b:
                for holder, role in ((pa, pb), (pb, pa)):
                    m.patterns.append(
                        Pattern(
                            text=f"swap {holder.text} / {role.text}",
                            groups=role.groups,
                            polarity=role.polarity,
                            unless=role.unless,
                            clause=True,
                            holder=holder.holder,
                        )
                    )


def question_from(
    raw: dict[str, Any], lines: Lines, index: int, path: Path, families: dict[str, tuple[str, ...]]
) -> Question:
    qline = lines.header("question", index)

    def fail(entry: str, line: int = qline, /, **fields: Any) -> GradeError:  # noqa: ANN401
        return SpecError.told(entry, f"{path}:{line}", **fields)

    qid = raw.get("id")
    if not isinstance(qid, str) or not _ID.match(qid):
        raise fail("quiz.bank.question.bad_id", n=index + 1, value=qid)
    for key in raw:
        if key not in QUESTION_KEYS:
            raise fail("quiz.bank.unknown_key", lines.key(key, qline), what=qid, key=key)
    try:
        points = _number(raw, "points", 0, qid, 0, 100)
        prompt = _bilingual(raw.get("prompt"), f"{qid}: prompt")
        full_at = _number(raw, "full_at", 1.0, qid, 0, 1)
    except Malformed as exc:
        raise exc.at(f"{path}:{qline}") from None
    edition = raw.get("edition", "")
    if not isinstance(edition, (str, int)) or isinstance(edition, bool):
        raise fail("quiz.bank.question.edition", lines.key("edition", qline), qid=qid)
    answer: dict[str, str] = {}
    if "answer" in raw:
        try:
            answer = _bilingual(raw["answer"], f"{qid}: answer")
        except Malformed as exc:
            raise exc.at(f"{path}:{lines.key('answer', qline)}") from None
    concepts = _items(raw.get("concept", []), "concept", qid, lines, qline, path, families)
    if not concepts:
        raise fail("quiz.bank.question.no_concept", qid=qid)
    misconceptions = _items(raw.get("misconception", []), "misconception", qid, lines, qline, path, families)
    lists_ok = raw.get("lists_ok", False)
    if not isinstance(lists_ok, bool):
        raise fail("quiz.bank.question.lists_ok", lines.key("lists_ok", qline), qid=qid)
    q = Question(
        id=qid,
        points=points,
        prompt=prompt,
        concepts=concepts,
        misconceptions=misconceptions,
        full_at=full_at,
        lists_ok=lists_ok,
        topic=str(raw.get("topic", "")),
        edition=str(edition),
        answer=answer,
        source=f"{path}:{qline}",
    )
    _swaps(q, path)
    return q
