"""Combining gradebooks: `grade import FILE...` brings files written by
`grade export --gradebook-file` (grader/results/gbfile.py) into this gradebook.

Importing is idempotent: an attempt is known by its grade-once key (notebook hash,
exercise, recorded member, regrade number; attempts recorded without a notebook by
exercise, member, grading time and seed), a review by its `uid`. What is there already is
skipped; the same key with other figures is a conflict: reported, never overwritten, and
the reviews of that attempt are not applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from grader.errors import GradebookError, Phrase
from grader.i18n import status_phrase, text
from grader.results import queries, reviews
from grader.results.attempt import Attempt
from grader.results.gbfile import FORMAT, Key, Parsed, attempt_key, dump, read_file, write_dump
from grader.results.reviews import Review
from grader.results.schema import attempts
from grader.results.schema import reviews as reviews_table

if TYPE_CHECKING:
    from grader.results.gradebook import Gradebook

__all__ = [
    "FORMAT",
    "Conflict",
    "Imported",
    "attempt_key",
    "dump",
    "import_files",
    "import_parsed",
    "read_file",
    "write_dump",
]


# --- import -----------------------------------------------------------------------------


@dataclass
class Conflict:
    """One record of the file left out: its line, what it is, and why (`code`, the stable form,
    and `why`, said in the reader's language)."""

    line: int
    what: str  # attempt | review
    code: str  # other_figures | review_of_conflict | review_differs
    why: Phrase

    def detail(self, lang: str = "en") -> str:
        return self.why.said(lang)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"line": self.line, "what": self.what, "code": self.code, "detail": self.detail(lang)}


@dataclass
class Imported:
    """What importing one file did."""

    file: str
    added: int = 0
    skipped: int = 0
    conflicting: int = 0
    reviews_added: int = 0
    reviews_skipped: int = 0
    reviews_conflicting: int = 0
    conflicts: list[Conflict] = field(default_factory=list)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "file": self.file,
            "attempts": {"added": self.added, "skipped": self.skipped, "conflicting": self.conflicting},
            "reviews": {
                "added": self.reviews_added,
                "skipped": self.reviews_skipped,
                "conflicting": self.reviews_conflicting,
            },
            "conflicts": [c.to_dict(lang) for c in self.conflicts],
        }

    def summary(self, lang: str = "en") -> str:
        """One line: what importing the file added, skipped and left out."""
        return text(
            "results.transfer.summary",
            lang,
            file=self.file,
            added=self.added,
            skipped=self.skipped,
            conflicting=self.conflicting,
            reviews_added=self.reviews_added,
            reviews_skipped=self.reviews_skipped,
            reviews_conflicting=self.reviews_conflicting,
        )


def _figures(a: Attempt) -> tuple[Any, ...]:
    return (a.status.value, a.score, a.max_score, tuple(sorted((c.id, c.points, c.max_points) for c in a.checks)))


def _differs(ours: Attempt, theirs: Attempt) -> Phrase:
    if ours.status != theirs.status:
        return Phrase(
            "results.transfer.differs.status",
            {"ours": status_phrase(ours.status), "theirs": status_phrase(theirs.status)},
        )
    if (ours.score, ours.max_score) != (theirs.score, theirs.max_score):
        return Phrase(
            "results.transfer.differs.score",
            {"ours": f"{ours.score:g}/{ours.max_score:g}", "theirs": f"{theirs.score:g}/{theirs.max_score:g}"},
        )
    return Phrase("results.transfer.differs.checks")


def _local(conn: sa.Connection, a: Attempt) -> int | None:
    """The id of the attempt with `a`'s key in this gradebook, if any."""
    c = attempts.c
    if a.notebook_sha256:
        where = [c.notebook_sha256 == a.notebook_sha256, c.regrade == a.regrade]
    else:
        assert a.graded_at is not None
        where = [
            c.notebook_sha256.is_(None),
            c.created_at == a.graded_at,
            c.seed.is_(None) if a.seed is None else c.seed == a.seed,
        ]
    row = conn.execute(
        sa.select(c.id).where(c.exercise == a.exercise, c.member == a.member, *where).order_by(c.id).limit(1)
    ).first()
    return int(row[0]) if row else None


def _one(book: Gradebook, parsed: Parsed) -> Imported:
    from grader.results.gradebook import AlreadyGraded

    done = Imported(str(parsed.path))
    local: dict[Key, int] = {}
    refused: set[Key] = set()
    for line, theirs in parsed.attempts:
        key = attempt_key(theirs)
        with book.engine.connect() as conn:
            aid = _local(conn, theirs)
        if aid is None:
            source_id, theirs.attempt_id = theirs.attempt_id, None
            nb = parsed.notebooks.get(theirs.notebook_sha256 or "")
            try:
                aid = book.record(theirs, nb, as_regrade=theirs.regrade if nb is not None else None)
                done.added += 1
                local[key] = aid
                continue
            except AlreadyGraded as race:  # another writer brought the same attempt meanwhile
                aid = race.attempt.attempt_id
            finally:
                theirs.attempt_id = source_id
        assert aid is not None
        with book.engine.connect() as conn:
            ours = queries.read_by_id(conn, [aid], raw=True)[aid]
        if _figures(ours) == _figures(theirs):
            done.skipped += 1
            local[key] = aid
        else:
            done.conflicting += 1
            refused.add(key)
            done.conflicts.append(
                Conflict(
                    line,
                    "attempt",
                    "other_figures",
                    Phrase(
                        "results.transfer.conflict.other_figures",
                        {
                            "member": theirs.member,
                            "exercise": theirs.exercise,
                            "attempt": aid,
                            "how": _differs(ours, theirs),
                        },
                    ),
                )
            )
    touched: set[int] = set()
    try:
        with book.engine.begin() as conn:
            have = {r.uid: r for r in reviews.load_all(conn)}
            for line, key, r in parsed.reviews:
                if key in refused or key not in local:
                    done.reviews_conflicting += 1
                    why = Phrase("results.transfer.conflict.review_of_conflict", {"uid": r.uid})
                    done.conflicts.append(Conflict(line, "review", "review_of_conflict", why))
                    continue
                mine = have.get(r.uid)
                if mine is not None:
                    same = (
                        mine.attempt_id,
                        mine.action,
                        mine.target,
                        mine.new_value,
                        mine.points,
                        mine.reason,
                        mine.reviewer,
                    ) == (local[key], r.action, r.target, r.new_value, r.points, r.reason, r.reviewer)
                    if same:
                        done.reviews_skipped += 1
                    else:
                        done.reviews_conflicting += 1
                        why = Phrase("results.transfer.conflict.review_differs", {"uid": r.uid})
                        done.conflicts.append(Conflict(line, "review", "review_differs", why))
                    continue
                row = {**r.row(), "attempt_id": local[key]}
                conn.execute(reviews_table.insert().values(**row))
                have[r.uid] = Review(**{**row, "id": None})
                touched.add(local[key])
                done.reviews_added += 1
            reviews.refresh(conn, touched)
    except DBAPIError as exc:
        first = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise GradebookError.told(
            "errors.transfer.reviews_not_recorded", book.location, file=parsed.path, why=first
        ) from None
    return done


def import_parsed(book: Gradebook, parsed: Iterable[Parsed]) -> list[Imported]:
    """Import files `read_file` has read and checked, one after the other."""
    return [_one(book, p) for p in parsed]


def import_files(book: Gradebook, paths: Iterable[Path]) -> list[Imported]:
    """Import each file (all are read and checked first: one bad line writes nothing)."""
    return import_parsed(book, [read_file(Path(p)) for p in paths])
