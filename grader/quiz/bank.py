"""The question bank: TOML files in the course's `quizzes/` folder.

A bank file holds `[[question]]` tables, each with `[[question.concept]]` and
optional `[[question.misconception]]` tables; `variants.toml` holds spelling
variants shared by every question. Loading checks the structure only, so
`grade quiz list` and `grade quiz validate` never start the Korean analyser;
patterns are compiled against it on first use.

A pattern is groups joined by `+` that must all occur in one sentence, each
group a set of alternatives joined by `|`: "모든|all|every + return_sequences true".
Optional parts: a prefix `not:` or `any:` overrides the concept's polarity for
this pattern, `clause:` asks for all groups in one clause, and a suffix
`! 제외|except` lists words that cancel the match in the same sentence.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import SpecError

POLARITIES = ("affirm", "negate", "any")
_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")


@dataclass(frozen=True)
class Pattern:
    text: str
    groups: tuple[tuple[str, ...], ...]
    polarity: str | None = None          # None: the concept's
    unless: tuple[str, ...] = ()
    clause: bool = False                 # groups must share one clause, not just a sentence


@dataclass
class RubricItem:
    """Something the scorer looks for in an answer: a concept or a misconception."""

    id: str
    label: dict[str, str]
    patterns: list[Pattern]
    feedback: dict[str, str]
    polarity: str = "affirm"
    unless: list[Pattern] = field(default_factory=list)


@dataclass
class Concept(RubricItem):
    weight: float = 1.0


@dataclass
class Misconception(RubricItem):
    penalty: float = 0.5            # share of the question's points it costs


@dataclass
class Question:
    id: str
    points: float
    prompt: dict[str, str]
    concepts: list[Concept]
    misconceptions: list[Misconception] = field(default_factory=list)
    full_at: float = 1.0            # share of concept weight that already earns full marks
    lists_ok: bool = False          # a bare list is a fair answer ("name some applications")
    topic: str = ""
    source: str = ""
    variants: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _compiled: Any = field(default=None, repr=False, compare=False)

    @property
    def total_weight(self) -> float:
        return sum(c.weight for c in self.concepts)


class _Lines:
    """Line numbers for messages: tomllib reports none for well-formed but wrong data."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def header(self, name: str, index: int, after: int = 0) -> int:
        seen = -1
        for no, line in enumerate(self.lines[after:], start=after + 1):
            if line.strip().replace(" ", "") == f"[[{name}]]":
                seen += 1
                if seen == index:
                    return no
        return after + 1

    def key(self, key: str, start: int) -> int:
        for no, line in enumerate(self.lines[start - 1:], start=start):
            if no > start and line.lstrip().startswith("["):
                break
            if re.match(rf"\s*{re.escape(key)}\s*[=.]", line):
                return no
        return start


def parse_pattern(text: str) -> Pattern:
    body, _, unless_part = text.partition("!")
    polarity = None
    clause = False
    while head := re.match(r"\s*(not|any|affirm|clause)\s*:", body):
        if head.group(1) == "clause":
            clause = True
        else:
            polarity = {"not": "negate"}.get(head.group(1), head.group(1))
        body = body[head.end():]
    unless = tuple(a.strip() for a in unless_part.split("|") if a.strip())
    if "!" in text and not unless:
        raise ValueError(f"nothing after '!' in pattern {text!r}")
    groups = []
    for part in body.split("+"):
        alts = tuple(a.strip() for a in part.split("|") if a.strip())
        if not alts:
            raise ValueError(f"empty group in pattern {text!r}")
        groups.append(alts)
    return Pattern(text=text, groups=tuple(groups), polarity=polarity, unless=unless, clause=clause)


def _bilingual(value: Any, what: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"ko": value, "en": value}
    if not isinstance(value, dict) or not {"ko", "en"} <= set(value) or \
            not all(isinstance(value[k], str) and value[k].strip() for k in ("ko", "en")):
        raise ValueError(f"{what} needs both 'ko' and 'en' texts")
    return {"ko": value["ko"], "en": value["en"]}


def _patterns(raw: dict[str, Any], what: str, keys: tuple[str, ...] = ("ko", "en", "match")) -> list[Pattern]:
    out = []
    for key in keys:
        items = raw.get(key, [])
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError(f"{what}: '{key}' must be a list of patterns")
        out.extend(parse_pattern(i) for i in items)
    if not out:
        raise ValueError(f"{what} has no phrasings: give 'ko' and 'en' pattern lists")
    return out


def _polarity(raw: dict[str, Any], what: str) -> str:
    pol = raw.get("polarity", "affirm")
    if pol not in POLARITIES:
        raise ValueError(f"{what}: polarity must be one of {', '.join(POLARITIES)}, not {pol!r}")
    return pol


def _unless(raw: dict[str, Any], what: str) -> list[Pattern]:
    items = raw.get("unless", [])
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ValueError(f"{what}: 'unless' must be a list of patterns")
    return [parse_pattern(i) for i in items]


def _number(raw: dict[str, Any], key: str, default: float, what: str, lo: float, hi: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo < value <= hi:
        raise ValueError(f"{what}: '{key}' must be a number in ({lo}, {hi}], not {value!r}")
    return float(value)


_ITEM_KEYS = {"id", "label", "ko", "en", "match", "feedback", "polarity", "unless"}


def _items(raws: Any, kind: str, qid: str, lines: _Lines, qline: int, path: Path) -> list[Any]:
    """The question's [[question.concept]] or [[question.misconception]] tables."""
    cls, extra, default, hi = (Concept, "weight", 1.0, 100) if kind == "concept" else \
        (Misconception, "penalty", 0.5, 1)
    items: list[Any] = []
    line = qline
    for j, raw in enumerate(raws):
        line = lines.header(f"question.{kind}", 0, line)
        iid = raw.get("id")
        what = f"{qid} {kind} {iid or j + 1}"
        try:
            if not isinstance(iid, str) or not _ID.match(iid):
                raise ValueError(f"{what}: 'id' must be a lower-case id")
            if iid in {x.id for x in items}:
                raise ValueError(f"{what}: duplicate {kind} id")
            unknown = sorted(set(raw) - _ITEM_KEYS - {extra})
            if unknown:
                raise ValueError(f"{what}: unknown key {unknown[0]!r}")
            items.append(cls(id=iid, label=_bilingual(raw.get("label", iid), f"{what}: label"),
                             patterns=_patterns(raw, what),
                             feedback=_bilingual(raw.get("feedback"), f"{what}: feedback"),
                             polarity=_polarity(raw, what), unless=_unless(raw, what),
                             **{extra: _number(raw, extra, default, what, 0, hi)}))
        except ValueError as exc:
            raise SpecError(str(exc), f"{path}:{line}") from None
    return items


def _question(raw: dict[str, Any], lines: _Lines, index: int, path: Path) -> Question:
    qline = lines.header("question", index)

    def fail(msg: str, line: int = qline) -> SpecError:
        return SpecError(msg, f"{path}:{line}")

    qid = raw.get("id")
    if not isinstance(qid, str) or not _ID.match(qid):
        raise fail(f"question {index + 1}: 'id' must be a lower-case id such as 'ch15.q01', not {qid!r}")
    for key in raw:
        if key not in {"id", "points", "prompt", "concept", "misconception", "full_at", "lists_ok", "topic"}:
            raise fail(f"{qid}: unknown key {key!r}", lines.key(key, qline))
    try:
        points = _number(raw, "points", 0, qid, 0, 100)
        prompt = _bilingual(raw.get("prompt"), f"{qid}: prompt")
        full_at = _number(raw, "full_at", 1.0, qid, 0, 1)
    except ValueError as exc:
        raise fail(str(exc)) from None
    concepts = _items(raw.get("concept", []), "concept", qid, lines, qline, path)
    if not concepts:
        raise fail(f"{qid}: a question needs at least one [[question.concept]]")
    misconceptions = _items(raw.get("misconception", []), "misconception", qid, lines, qline, path)
    lists_ok = raw.get("lists_ok", False)
    if not isinstance(lists_ok, bool):
        raise fail(f"{qid}: 'lists_ok' must be true or false", lines.key("lists_ok", qline))
    return Question(id=qid, points=points, prompt=prompt, concepts=concepts, misconceptions=misconceptions,
                    full_at=full_at, lists_ok=lists_ok, topic=str(raw.get("topic", "")), source=f"{path}:{qline}")


def _read(path: Path) -> tuple[dict[str, Any], _Lines]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecError("not UTF-8 text", str(path)) from None
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror}", str(path)) from None
    try:
        return tomllib.loads(text), _Lines(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise SpecError(f"not valid TOML: {exc}", f"{path}:{m.group(1)}" if m else str(path)) from None


def load_variants(path: Path) -> dict[str, list[str]]:
    """canonical spelling -> regular expressions of the spellings that mean the same."""
    data, lines = _read(path)
    out: dict[str, list[str]] = {}
    for canon, alts in data.get("variants", {}).items():
        if isinstance(alts, str):
            alts = [alts]
        where = f"{path}:{lines.key(canon, 1)}" if canon.isidentifier() else str(path)
        if not isinstance(alts, list) or not all(isinstance(a, str) for a in alts):
            raise SpecError(f"variants.{canon} must be a list of regular expressions", where)
        for a in alts:
            try:
                re.compile(a)
            except re.error as exc:
                raise SpecError(f"variants.{canon}: bad regular expression {a!r}: {exc}", where) from None
        out[canon] = alts
    return out


_CACHE: dict[tuple[str, tuple[tuple[str, int], ...]], dict[str, Question]] = {}


def load_bank(folder: Path) -> dict[str, Question]:
    """Every question in `folder/*.toml`, by id. Raises SpecError naming file and line."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SpecError("no such quiz folder", str(folder))
    files = sorted(folder.glob("*.toml"))
    key = (str(folder.resolve()), tuple((str(p), p.stat().st_mtime_ns) for p in files))
    if key in _CACHE:
        return _CACHE[key]
    variants: dict[str, list[str]] = {}
    bank: dict[str, Question] = {}
    for path in files:
        if path.name == "variants.toml":
            variants = load_variants(path)
            continue
        data, lines = _read(path)
        for key_name in data:
            if key_name != "question":
                raise SpecError(f"unknown top-level key {key_name!r} (expected [[question]] tables)",
                                f"{path}:{lines.key(key_name, 1)}")
        for i, raw in enumerate(data.get("question", [])):
            q = _question(raw, lines, i, path)
            if q.id in bank:
                raise SpecError(f"question id {q.id} is already defined at {bank[q.id].source}",
                                f"{path}:{lines.header('question', i)}")
            bank[q.id] = q
    for q in bank.values():
        q.variants = variants
    _CACHE.clear()
    _CACHE[key] = bank
    return bank
