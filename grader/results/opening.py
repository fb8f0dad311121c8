"""Opening a gradebook's database: the engine, the checks that keep a foreign, corrupt or
newer file untouched, SQLite's bounded write lock and the schema migration on first use.

`open_engine` is what `Gradebook.__init__` calls; every refusal is a `GradebookError` whose
text never shows the database password.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError

from grader.errors import GradebookError, GradeError
from grader.results.migrate import foreign_error, migrate, newer_error
from grader.results.schema import OWN_TABLES, SCHEMA_VERSION

# Key of the advisory lock that serialises schema creation on PostgreSQL: two graders
# opening an empty database at once must not both run CREATE TABLE.
_PG_SCHEMA_LOCK = 0x6772616465  # "grade"

# SQLite's write lock: a writer waits at most LOCK_TRY_S per attempt (SQLite's busy
# timeout) and retries until LOCK_WAIT_S have passed, then gives up with a clear error.
# Recording an attempt holds the lock for milliseconds; whoever holds it for longer
# (a stuck process, anything that opened the file by hand) must not stall a submit.
LOCK_TRY_S = 1.0
LOCK_WAIT_S = 10.0


def open_engine(url: str, path: Path | None, location: str, secret: str | None, *, create: bool) -> sa.Engine:
    """An engine on the gradebook at `url` (`path` for a SQLite file), its schema migrated.
    `location` is what errors name; `secret` the password they must not show."""
    is_postgres = make_url(url).get_backend_name() == "postgresql"
    if path is not None:
        check_sqlite_file(path)
        if create:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise GradebookError.told(
                    "errors.gradebook.cannot_create_folder", str(path.parent), why=exc.strerror
                ) from None
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # Several `grade submit` processes may share one file: wait for the lock
        # rather than fail, and use WAL so readers never block the writer.
        kwargs["connect_args"] = {"timeout": LOCK_TRY_S}
    elif is_postgres:
        kwargs.update(pg_engine_args(make_url(url)))
    try:
        engine = sa.create_engine(url, **kwargs)
    except (ImportError, sa.exc.ArgumentError) as exc:  # unknown dialect or driver missing
        if is_postgres and isinstance(exc, ImportError):  # psycopg is an extra
            raise GradebookError.told("errors.gradebook.needs_psycopg", location) from None
        raise GradebookError.told("errors.gradebook.bad_url", location, why=short(exc, secret)) from None
    if url.startswith("sqlite"):
        _sqlite_pragmas(engine, location)
    if is_postgres:
        # Connect once on its own so "server down / wrong database / bad login" reads
        # as such instead of as a broken gradebook.
        try:
            with engine.connect():
                pass
        except DBAPIError as exc:
            engine.dispose()
            raise GradebookError.told("errors.gradebook.cannot_connect", location, why=short(exc, secret)) from None
    try:
        ensure_schema(engine, location, is_postgres=is_postgres)
    except OperationalError as exc:  # locked for too long, read-only, disk full, ...
        engine.dispose()
        raise GradebookError.told("errors.gradebook.cannot_open", location, why=short(exc, secret)) from None
    except DatabaseError as exc:
        engine.dispose()
        raise GradebookError.told("errors.gradebook.not_usable", location, why=short(exc, secret)) from None
    except GradeError:
        engine.dispose()
        raise
    return engine


def _sqlite_pragmas(engine: sa.Engine, location: str) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # noqa: ANN401
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(LOCK_TRY_S * 1000)}")
        try:
            cur.execute("PRAGMA journal_mode=WAL")
        except Exception:  # read-only media: stay in rollback-journal mode
            pass
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:  # noqa: ANN401
        # Take the write lock at BEGIN so two writers queue instead of deadlocking.
        lock_for_writing(conn, location)


def lock_for_writing(conn: Any, location: str) -> None:  # noqa: ANN401
    """BEGIN IMMEDIATE, retried with growing pauses for at most LOCK_WAIT_S seconds."""
    deadline = time.monotonic() + LOCK_WAIT_S
    pause = 0.05
    while True:
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            if not busy(exc):
                raise
            if time.monotonic() + pause >= deadline:
                raise GradebookError.told("errors.gradebook.busy", location, seconds=f"{LOCK_WAIT_S:g}") from None
        # Jitter: graders that queued up together do not all retry at the same instant.
        time.sleep(pause * random.uniform(1.0, 1.5))
        pause = min(2 * pause, 0.5)


def pg_engine_args(url: URL) -> dict[str, Any]:
    """`create_engine` arguments for a PostgreSQL gradebook."""
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


def check_sqlite_file(path: Path) -> None:
    """Refuse a folder, a file that is not SQLite, or a database that is not (or a newer) gradebook."""
    if path.is_dir():
        raise GradebookError.told("errors.gradebook.is_folder", str(path))
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            head = fh.read(16)
        if head != b"SQLite format 3\x00":
            raise GradebookError.told("errors.gradebook.not_sqlite", str(path))
        precheck_readonly(path)


def precheck_readonly(path: Path) -> None:
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
                raise newer_error(version, str(path))
        elif have - OWN_TABLES:
            raise foreign_error(have - OWN_TABLES, str(path))
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return
        raise GradebookError.told("errors.gradebook.not_usable", str(path), why=str(exc)) from None
    finally:
        con.close()


def ensure_schema(engine: sa.Engine, location: str, *, is_postgres: bool) -> None:
    """Create, upgrade in place, or refuse the schema, in one transaction: all or nothing."""
    with engine.begin() as conn:
        if is_postgres:
            # SQLite serialises this through BEGIN IMMEDIATE; on PostgreSQL a
            # transaction-scoped advisory lock does it (released at commit/rollback).
            # Once we hold it, READ COMMITTED lets the inspection below see tables
            # another grader created meanwhile.
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_SCHEMA_LOCK)))
        migrate(conn, location)


def busy(exc: Exception) -> bool:
    """SQLite's "database is locked" / "database is busy", whichever way the driver words it."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "locked" in text or "busy" in text


def short(exc: Exception, secret: str | None = None) -> str:
    """The driver's first line, without the password should a driver ever echo it."""
    orig = getattr(exc, "orig", exc)
    lines = str(orig).strip().splitlines() or [type(orig).__name__]
    line = lines[0].strip()
    return line.replace(secret, "***") if secret else line
