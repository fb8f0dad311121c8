"""The question bank: TOML files in the course's `quizzes/` folder.

A bank file holds `[[question]]` tables, each with `[[question.concept]]` and
optional `[[question.misconception]]` tables. Two files are shared by every
question: `variants.toml` (spellings unified before anything else) and
`lexicon.toml` (families of words that mean the same in a pattern, `@name`).
Loading checks the structure only, so `grade quiz list` and
`grade quiz validate` start the Korean analyser only when they score text;
patterns are compiled against it on first use.

A pattern is groups joined by `+` that must all occur in one sentence, each
group a set of alternatives joined by `|`: "모든|all|every + return_sequences true".
Optional parts: a prefix `not:` or `any:` overrides the concept's polarity for
this pattern, `clause:` asks for all groups in one clause, a suffix
`! 제외|except` lists words that cancel the match in the same sentence, and
`holder => role` binds a role to the thing that has it: "삭제 게이트 => @erase"
holds only when the erasing is said of the forget gate, not of another gate
(a holder `*` also accepts the role said of no one, as answers often leave the
subject of the question unsaid).
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
_FAMILY = re.compile(r"^@([A-Za-z0-9_\-]+)$")
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


@dataclass(frozen=True)
class Pattern:
    text: str
    groups: tuple[tuple[str, ...], ...]
    polarity: str | None = None  # None: the concept's
    unless: tuple[str, ...] = ()
    clause: bool = False  # groups must share one clause, not just a sentence
    holder: tuple[str, ...] = ()  # role pattern: who must hold the role the groups state


@dataclass(frozen=True)
class Example:
    """An answer a rubric item must (or must not) find, with where it is written."""

    text: str
    expect: bool
    line: int


@dataclass
class RubricItem:
    """Something the scorer looks for in an answer: a concept or a misconception."""

    id: str
    label: dict[str, str]
    patterns: list[Pattern]
    feedback: dict[str, str]
    polarity: str = "affirm"
    unless: list[Pattern] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    line: int = 0


@dataclass
class Concept(RubricItem):
    weight: float = 1.0


@dataclass
class Misconception(RubricItem):
    penalty: float = 0.5  # share of the question's points it costs
    swap: tuple[str, ...] = ()  # concepts whose roles this misconception swaps


@dataclass
class Question:
    id: str
    points: float
    prompt: dict[str, str]
    concepts: list[Concept]
    misconceptions: list[Misconception] = field(default_factory=list)
    full_at: float = 1.0  # share of concept weight that already earns full marks
    lists_ok: bool = False  # a bare list is a fair answer ("name some applications")
    topic: str = ""
    edition: str = ""  # which edition of the book the question assumes
    answer: dict[str, str] = field(default_factory=dict)  # the model answer, shown only when revealed
    source: str = ""
    variants: dict[str, list[str]] = field(default_factory=dict, repr=False)
    lexicon: Lexicon | None = field(default=None, repr=False)
    _compiled: Any = field(default=None, repr=False, compare=False)

    @property
    def total_weight(self) -> float:
        return sum(c.weight for c in self.concepts)

    @property
    def path(self) -> str:
        return self.source.rsplit(":", 1)[0]

    def holders(self) -> tuple[str, ...]:
        """Every term some role pattern binds a role to: the candidates a role can belong to."""
        seen: dict[str, None] = {}
        for item in [*self.concepts, *self.misconceptions]:
            for p in item.patterns:
                seen.update(dict.fromkeys(h for h in p.holder if h != "*"))
        return tuple(seen)


class _Lines:
    """Line numbers for messages: tomllib reports none for well-formed but wrong data."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self._headers: dict[str, list[int]] = {}
        for no, line in enumerate(self.lines, start=1):
            s = line.strip()
            if s.startswith("[["):
                self._headers.setdefault(s.replace(" ", ""), []).append(no)

    def header(self, name: str, index: int, after: int = 0) -> int:
        later = [no for no in self._headers.get(f"[[{name}]]", []) if no > after]
        return later[index] if index < len(later) else after + 1

    def key(self, key: str, start: int) -> int:
        for no, line in enumerate(self.lines[start - 1 :], start=start):
            if no > start and line.lstrip().startswith("["):
                break
            if re.match(rf"\s*{re.escape(key)}\s*[=.]", line):
                return no
        return start

    def text(self, value: str, start: int) -> int:
        """The line, at or after `start`, where a string value is written."""
        probe = re.split(r'["\\\n]', value, maxsplit=1)[0][:40]
        for no, line in enumerate(self.lines[start - 1 :], start=start):
            if probe and probe in line:
                return no
        return start


def _expand(alts: list[str], families: dict[str, tuple[str, ...]], text: str) -> tuple[str, ...]:
    out: list[str] = []
    for a in alts:
        m = _FAMILY.match(a)
        if m is None:
            out.append(a)
        elif m.group(1) in families:
            out.extend(families[m.group(1)])
        else:
            raise ValueError(f"unknown word family {a!r} in pattern {text!r} (families live in lexicon.toml)")
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
            raise ValueError(f"a role pattern needs one group of holders before '=>' in {text!r}")
        clause = True
    unless = _expand([a.strip() for a in unless_part.split("|") if a.strip()], families, text)
    if "!" in text and not unless:
        raise ValueError(f"nothing after '!' in pattern {text!r}")
    groups = []
    for part in body.split("+"):
        alts = _expand([a.strip() for a in part.split("|") if a.strip()], families, text)
        if not alts:
            raise ValueError(f"empty group in pattern {text!r}")
        groups.append(alts)
    return Pattern(text=text, groups=tuple(groups), polarity=polarity, unless=unless, clause=clause, holder=holder)


def _bilingual(value: Any, what: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"ko": value, "en": value}
    if (
        not isinstance(value, dict)
        or not {"ko", "en"} <= set(value)
        or not all(isinstance(value[k], str) and value[k].strip() for k in ("ko", "en"))
    ):
        raise ValueError(f"{what} needs both 'ko' and 'en' texts")
    return {"ko": value["ko"], "en": value["en"]}


def _strings(raw: dict[str, Any], key: str, what: str) -> list[str]:
    items = raw.get(key, [])
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ValueError(f"{what}: '{key}' must be a list of strings")
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
        raise ValueError(f"{what} has no phrasings: give 'ko' and 'en' pattern lists")
    return out


def _polarity(raw: dict[str, Any], what: str) -> str:
    pol = raw.get("polarity", "affirm")
    if pol not in POLARITIES:
        raise ValueError(f"{what}: polarity must be one of {', '.join(POLARITIES)}, not {pol!r}")
    return pol


def _number(raw: dict[str, Any], key: str, default: float, what: str, lo: float, hi: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo < value <= hi:
        raise ValueError(f"{what}: '{key}' must be a number in ({lo}, {hi}], not {value!r}")
    return float(value)


def _examples(raw: dict[str, Any], what: str, lines: _Lines, line: int) -> list[Example]:
    out = []
    for key, expect in (("must_match", True), ("must_not_match", False)):
        for text in _strings(raw, key, what):
            if not text.strip():
                raise ValueError(f"{what}: an empty string in '{key}'")
            out.append(Example(text=text, expect=expect, line=lines.text(text, line)))
    return out


def _items(
    raws: Any, kind: str, qid: str, lines: _Lines, qline: int, path: Path, families: dict[str, tuple[str, ...]]
) -> list[Any]:
    """The question's [[question.concept]] or [[question.misconception]] tables."""
    cls, extra, default, hi = (Concept, "weight", 1.0, 100) if kind == "concept" else (Misconception, "penalty", 0.5, 1)
    if not isinstance(raws, list):
        raise SpecError(f"{qid}: '{kind}' must be [[question.{kind}]] tables", f"{path}:{qline}")
    items: list[Any] = []
    line = qline
    for j, raw in enumerate(raws):
        line = lines.header(f"question.{kind}", 0, line)
        iid = raw.get("id") if isinstance(raw, dict) else None
        what = f"{qid} {kind} {iid or j + 1}"
        try:
            if not isinstance(iid, str) or not _ID.match(iid):
                raise ValueError(f"{what}: 'id' must be a lower-case id")
            if iid in {x.id for x in items}:
                raise ValueError(f"{what}: duplicate {kind} id")
            allowed = ITEM_KEYS | {extra} | ({"swap"} if kind == "misconception" else set())
            unknown = sorted(set(raw) - allowed)
            if unknown:
                raise ValueError(f"{what}: unknown key {unknown[0]!r}")
            kw: dict[str, Any] = {extra: _number(raw, extra, default, what, 0, hi)}
            swap = raw.get("swap")
            if swap is not None:
                if not (isinstance(swap, list) and len(swap) == 2 and all(isinstance(s, str) for s in swap)):
                    raise ValueError(f'{what}: \'swap\' must name two concepts, e.g. swap = ["a", "b"]')
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
        except ValueError as exc:
            raise SpecError(str(exc), f"{path}:{line}") from None
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
            raise SpecError(f"{q.id} misconception {m.id}: 'swap' names {missing!r}, not a concept of {q.id}", where)
        a, b = found
        assert a is not None and b is not None  # a missing one was reported above
        roles_a = [p for p in a.patterns if p.holder]
        roles_b = [p for p in b.patterns if p.holder]
        if not roles_a or not roles_b:
            lacking = a.id if not roles_a else b.id
            raise SpecError(
                f"{q.id} misconception {m.id}: concept {lacking!r} has no role pattern ('holder => role') to swap",
                where,
            )
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


def _question(
    raw: dict[str, Any], lines: _Lines, index: int, path: Path, families: dict[str, tuple[str, ...]]
) -> Question:
    qline = lines.header("question", index)

    def fail(msg: str, line: int = qline) -> SpecError:
        return SpecError(msg, f"{path}:{line}")

    qid = raw.get("id")
    if not isinstance(qid, str) or not _ID.match(qid):
        raise fail(f"question {index + 1}: 'id' must be a lower-case id such as 'ch15.q01', not {qid!r}")
    for key in raw:
        if key not in QUESTION_KEYS:
            raise fail(f"{qid}: unknown key {key!r}", lines.key(key, qline))
    try:
        points = _number(raw, "points", 0, qid, 0, 100)
        prompt = _bilingual(raw.get("prompt"), f"{qid}: prompt")
        full_at = _number(raw, "full_at", 1.0, qid, 0, 1)
    except ValueError as exc:
        raise fail(str(exc)) from None
    edition = raw.get("edition", "")
    if not isinstance(edition, (str, int)) or isinstance(edition, bool):
        raise fail(f"{qid}: 'edition' must be a string such as \"2\"", lines.key("edition", qline))
    answer: dict[str, str] = {}
    if "answer" in raw:
        try:
            answer = _bilingual(raw["answer"], f"{qid}: answer")
        except ValueError as exc:
            raise fail(str(exc), lines.key("answer", qline)) from None
    concepts = _items(raw.get("concept", []), "concept", qid, lines, qline, path, families)
    if not concepts:
        raise fail(f"{qid}: a question needs at least one [[question.concept]]")
    misconceptions = _items(raw.get("misconception", []), "misconception", qid, lines, qline, path, families)
    lists_ok = raw.get("lists_ok", False)
    if not isinstance(lists_ok, bool):
        raise fail(f"{qid}: 'lists_ok' must be true or false", lines.key("lists_ok", qline))
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
        where = f"{path}:{lines.key(canon, 1)}" if canon.isidentifier() else f"{path}:{lines.text(canon, 1)}"
        if not isinstance(alts, list) or not all(isinstance(a, str) for a in alts):
            raise SpecError(f"variants.{canon} must be a list of regular expressions", where)
        for a in alts:
            try:
                re.compile(a)
            except re.error as exc:
                raise SpecError(f"variants.{canon}: bad regular expression {a!r}: {exc}", where) from None
        out[canon] = alts
    return out


@dataclass(frozen=True)
class Lexicon:
    families: dict[str, tuple[str, ...]] = field(default_factory=dict)
    note_predicates: frozenset[str] = frozenset()  # nouns that end a study note like a verb ("…로 해결")
    nouns: frozenset[str] = frozenset()  # compound nouns the analyser must keep whole


def load_lexicon(path: Path) -> Lexicon:
    """Word families by name (`@name` in a pattern stands for every member) and study-note forms."""
    data, lines = _read(path)
    for key in data:
        if key not in ("family", "notes"):
            raise SpecError(
                f"unknown top-level key {key!r} (expected [family] and [notes] tables)", f"{path}:{lines.key(key, 1)}"
            )
    notes = data.get("notes", {})
    for key in notes:
        if key not in ("predicate_nouns", "nouns"):
            raise SpecError(
                f"notes: unknown key {key!r} (expected predicate_nouns, nouns)", f"{path}:{lines.key(key, 1)}"
            )
    lists = {}
    for key in ("predicate_nouns", "nouns"):
        items = notes.get(key, [])
        if not isinstance(items, list) or not all(isinstance(p, str) and p.strip() for p in items):
            raise SpecError(f"notes.{key} must be a list of Korean nouns", f"{path}:{lines.key(key, 1)}")
        lists[key] = frozenset(p.strip() for p in items)
    out: dict[str, tuple[str, ...]] = {}
    for name, members in data.get("family", {}).items():
        where = f"{path}:{lines.key(name, 1)}"
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
            raise SpecError(f"family name {name!r} must be letters, digits, '_' or '-'", where)
        if (
            not isinstance(members, list)
            or not members
            or not all(isinstance(m, str) and m.strip() and not set(m) & set("|+!@") for m in members)
        ):
            raise SpecError(f"family {name!r} must be a non-empty list of words (no '|', '+', '!' or '@')", where)
        out[name] = tuple(m.strip() for m in members)
    return Lexicon(families=out, note_predicates=lists["predicate_nouns"], nouns=lists["nouns"])


_CACHE: dict[tuple[str, tuple[tuple[str, int], ...]], dict[str, Question]] = {}
SHARED_FILES = ("variants.toml", "lexicon.toml")


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
    lexicon = Lexicon()
    if (folder / "variants.toml").is_file():
        variants = load_variants(folder / "variants.toml")
    if (folder / "lexicon.toml").is_file():
        lexicon = load_lexicon(folder / "lexicon.toml")
    families = lexicon.families
    bank: dict[str, Question] = {}
    for path in files:
        if path.name in SHARED_FILES:
            continue
        data, lines = _read(path)
        for key_name in data:
            if key_name != "question":
                raise SpecError(
                    f"unknown top-level key {key_name!r} (expected [[question]] tables)",
                    f"{path}:{lines.key(key_name, 1)}",
                )
        for i, raw in enumerate(data.get("question", [])):
            q = _question(raw, lines, i, path, families)
            if q.id in bank:
                raise SpecError(
                    f"question id {q.id} is already defined at {bank[q.id].source}",
                    f"{path}:{lines.header('question', i)}",
                )
            bank[q.id] = q
    for q in bank.values():
        q.variants = variants
        q.lexicon = lexicon
    _CACHE.clear()
    _CACHE[key] = bank
    return bank
