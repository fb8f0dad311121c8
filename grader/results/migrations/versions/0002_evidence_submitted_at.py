"""Schema version 2: where each check's evidence came from, when a notebook was handed in,
the checks' order, and the indexes of the best-attempt and same-notebook look-ups.

Rows from version 1 keep NULL in the new columns: nothing is guessed for them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_meta = sa.table("grade_meta", sa.column("key", sa.String), sa.column("value", sa.String))


def upgrade() -> None:
    op.add_column("attempts", sa.Column("submitted_at", sa.DateTime(timezone=True)))
    op.add_column("checks", sa.Column("evidence", sa.String(20)))
    op.add_column("checks", sa.Column("position", sa.Integer))
    op.create_index("ix_attempts_member_exercise_best", "attempts", ["member", "exercise", "score", "created_at"])
    op.create_index("ix_attempts_notebook_exercise_member", "attempts", ["notebook_sha256", "exercise", "member"])
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="2"))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy: rebuilding `attempts` on SQLite
    # would drop the old table, and its ON DELETE CASCADE would empty checks and answers.
    op.drop_index("ix_attempts_notebook_exercise_member", "attempts")
    op.drop_index("ix_attempts_member_exercise_best", "attempts")
    op.drop_column("checks", "position")
    op.drop_column("checks", "evidence")
    op.drop_column("attempts", "submitted_at")
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="1"))
