"""The gradebook's tables as the newest migration leaves them (grader/results/migrations/).

The queries use these definitions; the migrations never do (each revision spells out
its own tables, so that an old revision means the same forever). A test checks that
migrating an empty database gives exactly these tables.
"""

from __future__ import annotations

import sqlalchemy as sa

# One number per Alembic revision ("0001" is version 1, ...). `grade_meta` keeps it too:
# graders from before the migrations read it there and refuse a gradebook newer than them.
SCHEMA_VERSION = 5
HEAD_REVISION = f"{SCHEMA_VERSION:04d}"
# Not Alembic's default name: a PostgreSQL database shared with another Alembic-managed
# application must not make us read that application's revision.
VERSION_TABLE = "grade_alembic_version"

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
    # When the grader finished (the attempt's `graded_at`).
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
    # Revision 2. When the member handed the notebook in; NULL for older rows and unknown times.
    sa.Column("submitted_at", sa.DateTime(timezone=True)),
    # Revision 3. 0 for the first grading of this notebook, exercise and member; n for the
    # n-th `--regrade` of it.
    sa.Column("regrade", sa.Integer, nullable=False, server_default="0"),
    # Revision 3. How the member was decided (flag | template | metadata | folder | os-user)
    # and a line saying how; NULL for older rows.
    sa.Column("member_source", sa.String(16)),
    sa.Column("member_note", sa.Text),
    # Best attempt per member and exercise: highest score, then earliest.
    sa.Index("ix_attempts_member_exercise_best", "member", "exercise", "score", "created_at"),
    # Grade once: the same notebook for the same exercise and member is one attempt, plus
    # its numbered regrades. (NULL notebooks, from records without bytes, are never equal.)
    sa.Index("ux_attempts_once", "notebook_sha256", "exercise", "member", "regrade", unique=True),
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
    # Revision 2: hidden-target | clean | self-reported; NULL for older rows.
    sa.Column("evidence", sa.String(20)),
    # Revision 2: the check's place in the attempt; NULL for older rows (then by check id).
    sa.Column("position", sa.Integer),
    # Revision 4: brief | full, the help the failed check's message gave; NULL for none and
    # for older rows.
    sa.Column("hint_level", sa.String(8)),
)

answers = sa.Table(
    "answers",
    metadata,
    sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("question", sa.String(100), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
)

# Revision 5. Reviews: every change a person made to an attempt's figures, one row each,
# never edited or deleted (grader/results/review.py). `uid` identifies a row across
# gradebooks, so that importing another laptop's reviews twice adds them once.
reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uid", sa.String(32), nullable=False),
    sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id", ondelete="CASCADE"), nullable=False, index=True),
    # band | points | member | exclude | restore
    sa.Column("action", sa.String(16), nullable=False),
    # The check id for band and points; "" for the others.
    sa.Column("target", sa.String(100), nullable=False),
    sa.Column("old_value", sa.Text, nullable=False),
    sa.Column("new_value", sa.Text, nullable=False),
    # The check's points after a band or points change; NULL for the others.
    sa.Column("points", sa.Float),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ux_reviews_uid", "uid", unique=True),
)

# Revision 5. Each reviewed attempt's figures after all its reviews (replayed in time
# order): derived from `reviews` in the same transaction as every write to it, so that
# the best-attempt queries stay one SQL statement. Never the record of anything.
reviewed = sa.Table(
    "reviewed",
    metadata,
    sa.Column("attempt_id", sa.Integer, sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member", sa.String(200), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("excluded", sa.Boolean, nullable=False),
)

# Every table a gradebook may hold; any other table makes a database "not ours".
OWN_TABLES = frozenset({*metadata.tables, VERSION_TABLE})
