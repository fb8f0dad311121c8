"""Schema version 4: which level of help each failed check's message gave.

- `checks.hint_level`: "brief" (the spec's hint), "full" (the hint and its recipe), NULL
  for none (passed, not checked, no hint) and for rows from before this revision: what
  an older grader showed is not guessed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_meta = sa.table("grade_meta", sa.column("key", sa.String), sa.column("value", sa.String))


def upgrade() -> None:
    op.add_column("checks", sa.Column("hint_level", sa.String(8)))
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="4"))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), as in 0002: a batch copy would cascade-delete rows.
    op.drop_column("checks", "hint_level")
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="3"))
