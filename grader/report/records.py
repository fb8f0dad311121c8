"""What the report reads from the gradebook: every attempt, made inert for a page, and the
database's per-exercise figures over the same attempts. Building a report never writes the
gradebook (a file that does not exist is read as empty and is not created)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.results.attempt import Attempt
from grader.results.queries import ExerciseSummary
from grader.textsafe import inert


@dataclass
class Records:
    """What the report reads from the gradebook: every attempt (oldest first), and the
    database's per-exercise figures over the same attempts (`summaries`)."""

    attempts: list[Attempt]
    location: str | None = None

    def __post_init__(self) -> None:
        self.by_id = {a.attempt_id: a for a in self.attempts if a.attempt_id is not None}
        # Attempts recorded after loading are not in `attempts`: the figures leave them out too.
        self._upto_id = max(self.by_id, default=0)

    def summaries(self, *, after: dt.datetime | None = None, until: dt.datetime | None = None) -> list[ExerciseSummary]:
        """Per (recorded member, exercise) with attempts graded in (after, until]."""
        if self.location is None or not self.by_id:
            return []
        from grader.results.gradebook import Gradebook

        with Gradebook(self.location, create=False) as book:
            return book.summaries(after=after, until=until, upto_id=self._upto_id)


def load_attempts(location: str | None) -> list[Attempt]:
    """Every attempt in the gradebook, oldest first. A gradebook file that does not exist is empty
    (and is not created: building a report never writes the gradebook)."""
    from grader.results.gradebook import Gradebook

    if not location:
        return []
    if "://" not in location and not Path(location).expanduser().exists():
        return []
    with Gradebook(location, create=False) as book:
        found = book.attempts()
    # Messages, feedback and answers reach the pages without control, bidi or
    # zero-width characters (a right-to-left override would reorder what follows it).
    # `member` stays as recorded: it is a key; pages show it through `Who.name`.
    for a in found:
        a.message = _inert(a.message)
        a.answers = {q: inert(t, newlines=True, tabs=True) for q, t in a.answers.items()}
        for c in a.checks:
            c.title, c.message, c.details = _inert(c.title), _inert(c.message), _inert(c.details)
    return found


def load_records(location: str | None) -> Records:
    """The gradebook at `location` for the report (empty when there is none)."""
    return Records(load_attempts(location), location)


def _inert(value: Any) -> Any:  # noqa: ANN401
    """`value` with every string in it made inert (check details are nested JSON data)."""
    if isinstance(value, str):
        return inert(value, newlines=True)
    if isinstance(value, dict):
        return {k: _inert(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_inert(v) for v in value]
    return value
