"""What the check-kind tests build on: a grading context on one of the course's exercises, a
check of its spec, and a made-up check of a kind with given parameters."""

from __future__ import annotations

from grader.checks import GradeContext
from grader.checks.base import CheckSpec


def ctx_for(course, exercise: str, lang: str = "en", seed: int = 3) -> GradeContext:
    return GradeContext(seed=seed, lang=lang, course=course, spec=course.specs[exercise])


def spec_check(course, exercise: str, cid: str) -> CheckSpec:
    return next(c for c in course.specs[exercise].checks if c.id == cid)


def make_check(kind: str, **params) -> CheckSpec:
    return CheckSpec(id="t", kind=kind, points=2.0, title={"en": "t"}, hint={"en": "Try harder."}, params=params)
