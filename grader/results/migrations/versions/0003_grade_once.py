"""Schema version 3: an attempt is graded once, and it says how its member was decided.

- `attempts.regrade`: 0 for the first grading of a notebook (by content), exercise and
  member; 1, 2, … for each `--regrade` of the same. A unique index over
  (notebook_sha256, exercise, member, regrade) makes a second first grading impossible,
  whichever grader, laptop or race tries it; it replaces the plain same-notebook index.
- `attempts.member_source` (flag | template | metadata | folder | os-user) and
  `member_note` (one line): how the submitter decided the member.

Gradebooks from before this revision may hold the same notebook graded twice; those rows
are kept and numbered as regrades in the order they were recorded (by id), so the index
can be built and nothing is lost. Their member source stays NULL: nothing is guessed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_meta = sa.table("grade_meta", sa.column("key", sa.String), sa.column("value", sa.String))


def upgrade() -> None:
    op.add_column("attempts", sa.Column("regrade", sa.Integer, nullable=False, server_default="0"))
    op.add_column("attempts", sa.Column("member_source", sa.String(16)))
    op.add_column("attempts", sa.Column("member_note", sa.Text))
    # Earlier duplicates become regrades 1, 2, … of the first one (correlated count: the
    # same statement on SQLite and PostgreSQL, over the same-notebook index).
    op.execute(
        "UPDATE attempts SET regrade = (SELECT COUNT(*) FROM attempts AS earlier "
        "WHERE earlier.notebook_sha256 = attempts.notebook_sha256 AND earlier.exercise = attempts.exercise "
        "AND earlier.member = attempts.member AND earlier.id < attempts.id) "
        "WHERE notebook_sha256 IS NOT NULL"
    )
    op.drop_index("ix_attempts_notebook_exercise_member", "attempts")
    op.create_index("ux_attempts_once", "attempts", ["notebook_sha256", "exercise", "member", "regrade"], unique=True)
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="3"))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), as in 0002: a batch copy would cascade-delete checks.
    op.drop_index("ux_attempts_once", "attempts")
    op.create_index("ix_attempts_notebook_exercise_member", "attempts", ["notebook_sha256", "exercise", "member"])
    op.drop_column("attempts", "member_note")
    op.drop_column("attempts", "member_source")
    op.drop_column("attempts", "regrade")
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="2"))
