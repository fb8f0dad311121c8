"""What every check kind shares (grader/checks/base.py): the per-check RNG, the message of a
check the run never reached, and the registry."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import KINDS, GradeContext


def ctx_for(course, lang: str = "en", seed: int = 7) -> GradeContext:
    return GradeContext(seed=seed, lang=lang, course=course, spec=course.specs["ch15.ex4"])


def check(course, cid: str):
    return next(c for c in course.specs["ch15.ex4"].checks if c.id == cid)


def test_rng_is_reproducible_per_seed_and_check(course):
    a = ctx_for(course).rng("x").random(3)
    assert np.array_equal(a, ctx_for(course).rng("x").random(3))
    assert not np.array_equal(a, ctx_for(course).rng("y").random(3))
    assert not np.array_equal(a, ctx_for(course, seed=8).rng("x").random(3))


def test_timeout_status_reads_as_not_checked(course):
    c = check(course, "windows")
    ctx = ctx_for(course)
    ctx.run_status = "timeout"
    kind = KINDS[c.kind]
    r = kind.evaluate(c, ctx, kind.plan(c, ctx), {})
    assert r.points == 0 and "did not finish (timeout)" in r.message


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_a_name_and_evaluate(kind):
    k = KINDS[kind]
    assert k.name == kind and callable(k.evaluate)
