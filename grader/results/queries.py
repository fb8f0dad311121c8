"""The gradebook's figures: per (member, exercise) the best attempt, how many, the latest,
computed by the database; the checks a member keeps failing. Reading the attempts
themselves is `reading` (re-exported here).

SQLAlchemy Core on an open connection, the same statements on SQLite and PostgreSQL.
"The best attempt" is one rule everywhere: the highest score, then the earliest
(graded first, then the lower id).

Time windows (`since`, `after`, `until`) are about when the member handed the notebook in:
`submitted_at`, or the grading time for attempts recorded without one. A notebook finished
on Sunday and graded at Tuesday's meeting belongs to Sunday.

Every figure is the reviewed one (grader/results/reviews.py): the windows, the best and
the counts read `EFFECTIVE`, the attempts with the reviewed member and score; an excluded
attempt counts nowhere (only `include_excluded` readers see it), a reassigned one counts
for its new member. Attempts come back with their reviews applied, unless `raw`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.util import ClauseAdapter

from grader.results.attempt import Attempt, utc
from grader.results.reading import (
    EFFECTIVE,
    Filter,
    Window,
    filters,
    handed_in,
    latest_grading,
    latest_gradings,
    read_attempts,
    read_by_id,
)
from grader.results.schema import attempts, checks, reviewed

__all__ = [
    "EFFECTIVE",
    "ExerciseSummary",
    "Filter",
    "Window",
    "best",
    "failed_checks",
    "filters",
    "handed_in",
    "latest_grading",
    "latest_gradings",
    "read_attempts",
    "read_by_id",
    "summaries",
]

_ALL = Window()  # every attempt that is not excluded


@dataclass(frozen=True)
class ExerciseSummary:
    """One member's attempts at one exercise, as the database counts them."""

    member: str
    exercise: str
    attempts: int
    best_id: int
    best_score: float
    best_max_score: float
    latest_id: int
    last_graded_at: dt.datetime
    last_submitted_at: dt.datetime | None = None  # the latest hand-in (the grading time if unknown)
    reviewed: bool = False  # a person changed the best attempt's figures (grade review)


def _figures(where: list[Filter]) -> sa.Subquery:
    """Per (member, exercise): how many attempts, the last time, the best and the latest attempt's id.

    A GROUP BY over the best-attempt index, then two index look-ups per group (the earliest
    attempt with the top score, the newest attempt); window functions would sort every row.
    The recorded figures: `summaries` uses it only for groups without reviewed attempts."""
    top = (
        sa.select(
            attempts.c.member,
            attempts.c.exercise,
            sa.func.max(attempts.c.score).label("top"),
            sa.func.count().label("n"),
            sa.func.max(attempts.c.created_at).label("last_at"),
            sa.func.max(handed_in(attempts)).label("last_in"),
        )
        .where(*where)
        .group_by(attempts.c.member, attempts.c.exercise)
        .subquery("top")
    )

    def first(order: Any, *extra: Any) -> Any:  # noqa: ANN401
        inner = attempts.alias("inner")
        same = ClauseAdapter(inner)  # the caller's filters, on the inner copy of the table
        return (
            sa.select(inner.c.id)
            .where(
                inner.c.member == top.c.member,
                inner.c.exercise == top.c.exercise,
                *(extra_(inner) for extra_ in extra),
                *(same.traverse(f) for f in where),
            )
            .order_by(*order(inner))
            .limit(1)
            .scalar_subquery()
        )

    best_id = first(lambda t: (t.c.created_at, t.c.id), lambda t: t.c.score == top.c.top)
    latest_id = first(lambda t: (t.c.created_at.desc(), t.c.id.desc()))
    return sa.select(
        top.c.member,
        top.c.exercise,
        top.c.top,
        top.c.n,
        top.c.last_at,
        top.c.last_in,
        best_id.label("best_id"),
        latest_id.label("latest_id"),
    ).subquery("figures")


def summaries(conn: sa.Connection, window: Window = _ALL) -> list[ExerciseSummary]:
    """One row per (member, exercise) with matching attempts, ordered by member and exercise.

    Groups that hold no reviewed attempt (before or after a reassignment) are counted by the
    database over its index; the few that do are counted here from their reviewed figures,
    by the same rule."""
    touched = _touched(conn)
    figures = _figures(window.on(attempts))
    q = (
        sa.select(figures, attempts.c.max_score)
        .join(attempts, attempts.c.id == figures.c.best_id)
        .order_by(figures.c.member, figures.c.exercise)
    )
    out = [
        ExerciseSummary(
            member=r.member,
            exercise=r.exercise,
            attempts=int(r.n),
            best_id=int(r.best_id),
            best_score=float(r.top),
            best_max_score=float(r.max_score),
            latest_id=int(r.latest_id),
            last_graded_at=_last(r.last_at),
            last_submitted_at=utc(r.last_in),
        )
        for r in conn.execute(q)
        if (r.member, r.exercise) not in touched
    ]
    if touched:
        out.extend(_reviewed_summaries(conn, window, touched))
        out.sort(key=lambda s: (s.member, s.exercise))
    return out


def _touched(conn: sa.Connection) -> set[tuple[str, str]]:
    """(member, exercise) groups a review changed: where reviewed attempts were and are."""
    rows = conn.execute(
        sa.select(attempts.c.member, attempts.c.exercise, reviewed.c.member.label("now")).join(
            reviewed, reviewed.c.attempt_id == attempts.c.id
        )
    ).all()
    return {(r.member, r.exercise) for r in rows} | {(r.now, r.exercise) for r in rows}


def _reviewed_summaries(conn: sa.Connection, window: Window, touched: set[tuple[str, str]]) -> list[ExerciseSummary]:
    """`summaries` of the touched groups, from `EFFECTIVE` (a handful of groups)."""
    # An attempt now in a touched group was recorded in it, or was reviewed (reassigned).
    candidates = sa.union(
        sa.select(attempts.c.id).where(sa.tuple_(attempts.c.member, attempts.c.exercise).in_(sorted(touched))),
        sa.select(reviewed.c.attempt_id),
    )
    rows = conn.execute(
        sa.select(EFFECTIVE, reviewed.c.attempt_id.label("reviewed_id"))
        .outerjoin(reviewed, reviewed.c.attempt_id == EFFECTIVE.c.id)
        .where(EFFECTIVE.c.id.in_(candidates), *window.on())
    ).all()
    groups: dict[tuple[str, str], list[Any]] = {}
    for r in rows:
        if (r.member, r.exercise) in touched:
            groups.setdefault((r.member, r.exercise), []).append(r)
    out = []
    for (member, exercise), tries in groups.items():
        at = {r.id: _last(r.created_at) for r in tries}
        top = min(tries, key=lambda r: (-r.score, at[r.id], r.id))
        latest = max(tries, key=lambda r: (at[r.id], r.id))
        handed = [utc(r.submitted_at) or at[r.id] for r in tries]
        out.append(
            ExerciseSummary(
                member=member,
                exercise=exercise,
                attempts=len(tries),
                best_id=int(top.id),
                best_score=float(top.score),
                best_max_score=float(top.max_score),
                latest_id=int(latest.id),
                last_graded_at=max(at.values()),
                last_submitted_at=max(handed),
                reviewed=top.reviewed_id is not None,
            )
        )
    return out


def _last(value: Any) -> dt.datetime:  # noqa: ANN401
    out = utc(value)
    assert out is not None  # created_at is NOT NULL
    return out


def best(conn: sa.Connection, window: Window = _ALL) -> dict[tuple[str, str], Attempt]:
    """The best attempt of each (member, exercise), with its checks and answers, as reviewed."""
    found = read_by_id(conn, [s.best_id for s in summaries(conn, window)])
    return {(a.member, a.exercise): a for a in sorted(found.values(), key=lambda a: (a.member, a.exercise))}


def failed_checks(conn: sa.Connection, member: str, exercise: str) -> dict[str, int]:
    """{check id: attempts of `member` at `exercise` in which that check failed}.

    What counts is the member's own tries: first gradings of notebooks that ran to their end
    (status `graded`). A regrade is the same notebook again; a timeout or a crash says
    nothing about the check; a check "not checked" because another one failed (its
    details name `not_checked_after`) was never tried."""
    rows = conn.execute(
        sa.select(checks.c.check_id, checks.c.details)
        .select_from(checks.join(attempts, attempts.c.id == checks.c.attempt_id))
        .where(
            attempts.c.member == member,
            attempts.c.exercise == exercise,
            attempts.c.status == "graded",
            attempts.c.regrade == 0,
            checks.c.passed == sa.false(),
        )
    )
    counts: dict[str, int] = {}
    for check_id, details in rows:
        try:
            found = json.loads(details or "{}")
        except ValueError:
            found = {}
        if isinstance(found, dict) and found.get("not_checked_after"):
            continue
        counts[check_id] = counts.get(check_id, 0) + 1
    return counts
