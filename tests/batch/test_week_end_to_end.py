"""The group's week (issue #19), end to end on the tiny course with real kernels: the recorder
grades the shared folder twice (each notebook recorded once), fixes a score, moves an attempt
to the right member, brings in a second laptop's gradebook, and `status` and the export show
all of it, marked as reviewed."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from batch.conftest import SEED
from grader.cli.app import cli
from grader.results.gradebook import Gradebook

pytestmark = pytest.mark.kernel


def _ok(r):  # noqa: ANN001, ANN202
    assert r.exit_code == 0, r.output
    return r


def test_grade_twice_review_reassign_import_and_see_it_everywhere(runner, tiny_course, submissions, tmp_path):
    recorder = tmp_path / "recorder.db"
    common = ["--course", str(tiny_course)]
    grade = [
        "submit",
        str(submissions),
        "--json",
        "--seed",
        str(SEED),
        "--lang",
        "en",
        "--gradebook",
        str(recorder),
        *common,
    ]
    first = json.loads(runner.invoke(cli, grade).stdout)
    again = json.loads(runner.invoke(cli, grade).stdout)
    assert [d["skipped"] for d in again if d["status"] != "invalid"] == [True] * 4
    assert Gradebook(str(recorder)).count() == 4
    ids = {d["member"]: d["attempt_id"] for d in first if d["status"] != "invalid"}
    assert {d["member"]: d["score"] for d in first if d["status"] != "invalid"} == {
        "alice": 5,
        "bob": 2,
        "캐롤": 5,
        "erin": 5,
    }

    # Another laptop graded frank's notebook (alice's bytes, another member: its own attempt).
    laptop = tmp_path / "laptop.db"
    (tmp_path / "laptop" / "frank").mkdir(parents=True)
    shutil.copy(submissions / "alice" / "01_tiny.ipynb", tmp_path / "laptop" / "frank" / "01_tiny.ipynb")
    _ok(
        runner.invoke(
            cli, ["submit", str(tmp_path / "laptop"), "--seed", str(SEED), "--gradebook", str(laptop), *common]
        )
    )
    export_file = tmp_path / "laptop.jsonl"
    _ok(runner.invoke(cli, ["export", "--gradebook-file", str(export_file), "--gradebook", str(laptop)]))

    # At the meeting: bob's model check was judged too strictly, erin's notebook is sora's.
    base = ["--gradebook", str(recorder), *common]
    _ok(
        runner.invoke(
            cli,
            [
                "review",
                "set-points",
                str(ids["bob"]),
                "summer",
                "3",
                "--reason",
                "평균도 이 연습에서는 맞는 답",
                "--by",
                "지민",
                *base,
            ],
        )
    )
    _ok(runner.invoke(cli, ["review", "reassign", str(ids["erin"]), "sora", "--reason", "폴더를 잘못 골랐음", *base]))
    done = json.loads(_ok(runner.invoke(cli, ["import", str(export_file), "--json", *base])).stdout)
    assert done[0]["attempts"] == {"added": 1, "skipped": 0, "conflicting": 0}
    twice = json.loads(_ok(runner.invoke(cli, ["import", str(export_file), "--json", *base])).stdout)
    assert twice[0]["attempts"] == {"added": 0, "skipped": 1, "conflicting": 0}

    status = json.loads(_ok(runner.invoke(cli, ["status", "--json", *base])).stdout)
    assert {(x["member"], x["score"], x["reviewed"]) for x in status} == {
        ("alice", 5.0, False),
        ("bob", 5.0, True),
        ("캐롤", 5.0, False),
        ("sora", 5.0, True),
        ("frank", 5.0, False),
    }
    table = list(csv.reader(io.StringIO(_ok(runner.invoke(cli, ["export", *base])).stdout)))
    assert {(row[0], row[2], row[-1]) for row in table[1:]} == {
        ("alice", "5", ""),
        ("bob", "5", "yes"),
        ("캐롤", "5", ""),
        ("sora", "5", "yes"),
        ("frank", "5", ""),
    }
    # Nothing graded was edited: the review rows say what changed, and who changed it.
    history = json.loads(_ok(runner.invoke(cli, ["review", "history", "--json", *base])).stdout)
    assert [(h["attempt_id"], h["action"], h["old_value"], h["new_value"]) for h in history] == [
        (ids["bob"], "points", "0", "3"),
        (ids["erin"], "member", "erin", "sora"),
    ]
    assert history[0]["reviewer"] == "지민"
    with Gradebook(str(recorder)) as book:
        frank = next(a for a in book.attempts() if a.member == "frank")
        assert frank.submitted_at is not None and frank.seed == SEED and book.notebook(frank.notebook_sha256)
