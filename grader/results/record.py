"""Recording one attempt with what the submitter knows about it: the hook every writer uses.

`grade submit` (single files and batches) records through `record_attempt`; so can a
command that brings attempts in from elsewhere (another laptop's gradebook, a review):
it states when the notebook was handed in and how its member was decided, and the
gradebook's grade-once rule applies to it like to any other (`Gradebook.record`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from grader.results.attempt import Attempt, utc

if TYPE_CHECKING:
    from grader.results.gradebook import Gradebook


def record_attempt(
    book: Gradebook,
    attempt: Attempt,
    notebook: bytes | None,
    *,
    submitted_at: dt.datetime | str | None = None,
    submitted_from: str | None = None,
    member: str | None = None,
    member_source: str | None = None,
    member_note: str | None = None,
    regrade: bool = False,
) -> int:
    """Store `attempt` (with the notebook's bytes) once; returns its attempt id.

    Each keyword, when given, replaces what the attempt says: `submitted_at` (aware, or ISO
    8601 text; naive means UTC) and how it was known (`submitted_from`: "flag", "git",
    "mtime", or a word of the caller's, e.g. "import"), the member id and how it was
    decided (`member_source`: "flag", "template", "metadata", "folder", "os-user", …, and a
    one-line `member_note`). Raises `AlreadyGraded` when this notebook was graded for this
    exercise and member before, unless `regrade` (then it is stored as the next regrade and
    `attempt.regrade` says which), and `GradebookError` when nothing could be written."""
    if submitted_at is not None:
        attempt.submitted_at = utc(submitted_at)
    if submitted_from is not None:
        attempt.submitted_from = submitted_from
    if member is not None:
        attempt.member = member
    if member_source is not None:
        attempt.member_source = member_source
    if member_note is not None:
        attempt.member_note = member_note
    return book.record(attempt, notebook, regrade=regrade)
