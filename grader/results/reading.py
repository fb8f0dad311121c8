"""Reading attempts from the gradebook: with their checks, answers and reviews, in a time
window, by id, and the latest grading of a notebook (the grade-once key).

SQLAlchemy Core on an open connection, the same statements on SQLite and PostgreSQL.
Time windows (`since`, `after`, `until`) are about when the member handed the notebook in:
`submitted_at`, or the grading time for attempts recorded without one. A notebook finished
on Sunday and graded at Tuesday's meeting belongs to Sunday. Windows read `EFFECTIVE`, the
attempts with their reviewed member and score (grader/results/reviews.py); attempts come
back with their reviews applied, unless `raw`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from grader.results import reviews
from grader.results.attempt import Attempt, CellError, CheckResult, utc
from grader.results.schema import answers, attempts, checks, reviewed

Filter = sa.ColumnElement[bool]


def _when(value: dt.datetime) -> dt.datetime:
    # SQLite keeps the clock reading without the offset, and every stored time is UTC:
    # a bound time must be UTC too, or the comparison is off by the offset.
    out = utc(value)
    assert out is not None
    return out


# Every attempt with its reviewed member and score, whether it is excluded and whether it
# was reviewed at all; the attempts nobody reviewed have no `reviewed` row.
EFFECTIVE = (
    sa.select(
        attempts.c.id,
        attempts.c.exercise,
        sa.func.coalesce(reviewed.c.member, attempts.c.member).label("member"),
        sa.func.coalesce(reviewed.c.score, attempts.c.score).label("score"),
        attempts.c.max_score,
        attempts.c.created_at,
        attempts.c.submitted_at,
        sa.func.coalesce(reviewed.c.excluded, sa.false()).label("excluded"),
    )
    .select_from(attempts.outerjoin(reviewed, reviewed.c.attempt_id == attempts.c.id))
    .subquery("eff")
)


def handed_in(table: sa.FromClause = EFFECTIVE) -> sa.ColumnElement[Any]:
    """When the attempt's notebook was handed in: `submitted_at`, else when it was graded."""
    return sa.func.coalesce(table.c.submitted_at, table.c.created_at)


def latest_grading(conn: sa.Connection, sha256: str, exercise: str, member: str) -> tuple[int, int] | None:
    """(id, regrade number) of the latest grading of this notebook, exercise and member (the
    grade-once key, over its unique index), or None if it was never graded."""
    row = conn.execute(
        sa.select(attempts.c.id, attempts.c.regrade)
        .where(
            attempts.c.notebook_sha256 == sha256,
            attempts.c.exercise == exercise,
            attempts.c.member == member,
        )
        .order_by(attempts.c.regrade.desc())
        .limit(1)
    ).first()
    return (int(row[0]), int(row[1])) if row else None


def latest_gradings(conn: sa.Connection, keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
    """{(sha256, exercise, member): id of its latest grading} for the keys graded before."""
    wanted = set(keys)
    shas = sorted({sha for sha, _, _ in wanted})
    best: dict[tuple[str, str, str], tuple[int, int]] = {}
    for start in range(0, len(shas), 500):  # bounded IN lists
        rows = conn.execute(
            sa.select(
                attempts.c.id, attempts.c.notebook_sha256, attempts.c.exercise, attempts.c.member, attempts.c.regrade
            ).where(attempts.c.notebook_sha256.in_(shas[start : start + 500]))
        )
        for r in rows:
            key = (r.notebook_sha256, r.exercise, r.member)
            if key in wanted and (key not in best or r.regrade > best[key][1]):
                best[key] = (int(r.id), int(r.regrade))
    return {key: aid for key, (aid, _) in best.items()}


@dataclass(frozen=True)
class Window:
    """Which attempts a query reads: handed in (`handed_in`) at or after `since`, strictly after
    `after`, at or before `until`; recorded no later than attempt `upto_id`; of the (reviewed)
    `member` and `exercise`; not excluded unless `include_excluded`."""

    member: str | None = None
    exercise: str | None = None
    since: dt.datetime | None = None
    after: dt.datetime | None = None
    until: dt.datetime | None = None
    upto_id: int | None = None
    include_excluded: bool = False

    def on(self, table: sa.FromClause = EFFECTIVE) -> list[Filter]:
        """The conditions on `EFFECTIVE`, or on `attempts` for rows nobody reviewed."""
        out: list[Filter] = []
        if not self.include_excluded and "excluded" in table.c:
            out.append(sa.not_(table.c.excluded))
        if self.upto_id is not None:
            out.append(table.c.id <= self.upto_id)
        if self.member is not None:
            out.append(table.c.member == self.member)
        if self.exercise is not None:
            out.append(table.c.exercise == self.exercise)
        if self.since is not None:
            out.append(handed_in(table) >= _when(self.since))
        if self.after is not None:
            out.append(handed_in(table) > _when(self.after))
        if self.until is not None:
            out.append(handed_in(table) <= _when(self.until))
        return out


def filters(
    *,
    member: str | None = None,
    exercise: str | None = None,
    since: dt.datetime | None = None,
    after: dt.datetime | None = None,
    until: dt.datetime | None = None,
    upto_id: int | None = None,
    include_excluded: bool = False,
) -> Window:
    """The `Window` of these bounds (see there)."""
    return Window(
        member=member,
        exercise=exercise,
        since=since,
        after=after,
        until=until,
        upto_id=upto_id,
        include_excluded=include_excluded,
    )


def read_attempts(conn: sa.Connection, window: Window = Window(), *, raw: bool = False) -> list[Attempt]:
    """Matching attempts, oldest first, each with its checks (in recorded order) and answers;
    reviewed unless `raw`."""
    ids = sa.select(EFFECTIVE.c.id).where(*window.on())
    rows = conn.execute(
        sa.select(attempts).where(attempts.c.id.in_(ids)).order_by(attempts.c.created_at, attempts.c.id)
    ).all()
    return _complete(conn, rows, ids, raw=raw)


def read_by_id(conn: sa.Connection, ids: Iterable[int], *, raw: bool = False) -> dict[int, Attempt]:
    """These attempts (excluded ones too), reviewed unless `raw` (the figures as graded)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = conn.execute(sa.select(attempts).where(attempts.c.id.in_(ids))).all()
    return {a.attempt_id: a for a in _complete(conn, rows, ids, raw=raw) if a.attempt_id is not None}


def _complete(conn: sa.Connection, rows: Sequence[Any], ids: Any, *, raw: bool = False) -> list[Attempt]:  # noqa: ANN401
    """Attempts from their rows, plus their checks, answers and reviews (one query each, not
    one per attempt)."""
    if not rows:
        return []
    by_attempt: dict[int, list[CheckResult]] = {}
    q = (
        sa.select(checks)
        .where(checks.c.attempt_id.in_(ids))
        .order_by(checks.c.attempt_id, checks.c.position, checks.c.check_id)
    )
    for c in conn.execute(q):
        by_attempt.setdefault(c.attempt_id, []).append(
            CheckResult(
                id=c.check_id,
                kind=c.kind,
                passed=c.passed,
                points=c.points,
                max_points=c.max_points,
                message=c.message or "",
                title=c.title or "",
                details=json.loads(c.details or "{}"),
                evidence=c.evidence or None,
                hint_level=c.hint_level or None,
            )
        )
    texts: dict[int, dict[str, str]] = {}
    for r in conn.execute(sa.select(answers).where(answers.c.attempt_id.in_(ids))):
        texts.setdefault(r.attempt_id, {})[r.question] = r.text
    found = [_attempt(r, by_attempt.get(r.id, []), texts.get(r.id, {})) for r in rows]
    if not raw:
        changes = reviews.load(conn, ids)
        for a in found:
            reviews.apply(a, changes.get(a.attempt_id or 0, []))
    return found


def _attempt(r: Any, found: list[CheckResult], texts: dict[str, str]) -> Attempt:  # noqa: ANN401
    extra = json.loads(r.extra or "{}")
    return Attempt(
        exercise=r.exercise,
        member=r.member,
        status=r.status,
        checks=found,
        duration_s=r.duration_s,
        path=r.path,
        seed=r.seed,
        message=r.message,
        grader_version=r.grader_version,
        attempt_id=r.id,
        answers=texts,
        timings=extra.get("timings") or {},
        protections=extra.get("protections") or [],
        # PostgreSQL answers in the session's time zone, SQLite without one: UTC for the rest of us.
        graded_at=utc(r.created_at),
        submitted_at=utc(r.submitted_at),
        notebook_sha256=r.notebook_sha256,
        score=r.score,
        max_score=r.max_score,
        member_source=r.member_source or "",
        member_note=r.member_note or "",
        submitted_from=extra.get("submitted_from") or "",
        regrade=r.regrade or 0,
        cell_errors=[CellError.from_dict(e) for e in extra.get("cell_errors") or [] if isinstance(e, dict)],
    )
