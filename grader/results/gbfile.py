"""The gradebook file: a whole gradebook as JSON Lines, written and read back (checked).

`grade export --gradebook-file out.jsonl` writes a header, then each notebook once (its
bytes in base64, before the first attempt that uses it), each attempt as recorded
(`Attempt.to_dict()`, before any review: checks, answers, seed, graded_at, submitted_at,
content hash, regrade number) and each review row. `read_file` checks a whole file before
`grader/results/transfer.py` imports anything from it, so a bad line names the file and
line and nothing is written. docs/contracts.md, "Review and merge", is the reference.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import __version__, ids
from grader.errors import GradeError, os_reason
from grader.results import queries, reviews
from grader.results.attempt import Attempt, Status, utc
from grader.results.reviews import ACTIONS, Review
from grader.results.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from grader.results.gradebook import Gradebook

FORMAT = "grade-gradebook"
FORMAT_VERSION = 1
MAX_LINE = 64 * 1024 * 1024  # one notebook in base64; a longer line is not ours

Key = tuple[Any, ...]


def attempt_key(a: Attempt) -> Key:
    """The attempt's identity in every gradebook: its grade-once key (notebook hash, exercise,
    recorded member, regrade), or without a notebook exercise, member, grading time and seed."""
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
class Parsed:
    path: Path
    attempts: list[tuple[int, Attempt]] = field(default_factory=list)  # (line, attempt)
    notebooks: dict[str, bytes] = field(default_factory=dict)
    reviews: list[tuple[int, Key, Review]] = field(default_factory=list)


def _bad(path: Path, line: int, key: str, **fields: Any) -> GradeError:  # noqa: ANN401
    """The error of line `line` of the file: `key`'s entry starts with "line {line}: "."""
    return GradeError.told(key, str(path), line=line, **fields)


def read_file(path: Path) -> Parsed:
    """Parse and check a whole export file; GradeError naming the file and line if anything is off."""
    try:
        raw = path.expanduser().read_bytes()
    except IsADirectoryError:
        raise GradeError.told("errors.gbfile.is_folder", str(path)) from None
    except OSError as exc:
        raise GradeError.told("errors.gbfile.cannot_read", str(path), why=os_reason(exc)) from None
    out = Parsed(path)
    seen: set[Key] = set()
    lines = raw.split(b"\n")
    if not raw.strip():
        raise GradeError.told("errors.gbfile.empty", str(path))
    for n, chunk in enumerate(lines, start=1):
        if not chunk.strip():
            continue
        if len(chunk) > MAX_LINE:
            raise _bad(path, n, "errors.gbfile.line_too_long")
        try:
            doc = json.loads(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            raise _bad(path, n, "errors.gbfile.not_utf8") from None
        except json.JSONDecodeError as exc:
            raise _bad(path, n, "errors.gbfile.not_json", why=exc.msg, column=exc.colno) from None
        if not isinstance(doc, dict):
            raise _bad(path, n, "errors.gbfile.not_object")
        if n == 1:
            if doc.get("format") != FORMAT:
                raise _bad(path, n, "errors.gbfile.not_an_export", format=FORMAT)
            if doc.get("version") != FORMAT_VERSION:
                raise _bad(path, n, "errors.gbfile.version", version=repr(doc.get("version")), known=FORMAT_VERSION)
            continue
        kind = doc.get("type")
        try:
            if kind == "notebook":
                sha = str(doc["sha256"])
                try:
                    content = base64.b64decode(str(doc["content"]), validate=True)
                except binascii.Error:
                    raise _bad(path, n, "errors.gbfile.bad_content") from None
                if hashlib.sha256(content).hexdigest() != sha:
                    raise _bad(path, n, "errors.gbfile.sha_mismatch")
                out.notebooks[sha] = content
            elif kind == "attempt":
                a = _attempt(path, n, doc["attempt"], out.notebooks)
                key = attempt_key(a)
                if key in seen:
                    raise _bad(path, n, "errors.gbfile.attempt_twice")
                seen.add(key)
                out.attempts.append((n, a))
            elif kind == "review":
                key = _key_of_doc(doc["attempt"])
                if key not in seen:
                    raise _bad(path, n, "errors.gbfile.review_before_attempt")
                out.reviews.append((n, key, _review(path, n, doc)))
            else:
                raise _bad(path, n, "errors.gbfile.unknown_type", kind=kind)
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            if isinstance(exc, GradeError):
                raise
            if isinstance(exc, KeyError):
                raise _bad(path, n, "errors.gbfile.missing_field", kind=kind, field=str(exc)) from None
            raise _bad(path, n, "errors.gbfile.invalid_record", kind=kind, why=str(exc).splitlines()[0]) from None
    return out


def _check_values(path: Path, n: int, kind: str, d: dict[str, Any], fields: dict[str, Any]) -> None:
    """Each of `fields` (name -> how to read it) that `d` has must read without error: a bad
    one is named by the catalog, not by Python's English message."""
    for name, read in fields.items():
        value = d.get(name)
        if value is None or value == "":
            continue
        try:
            read(value)
        except (TypeError, ValueError, OverflowError, AttributeError):
            raise _bad(path, n, "errors.gbfile.bad_value", kind=kind, field=name, value=_short(value)) from None


def _short(value: Any) -> str:  # noqa: ANN401
    shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return shown if len(shown) <= 40 else shown[:39] + "…"


_ATTEMPT_VALUES: dict[str, Any] = {
    "status": Status,
    "graded_at": utc,
    "submitted_at": utc,
    "duration_s": float,
    "score": float,
    "max_score": float,
    "seed": int,
    "attempt_id": int,
    "regrade": int,
}


def _attempt(path: Path, n: int, d: Any, notebooks: dict[str, bytes]) -> Attempt:  # noqa: ANN401
    if not isinstance(d, dict):
        raise _bad(path, n, "errors.gbfile.attempt_not_object")
    for name in ("exercise", "member", "status", "graded_at"):
        if not d.get(name):
            raise KeyError(name)
    _check_values(path, n, "attempt", d, _ATTEMPT_VALUES)
    a = Attempt.from_dict(d)
    why = ids.reason(ids.normalize(a.member))
    if why:
        raise _bad(path, n, "errors.gbfile.bad_member", member=a.member, why=why)
    if a.notebook_sha256 and a.notebook_sha256 not in notebooks:
        raise _bad(path, n, "errors.gbfile.notebook_missing")
    return a


def _review(path: Path, n: int, d: dict[str, Any]) -> Review:
    action = d["action"]
    if action not in ACTIONS:
        raise _bad(path, n, "errors.gbfile.unknown_action", action=action, actions=", ".join(ACTIONS))
    if not str(d["reason"]).strip():
        raise _bad(path, n, "errors.gbfile.no_reason")
    if action == "member":
        why = ids.reason(ids.normalize(str(d["new_value"])))
        if why:
            raise _bad(path, n, "errors.gbfile.bad_member", member=d["new_value"], why=why)
    _check_values(path, n, "review", d, {"created_at": utc, "points": float})
    created = utc(d["created_at"])
    if created is None:
        raise KeyError("created_at")
    uid = str(d["uid"])
    if not uid or len(uid) > 32:
        raise _bad(path, n, "errors.gbfile.bad_uid")
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


def write_dump(book: Gradebook, output: Path) -> int:
    """Write `dump(book)` to `output` atomically; returns the number of lines."""
    from grader.results.export import write_text

    text = dump(book)
    write_text(text, output)
    return text.count("\n")
