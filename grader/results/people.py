"""Gradebook figures per person: the roster's aliases merged into its member ids.

A member may appear in the gradebook under several names: "sora.han" from their laptop's
OS user, "shan" typed with --member, "sora" from a folder. The roster (site/roster.toml)
lists who is who; `grade status` and `grade export` show one row per roster member, by
the gradebook's own rule for the best attempt (highest score, then the earliest). Names
the roster does not know stay as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING

from grader.results.attempt import Attempt
from grader.results.queries import ExerciseSummary

if TYPE_CHECKING:
    from grader.report.model import Roster


def canonical(roster: Roster | None, name: str) -> str:
    """The roster id `name` belongs to (an id or an alias, any case), else `name` itself."""
    if roster is None:
        return name
    entry = roster.match(name)
    return entry.id if entry is not None else name


def display_names(roster: Roster | None, lang: str) -> dict[str, str]:
    """Roster id -> the name to show (in `lang`, else any)."""
    return {m.id: m.display(lang) for m in roster.members.values()} if roster is not None else {}


def _earlier_best(a: Attempt, b: Attempt) -> Attempt:
    """The better of two best attempts: higher score, then graded first, then the lower id."""

    def key(x: Attempt) -> tuple[float, float, int]:
        when = x.graded_at.timestamp() if x.graded_at else 0.0
        return (-x.score, when, x.attempt_id or 0)

    return a if key(a) <= key(b) else b


def merge_best(best: dict[tuple[str, str], Attempt], roster: Roster | None) -> dict[tuple[str, str], Attempt]:
    """`Gradebook.best()` with every name under its roster id; the shown attempt keeps its
    recorded member (it is the gradebook's row)."""
    out: dict[tuple[str, str], Attempt] = {}
    for (member, exercise), attempt in best.items():
        key = (canonical(roster, member), exercise)
        out[key] = _earlier_best(out[key], attempt) if key in out else attempt
    return out


def merge_summaries(rows: Iterable[ExerciseSummary], roster: Roster | None) -> list[ExerciseSummary]:
    """`Gradebook.summaries()` with every name under its roster id: attempts added up, the
    best by score (then the lower id, i.e. recorded first), the latest times."""
    out: dict[tuple[str, str], ExerciseSummary] = {}
    for r in rows:
        key = (canonical(roster, r.member), r.exercise)
        r = dataclasses.replace(r, member=key[0])
        have = out.get(key)
        if have is None:
            out[key] = r
            continue
        top = have if (-have.best_score, have.best_id) <= (-r.best_score, r.best_id) else r
        latest = have if have.last_graded_at >= r.last_graded_at else r
        submitted = [t for t in (have.last_submitted_at, r.last_submitted_at) if t is not None]
        out[key] = dataclasses.replace(
            top,
            attempts=have.attempts + r.attempts,
            latest_id=latest.latest_id,
            last_graded_at=latest.last_graded_at,
            last_submitted_at=max(submitted) if submitted else None,
        )
    return list(out.values())
