"""One attempt type from grading to the report: the same value after the worker transport,
the gradebook (SQLite and PostgreSQL) and the report's loader; its JSON form is the
`grade submit --json` contract."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import write_notebook

from grader.batch import Found, run_batch
from grader.course.instructor import judge
from grader.course.loader import load_course
from grader.report.model import load_attempts
from grader.results.attempt import EVIDENCE, STATUSES, Attempt, CheckGroup, CheckResult, Status
from grader.results.gradebook import Gradebook

# DESIGN section 4 (docs/contracts.md): at least these, and the fields `grade submit --json` had before.
CONTRACT = {"exercise", "member", "status", "score", "max_score", "checks", "duration_s"}
EARLIER = {"path", "seed", "message", "grader_version", "attempt_id", "answers", "timings", "protections"}
CHECK_CONTRACT = {"id", "kind", "passed", "points", "max_points", "message"}


def _sample() -> Attempt:
    return Attempt(
        "ch15.ex1",
        "지민",
        Status.GRADED,
        [
            CheckResult(
                "windows",
                "function_matches",
                True,
                2,
                2,
                "",
                title="창",
                details={"mse": 0.01},
                evidence="hidden-target",
            ),
            CheckResult(
                "quiz:ch15.ex1",
                "quiz",
                False,
                1,
                3,
                "BPTT를 언급하세요",
                details={"missing": ["BPTT"]},
                evidence="self-reported",
            ),
        ],
        12.34567,
        path="s/04.ipynb",
        seed=7,
        answers={"ch15.ex1": "가중치 공유"},
        timings={"kernel": 1.23456},
        protections=["bwrap"],
        graded_at=dt.datetime(2021, 11, 20, 21, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        submitted_at="2021-11-19T23:59:00Z",
    )


def test_the_json_form_keeps_the_contract_and_adds_evidence():
    doc = _sample().to_dict()
    assert set(doc) == CONTRACT | EARLIER | {
        "graded_at",
        "submitted_at",
        "notebook_sha256",
        "cell_errors",
        "member_source",
        "member_note",
        "submitted_from",
        "regrade",
        "reviewed",
        "excluded",
    }
    assert all(
        set(c) == CHECK_CONTRACT | {"title", "details", "evidence", "hint_level", "reviewed"} for c in doc["checks"]
    )
    assert doc["reviewed"] is False and doc["excluded"] is False
    assert (doc["status"], doc["score"], doc["max_score"], doc["duration_s"]) == ("graded", 3.0, 5.0, 12.346)
    assert doc["timings"] == {"kernel": 1.235}
    assert [c["evidence"] for c in doc["checks"]] == ["hidden-target", "self-reported"]
    assert doc["graded_at"] == "2021-11-20T12:00:00+00:00" and doc["submitted_at"] == "2021-11-19T23:59:00+00:00"
    assert json.loads(json.dumps(doc)) == doc  # plain JSON data, nothing that only Python reads
    assert STATUSES == ("graded", "timeout", "crashed", "error", "invalid")
    assert EVIDENCE == ("hidden-target", "clean", "self-reported")


def test_from_dict_reads_back_exactly_what_to_dict_wrote():
    a = _sample()
    assert Attempt.from_dict(json.loads(json.dumps(a.to_dict()))) == a
    # A score recorded apart from its checks (older rows, shells) is kept as given.
    b = Attempt.from_dict(
        {
            "exercise": "e",
            "member": "m",
            "status": "error",
            "score": 9.5,
            "max_score": 10,
            "checks": [],
            "duration_s": 0,
            "from_a_newer_worker": True,
        }
    )
    assert (b.score, b.max_score, b.status) == (9.5, 10.0, Status.ERROR)
    with pytest.raises(ValueError):
        Attempt.from_dict({"status": "finished"})
    with pytest.raises(ValueError):
        CheckResult.from_dict(
            {"id": "c", "kind": "quiz", "passed": True, "points": 1, "max_points": 1, "evidence": "trust-me"}
        )


def test_the_check_group_decides_what_counts_as_code():
    a = _sample()
    assert [c.group for c in a.checks] == [CheckGroup.CODE, CheckGroup.QUIZ]
    assert (a.code_score, a.code_max) == (2.0, 2.0)
    # A starter may earn quiz points (an answer typed in), never code points.
    starter = Attempt(
        "ch15.ex1",
        "instructor-starter",
        "graded",
        [
            CheckResult("windows", "function_matches", False, 0, 2, "None"),
            CheckResult("quiz:ch15.ex1", "quiz", False, 1, 3, ""),
        ],
        1.0,
    )
    assert judge("starter", Path("04.ipynb"), starter.to_dict()).ok
    earning = dataclasses.replace(starter, checks=[CheckResult("windows", "function_matches", True, 2, 2, "")])
    verdict = judge("starter", Path("04.ipynb"), earning.to_dict())
    assert not verdict.ok and "windows 2" in verdict.problem and verdict.code_score == 2.0


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "book" / "gb.db")
    return request.getfixturevalue("pg_db")


@pytest.mark.kernel
def test_grading_transport_gradebook_and_report_give_equal_attempts(tiny_course, tmp_path, location):
    """Graded in worker processes (the real transport: `to_dict` there, `from_dict` here),
    recorded, read back by the gradebook and by the report: one value all the way."""
    import nbformat

    course = load_course(tiny_course)
    good = nbformat.read(tiny_course / "solutions" / "01_tiny.ipynb", as_version=4)
    wrong = nbformat.read(tiny_course / "solutions" / "01_tiny.ipynb", as_version=4)
    for cell in wrong.cells:
        cell.source = cell.source.replace("return 2 * x", "return 3 * x")
    files = []
    for member, nb in (("지민", good), ("sora", wrong)):
        (tmp_path / "subs" / member).mkdir(parents=True)
        files.append(write_notebook(tmp_path / "subs" / member / "01_tiny.ipynb", nb))
    with Gradebook(location) as book:
        items = run_batch(
            course, [Found(f, root=tmp_path / "subs") for f in files], workers=2, seed=11, lang="en", book=book
        )
        stored = {a.attempt_id: a for a in book.attempts()}
    graded = [it.result for it in items]
    assert [a.member for a in graded] == ["지민", "sora"] and all(a is not None for a in graded)
    assert [(a.status, a.max_score) for a in graded] == [("graded", 5.0), ("graded", 5.0)]
    assert graded[0].score == 5.0 and graded[1].score < 5.0 and graded[1].failed
    for a in graded:
        assert a.attempt_id is not None and a.graded_at is not None and a.notebook_sha256 is not None
        assert all(c.evidence in EVIDENCE for c in a.checks)
        assert stored[a.attempt_id] == a
        assert stored[a.attempt_id].to_dict() == a.to_dict()  # the JSON printed is the JSON stored
    assert load_attempts(location) == sorted(graded, key=lambda a: (a.graded_at, a.attempt_id))
