# The gradebook module of commit 0825e77 (schema version 1, before the migrations), kept
# as a fixture: tests/results/test_migrations.py writes gradebooks with it and checks that
# today's grader upgrades them in place. Changed from the original only where it imported
# its siblings (relative imports, and the sandbox registration that no longer exists).
"""The gradebook: every attempt, its checks, answers and the submitted notebook.

SQLAlchemy Core, so the same schema and queries run on SQLite (default, a file)
and PostgreSQL (by URL). Each attempt is written in one transaction: either the
attempt, its checks, its answers and its notebook copy are all there, or none is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DatabaseError, DBAPIError, OperationalError

from grader.errors import GradebookError, GradeError

SCHEMA_VERSION = 1

metadata = sa.MetaData()

meta_table = sa.Table(
    "grade_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

notebooks = sa.Table(
    "notebooks",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("member", sa.String(200), nullable=False, index=True),
    sa.Column("exercise", sa.String(100), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("max_score", sa.Float, nullable=False),
    sa.Column("code_score", sa.Float, nullable=False),
    sa.Column("code_max", sa.Float, nullable=False),
    sa.Column("seed", sa.BigInteger),
    sa.Column("duration_s", sa.Float, nullable=False),
    sa.Column("grader_version", sa.String(32), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("notebook_sha256", sa.String(64), sa.ForeignKey("notebooks.sha256")),
    sa.Column("extra", sa.Text, nullable=False),  # JSON: timings, protections
)

checks = sa.Table(
    "checks",
    metadata,
    sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("check_id", sa.String(100), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("points", sa.Float, nullable=False),
    sa.Column("max_points", sa.Float, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False),  # JSON
)

answers = sa.Table(
    "answers",
    metadata,
    sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("question", sa.String(100), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
)


# Schemes a user may type for PostgreSQL; all of them go through psycopg 3, the one
# driver we depend on (SQLAlchemy's bare `postgresql://` would pick psycopg2).
_PG_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}

# Key of the advisory lock that serialises schema creation on PostgreSQL: two graders
# opening an empty database at once must not both run CREATE TABLE.
_PG_SCHEMA_LOCK = 0x6772616465  # "grade"


def resolve_location(explicit: str | None, course_default: str | None) -> str:
    """--gradebook, else GRADE_GRADEBOOK, else the course's default.

    A location is a file path (SQLite) or a database URL such as
    `postgresql://user@host:5432/db` (PostgreSQL through psycopg 3)."""
    loc = explicit or os.environ.get("GRADE_GRADEBOOK") or course_default
    if not loc:
        raise GradebookError("no gradebook location: pass --gradebook PATH|URL or set GRADE_GRADEBOOK")
    return loc


def _parse_url(location: str) -> URL:
    try:
        url = make_url(location)
        url.port  # noqa: B018 - parsing the port is what raises on a bad one
    except (ValueError, sa.exc.ArgumentError):
        raise GradebookError(
            "is not a database URL this grader understands (expected e.g. postgresql://user@host:5432/db)",
            display_location(location),
        ) from None
    if url.drivername in _PG_SCHEMES:
        url = url.set(drivername="postgresql+psycopg")
    return url


def _url(location: str) -> tuple[str, Path | None]:
    """(SQLAlchemy URL, SQLite file or None). `postgres://` and `postgresql://` become
    `postgresql+psycopg://`; any other URL is passed to SQLAlchemy as given."""
    if "://" in location:
        return _parse_url(location).render_as_string(hide_password=False), None
    path = Path(location).expanduser().resolve()
    return f"sqlite:///{path}", path


def display_location(location: str) -> str:
    """The location as it may be shown: a URL's password becomes `***`."""
    if "://" not in location:
        return location
    try:
        url = make_url(location)
    except (ValueError, sa.exc.ArgumentError):
        # Unparseable: still never echo what might be a password (user:secret@host).
        scheme, _, rest = location.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}" if "@" in rest else location
    return url.render_as_string(hide_password=True) if url.password is not None else location


@dataclass
class AttemptRow:
    id: int
    created_at: dt.datetime
    member: str
    exercise: str
    status: str
    score: float
    max_score: float
    code_score: float
    code_max: float
    seed: int | None
    duration_s: float
    grader_version: str
    path: str
    message: str
    notebook_sha256: str | None
    extra: dict[str, Any]


class Gradebook:
    """Open (creating if needed) a gradebook at a path or database URL."""

    def __init__(self, location: str, *, create: bool = True) -> None:
        # Error messages and anything that prints `location` must never show a password.
        self.location = display_location(location)
        self.url, self.path = _url(location)
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
            kwargs["connect_args"] = {"timeout": 60}
        elif self.is_postgres:
            kwargs.update(self._pg_engine_args(make_url(self.url)))
        try:
            self.engine = sa.create_engine(self.url, **kwargs)
        except (ImportError, sa.exc.ArgumentError) as exc:  # unknown dialect or driver missing
            raise GradebookError(f"cannot use this database URL ({_short(exc, self._secret)})", self.location) from None
        if self.url.startswith("sqlite"):

            @event.listens_for(self.engine, "connect")
            def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # noqa: ANN401
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=60000")
                try:
                    cur.execute("PRAGMA journal_mode=WAL")
                except Exception:  # read-only media: stay in rollback-journal mode
                    pass
                cur.close()

            @event.listens_for(self.engine, "begin")
            def _begin_immediate(conn: Any) -> None:  # noqa: ANN401
                # Take the write lock at BEGIN so two writers queue instead of deadlocking.
                conn.exec_driver_sql("BEGIN IMMEDIATE")

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
            con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=60)
        except sqlite3.Error:
            return  # the normal path reports it
        try:
            have = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "grade_meta" in have:
                row = con.execute("SELECT value FROM grade_meta WHERE key = 'schema_version'").fetchone()
                version = int(row[0]) if row and str(row[0]).isdigit() else 0
                if version > SCHEMA_VERSION:
                    raise GradebookError(
                        f"gradebook schema v{version} is newer than this grader understands "
                        f"(v{SCHEMA_VERSION}); upgrade grade; the gradebook was left untouched",
                        str(path),
                    )
            elif have - {t.name for t in metadata.sorted_tables}:
                raise GradebookError(
                    f"database has tables this grader does not own "
                    f"({', '.join(sorted(have - {t.name for t in metadata.sorted_tables}))}); "
                    "refusing to use it as a gradebook; it was left untouched",
                    str(path),
                )
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
            insp = sa.inspect(conn)
            have = set(insp.get_table_names())
            if "grade_meta" in have:
                row = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")).first()
                version = int(row[0]) if row and str(row[0]).isdigit() else 0
                if version > SCHEMA_VERSION:
                    raise GradebookError(
                        f"gradebook schema v{version} is newer than this grader understands (v{SCHEMA_VERSION}); "
                        "upgrade grade; the gradebook was left untouched",
                        self.location,
                    )
                if version < SCHEMA_VERSION:
                    raise GradebookError(
                        f"gradebook schema v{version} predates v{SCHEMA_VERSION} and has no migration", self.location
                    )
                return
            foreign = have - {t.name for t in metadata.sorted_tables}
            if foreign:
                raise GradebookError(
                    f"database has tables this grader does not own ({', '.join(sorted(foreign))}); "
                    "refusing to use it as a gradebook",
                    self.location,
                )
            metadata.create_all(conn)
            conn.execute(meta_table.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))

    # --- writing ------------------------------------------------------------

    def record(self, result: dict[str, Any], notebook_bytes: bytes | None) -> int:
        """Store one attempt (a `Result.to_dict()`), atomically. Returns its id."""
        created = result.get("created_at") or dt.datetime.now(dt.UTC)
        if isinstance(created, str):
            created = dt.datetime.fromisoformat(created)
        # Stored as UTC: SQLite keeps the clock reading and drops the offset.
        created = created.replace(tzinfo=dt.UTC) if created.tzinfo is None else created.astimezone(dt.UTC)
        if self.is_postgres:
            # PostgreSQL text cannot hold NUL; SQLite can. A student's answer cell with
            # "\u0000" must not make the attempt unrecordable.
            result = _no_nul(result)
        code = [c for c in result["checks"] if c["kind"] != "quiz"]
        sha = hashlib.sha256(notebook_bytes).hexdigest() if notebook_bytes is not None else None
        try:
            with self.engine.begin() as conn:
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
                attempt_id = conn.execute(
                    attempts.insert().values(
                        created_at=created,
                        member=result["member"],
                        exercise=result["exercise"],
                        status=result["status"],
                        score=float(result["score"]),
                        max_score=float(result["max_score"]),
                        code_score=float(sum(c["points"] for c in code)),
                        code_max=float(sum(c["max_points"] for c in code)),
                        seed=result.get("seed"),
                        duration_s=float(result.get("duration_s", 0.0)),
                        grader_version=result.get("grader_version", ""),
                        path=result.get("path", ""),
                        message=result.get("message", ""),
                        notebook_sha256=sha,
                        extra=json.dumps(
                            {"timings": result.get("timings", {}), "protections": result.get("protections", [])},
                            ensure_ascii=False,
                        ),
                    )
                ).inserted_primary_key[0]
                if result["checks"]:
                    conn.execute(
                        checks.insert(),
                        [
                            {
                                "attempt_id": attempt_id,
                                "check_id": c["id"],
                                "kind": c["kind"],
                                "title": c.get("title", ""),
                                "passed": bool(c["passed"]),
                                "points": float(c["points"]),
                                "max_points": float(c["max_points"]),
                                "message": c.get("message", ""),
                                "details": json.dumps(c.get("details", {}), ensure_ascii=False, default=str),
                            }
                            for c in result["checks"]
                        ],
                    )
                if result.get("answers"):
                    conn.execute(
                        answers.insert(),
                        [{"attempt_id": attempt_id, "question": q, "text": t} for q, t in result["answers"].items()],
                    )
        except DBAPIError as exc:  # disk full, locked, I/O error, constraint: all or nothing
            hint = ""
            if "full" in _short(exc).lower():
                hint = "; free some disk space and submit again"
            raise GradebookError(
                f"could not record the attempt ({_short(exc, self._secret)}); nothing was written{hint}", self.location
            ) from None
        return int(attempt_id)

    # --- reading ------------------------------------------------------------

    def attempts(
        self, *, member: str | None = None, exercise: str | None = None, since: dt.datetime | None = None
    ) -> list[AttemptRow]:
        q = sa.select(attempts).order_by(attempts.c.created_at, attempts.c.id)
        if member:
            q = q.where(attempts.c.member == member)
        if exercise:
            q = q.where(attempts.c.exercise == exercise)
        if since:
            q = q.where(attempts.c.created_at >= since)
        with self.engine.connect() as conn:
            return [_attempt(r) for r in conn.execute(q)]

    def checks_of(self, attempt_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in attempt_ids}
        if not attempt_ids:
            return out
        with self.engine.connect() as conn:
            for r in conn.execute(sa.select(checks).where(checks.c.attempt_id.in_(attempt_ids))):
                d = dict(r._mapping)
                d["details"] = json.loads(d["details"] or "{}")
                out[d["attempt_id"]].append(d)
        return out

    def answers_of(self, attempt_ids: list[int]) -> dict[int, dict[str, str]]:
        out: dict[int, dict[str, str]] = {i: {} for i in attempt_ids}
        if not attempt_ids:
            return out
        with self.engine.connect() as conn:
            for r in conn.execute(sa.select(answers).where(answers.c.attempt_id.in_(attempt_ids))):
                out[r.attempt_id][r.question] = r.text
        return out

    def notebook(self, sha256: str) -> bytes | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(notebooks.c.content).where(notebooks.c.sha256 == sha256)).first()
        return bytes(row[0]) if row else None

    def best(self) -> dict[tuple[str, str], AttemptRow]:
        """Best attempt per (member, exercise): highest score, then earliest."""
        best: dict[tuple[str, str], AttemptRow] = {}
        for a in self.attempts():
            key = (a.member, a.exercise)
            if key not in best or a.score > best[key].score:
                best[key] = a
        return best

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(attempts)).scalar_one())

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _attempt(r: Any) -> AttemptRow:
    d = dict(r._mapping)
    d["extra"] = json.loads(d.get("extra") or "{}")
    created = d["created_at"]
    if created is not None and created.tzinfo is None:
        d["created_at"] = created.replace(tzinfo=dt.UTC)
    elif created is not None:
        # PostgreSQL answers in the session's time zone; the rest of the grader sees UTC.
        d["created_at"] = created.astimezone(dt.UTC)
    return AttemptRow(**d)


def _no_nul(obj: Any) -> Any:  # noqa: ANN401
    if isinstance(obj, str):
        return obj.replace("\x00", "\ufffd")
    if isinstance(obj, dict):
        return {_no_nul(k): _no_nul(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_no_nul(v) for v in obj]
    return obj


def _short(exc: Exception, secret: str | None = None) -> str:
    """The driver's first line, without the password should a driver ever echo it."""
    orig = getattr(exc, "orig", exc)
    lines = str(orig).strip().splitlines() or [type(orig).__name__]
    line = lines[0].strip()
    return line.replace(secret, "***") if secret else line
