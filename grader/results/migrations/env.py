"""Alembic's entry point for the gradebook migrations, run by `grader.results.migrate`.

The grader hands over an open connection, inside its own transaction and holding the
schema lock, as `config.attributes["connection"]`; Alembic then only adds its steps to
that transaction, so a migration is applied whole or not at all. This folder holds
scripts Alembic loads by path, not modules to import (hence no __init__.py).

A new revision is a new file in versions/ (copy the latest): `revision = "000N"`,
`down_revision` the previous one, and `grade_meta.schema_version` set to N in both
directions. Then raise `SCHEMA_VERSION` in grader/results/schema.py and change its
tables to match; tests/results/test_migrations.py checks that the two agree.
"""

from __future__ import annotations

from alembic import context

from grader.results.schema import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the gradebook migrations run through grader.results.migrate, which passes a connection")
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
