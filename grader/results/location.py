"""Where a gradebook is: a file path (SQLite) or a database URL (PostgreSQL through psycopg 3),
chosen from --gradebook, GRADE_GRADEBOOK or the course, and shown without its password."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from grader.errors import GradebookError

# Schemes a user may type for PostgreSQL; all of them go through psycopg 3, the one
# driver we depend on (SQLAlchemy's bare `postgresql://` would pick psycopg2).
_PG_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}


def resolve_location(explicit: str | None, course_default: str | None) -> str:
    """--gradebook, else GRADE_GRADEBOOK, else the course's default.

    A location is a file path (SQLite) or a database URL such as
    `postgresql://user@host:5432/db` (PostgreSQL through psycopg 3)."""
    loc = explicit or os.environ.get("GRADE_GRADEBOOK") or course_default
    if not loc:
        raise GradebookError.told("errors.gradebook.no_location")
    return loc


def _parse_url(location: str) -> URL:
    try:
        url = make_url(location)
        url.port  # noqa: B018 - parsing the port is what raises on a bad one
    except (ValueError, sa.exc.ArgumentError):
        raise GradebookError.told("errors.gradebook.not_a_url", display_location(location)) from None
    if url.drivername in _PG_SCHEMES:
        url = url.set(drivername="postgresql+psycopg")
    return url


def engine_url(location: str) -> tuple[str, Path | None]:
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
