"""The bank's types: a question, its concepts and misconceptions, their patterns and examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.errors import GradeError, SpecError


class Malformed(ValueError):
    """What is wrong with a piece of the bank, as a catalog entry (grader/i18n/catalog/quiz.toml),
    found before anyone knows its file and line: `at(where)` is the error a user sees."""

    def __init__(self, key: str, /, **fields: Any) -> None:  # noqa: ANN401
        from grader.i18n import text

        super().__init__(text(key, "en", **fields))
        self.key, self.fields = key, fields

    def at(self, where: str) -> GradeError:  # a SpecError (told() is typed for the whole family)
        return SpecError.told(self.key, where, **self.fields)


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


@dataclass(frozen=True)
class Lexicon:
    families: dict[str, tuple[str, ...]] = field(default_factory=dict)
    note_predicates: frozenset[str] = frozenset()  # nouns that end a study note like a verb ("…로 해결")
    nouns: frozenset[str] = frozenset()  # compound nouns the analyser must keep whole
