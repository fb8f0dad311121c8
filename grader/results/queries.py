"""Reading the gradebook: attempts with their checks and answers, and the per-exercise
figures (best attempt, how many, the latest) computed by the database.

SQLAlchemy Core on an open connection, the same statements on SQLite and PostgreSQL.
"The best attempt" is one rule everywhere: the highest score, then the earliest
(graded first, then the lower id).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from grader.results.attempt import Attempt, CheckResult, utc
from grader.results.schema import answers, attempts, checks

Filter = sa.ColumnElement[bool]


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


def _when(value: dt.datetime) -> dt.datetime:
    # SQLite keeps the clock reading without the offset, and every stored time is UTC:
    # a bound time must be UTC too, or the comparison is off by the offset.
    out = utc(value)
    assert out is not None
    return out


def filters(*, member: str | None = None, exercise: str | None = None, since: dt.datetime | None = None,
            after: dt.datetime | None = None, until: dt.datetime | None = None,
            upto_id: int | None = None) -> list[Filter]:
    """Conditions on attempts: graded at or after `since`, strictly after `after`, at or before
    `until`; recorded no later than attempt `upto_id`."""
    out: list[Filter] = []
    if upto_id is not None:
        out.append(attempts.c.id <= upto_id)
    if member is not None:
        out.append(attempts.c.member == member)
    if exercise is not None:
        out.append(attempts.c.exercise == exercise)
    if since is not None:
        out.append(attempts.c.created_at >= _when(since))
    if after is not None:
        out.append(attempts.c.created_at > _when(after))
    if until is not None:
        out.append(attempts.c.created_at <= _when(until))
    return out


def read_attempts(conn: sa.Connection, where: Iterable[Filter] = ()) -> list[Attempt]:
    """Matching attempts, oldest first, each with its checks (in recorded order) and answers."""
    where = list(where)
    rows = conn.execute(sa.select(attempts).where(*where).order_by(attempts.c.created_at, attempts.c.id)).all()
    return _complete(conn, rows, sa.select(attempts.c.id).where(*where))


def read_by_id(conn: sa.Connection, ids: Iterable[int]) -> dict[int, Attempt]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = conn.execute(sa.select(attempts).where(attempts.c.id.in_(ids))).all()
    return {a.attempt_id: a for a in _complete(conn, rows, ids) if a.attempt_id is not None}


def _complete(conn: sa.Connection, rows: list[Any], ids: Any) -> list[Attempt]:  # noqa: ANN401
    """Attempts from their rows, plus their checks and answers (one query each, not one per attempt)."""
    if not rows:
        return []
    by_attempt: dict[int, list[CheckResult]] = {}
    q = (sa.select(checks).where(checks.c.attempt_id.in_(ids))
         .order_by(checks.c.attempt_id, checks.c.position, checks.c.check_id))
    for c in conn.execute(q):
        by_attempt.setdefault(c.attempt_id, []).append(CheckResult(
            id=c.check_id, kind=c.kind, passed=c.passed, points=c.points, max_points=c.max_points,
            message=c.message or "", title=c.title or "", details=json.loads(c.details or "{}"),
            evidence=c.evidence or None))
    texts: dict[int, dict[str, str]] = {}
    for r in conn.execute(sa.select(answers).where(answers.c.attempt_id.in_(ids))):
        texts.setdefault(r.attempt_id, {})[r.question] = r.text
    return [_attempt(r, by_attempt.get(r.id, []), texts.get(r.id, {})) for r in rows]


def _attempt(r: Any, found: list[CheckResult], texts: dict[str, str]) -> Attempt:  # noqa: ANN401
    extra = json.loads(r.extra or "{}")
    return Attempt(
        exercise=r.exercise, member=r.member, status=r.status, checks=found, duration_s=r.duration_s,
        path=r.path, seed=r.seed, message=r.message, grader_version=r.grader_version, attempt_id=r.id,
        answers=texts, timings=extra.get("timings") or {}, protections=extra.get("protections") or [],
        # PostgreSQL answers in the session's time zone, SQLite without one: UTC for the rest of us.
        graded_at=utc(r.created_at), submitted_at=utc(r.submitted_at), notebook_sha256=r.notebook_sha256,
        score=r.score, max_score=r.max_score,
    )


def _ranked(where: list[Filter]) -> sa.Subquery:
    """Every matching attempt with its rank within its (member, exercise), best first."""
    group = (attempts.c.member, attempts.c.exercise)
    return sa.select(
        attempts.c.member, attempts.c.exercise, attempts.c.id, attempts.c.score, attempts.c.max_score,
        sa.func.row_number().over(partition_by=group, order_by=(
            attempts.c.score.desc(), attempts.c.created_at, attempts.c.id)).label("rank"),
        sa.func.count().over(partition_by=group).label("n"),
        sa.func.max(attempts.c.created_at).over(partition_by=group).label("last_at"),
        sa.func.first_value(attempts.c.id).over(partition_by=group, order_by=(
            attempts.c.created_at.desc(), attempts.c.id.desc())).label("latest_id"),
    ).where(*where).subquery("ranked")


def summaries(conn: sa.Connection, where: Iterable[Filter] = ()) -> list[ExerciseSummary]:
    """One row per (member, exercise) with matching attempts, ordered by member and exercise."""
    ranked = _ranked(list(where))
    q = (sa.select(ranked).where(ranked.c.rank == 1).order_by(ranked.c.member, ranked.c.exercise))
    return [ExerciseSummary(member=r.member, exercise=r.exercise, attempts=int(r.n), best_id=int(r.id),
                            best_score=float(r.score), best_max_score=float(r.max_score),
                            latest_id=int(r.latest_id), last_graded_at=_last(r.last_at))
            for r in conn.execute(q)]


def _last(value: Any) -> dt.datetime:  # noqa: ANN401
    out = utc(value)
    assert out is not None  # created_at is NOT NULL
    return out


def best(conn: sa.Connection, where: Iterable[Filter] = ()) -> dict[tuple[str, str], Attempt]:
    """The best attempt of each (member, exercise), with its checks and answers."""
    ranked = _ranked(list(where))
    ids = sa.select(ranked.c.id).where(ranked.c.rank == 1)
    rows = conn.execute(sa.select(attempts).where(attempts.c.id.in_(ids))
                        .order_by(attempts.c.member, attempts.c.exercise)).all()
    return {(a.member, a.exercise): a for a in _complete(conn, rows, ids)}
