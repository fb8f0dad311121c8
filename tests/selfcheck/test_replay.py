"""Reference calls replayed from a record: other data is refused, never answered."""

from __future__ import annotations

import pytest

from grader.errors import SpecError
from grader.selfcheck.codec import fingerprint
from grader.selfcheck.replay import Call, PackMismatch, ReplayContext


def test_replay_refuses_other_data(course):
    spec = course.specs["ch15.ex4"]
    ctx = ReplayContext(
        seed=1,
        lang="en",
        course=course,
        spec=spec,
        calls=[Call("m:f", fingerprint((1,), {}), 5)],
        arrays={},
    )
    with pytest.raises(PackMismatch):
        ctx.ref("m:f")(2)
    assert ctx.ref("m:f")(1) == 5
    with pytest.raises(PackMismatch):
        ctx.ref("m:f")(1)  # recorded once, asked twice


def test_a_mismatch_is_told_in_both_languages(course):
    ctx = ReplayContext(seed=1, lang="ko", course=course, spec=course.specs["ch15.ex4"], calls=[], arrays={})
    with pytest.raises(PackMismatch) as info:
        ctx.ref("m:f")(1)
    assert isinstance(info.value, SpecError) and "m:f" in str(info.value)
    assert "m:f" in info.value.said("ko") and "연습용 자료" in info.value.said("ko")
