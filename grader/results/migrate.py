"""Bring a gradebook's schema to the newest revision, or refuse it in one line.

Runs inside the caller's transaction (which holds the schema lock): an empty database
gets every revision, a gradebook from before the migrations (schema version 1 and no
revision table) is marked as revision 1 and upgraded in place, an up-to-date one costs
one query. A database that is newer than this grader, or holds tables that are not a
gradebook's, is refused and left as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from grader.errors import GradebookError
from grader.results.schema import HEAD_REVISION, OWN_TABLES, SCHEMA_VERSION, VERSION_TABLE, meta_table

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def newer_error(version: int | str, location: str, why: str = "") -> GradebookError:
    """The refusal of a gradebook written by a newer grader (`why`: what gave it away)."""
    if why:
        return GradebookError.told(
            "errors.gradebook.newer_because", location, version=version, known=SCHEMA_VERSION, why=why
        )
    return GradebookError.told("errors.gradebook.newer", location, version=version, known=SCHEMA_VERSION)


def foreign_error(tables: set[str], location: str) -> GradebookError:
    """The refusal of a database that holds tables that are not a gradebook's."""
    return GradebookError.told("errors.gradebook.foreign", location, tables=", ".join(sorted(tables)))


def stored_version(conn: sa.Connection) -> int:
    """`grade_meta.schema_version`, 0 when missing or not a number."""
    row = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")).first()
    return int(row[0]) if row and str(row[0]).isdigit() else 0


def _revision(conn: sa.Connection, tables: set[str]) -> str | None:
    if VERSION_TABLE not in tables:
        return None
    row = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").first()
    return str(row[0]) if row else None


def migrate(conn: sa.Connection, location: str) -> None:
    """Upgrade the database behind `conn` to `HEAD_REVISION` (see the module docstring)."""
    tables = set(sa.inspect(conn).get_table_names())
    if "grade_meta" in tables:
        version = stored_version(conn)
        if version > SCHEMA_VERSION:
            raise newer_error(version, location)
        if version < 1:
            raise GradebookError.told("errors.gradebook.too_old", location, version=version, known=SCHEMA_VERSION)
        revision = _revision(conn, tables)
        if revision == HEAD_REVISION:
            return
        if revision is None and version != 1:
            raise GradebookError.told(
                "errors.gradebook.no_revision_table", location, version=version, table=VERSION_TABLE
            )
        _upgrade(conn, location, stamp="0001" if revision is None else None)
        return
    foreign = tables - OWN_TABLES
    if foreign:
        raise foreign_error(foreign, location)
    _upgrade(conn, location)


def alembic_config(conn: sa.Connection) -> Config:
    """Alembic's configuration for running the gradebook's revisions on `conn`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def _upgrade(conn: sa.Connection, location: str, *, stamp: str | None = None) -> None:
    # Imported here: a gradebook that is up to date never loads Alembic.
    from alembic import command
    from alembic.util import CommandError

    config = alembic_config(conn)
    try:
        if stamp is not None:
            command.stamp(config, stamp)
        command.upgrade(config, HEAD_REVISION)
    except CommandError as exc:
        # The revision table names a revision we do not have: written by a newer grader.
        found = _revision(conn, {VERSION_TABLE}) or "?"
        raise newer_error(int(found) if found.isdigit() else found, location, str(exc)) from None
