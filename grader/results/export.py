"""The gradebook as a table a learning-management system imports (CSV) or as JSON.

One row per (member, exercise): best score, its maximum, how many attempts, when the
last one was graded and when the last notebook was handed in (`submitted_at`, else the
grading time), as ISO 8601 with the group's offset (2021-11-22T09:00:30+09:00), and whether a
person reviewed the best score (every figure is the reviewed one: grader/results/reviews.py). Members go
by their roster id when a roster is given (its aliases merged). Rows are sorted by member,
then exercise (ex2 before ex10), so two exports of the same gradebook are identical.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.course.loader import natural_key
from grader.errors import GradeError, os_reason
from grader.results.people import merge_summaries

if TYPE_CHECKING:
    from grader.report.model import Roster
    from grader.results.gradebook import Gradebook

COLUMNS = ("member", "exercise", "best_score", "max_score", "attempts", "last_attempt", "last_submitted", "reviewed")
# Excel and most LMS importers evaluate a cell that starts with one of these as a formula
# (CSV injection); member names come from notebook metadata, i.e. from students.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def iso_local(when: dt.datetime | None, tz: dt.tzinfo) -> str:
    """ISO 8601 to the second with the offset of `tz` (naive times are UTC); "" for None."""
    if when is None:
        return ""
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when
    return when.astimezone(tz).replace(microsecond=0).isoformat()


def export_rows(book: Gradebook, *, roster: Roster | None = None, tz: dt.tzinfo = dt.UTC) -> list[dict[str, Any]]:
    """One dict per (member, exercise), in a deterministic order (the database counts)."""
    found = sorted(
        merge_summaries(book.summaries(), roster), key=lambda r: (natural_key(r.member), natural_key(r.exercise))
    )
    return [
        {
            "member": r.member,
            "exercise": r.exercise,
            "best_score": r.best_score,
            "max_score": r.best_max_score,
            "attempts": r.attempts,
            "last_attempt": iso_local(r.last_graded_at, tz),
            "last_submitted": iso_local(r.last_submitted_at or r.last_graded_at, tz),
            "reviewed": r.reviewed,
        }
        for r in found
    ]


def _num(x: float) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:.4f}".rstrip("0")


def to_csv(rows: list[dict[str, Any]], *, excel: bool = False) -> str:
    """CSV with a header row (RFC 4180: comma, double quotes, CRLF).

    `excel`: start with a UTF-8 byte-order mark, without which Excel reads the
    file as the local code page and Korean names turn into mojibake, and defuse
    cells that Excel would run as formulas (a leading ').
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        cells = [
            r["member"],
            r["exercise"],
            _num(r["best_score"]),
            _num(r["max_score"]),
            str(r["attempts"]),
            r["last_attempt"],
            r["last_submitted"],
            "yes" if r["reviewed"] else "",
        ]
        if excel:
            cells = ["'" + c if c.startswith(_FORMULA_START) else c for c in cells]
        writer.writerow(cells)
    return ("\ufeff" if excel else "") + buf.getvalue()


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def write_text(text: str, output: Path) -> None:
    """Write UTF-8 atomically: an importer never reads a half-written file."""
    output = output.expanduser()
    if output.is_dir():
        raise GradeError.told("errors.export.is_folder", str(output))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent.resolve())
    except OSError as exc:
        raise GradeError.told("errors.export.cannot_write_here", str(output), why=os_reason(exc)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, output)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise GradeError.told("errors.export.cannot_write", str(output), why=os_reason(exc)) from None


def export(
    book: Gradebook, fmt: str, *, excel: bool = False, roster: Roster | None = None, tz: dt.tzinfo = dt.UTC
) -> str:
    rows = export_rows(book, roster=roster, tz=tz)
    if fmt == "csv":
        return to_csv(rows, excel=excel)
    if fmt == "json":
        return to_json(rows)
    raise GradeError.told("errors.export.unknown_format", fmt=fmt)
