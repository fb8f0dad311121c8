"""One attempt: the result of grading one submission, the same value everywhere.

Grading builds an `Attempt`, a worker process sends it back as `Attempt.to_dict()`
and the submitter reads it with `Attempt.from_dict()` (the only serialiser and
parser), the gradebook stores and returns it, and the report shows it.
`to_dict()` is also the document `grade submit --json` prints (docs/contracts.md): the fields
first promised (exercise, member, status, score, max_score, checks with id, kind, passed,
points, max_points and message, duration_s), the ones it printed since, and now each
check's `evidence` and the attempt's `graded_at`, `submitted_at` and `notebook_sha256`, and
since schema 3 `member_source`, `member_note`, `submitted_from` and `regrade`, since schema 4
`reviewed` and `excluded` (and each check's `reviewed`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, get_args


class Status(StrEnum):
    """How grading ended. Members compare equal to their text ("graded")."""

    GRADED = "graded"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    ERROR = "error"
    INVALID = "invalid"


# In the documented order (summaries count by it).
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)


class CheckGroup(StrEnum):
    """What a check is worth to the course: code the notebook runs, or a free-text answer.

    Starters must earn no code points, the gradebook keeps code points apart, and the
    report lists missed code checks and missed quiz concepts separately; all of them
    ask this one question instead of comparing kind names."""

    CODE = "code"
    QUIZ = "quiz"

    @classmethod
    def of(cls, kind: str) -> CheckGroup:
        """The group of a check kind name (`quiz` → QUIZ; every other kind runs code)."""
        return cls.QUIZ if kind in _QUIZ_KINDS else cls.CODE


# Kinds scored from the notebook's answer cells rather than from its running code.
_QUIZ_KINDS = frozenset({"quiz"})


# Where a check's evidence comes from (docs/sandbox.md, "Evidence"):
# - hidden-target: the student's kernel computed it, but the right answer stayed in the grader;
# - clean: measured where no student code runs (the clean loader, or the grader reading the file);
# - self-reported: measured inside the student's kernel, so code that ran before can forge it.
Evidence = Literal["hidden-target", "clean", "self-reported"]
EVIDENCE: tuple[Evidence, ...] = get_args(Evidence)

# How much help a failed check's message gives (grader/checks/hints.py).
HintLevel = Literal["brief", "full"]
HINT_LEVELS: tuple[HintLevel, ...] = get_args(HintLevel)


# A score of `math.nan` when constructing means "the sum of the checks".
FROM_CHECKS = math.nan
# Points and scores are kept to this many decimals everywhere (1/3 of 4 points is 1.3333).
DECIMALS = 4


def points(value: float) -> float:
    """A score or point figure as it is stored and compared: rounded to `DECIMALS`."""
    return round(float(value), DECIMALS) + 0.0  # + 0.0: no -0.0 from a rounded tiny negative


def utc(when: dt.datetime | str | None) -> dt.datetime | None:
    """A timezone-aware UTC time (naive times are read as UTC), from a datetime or ISO text."""
    if when is None or when == "":
        return None
    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


@dataclass
class CheckResult:
    id: str
    kind: str
    passed: bool
    points: float
    max_points: float
    message: str
    title: str = ""
    # Numbers the grader measured (e.g. mse, baselines); shown in reports, never targets.
    details: dict[str, Any] = field(default_factory=dict)
    # Set for every check graded now; None only for attempts recorded before it existed.
    evidence: Evidence | None = None
    # Which help the message carries besides what was found: "brief" (the spec's hint: what
    # is wrong and where to look), "full" (the hint and the recipe: formula, code), None
    # (none: passed, not checked, or the check has no hint).
    hint_level: HintLevel | None = None
    # A person changed its points (grade review): `points` and `passed` are the reviewed ones.
    reviewed: bool = False

    def __post_init__(self) -> None:
        self.passed = bool(self.passed)
        if self.hint_level is not None and self.hint_level not in HINT_LEVELS:
            raise ValueError(f"unknown hint level {self.hint_level!r} (one of {', '.join(HINT_LEVELS)})")
        self.points = points(self.points)
        self.max_points = points(self.max_points)
        if self.evidence is not None and self.evidence not in EVIDENCE:
            raise ValueError(f"unknown evidence {self.evidence!r} (one of {', '.join(EVIDENCE)})")

    @property
    def group(self) -> CheckGroup:
        return CheckGroup.of(self.kind)

    @property
    def is_quiz(self) -> bool:
        return self.group is CheckGroup.QUIZ

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "passed": self.passed,
            "points": self.points,
            "max_points": self.max_points,
            "message": self.message,
            "title": self.title,
            "details": dict(self.details),
            "evidence": self.evidence,
            "hint_level": self.hint_level,
            "reviewed": self.reviewed,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckResult:
        return cls(
            id=str(d["id"]),
            kind=str(d["kind"]),
            passed=bool(d["passed"]),
            points=float(d["points"]),
            max_points=float(d["max_points"]),
            message=d.get("message") or "",
            title=d.get("title") or "",
            details=dict(d.get("details") or {}),
            evidence=d.get("evidence") or None,
            hint_level=d.get("hint_level") or None,
            reviewed=bool(d.get("reviewed", False)),
        )


@dataclass
class CellError:
    """A code cell that raised while the notebook ran; the run went on with the next cell.

    Positions as the member sees them in Jupyter: `code_cell` counts code cells only
    (markdown cells are not counted), `execution_count` is the `In [n]` of the grading
    run (what "Restart & Run All" shows), `line` the line inside the cell. `cell` is the
    position among all cells, for tools. `summary` is one line (type, layer, message);
    `traceback` the whole text, without colours. `limit`: the grader limit the error came
    from ("memory", "processes", "file_size", "disk"), "" when none."""

    code_cell: int
    execution_count: int | None
    cell: int
    ename: str
    summary: str
    line: int | None = None
    traceback: str = ""
    limit: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code_cell": self.code_cell,
            "execution_count": self.execution_count,
            "cell": self.cell,
            "line": self.line,
            "ename": self.ename,
            "summary": self.summary,
            "traceback": self.traceback,
            "limit": self.limit,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CellError:
        def number(key: str) -> int | None:
            value = d.get(key)
            return int(value) if value is not None else None

        return cls(
            code_cell=int(d.get("code_cell") or 0),
            execution_count=number("execution_count"),
            cell=int(d.get("cell") or 0),
            ename=str(d.get("ename") or ""),
            summary=str(d.get("summary") or ""),
            line=number("line"),
            traceback=str(d.get("traceback") or ""),
            limit=str(d.get("limit") or ""),
        )


@dataclass
class Attempt:
    """One graded (or ungradable) submission.

    `score` and `max_score` are the sums of the checks unless given (a gradebook row
    keeps the figure it was recorded with). Times are UTC: `graded_at` when the grader
    finished, `submitted_at` when the member handed the notebook in (None when unknown).
    """

    exercise: str
    member: str
    status: Status
    checks: list[CheckResult]
    duration_s: float
    path: str = ""
    seed: int | None = None
    message: str = ""
    grader_version: str = ""
    attempt_id: int | None = None
    answers: dict[str, str] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)
    protections: list[str] = field(default_factory=list)
    graded_at: dt.datetime | None = None
    submitted_at: dt.datetime | None = None
    notebook_sha256: str | None = None
    score: float = FROM_CHECKS
    max_score: float = FROM_CHECKS
    # Code cells that raised; the others ran, and the checks graded what exists.
    cell_errors: list[CellError] = field(default_factory=list)
    # How the submitter decided the member ("flag", "template", "metadata", "folder",
    # "os-user"; "" when not recorded) and one line saying so.
    member_source: str = ""
    member_note: str = ""
    # How `submitted_at` was known: "flag" (--submitted-at), "git", "mtime"; "" unknown.
    submitted_from: str = ""
    # 0: the first grading of this notebook, exercise and member; n: its n-th regrade.
    regrade: int = 0
    # A person reviewed it (grade review): `member`, `score` and the checks are the reviewed
    # figures; `excluded` attempts count nowhere (only the review list shows them).
    reviewed: bool = False
    excluded: bool = False

    def __post_init__(self) -> None:
        self.status = Status(self.status)
        # Millisecond precision from the start, so that every copy (JSON, gradebook) is equal.
        self.duration_s = round(float(self.duration_s), 3)
        # Seconds, to the millisecond; `cell_times` is a list of them, one per code cell.
        self.timings = {
            k: [round(float(x), 3) for x in v] if isinstance(v, (list, tuple)) else round(float(v), 3)
            for k, v in self.timings.items()
        }
        self.graded_at = utc(self.graded_at)
        self.submitted_at = utc(self.submitted_at)
        self.score = points(sum(c.points for c in self.checks) if math.isnan(self.score) else self.score)
        self.max_score = points(
            sum(c.max_points for c in self.checks) if math.isnan(self.max_score) else self.max_score
        )
        self.cell_errors = [e if isinstance(e, CellError) else CellError.from_dict(e) for e in self.cell_errors]
        self.regrade = int(self.regrade)

    # --- derived figures --------------------------------------------------------

    @property
    def code_score(self) -> float:
        return points(sum(c.points for c in self.checks if not c.is_quiz))

    @property
    def code_max(self) -> float:
        return points(sum(c.max_points for c in self.checks if not c.is_quiz))

    @property
    def pct(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def state(self) -> str:
        """full | partial | zero, or the status when nothing was earned (for CSS and labels)."""
        if self.status is not Status.GRADED and self.score == 0:
            return self.status.value
        if self.max_score and self.score >= self.max_score - 1e-9:
            return "full"
        return "partial" if self.score > 0 else "zero"

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]

    # --- the one wire form ------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: what `grade submit --json` prints and workers send back."""
        return {
            "exercise": self.exercise,
            "member": self.member,
            "status": self.status.value,
            "score": self.score,
            "max_score": self.max_score,
            "checks": [c.to_dict() for c in self.checks],
            "duration_s": self.duration_s,
            "path": self.path,
            "seed": self.seed,
            "message": self.message,
            "grader_version": self.grader_version,
            "attempt_id": self.attempt_id,
            "answers": dict(self.answers),
            "timings": dict(self.timings),
            "protections": list(self.protections),
            "graded_at": _iso(self.graded_at),
            "submitted_at": _iso(self.submitted_at),
            "notebook_sha256": self.notebook_sha256,
            "cell_errors": [e.to_dict() for e in self.cell_errors],
            "member_source": self.member_source,
            "member_note": self.member_note,
            "submitted_from": self.submitted_from,
            "regrade": self.regrade,
            "reviewed": self.reviewed,
            "excluded": self.excluded,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Attempt:
        """The attempt back from `to_dict()` output. Keys it does not know are ignored (a newer
        worker may send more); a status outside the five raises ValueError."""
        seed = d.get("seed")
        attempt_id = d.get("attempt_id")
        return cls(
            exercise=d.get("exercise") or "",
            member=d.get("member") or "",
            status=Status(d.get("status", "error")),
            checks=[CheckResult.from_dict(c) for c in d.get("checks") or []],
            duration_s=float(d.get("duration_s") or 0.0),
            path=d.get("path") or "",
            seed=int(seed) if seed is not None else None,
            message=d.get("message") or "",
            grader_version=d.get("grader_version") or "",
            attempt_id=int(attempt_id) if attempt_id is not None else None,
            answers=dict(d.get("answers") or {}),
            timings=dict(d.get("timings") or {}),
            protections=list(d.get("protections") or []),
            graded_at=utc(d.get("graded_at")),
            submitted_at=utc(d.get("submitted_at")),
            notebook_sha256=d.get("notebook_sha256") or None,
            score=float(d["score"]) if d.get("score") is not None else FROM_CHECKS,
            max_score=float(d["max_score"]) if d.get("max_score") is not None else FROM_CHECKS,
            cell_errors=[CellError.from_dict(e) for e in d.get("cell_errors") or [] if isinstance(e, Mapping)],
            member_source=d.get("member_source") or "",
            member_note=d.get("member_note") or "",
            submitted_from=d.get("submitted_from") or "",
            regrade=int(d.get("regrade") or 0),
            reviewed=bool(d.get("reviewed", False)),
            excluded=bool(d.get("excluded", False)),
        )
