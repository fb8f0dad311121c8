"""The gradebook as graders before the migrations created it (schema version 1).

A gradebook made then has these tables and `schema_version = 1` but no revision
table; the grader marks it as at this revision and upgrades it from here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    meta = op.create_table(
        "grade_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.create_table(
        "notebooks",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("member", sa.String(200), nullable=False),
        sa.Column("exercise", sa.String(100), nullable=False),
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
        sa.Column("extra", sa.Text, nullable=False),
    )
    for column in ("created_at", "member", "exercise"):
        op.create_index(f"ix_attempts_{column}", "attempts", [column])
    op.create_table(
        "checks",
        sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("check_id", sa.String(100), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("points", sa.Float, nullable=False),
        sa.Column("max_points", sa.Float, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
    )
    op.create_table(
        "answers",
        sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("question", sa.String(100), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.bulk_insert(meta, [{"key": "schema_version", "value": "1"}])


def downgrade() -> None:
    for table in ("answers", "checks", "attempts", "notebooks", "grade_meta"):
        op.drop_table(table)
