"""What an analysed answer is made of: units, segments (sentences) and the document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Unit:
    form: str
    latin: bool
    negator: str = ""  # "", "pre", "pre-ko", "post" or "flag"
    clause: int = 0
    negated: bool = False
    start: int = 0  # offset in the segment's text
    topic: bool = False  # marked by 은/는
    argument: bool = False  # marked by 이/가 or 을/를
    governors: tuple[int, ...] = ()  # indices of the negators that govern it (negative: a denial clause)
    raw: str = ""  # an English word as written (lower case), before stemming
    boundary: bool = False  # a particle, a punctuation mark or a connective ending follows it
    adnominal: bool = False  # a negator inside a modifier ("필요 없는 정보"): it denies the word before only
    coord: bool = False  # joined to the next noun by 와/과/이나 ("클리핑과 층 정규화를")
    subject: bool = False  # marked by 이/가
    oblique: bool = False  # inside a prepositional phrase ("parts of g(t)") or marked by 에/에서/로
    predicative: bool = False  # what the sentence says something is ("…는 시퀀스-투-벡터다", "done by X")
    genitive: bool = False  # a possessor ("LSTM의", "the LSTM's")
    hypothetical: bool = False  # inside a condition ("미래 값을 보면 …", "if it saw the future, …")
    compared: bool = False  # what a comparison is made against ("단어마다 번역하는 seq2seq보다 낫다")


def moved(unit: Unit, **changes: Any) -> Unit:
    """A copy of the unit with some fields changed (dataclasses.replace, without its
    per-call look at every field: a heading's units are copied under each line)."""
    new = object.__new__(Unit)
    new.__dict__.update(unit.__dict__, **changes)
    return new


@dataclass
class Segment:
    text: str
    units: list[Unit]
    statement: bool
    concat: str = ""
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    unit_at: list[int] = field(default_factory=list)  # char index in concat -> unit index
    predicates: int = 0  # verbs, adjectives and copulas that end a clause (not "같은 가중치")
    separators: int = 0  # list separators: commas, slashes, 및, 와/과, arrow chains
    context: Segment | None = None  # the heading or lead-in this line sits under
    heading: bool = False
    found: dict[Any, list[Any]] = field(default_factory=dict, repr=False)  # the scorer's memo
    cuts: list[int] = field(default_factory=list)  # offsets of list separators in `text`

    def __post_init__(self) -> None:
        pos = 0
        self.starts, self.ends, self.unit_at = [], [], []
        for i, u in enumerate(self.units):
            self.starts.append(pos)
            pos += len(u.form)
            self.ends.append(pos)
            self.unit_at.extend([i] * len(u.form))
        self.concat = "".join(u.form for u in self.units)


@dataclass
class Doc:
    text: str
    segments: list[Segment]
    lang: str


class Phrase(tuple[str, ...]):
    """A pattern alternative's unit forms, remembering the words as written."""

    words: tuple[str, ...]
    info: Any  # the scorer's search facts about it, worked out on first use

    def __new__(cls, forms: tuple[str, ...], words: tuple[str, ...]) -> Phrase:
        obj = super().__new__(cls, forms)
        obj.words = words
        obj.info = None
        return obj
