"""The gradebook: every attempt, its checks, answers and the submitted notebook.

SQLAlchemy Core, so the same schema and queries run on SQLite (default, a file)
and PostgreSQL (by URL). Each attempt is written in one transaction: either the
attempt, its checks, its answers and its notebook copy are all there, or none is.
The tables are in `schema`, their migrations in `migrations/` (applied on opening,
by `migrate`), opening the database safely in `opening`, the rows of one attempt in
`writing`, the read queries in `queries`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

from grader.errors import GradebookError
from grader.results import queries
from grader.results.attempt import Attempt
from grader.results.location import display_location, engine_url, resolve_location
from grader.results.opening import open_engine, short
from grader.results.queries import ExerciseSummary
from grader.results.schema import SCHEMA_VERSION, attempts, notebooks
from grader.results.writing import AlreadyGraded, insert_attempt, keep_notebook, no_nul, regrade_number

__all__ = ["SCHEMA_VERSION", "AlreadyGraded", "ExerciseSummary", "Gradebook", "display_location", "resolve_location"]


def _key_lock(sha256: str, exercise: str, member: str) -> int:
    """A PostgreSQL advisory-lock number for one grade-once key (a signed 64-bit int)."""
    digest = hashlib.sha256(f"{sha256}\0{exercise}\0{member}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class _KeyTaken(Exception):
    """Raised inside `Gradebook.record`: another writer took the grade-once key first."""

    def __init__(self, winner: Attempt) -> None:
        self.winner = winner


class Gradebook:
    """Open (creating if needed) a gradebook at a path or database URL."""

    def __init__(self, location: str, *, create: bool = True) -> None:
        # Error messages and anything that prints `location` must never show a password.
        self.location = display_location(location)
        self.url, self.path = engine_url(location)
        # Any PostgreSQL driver gets the server-side safeguards (advisory lock, ON CONFLICT).
        self.is_postgres = make_url(self.url).get_backend_name() == "postgresql"
        self._secret = make_url(self.url).password if "://" in location else None
        self.engine = open_engine(self.url, self.path, self.location, self._secret, create=create)

    # --- writing ------------------------------------------------------------

    def record(
        self, result: Attempt, notebook_bytes: bytes | None, *, regrade: bool = False, as_regrade: int | None = None
    ) -> int:
        """Store one attempt with its checks, answers and notebook, atomically. Returns its id.

        Grade once: a notebook (by content) is one attempt per exercise and member. If that
        attempt exists, `AlreadyGraded` is raised and nothing is written, unless `regrade`:
        then this one is stored as the next regrade (1, 2, …) and `result.regrade` says which.
        The unique index behind this holds for every writer at once (two laptops, a race on
        PostgreSQL). An attempt without notebook bytes has no key and is always stored.

        The attempt's `graded_at` (now, if it has none) is stored as UTC: SQLite keeps the
        clock reading and drops the offset. Its `attempt_id` is not changed here.

        `as_regrade`: store it under exactly this regrade number (an import keeps the number
        the other gradebook gave it); `AlreadyGraded` if that key is taken."""
        sha = hashlib.sha256(notebook_bytes).hexdigest() if notebook_bytes is not None else None
        for _ in range(5):
            try:
                return self._record(result, notebook_bytes, sha, regrade, as_regrade)
            except _KeyTaken as race:
                # Another writer recorded the same key between our look and our insert
                # (PostgreSQL; SQLite writers queue at BEGIN). A regrade takes the next number.
                if not regrade or as_regrade is not None:
                    raise AlreadyGraded(race.winner, result.path or None) from None
        raise GradebookError.told("errors.gradebook.regrade_raced", self.location)

    def _record(
        self,
        result: Attempt,
        notebook_bytes: bytes | None,
        sha: str | None,
        regrade: bool,
        as_regrade: int | None = None,
    ) -> int:
        created = result.graded_at or dt.datetime.now(dt.UTC)
        stored = result
        if self.is_postgres:
            # PostgreSQL text cannot hold NUL; SQLite can. A student's answer cell with
            # "\u0000" must not make the attempt unrecordable.
            stored = Attempt.from_dict(no_nul(result.to_dict()))
        number = 0
        try:
            with self.engine.begin() as conn:
                if self.is_postgres and sha is not None:
                    # Writers of one grade-once key queue here (released at commit), so a
                    # regrade's number is read after the previous writer committed: eight
                    # graders regrading one notebook at once would otherwise keep taking each
                    # other's number and exhaust the retries.
                    conn.execute(
                        sa.select(sa.func.pg_advisory_xact_lock(_key_lock(sha, stored.exercise, stored.member)))
                    )
                number = regrade_number(
                    conn, stored, sha, regrade=regrade, as_regrade=as_regrade, path=result.path or None
                )
                if sha is not None:
                    keep_notebook(conn, sha, notebook_bytes, is_postgres=self.is_postgres)
                attempt_id = insert_attempt(conn, stored, sha, number, created)
        except IntegrityError as exc:
            winner = self._holder(sha, stored.exercise, stored.member, number) if sha is not None else None
            if winner is not None:
                raise _KeyTaken(winner) from None
            raise self._refused(exc) from None  # another constraint: the attempt itself is refused
        except DBAPIError as exc:  # disk full, locked, I/O error: all or nothing
            raise self._refused(exc) from None
        result.regrade = number
        return attempt_id

    def _refused(self, exc: Exception) -> GradebookError:
        why = short(exc, self._secret)
        if "full" in short(exc).lower():
            return GradebookError.told("errors.gradebook.not_recorded_disk_full", self.location, why=why)
        return GradebookError.told("errors.gradebook.not_recorded", self.location, why=why)

    def _holder(self, sha256: str, exercise: str, member: str, number: int) -> Attempt | None:
        """The attempt that holds this grade-once key and regrade number, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(attempts.c.id).where(
                    attempts.c.notebook_sha256 == sha256,
                    attempts.c.exercise == exercise,
                    attempts.c.member == member,
                    attempts.c.regrade == number,
                )
            ).first()
            return queries.read_by_id(conn, [row[0]])[row[0]] if row else None

    def graded(self, sha256: str, exercise: str, member: str) -> Attempt | None:
        """The latest grading (first or regrade) of this notebook for this exercise and member."""
        return self.graded_many([(sha256, exercise, member)]).get((sha256, exercise, member))

    def graded_many(self, keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], Attempt]:
        """`graded` for many (notebook sha256, exercise, member) keys at once: the ones graded
        before, each with its latest grading (a folder's worth in three queries)."""
        with self.engine.connect() as conn:
            latest = queries.latest_gradings(conn, keys)
            found = queries.read_by_id(conn, latest.values())
        return {key: found[aid] for key, aid in latest.items() if aid in found}

    # --- reading ------------------------------------------------------------

    def attempts(
        self,
        *,
        member: str | None = None,
        exercise: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        include_excluded: bool = False,
    ) -> list[Attempt]:
        """Attempts handed in during [since, until] (`submitted_at`, else when graded), oldest
        first, with their checks and answers, as reviewed (`member` is the reviewed member;
        excluded attempts only with `include_excluded`)."""
        with self.engine.connect() as conn:
            return queries.read_attempts(
                conn,
                queries.filters(
                    member=member, exercise=exercise, since=since, until=until, include_excluded=include_excluded
                ),
            )

    def notebook(self, sha256: str) -> bytes | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(notebooks.c.content).where(notebooks.c.sha256 == sha256)).first()
        return bytes(row[0]) if row else None

    def best(self, *, member: str | None = None, until: dt.datetime | None = None) -> dict[tuple[str, str], Attempt]:
        """Best attempt per (member, exercise): highest score, then earliest, among those handed in
        by `until` (a deadline: `submitted_at`, else when graded)."""
        with self.engine.connect() as conn:
            return queries.best(conn, queries.filters(member=member, until=until))

    def failed_checks(self, member: str, exercise: str) -> dict[str, int]:
        """{check id: earlier attempts of `member` at `exercise` in which it failed} (first
        gradings that ran to their end; see `queries.failed_checks`)."""
        with self.engine.connect() as conn:
            return queries.failed_checks(conn, member, exercise)

    def summaries(
        self,
        *,
        member: str | None = None,
        after: dt.datetime | None = None,
        until: dt.datetime | None = None,
        upto_id: int | None = None,
    ) -> list[ExerciseSummary]:
        """Per (member, exercise) with attempts handed in during (after, until] (and recorded no
        later than attempt `upto_id`): how many, the best, the latest."""
        with self.engine.connect() as conn:
            return queries.summaries(conn, queries.filters(member=member, after=after, until=until, upto_id=upto_id))

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(attempts)).scalar_one())

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
