"""Writing one attempt: the grade-once key, the notebook copy, the attempt row, its checks
and answers, all inside the caller's transaction (`Gradebook.record` owns it and its retries).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from grader.errors import GradebookError
from grader.results import queries
from grader.results.attempt import Attempt
from grader.results.schema import answers, attempts, checks, notebooks


class AlreadyGraded(GradebookError):
    """This notebook was graded for this exercise and member before (`Gradebook.record`)."""

    exit_code = 0  # nothing is wrong: the attempt is in the gradebook already

    def __init__(self, attempt: Attempt, path: str | None = None) -> None:
        from grader.i18n import text

        self.attempt = attempt
        fields = {
            "attempt_id": attempt.attempt_id,
            "member": attempt.member,
            "exercise": attempt.exercise,
            "score": f"{attempt.score:g}",
            "max_score": f"{attempt.max_score:g}",
        }
        super().__init__(text("errors.gradebook.already_graded", "en", **fields), path)
        self.key, self.fields = "errors.gradebook.already_graded", fields


def regrade_number(
    conn: sa.Connection,
    stored: Attempt,
    sha: str | None,
    *,
    regrade: bool,
    as_regrade: int | None,
    path: str | None,
) -> int:
    """The regrade number this attempt is stored under (0: a first grading); `AlreadyGraded`
    when its grade-once key is taken and it is not a regrade."""
    if sha is None:
        return 0
    if as_regrade is not None:
        holder = conn.execute(
            sa.select(attempts.c.id).where(
                attempts.c.notebook_sha256 == sha,
                attempts.c.exercise == stored.exercise,
                attempts.c.member == stored.member,
                attempts.c.regrade == as_regrade,
            )
        ).first()
        if holder is not None:
            raise AlreadyGraded(queries.read_by_id(conn, [holder[0]])[holder[0]], path)
        return as_regrade
    prior = queries.latest_grading(conn, sha, stored.exercise, stored.member)
    if prior is not None and not regrade:
        raise AlreadyGraded(queries.read_by_id(conn, [prior[0]])[prior[0]], path)
    return prior[1] + 1 if prior is not None else 0


def keep_notebook(conn: sa.Connection, sha: str, notebook_bytes: bytes | None, *, is_postgres: bool) -> None:
    """The notebook's bytes, stored once per content."""
    size = len(notebook_bytes or b"")
    if is_postgres:
        # Two members may submit the same notebook at once: without the write
        # lock SQLite takes at BEGIN, select-then-insert would race; ON CONFLICT
        # waits for the other transaction and then keeps its row.
        conn.execute(
            postgresql.insert(notebooks)
            .values(sha256=sha, size=size, content=notebook_bytes)
            .on_conflict_do_nothing(index_elements=[notebooks.c.sha256])
        )
        return
    exists = conn.execute(sa.select(notebooks.c.sha256).where(notebooks.c.sha256 == sha)).first()
    if not exists:
        conn.execute(notebooks.insert().values(sha256=sha, size=size, content=notebook_bytes))


def insert_attempt(conn: sa.Connection, stored: Attempt, sha: str | None, number: int, created: Any) -> int:  # noqa: ANN401
    """The attempt's row, its checks and its answers; returns its id."""
    inserted_key = conn.execute(
        attempts.insert().values(
            created_at=created,
            submitted_at=stored.submitted_at,
            member=stored.member,
            exercise=stored.exercise,
            status=stored.status.value,
            score=stored.score,
            max_score=stored.max_score,
            code_score=stored.code_score,
            code_max=stored.code_max,
            seed=stored.seed,
            duration_s=stored.duration_s,
            grader_version=stored.grader_version,
            path=stored.path,
            message=stored.message,
            notebook_sha256=sha,
            regrade=number,
            member_source=stored.member_source or None,
            member_note=stored.member_note or None,
            extra=json.dumps(
                {
                    "timings": stored.timings,
                    "protections": stored.protections,
                    **({"submitted_from": stored.submitted_from} if stored.submitted_from else {}),
                    **({"cell_errors": [e.to_dict() for e in stored.cell_errors]} if stored.cell_errors else {}),
                },
                ensure_ascii=False,
            ),
        )
    ).inserted_primary_key
    assert inserted_key is not None  # a single-row INSERT's result always carries its key
    attempt_id = int(inserted_key[0])
    if stored.checks:
        conn.execute(
            checks.insert(),
            [
                {
                    "attempt_id": attempt_id,
                    "check_id": c.id,
                    "kind": c.kind,
                    "title": c.title,
                    "passed": c.passed,
                    "points": c.points,
                    "max_points": c.max_points,
                    "message": c.message,
                    "evidence": c.evidence,
                    "position": i,
                    "hint_level": c.hint_level,
                    "details": json.dumps(c.details, ensure_ascii=False, default=str),
                }
                for i, c in enumerate(stored.checks)
            ],
        )
    if stored.answers:
        conn.execute(
            answers.insert(),
            [{"attempt_id": attempt_id, "question": q, "text": t} for q, t in stored.answers.items()],
        )
    return attempt_id


def no_nul(obj: Any) -> Any:  # noqa: ANN401
    """`obj` with NUL characters replaced: PostgreSQL text cannot hold them."""
    if isinstance(obj, str):
        return obj.replace("\x00", "\ufffd")
    if isinstance(obj, dict):
        return {no_nul(k): no_nul(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [no_nul(v) for v in obj]
    return obj
