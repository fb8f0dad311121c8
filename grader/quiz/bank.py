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
from pathlib import Path

from grader.errors import SpecError
from grader.quiz.patterns import parse_pattern
from grader.quiz.questions import question_from
from grader.quiz.rubric import Concept, Example, Lexicon, Misconception, Pattern, Question, RubricItem
from grader.quiz.tomlfile import read_toml


def load_variants(path: Path) -> dict[str, list[str]]:
    """canonical spelling -> regular expressions of the spellings that mean the same."""
    data, lines = read_toml(path)
    out: dict[str, list[str]] = {}
    for canon, alts in data.get("variants", {}).items():
        if isinstance(alts, str):
            alts = [alts]
        where = f"{path}:{lines.key(canon, 1)}" if canon.isidentifier() else f"{path}:{lines.text(canon, 1)}"
        if not isinstance(alts, list) or not all(isinstance(a, str) for a in alts):
            raise SpecError.told("quiz.bank.variants.not_a_list", where, canon=canon)
        for a in alts:
            try:
                re.compile(a)
            except re.error as exc:
                raise SpecError.told("quiz.bank.variants.bad_regex", where, canon=canon, regex=a, why=exc) from None
        out[canon] = alts
    return out


def load_lexicon(path: Path) -> Lexicon:
    """Word families by name (`@name` in a pattern stands for every member) and study-note forms."""
    data, lines = read_toml(path)
    for key in data:
        if key not in ("family", "notes"):
            raise SpecError.told("quiz.bank.lexicon.unknown_table", f"{path}:{lines.key(key, 1)}", key=key)
    notes = data.get("notes", {})
    for key in notes:
        if key not in ("predicate_nouns", "nouns"):
            raise SpecError.told("quiz.bank.lexicon.unknown_note", f"{path}:{lines.key(key, 1)}", key=key)
    lists = {}
    for key in ("predicate_nouns", "nouns"):
        items = notes.get(key, [])
        if not isinstance(items, list) or not all(isinstance(p, str) and p.strip() for p in items):
            raise SpecError.told("quiz.bank.lexicon.not_nouns", f"{path}:{lines.key(key, 1)}", key=key)
        lists[key] = frozenset(p.strip() for p in items)
    out: dict[str, tuple[str, ...]] = {}
    for name, members in data.get("family", {}).items():
        where = f"{path}:{lines.key(name, 1)}"
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
            raise SpecError.told("quiz.bank.lexicon.family_name", where, name=name)
        if (
            not isinstance(members, list)
            or not members
            or not all(isinstance(m, str) and m.strip() and not set(m) & set("|+!@") for m in members)
        ):
            raise SpecError.told("quiz.bank.lexicon.family_words", where, name=name)
        out[name] = tuple(m.strip() for m in members)
    return Lexicon(families=out, note_predicates=lists["predicate_nouns"], nouns=lists["nouns"])


_CACHE: dict[tuple[str, tuple[tuple[str, int], ...]], dict[str, Question]] = {}
SHARED_FILES = ("variants.toml", "lexicon.toml")


def load_bank(folder: Path) -> dict[str, Question]:
    """Every question in `folder/*.toml`, by id. Raises SpecError naming file and line."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SpecError.told("quiz.bank.no_folder", str(folder))
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
        data, lines = read_toml(path)
        for key_name in data:
            if key_name != "question":
                raise SpecError.told("quiz.bank.unknown_table", f"{path}:{lines.key(key_name, 1)}", key=key_name)
        for i, raw in enumerate(data.get("question", [])):
            q = question_from(raw, lines, i, path, families)
            if q.id in bank:
                where = f"{path}:{lines.header('question', i)}"
                raise SpecError.told("quiz.bank.duplicate_question", where, qid=q.id, first=bank[q.id].source)
            bank[q.id] = q
    for q in bank.values():
        q.variants = variants
        q.lexicon = lexicon
    _CACHE.clear()
    _CACHE[key] = bank
    return bank


__all__ = [
    "Concept",
    "Example",
    "Lexicon",
    "Misconception",
    "Pattern",
    "Question",
    "RubricItem",
    "load_bank",
    "load_lexicon",
    "load_variants",
    "parse_pattern",
]
