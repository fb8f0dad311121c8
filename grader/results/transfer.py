"""A whole gradebook as one portable file, and combining such files into a gradebook.

`grade export --gradebook-file out.jsonl` writes JSON Lines: a header, then each
notebook once (its bytes in base64, before the first attempt that uses it), each attempt
as recorded (`Attempt.to_dict()`, before any review: checks, answers, seed, graded_at,
submitted_at, content hash, regrade number) and each review row. `grade import FILE...`
reads them back. Importing is idempotent: an attempt is known by its grade-once key
(notebook hash, exercise, recorded member, regrade number; attempts recorded without a
notebook by exercise, member, grading time and seed), a review by its `uid`. What is
there already is skipped; the same key with other figures is a conflict: reported, never
overwritten. A file is read and checked whole before anything is written, so a bad line
leaves the gradebook as it was.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from grader import __version__, ids
from grader.errors import GradebookError, GradeError
from grader.results import queries, reviews
from grader.results.attempt import Attempt, Status, utc
from grader.results.reviews import ACTIONS, Review
from grader.results.schema import SCHEMA_VERSION, attempts
from grader.results.schema import reviews as reviews_table

if TYPE_CHECKING:
    from grader.results.gradebook import Gradebook

FORMAT = "grade-gradebook"
FORMAT_VERSION = 1
MAX_LINE = 64 * 1024 * 1024  # one notebook in base64; a longer line is not ours

Key = tuple[Any, ...]


def attempt_key(a: Attempt) -> Key:
    """The attempt's identity in every gradebook (see the module docstring)."""
    if a.notebook_sha256:
        return ("nb", a.notebook_sha256, a.exercise, a.member, a.regrade)
    return ("none", a.exercise, a.member, a.graded_at.isoformat() if a.graded_at else "", a.seed)


def _key_doc(a: Attempt) -> dict[str, Any]:
    return {
        "notebook_sha256": a.notebook_sha256,
        "exercise": a.exercise,
        "member": a.member,
        "regrade": a.regrade,
        "graded_at": a.graded_at.isoformat() if a.graded_at else None,
        "seed": a.seed,
    }


def _key_of_doc(d: dict[str, Any]) -> Key:
    return attempt_key(
        Attempt(
            exercise=str(d.get("exercise") or ""),
            member=str(d.get("member") or ""),
            status=Status.GRADED,
            checks=[],
            duration_s=0.0,
            seed=d.get("seed"),
            graded_at=d.get("graded_at"),
            notebook_sha256=d.get("notebook_sha256") or None,
            regrade=int(d.get("regrade") or 0),
        )
    )


# --- export ------------------------------------------------------------------------------


def dump(book: Gradebook) -> str:
    """The gradebook as JSON Lines (every attempt, excluded ones too, as graded; every review)."""
    with book.engine.connect() as conn:
        found = queries.read_attempts(conn, queries.filters(include_excluded=True), raw=True)
        rows = reviews.load_all(conn)
    by_id = {a.attempt_id: a for a in found}
    lines = [
        {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "schema": SCHEMA_VERSION,
            "grader_version": __version__,
            "exported_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "attempts": len(found),
            "reviews": len(rows),
        }
    ]
    sent: set[str] = set()
    for a in found:
        if a.notebook_sha256 and a.notebook_sha256 not in sent:
            content = book.notebook(a.notebook_sha256)
            if content is not None:
                sent.add(a.notebook_sha256)
                lines.append(
                    {
                        "type": "notebook",
                        "sha256": a.notebook_sha256,
                        "content": base64.b64encode(content).decode("ascii"),
                    }
                )
        lines.append({"type": "attempt", "attempt": a.to_dict()})
    for r in rows:
        doc = r.to_dict()
        del doc["id"], doc["attempt_id"]
        lines.append({"type": "review", "attempt": _key_doc(by_id[r.attempt_id]), **doc})
    return "".join(json.dumps(x, ensure_ascii=False, sort_keys=True) + "\n" for x in lines)


# --- reading a file ---------------------------------------------------------------------


@dataclass
class _Parsed:
    path: Path
    attempts: list[tuple[int, Attempt]] = field(default_factory=list)  # (line, attempt)
    notebooks: dict[str, bytes] = field(default_factory=dict)
    reviews: list[tuple[int, Key, Review]] = field(default_factory=list)


def _bad(path: Path, line: int, what: str) -> GradeError:
    return GradeError(f"line {line}: {what}", str(path))


def read_file(path: Path) -> _Parsed:
    """Parse and check a whole export file; GradeError naming the file and line if anything is off."""
    try:
        raw = path.expanduser().read_bytes()
    except IsADirectoryError:
        raise GradeError("is a folder; pass an exported gradebook file", str(path)) from None
    except OSError as exc:
        raise GradeError(f"cannot read it ({exc.strerror})", str(path)) from None
    out = _Parsed(path)
    seen: set[Key] = set()
    lines = raw.split(b"\n")
    if not raw.strip():
        raise GradeError("is empty, not an exported gradebook", str(path))
    for n, chunk in enumerate(lines, start=1):
        if not chunk.strip():
            continue
        if len(chunk) > MAX_LINE:
            raise _bad(path, n, "line too long for an exported gradebook")
        try:
            doc = json.loads(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            raise _bad(path, n, "not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise _bad(path, n, f"not JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(doc, dict):
            raise _bad(path, n, "not a JSON object")
        if n == 1:
            if doc.get("format") != FORMAT:
                raise _bad(
                    path,
                    n,
                    f'not an exported gradebook (expected a first line with "format": "{FORMAT}"; '
                    "write one with grade export --gradebook-file)",
                )
            if doc.get("version") != FORMAT_VERSION:
                raise _bad(
                    path,
                    n,
                    f"export format version {doc.get('version')!r} is not one this grader reads "
                    f"({FORMAT_VERSION}); upgrade grade",
                )
            continue
        kind = doc.get("type")
        try:
            if kind == "notebook":
                sha = str(doc["sha256"])
                content = base64.b64decode(str(doc["content"]), validate=True)
                if hashlib.sha256(content).hexdigest() != sha:
                    raise _bad(path, n, "the notebook's bytes do not match its sha256 (a damaged file)")
                out.notebooks[sha] = content
            elif kind == "attempt":
                a = _attempt(path, n, doc["attempt"], out.notebooks)
                key = attempt_key(a)
                if key in seen:
                    raise _bad(path, n, "the same attempt twice in one file")
                seen.add(key)
                out.attempts.append((n, a))
            elif kind == "review":
                key = _key_of_doc(doc["attempt"])
                if key not in seen:
                    raise _bad(path, n, "a review of an attempt that is not in the file (before it)")
                out.reviews.append((n, key, _review(path, n, doc)))
            else:
                raise _bad(path, n, f"unknown record type {kind!r} (notebook, attempt or review)")
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            if isinstance(exc, GradeError):
                raise
            what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc).splitlines()[0]
            raise _bad(path, n, f"not a valid {kind} record ({what})") from None
    return out


def _attempt(path: Path, n: int, d: Any, notebooks: dict[str, bytes]) -> Attempt:  # noqa: ANN401
    if not isinstance(d, dict):
        raise TypeError("attempt is not an object")
    for name in ("exercise", "member", "status", "graded_at"):
        if not d.get(name):
            raise KeyError(name)
    a = Attempt.from_dict(d)
    why = ids.problem(ids.normalize(a.member))
    if why:
        raise _bad(path, n, f"member {a.member!r} cannot be a member id: {why}")
    if a.notebook_sha256 and a.notebook_sha256 not in notebooks:
        raise _bad(path, n, "the attempt's notebook is not in the file (before it)")
    return a


def _review(path: Path, n: int, d: dict[str, Any]) -> Review:
    action = d["action"]
    if action not in ACTIONS:
        raise _bad(path, n, f"unknown review action {action!r} (one of {', '.join(ACTIONS)})")
    if not str(d["reason"]).strip():
        raise _bad(path, n, "a review without a reason")
    if action == "member":
        why = ids.problem(ids.normalize(str(d["new_value"])))
        if why:
            raise _bad(path, n, f"member {d['new_value']!r} cannot be a member id: {why}")
    created = utc(d["created_at"])
    assert created is not None
    uid = str(d["uid"])
    if not uid or len(uid) > 32:
        raise ValueError("uid must be 1 to 32 characters")
    return Review(
        uid=uid,
        attempt_id=0,
        action=action,
        target=str(d.get("target") or ""),
        old_value=str(d["old_value"]),
        new_value=str(d["new_value"]),
        points=float(d["points"]) if d.get("points") is not None else None,
        reason=str(d["reason"]),
        reviewer=str(d["reviewer"]),
        created_at=created,
    )


# --- import -----------------------------------------------------------------------------


@dataclass
class Conflict:
    line: int
    what: str  # attempt | review
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "what": self.what, "detail": self.detail}


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "attempts": {"added": self.added, "skipped": self.skipped, "conflicting": self.conflicting},
            "reviews": {
                "added": self.reviews_added,
                "skipped": self.reviews_skipped,
                "conflicting": self.reviews_conflicting,
            },
            "conflicts": [c.to_dict() for c in self.conflicts],
        }

    def summary(self) -> str:
        return (
            f"{self.file}: attempts {self.added} added, {self.skipped} skipped (already there), "
            f"{self.conflicting} conflicting; reviews {self.reviews_added} added, {self.reviews_skipped} "
            f"skipped, {self.reviews_conflicting} conflicting"
        )


def _figures(a: Attempt) -> tuple[Any, ...]:
    return (a.status.value, a.score, a.max_score, tuple(sorted((c.id, c.points, c.max_points) for c in a.checks)))


def _differs(ours: Attempt, theirs: Attempt) -> str:
    if ours.status != theirs.status:
        return f"status {ours.status.value} here, {theirs.status.value} in the file"
    if (ours.score, ours.max_score) != (theirs.score, theirs.max_score):
        return f"score {ours.score:g}/{ours.max_score:g} here, {theirs.score:g}/{theirs.max_score:g} in the file"
    return "the checks' points differ"


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


def _one(book: Gradebook, parsed: _Parsed) -> Imported:
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
                    f"{theirs.member} {theirs.exercise}: same notebook as "
                    f"attempt {aid} here, other figures ({_differs(ours, theirs)}); "
                    "kept this gradebook's",
                )
            )
    touched: set[int] = set()
    try:
        with book.engine.begin() as conn:
            have = {r.uid: r for r in reviews.load_all(conn)}
            for line, key, r in parsed.reviews:
                if key in refused or key not in local:
                    done.reviews_conflicting += 1
                    done.conflicts.append(
                        Conflict(line, "review", f"review {r.uid} of an attempt that conflicts; not applied")
                    )
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
                        done.conflicts.append(
                            Conflict(
                                line, "review", f"review {r.uid} is here with other content; kept this gradebook's"
                            )
                        )
                    continue
                row = {**r.row(), "attempt_id": local[key]}
                conn.execute(reviews_table.insert().values(**row))
                have[r.uid] = Review(**{**row, "id": None})
                touched.add(local[key])
                done.reviews_added += 1
            reviews.refresh(conn, touched)
    except DBAPIError as exc:
        raise GradebookError(
            f"could not record the reviews of {parsed.path} "
            f"({str(getattr(exc, 'orig', exc)).splitlines()[0]}); no review of it was written",
            book.location,
        ) from None
    return done


def import_parsed(book: Gradebook, parsed: Iterable[_Parsed]) -> list[Imported]:
    """Import files `read_file` has read and checked, one after the other."""
    return [_one(book, p) for p in parsed]


def import_files(book: Gradebook, paths: Iterable[Path]) -> list[Imported]:
    """Import each file (all are read and checked first: one bad line writes nothing)."""
    return import_parsed(book, [read_file(Path(p)) for p in paths])


def write_dump(book: Gradebook, output: Path) -> int:
    """Write `dump(book)` to `output` atomically; returns the number of lines."""
    from grader.results.export import write_text

    text = dump(book)
    write_text(text, output)
    return text.count("\n")
