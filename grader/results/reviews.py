"""Review rows and what they do to an attempt: the log, its replay, and the derived figures.

A review row is one person's change to one attempt (a quiz band, a check's points, the
member, excluding or restoring it) with who, when, why and the old and new value. Rows
are only ever added. An attempt's reviewed figures are its recorded ones with every row
replayed in time order (then by `uid`, so two gradebooks holding the same rows agree,
whatever order they were imported in). The `reviewed` table keeps the replay's result per
attempt so the best-attempt queries stay SQL; `refresh` rewrites it from the rows in the
transaction that adds them.

`grader/results/review.py` makes the changes and lists what needs a human; this module
must not import the queries (they import it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from grader.results.attempt import Attempt, points, utc
from grader.results.schema import attempts, checks, reviewed, reviews

# band: a quiz check's band (full | partial | none); points: a check's points;
# member: the attempt belongs to another member; exclude / restore: it counts nowhere / again.
ACTIONS: tuple[str, ...] = ("band", "points", "member", "exclude", "restore")
BANDS: tuple[str, ...] = ("full", "partial", "none")


@dataclass(frozen=True)
class Review:
    """One row of `reviews`."""

    uid: str
    attempt_id: int
    action: str
    target: str
    old_value: str
    new_value: str
    reason: str
    reviewer: str
    created_at: dt.datetime
    points: float | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The row as `grade review history --json` prints it."""
        return {"id": self.id, **self.row(), "created_at": self.created_at.isoformat()}

    def row(self) -> dict[str, Any]:
        """The values to insert (without the local id)."""
        return {
            "uid": self.uid,
            "attempt_id": self.attempt_id,
            "action": self.action,
            "target": self.target,
            "old_value": self.old_value,
            "new_value": self.new_value,
            "points": self.points,
            "reason": self.reason,
            "reviewer": self.reviewer,
            "created_at": self.created_at,
        }


def order(r: Review) -> tuple[dt.datetime, str]:
    return (r.created_at, r.uid)


@dataclass
class Figures:
    """What reviews change about an attempt."""

    member: str
    score: float
    excluded: bool = False
    check_points: dict[str, float] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)  # check ids whose points a review set


def replay(member: str, score: float, check_points: Mapping[str, float], rows: Iterable[Review]) -> Figures:
    """The figures after `rows` (any order: they are replayed in time order)."""
    out = Figures(member=member, score=score, check_points=dict(check_points))
    for r in sorted(rows, key=order):
        if r.action in ("band", "points") and r.points is not None and r.target in out.check_points:
            out.score = points(out.score + r.points - out.check_points[r.target])
            out.check_points[r.target] = points(r.points)
            out.changed.add(r.target)
        elif r.action == "member":
            out.member = r.new_value
        elif r.action in ("exclude", "restore"):
            out.excluded = r.action == "exclude"
    return out


def apply(attempt: Attempt, rows: list[Review]) -> Attempt:
    """`attempt` (as recorded) with its reviews applied, in place; marked `reviewed` if any."""
    if not rows:
        return attempt
    figures = replay(attempt.member, attempt.score, {c.id: c.points for c in attempt.checks}, rows)
    attempt.member, attempt.score, attempt.excluded = figures.member, figures.score, figures.excluded
    attempt.reviewed = True
    for c in attempt.checks:
        if c.id in figures.changed:
            c.points = figures.check_points[c.id]
            c.passed = c.points >= c.max_points - 1e-9
            c.reviewed = True
    return attempt


def _review(r: Any) -> Review:  # noqa: ANN401
    created = utc(r.created_at)
    assert created is not None  # NOT NULL
    return Review(
        id=int(r.id),
        uid=r.uid,
        attempt_id=int(r.attempt_id),
        action=r.action,
        target=r.target,
        old_value=r.old_value,
        new_value=r.new_value,
        points=r.points,
        reason=r.reason,
        reviewer=r.reviewer,
        created_at=created,
    )


def load(conn: sa.Connection, attempt_ids: Any = None) -> dict[int, list[Review]]:  # noqa: ANN401
    """{attempt id: its reviews in replay order}; `attempt_ids` an iterable or a SELECT of ids
    (None: every attempt)."""
    q = sa.select(reviews)
    if attempt_ids is not None:
        q = q.where(reviews.c.attempt_id.in_(attempt_ids))
    out: dict[int, list[Review]] = {}
    for r in conn.execute(q):
        out.setdefault(int(r.attempt_id), []).append(_review(r))
    for rows in out.values():
        rows.sort(key=order)
    return out


def load_all(conn: sa.Connection, attempt_id: int | None = None) -> list[Review]:
    """Every review (of one attempt, if given), oldest first."""
    found = load(conn, [attempt_id] if attempt_id is not None else None)
    return sorted((r for rows in found.values() for r in rows), key=order)


def refresh(conn: sa.Connection, attempt_ids: Iterable[int]) -> None:
    """Rewrite the `reviewed` figures of these attempts from their review rows."""
    ids = sorted(set(attempt_ids))
    if not ids:
        return
    found = load(conn, ids)
    base = {
        int(r.id): r
        for r in conn.execute(
            sa.select(attempts.c.id, attempts.c.member, attempts.c.score).where(attempts.c.id.in_(ids))
        )
    }
    check_points: dict[int, dict[str, float]] = {}
    for c in conn.execute(
        sa.select(checks.c.attempt_id, checks.c.check_id, checks.c.points).where(checks.c.attempt_id.in_(ids))
    ):
        check_points.setdefault(int(c.attempt_id), {})[c.check_id] = float(c.points)
    conn.execute(reviewed.delete().where(reviewed.c.attempt_id.in_(ids)))
    rows = []
    for aid in ids:
        if aid not in found or aid not in base:
            continue
        f = replay(base[aid].member, float(base[aid].score), check_points.get(aid, {}), found[aid])
        rows.append({"attempt_id": aid, "member": f.member, "score": f.score, "excluded": f.excluded})
    if rows:
        conn.execute(reviewed.insert(), rows)
