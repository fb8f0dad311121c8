"""The gradebook: every attempt, its checks, answers and the submitted notebook.

SQLAlchemy Core, so the same schema and queries run on SQLite (default, a file)
and PostgreSQL (by URL). Each attempt is written in one transaction: either the
attempt, its checks, its answers and its notebook copy are all there, or none is.
The tables are in `schema`, their migrations in `migrations/` (applied on opening,
by `migrate`), the read queries in `queries`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DatabaseError, DBAPIError, IntegrityError, OperationalError

from grader.errors import GradebookError, GradeError
from grader.results import queries
from grader.results.attempt import Attempt
from grader.results.location import display_location, engine_url, resolve_location
from grader.results.migrate import foreign_message, migrate, newer_message
from grader.results.queries import ExerciseSummary
from grader.results.schema import OWN_TABLES, SCHEMA_VERSION, answers, attempts, checks, notebooks

__all__ = ["SCHEMA_VERSION", "AlreadyGraded", "ExerciseSummary", "Gradebook", "display_location", "resolve_location"]

# Key of the advisory lock that serialises schema creation on PostgreSQL: two graders
# opening an empty database at once must not both run CREATE TABLE.
_PG_SCHEMA_LOCK = 0x6772616465  # "grade"

# SQLite's write lock: a writer waits at most LOCK_TRY_S per attempt (SQLite's busy
# timeout) and retries until LOCK_WAIT_S have passed, then gives up with a clear error.
# Recording an attempt holds the lock for milliseconds; whoever holds it for longer
# (a stuck process, anything that opened the file by hand) must not stall a submit.
LOCK_TRY_S = 1.0
LOCK_WAIT_S = 10.0


class AlreadyGraded(GradebookError):
    """This notebook was graded for this exercise and member before (`Gradebook.record`)."""

    exit_code = 0  # nothing is wrong: the attempt is in the gradebook already

    def __init__(self, attempt: Attempt, path: str | None = None) -> None:
        self.attempt = attempt
        super().__init__(
            f"already graded: this notebook is attempt {attempt.attempt_id} of {attempt.member} "
            f"for {attempt.exercise} ({attempt.score:g}/{attempt.max_score:g}); "
            "pass --regrade to grade it again",
            path,
        )


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
        if self.path is not None:
            self._check_sqlite_file(self.path)
            if create:
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise GradebookError(f"cannot create folder: {exc.strerror}", str(self.path.parent)) from None
        kwargs: dict[str, Any] = {}
        if self.url.startswith("sqlite"):
            # Several `grade submit` processes may share one file: wait for the lock
            # rather than fail, and use WAL so readers never block the writer.
            kwargs["connect_args"] = {"timeout": LOCK_TRY_S}
        elif self.is_postgres:
            kwargs.update(self._pg_engine_args(make_url(self.url)))
        try:
            self.engine = sa.create_engine(self.url, **kwargs)
        except (ImportError, sa.exc.ArgumentError) as exc:  # unknown dialect or driver missing
            if self.is_postgres and isinstance(exc, ImportError):  # psycopg is an extra
                raise GradebookError(
                    "a PostgreSQL gradebook needs psycopg 3: pip install 'homl-grade[postgres]'", self.location
                ) from None
            raise GradebookError(f"cannot use this database URL ({_short(exc, self._secret)})", self.location) from None
        if self.url.startswith("sqlite"):

            @event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # noqa: ANN401
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute(f"PRAGMA busy_timeout={int(LOCK_TRY_S * 1000)}")
                try:
                    cur.execute("PRAGMA journal_mode=WAL")
                except Exception:  # read-only media: stay in rollback-journal mode
                    pass
                cur.close()

            @event.listens_for(self.engine, "begin")
            def _begin_immediate(conn: Any) -> None:  # noqa: ANN401
                # Take the write lock at BEGIN so two writers queue instead of deadlocking.
                self._lock_for_writing(conn)

        if self.is_postgres:
            # Connect once on its own so "server down / wrong database / bad login" reads
            # as such instead of as a broken gradebook.
            try:
                with self.engine.connect():
                    pass
            except DBAPIError as exc:
                self.engine.dispose()
                raise GradebookError(
                    f"cannot connect to the gradebook database ({_short(exc, self._secret)}); "
                    "check the URL and that the server is running",
                    self.location,
                ) from None
        try:
            self._ensure_schema()
        except OperationalError as exc:  # locked for too long, read-only, disk full, ...
            self.engine.dispose()
            raise GradebookError(
                f"cannot open the gradebook ({_short(exc, self._secret)}); it was left untouched", self.location
            ) from None
        except DatabaseError as exc:
            self.engine.dispose()
            raise GradebookError(
                f"not a usable gradebook database ({_short(exc, self._secret)}); it was left untouched", self.location
            ) from None
        except GradeError:
            self.engine.dispose()
            raise

    def _lock_for_writing(self, conn: Any) -> None:  # noqa: ANN401
        """BEGIN IMMEDIATE, retried with growing pauses for at most LOCK_WAIT_S seconds."""
        deadline = time.monotonic() + LOCK_WAIT_S
        pause = 0.05
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if not _busy(exc):
                    raise
                if time.monotonic() + pause >= deadline:
                    raise GradebookError(
                        f"the gradebook is busy: another process has held its write lock for more than "
                        f"{LOCK_WAIT_S:g} s; nothing was written; try again (or submit with --no-record)",
                        self.location,
                    ) from None
            # Jitter: graders that queued up together do not all retry at the same instant.
            time.sleep(pause * random.uniform(1.0, 1.5))
            pause = min(2 * pause, 0.5)

    @staticmethod
    def _pg_engine_args(url: URL) -> dict[str, Any]:
        connect: dict[str, Any] = {}
        # A firewalled host would otherwise hang `grade submit` for minutes; the URL's
        # own ?connect_timeout= wins.
        if "connect_timeout" not in url.query:
            connect["connect_timeout"] = 10
        # Korean names and answers must round-trip even on a server whose default
        # client encoding is not UTF-8.
        if "client_encoding" not in url.query:
            connect["client_encoding"] = "utf8"
        # pre_ping: `grade site serve` keeps connections for hours; a restarted server
        # must not turn into an error on the next page.
        return {"connect_args": connect, "pool_pre_ping": True}

    @staticmethod
    def _check_sqlite_file(path: Path) -> None:
        if path.is_dir():
            raise GradebookError("is a folder, not a gradebook file", str(path))
        if path.exists() and path.stat().st_size > 0:
            with path.open("rb") as fh:
                head = fh.read(16)
            if head != b"SQLite format 3\x00":
                raise GradebookError(
                    "is not an SQLite database (corrupt or another kind of file); it was left untouched", str(path)
                )
            Gradebook._precheck_readonly(path)

    @staticmethod
    def _precheck_readonly(path: Path) -> None:
        """Look at an existing file through a read-only connection before the engine's
        pragmas (WAL) touch it: a corrupt, foreign or newer gradebook keeps every byte."""
        import sqlite3

        try:
            con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=LOCK_WAIT_S)
        except sqlite3.Error:
            return  # the normal path reports it
        try:
            have = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "grade_meta" in have:
                row = con.execute("SELECT value FROM grade_meta WHERE key = 'schema_version'").fetchone()
                version = int(row[0]) if row and str(row[0]).isdigit() else 0
                if version > SCHEMA_VERSION:
                    raise GradebookError(newer_message(version), str(path))
            elif have - OWN_TABLES:
                raise GradebookError(foreign_message(have - OWN_TABLES) + "; it was left untouched", str(path))
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                return
            raise GradebookError(f"not a usable gradebook database ({exc}); it was left untouched", str(path)) from None
        finally:
            con.close()

    def _ensure_schema(self) -> None:
        with self.engine.begin() as conn:
            if self.is_postgres:
                # SQLite serialises this through BEGIN IMMEDIATE; on PostgreSQL a
                # transaction-scoped advisory lock does it (released at commit/rollback).
                # Once we hold it, READ COMMITTED lets the inspection below see tables
                # another grader created meanwhile.
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_SCHEMA_LOCK)))
            # Creates, upgrades in place, or refuses; in this transaction, so all or nothing.
            migrate(conn, self.location)

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
        raise GradebookError(
            "could not record the regrade: other graders kept taking its number; nothing was written; try again",
            self.location,
        )

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
            stored = Attempt.from_dict(_no_nul(result.to_dict()))
        try:
            with self.engine.begin() as conn:
                number = 0
                if sha is not None and as_regrade is not None:
                    number = as_regrade
                    holder = conn.execute(
                        sa.select(attempts.c.id).where(
                            attempts.c.notebook_sha256 == sha,
                            attempts.c.exercise == stored.exercise,
                            attempts.c.member == stored.member,
                            attempts.c.regrade == number,
                        )
                    ).first()
                    if holder is not None:
                        raise AlreadyGraded(queries.read_by_id(conn, [holder[0]])[holder[0]], result.path or None)
                elif sha is not None:
                    prior = queries.latest_grading(conn, sha, stored.exercise, stored.member)
                    if prior is not None and not regrade:
                        raise AlreadyGraded(queries.read_by_id(conn, [prior[0]])[prior[0]], result.path or None)
                    number = prior[1] + 1 if prior is not None else 0
                if sha is not None and self.is_postgres:
                    # Two members may submit the same notebook at once: without the write
                    # lock SQLite takes at BEGIN, select-then-insert would race; ON CONFLICT
                    # waits for the other transaction and then keeps its row.
                    conn.execute(
                        postgresql.insert(notebooks)
                        .values(
                            sha256=sha,
                            size=len(notebook_bytes or b""),
                            content=notebook_bytes,
                        )
                        .on_conflict_do_nothing(index_elements=[notebooks.c.sha256])
                    )
                elif sha is not None:
                    exists = conn.execute(sa.select(notebooks.c.sha256).where(notebooks.c.sha256 == sha)).first()
                    if not exists:
                        conn.execute(
                            notebooks.insert().values(
                                sha256=sha, size=len(notebook_bytes or b""), content=notebook_bytes
                            )
                        )
                inserted_key = conn.execute(
                    attempts.insert().values(
                        created_at=created,
                        submitted_at=stored.submitted_at,
                        member=stored.member,
                        exercise=stored.exercise,
                        status=stored.status.value,
                        score=stored.score,
                        max_score=stored.max_score,
                        code_score=stored.code_score,
                        code_max=stored.code_max,
                        seed=stored.seed,
                        duration_s=stored.duration_s,
                        grader_version=stored.grader_version,
                        path=stored.path,
                        message=stored.message,
                        notebook_sha256=sha,
                        regrade=number,
                        member_source=stored.member_source or None,
                        member_note=stored.member_note or None,
                        extra=json.dumps(
                            {
                                "timings": stored.timings,
                                "protections": stored.protections,
                                **({"submitted_from": stored.submitted_from} if stored.submitted_from else {}),
                                **(
                                    {"cell_errors": [e.to_dict() for e in stored.cell_errors]}
                                    if stored.cell_errors
                                    else {}
                                ),
                            },
                            ensure_ascii=False,
                        ),
                    )
                ).inserted_primary_key
                assert inserted_key is not None  # a single-row INSERT's result always carries its key
                attempt_id = inserted_key[0]
                if stored.checks:
                    conn.execute(
                        checks.insert(),
                        [
                            {
                                "attempt_id": attempt_id,
                                "check_id": c.id,
                                "kind": c.kind,
                                "title": c.title,
                                "passed": c.passed,
                                "points": c.points,
                                "max_points": c.max_points,
                                "message": c.message,
                                "evidence": c.evidence,
                                "position": i,
                                "hint_level": c.hint_level,
                                "details": json.dumps(c.details, ensure_ascii=False, default=str),
                            }
                            for i, c in enumerate(stored.checks)
                        ],
                    )
                if stored.answers:
                    conn.execute(
                        answers.insert(),
                        [{"attempt_id": attempt_id, "question": q, "text": t} for q, t in stored.answers.items()],
                    )
        except IntegrityError as exc:
            winner = self._holder(sha, stored.exercise, stored.member, number) if sha is not None else None
            if winner is not None:
                raise _KeyTaken(winner) from None
            raise self._refused(exc) from None  # another constraint: the attempt itself is refused
        except DBAPIError as exc:  # disk full, locked, I/O error: all or nothing
            raise self._refused(exc) from None
        result.regrade = number
        return int(attempt_id)

    def _refused(self, exc: Exception) -> GradebookError:
        hint = "; free some disk space and submit again" if "full" in _short(exc).lower() else ""
        return GradebookError(
            f"could not record the attempt ({_short(exc, self._secret)}); nothing was written{hint}", self.location
        )

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


def _no_nul(obj: Any) -> Any:  # noqa: ANN401
    if isinstance(obj, str):
        return obj.replace("\x00", "\ufffd")
    if isinstance(obj, dict):
        return {_no_nul(k): _no_nul(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_no_nul(v) for v in obj]
    return obj


def _busy(exc: Exception) -> bool:
    """SQLite's "database is locked" / "database is busy", whichever way the driver words it."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "locked" in text or "busy" in text


def _short(exc: Exception, secret: str | None = None) -> str:
    """The driver's first line, without the password should a driver ever echo it."""
    orig = getattr(exc, "orig", exc)
    lines = str(orig).strip().splitlines() or [type(orig).__name__]
    line = lines[0].strip()
    return line.replace(secret, "***") if secret else line
