"""The result of grading one submission, and its JSON form (DESIGN section 4)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

STATUSES = ("graded", "timeout", "crashed", "error", "invalid")

# Where a check's evidence comes from (docs/sandbox.md, "Evidence"):
# - hidden-target: the student's kernel computed it, but the right answer stayed in the grader;
# - clean: measured where no student code runs (the clean loader, or the grader reading the file);
# - self-reported: measured inside the student's kernel, so code that ran before can forge it.
Evidence = Literal["hidden-target", "clean", "self-reported"]
EVIDENCE: tuple[Evidence, ...] = get_args(Evidence)


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Result:
    exercise: str
    member: str
    status: str
    checks: list[CheckResult]
    duration_s: float
    path: str = ""
    seed: int | None = None
    message: str = ""
    grader_version: str = ""
    attempt_id: int | None = None
    answers: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    protections: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 4)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "member": self.member,
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "checks": [c.to_dict() for c in self.checks],
            "duration_s": round(self.duration_s, 3),
            "path": self.path,
            "seed": self.seed,
            "message": self.message,
            "grader_version": self.grader_version,
            "attempt_id": self.attempt_id,
            "answers": self.answers,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "protections": self.protections,
        }
