"""Schema version 5: reviews. A person's change to an attempt (a quiz band, a check's
points, the member, excluding it) is a new row of `reviews` with who, when, why and the
old and new value; attempts and checks are never edited. `reviewed` holds each reviewed
attempt's resulting figures, derived from `reviews` (empty after this upgrade: there is
nothing to derive yet).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_meta = sa.table("grade_meta", sa.column("key", sa.String), sa.column("value", sa.String))


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(32), nullable=False),
        sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("old_value", sa.Text, nullable=False),
        sa.Column("new_value", sa.Text, nullable=False),
        sa.Column("points", sa.Float),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reviews_attempt_id", "reviews", ["attempt_id"])
    op.create_index("ux_reviews_uid", "reviews", ["uid"], unique=True)
    op.create_table(
        "reviewed",
        sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("member", sa.String(200), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("excluded", sa.Boolean, nullable=False),
    )
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="5"))


def downgrade() -> None:
    op.drop_table("reviewed")
    op.drop_index("ux_reviews_uid", "reviews")
    op.drop_index("ix_reviews_attempt_id", "reviews")
    op.drop_table("reviews")
    op.execute(_meta.update().where(_meta.c.key == "schema_version").values(value="4"))
