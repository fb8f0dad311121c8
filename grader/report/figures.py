"""The group's progress as plain data: people, exercises, the table of best scores, who handed
in what, where people are stuck. `progress.Context` fills it in from the gradebook; the pages
and the text summaries lay it out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from grader.results.attempt import Attempt


@dataclass
class Who:
    """A person in the reports: a roster member, or a gradebook name nobody listed."""

    key: str
    name: str
    listed: bool
    slug: str


@dataclass
class Exercise:
    id: str
    title: str
    slug: str
    check_titles: dict[str, str] = field(default_factory=dict)


@dataclass
class Cell:
    best: Attempt | None
    attempts: int
    latest: Attempt | None

    @property
    def state(self) -> str:
        """none | full | partial | zero | timeout | crashed | error | invalid (for CSS and labels)."""
        return "none" if self.best is None else self.best.state

    @property
    def reviewed(self) -> bool:
        """Whether a teacher reviewed the figure shown (an optional flag of the results layer)."""
        return reviewed(self.best)


def reviewed(attempt: Attempt | None) -> bool:
    return bool(getattr(attempt, "reviewed", False)) if attempt is not None else False


UNFINISHED, WRONG = "unfinished", "wrong"


@dataclass
class Missed:
    """A code check people did not pass: `unfinished` (it could not run: the notebook stopped,
    what it checks is not written yet, or a check it depends on failed) or `wrong` (it ran
    and the result was off)."""

    exercise: Exercise
    check_id: str
    title: str
    kind: str  # UNFINISHED | WRONG
    people: list[Who]  # distinct people, in roster order
    attempts: int  # failing attempts
    of_members: int  # people who tried the exercise
    message: str  # the message most of them got (the latest among equals)
    message_people: int = 0  # how many people got that message
    # For a run that did not finish (no check to name): its status, e.g. "timeout".
    run_status: str = ""

    @property
    def members(self) -> int:
        return len(self.people)


@dataclass
class Unsubmitted:
    """An exercise some have handed in and these roster members have not."""

    exercise: Exercise
    people: list[Who]


@dataclass
class Concept:
    label: str
    kind: str  # missing | misconception
    members: int  # distinct people whose answers show it


@dataclass
class MissedConcept:
    """One quiz question: the rubric concepts answers leave out, and the feedback they got."""

    exercise: Exercise
    question: str
    of_members: int  # people who answered
    items: list[Concept]
    feedback: str  # the most recent feedback given for an answer that missed something

    @property
    def members(self) -> int:
        return max((c.members for c in self.items), default=0)


@dataclass
class Recent:
    who: Who
    items: list[tuple[Exercise, int, Attempt]]  # exercise, attempts in window, best in window


@dataclass
class Progress:
    exercises: list[Exercise]
    people: list[Who]
    table: dict[str, dict[str, Cell]]  # who.key -> exercise id -> cell
    since: dt.datetime | None
    until: dt.datetime | None
    recent: list[Recent]
    quiet: list[Who]  # roster members with no attempt in the window
    missed: list[Missed]  # unfinished and wrong, most people first
    concepts: list[MissedConcept]
    unsubmitted: list[Unsubmitted] = field(default_factory=list)

    @property
    def unfinished(self) -> list[Missed]:
        return [m for m in self.missed if m.kind == UNFINISHED]

    @property
    def wrong(self) -> list[Missed]:
        return [m for m in self.missed if m.kind == WRONG]

    def cell(self, who: Who, ex: Exercise) -> Cell:
        return self.table[who.key][ex.id]

    @property
    def any_attempts(self) -> bool:
        return any(c.attempts for row in self.table.values() for c in row.values())
