"""`grade export` and `grade status`: one row per roster member, times with the group's offset
(grader/results/export.py, grader/results/people.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest

from grader.cli.app import cli
from grader.results.attempt import Attempt
from grader.results.gradebook import Gradebook

KST = dt.timezone(dt.timedelta(hours=9))


def _attempt(
    member: str, exercise: str, score: float, when: dt.datetime, submitted: dt.datetime | None = None
) -> Attempt:
    return Attempt.from_dict(
        {
            "member": member,
            "exercise": exercise,
            "status": "graded",
            "score": score,
            "max_score": 10.0,
            "checks": [],
            "graded_at": when.isoformat(),
            "duration_s": 1.0,
            "submitted_at": submitted.isoformat() if submitted else None,
        }
    )


@pytest.fixture
def filled_book(tmp_path) -> Path:
    path = tmp_path / "gb.db"
    with Gradebook(str(path)) as book:
        for n, a in enumerate(
            [
                _attempt("지민", "ch15.ex10", 4, dt.datetime(2021, 11, 20, 19, 0, tzinfo=KST)),
                _attempt("지민", "ch15.ex2", 6, dt.datetime(2021, 11, 20, 19, 5, tzinfo=KST)),
                _attempt("지민", "ch15.ex2", 9.5, dt.datetime(2021, 11, 21, 9, 0, tzinfo=KST)),
                _attempt("지민", "ch15.ex2", 7, dt.datetime(2021, 11, 22, 9, 0, 30, 123, tzinfo=KST)),
                _attempt("=cmd|' /C calc'!A0", "ch15.ex2", 1, dt.datetime(2021, 11, 20, tzinfo=dt.UTC)),
                _attempt(
                    "alice",
                    "ch15.ex2",
                    10,
                    dt.datetime(2021, 11, 23, tzinfo=dt.UTC),
                    submitted=dt.datetime(2021, 11, 21, 23, 10, tzinfo=KST),
                ),
            ]
        ):
            book.record(a, b'{"n": %d}' % n)  # one notebook each: graded once
    return path


def test_export_csv(runner, filled_book, tmp_path):
    r = runner.invoke(cli, ["export", "--format", "csv", "--gradebook", str(filled_book)])
    assert r.exit_code == 0, r.output
    assert not r.stdout.startswith("\ufeff") and b"\r\n" in r.stdout_bytes  # RFC 4180 line ends
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows == [
        ["member", "exercise", "best_score", "max_score", "attempts", "last_attempt", "last_submitted", "reviewed"],
        [
            "=cmd|' /C calc'!A0",
            "ch15.ex2",
            "1",
            "10",
            "1",
            "2021-11-20T09:00:00+09:00",
            "2021-11-20T09:00:00+09:00",
            "",
        ],
        # Graded on Tuesday, handed in on Sunday night: both, with the group's offset.
        ["alice", "ch15.ex2", "10", "10", "1", "2021-11-23T09:00:00+09:00", "2021-11-21T23:10:00+09:00", ""],
        ["지민", "ch15.ex2", "9.5", "10", "3", "2021-11-22T09:00:30+09:00", "2021-11-22T09:00:30+09:00", ""],
        ["지민", "ch15.ex10", "4", "10", "1", "2021-11-20T19:00:00+09:00", "2021-11-20T19:00:00+09:00", ""],
    ]
    out = tmp_path / "out" / "grades.csv"
    out.parent.mkdir()
    r = runner.invoke(cli, ["export", "--excel", "-o", str(out), "--gradebook", str(filled_book)])
    assert r.exit_code == 0 and r.stdout == ""
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "지민".encode() in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1][0] == "'=cmd|' /C calc'!A0"  # not a formula in Excel
    again = runner.invoke(cli, ["export", "--excel", "-o", str(out), "--gradebook", str(filled_book)])
    assert again.exit_code == 0 and out.read_bytes() == raw  # deterministic


def test_export_json(runner, filled_book):
    r = runner.invoke(cli, ["export", "--format", "json", "--gradebook", str(filled_book)])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert rows[2] == {
        "member": "지민",
        "exercise": "ch15.ex2",
        "best_score": 9.5,
        "max_score": 10.0,
        "attempts": 3,
        "last_attempt": "2021-11-22T09:00:30+09:00",
        "last_submitted": "2021-11-22T09:00:30+09:00",
        "reviewed": False,
    }
    assert [(x["member"], x["exercise"]) for x in rows][-1] == ("지민", "ch15.ex10")
    for row in rows:  # ISO 8601 with an offset, readable by any importer
        assert dt.datetime.fromisoformat(row["last_attempt"]).utcoffset() == dt.timedelta(hours=9)


def test_export_without_a_gradebook_is_one_line(runner, tmp_path):
    r = runner.invoke(cli, ["export", "--gradebook", str(tmp_path / "nope.db"), "--lang", "en"])
    assert r.exit_code == 1 and "no gradebook here" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "nope.db").exists()


@pytest.fixture
def group(tiny_course: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The tiny course in Berlin time with a roster, and a gradebook where sora has three names."""
    toml = tiny_course / "course.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + 'timezone = "Europe/Berlin"\n', encoding="utf-8")
    (tiny_course / "site").mkdir()
    (tiny_course / "site" / "roster.toml").write_text(
        '[[members]]\nid = "sora"\nname = { ko = "한소라", en = "Sora Han" }\naliases = ["sora.han", "shan"]\n\n'
        '[[members]]\nid = "지민"\nname = "박지민"\n',
        encoding="utf-8",
    )
    book = tmp_path / "gb.db"
    t0 = dt.datetime(2021, 11, 20, 12, 0, tzinfo=dt.UTC)
    with Gradebook(str(book)) as gb:
        for n, (member, score, hours, late) in enumerate(
            [("sora.han", 3, 0, False), ("shan", 5, 1, True), ("sora", 4, 2, False), ("지민", 2, 3, False)]
        ):
            submitted = t0 + dt.timedelta(hours=hours) + (dt.timedelta(days=2) if late else dt.timedelta())
            gb.record(
                Attempt.from_dict(
                    {
                        "member": member,
                        "exercise": "t.ex1",
                        "status": "graded",
                        "score": score,
                        "max_score": 5,
                        "checks": [],
                        "duration_s": 1,
                        "graded_at": (t0 + dt.timedelta(days=3, hours=hours)).isoformat(),
                        "submitted_at": submitted.isoformat(),
                    }
                ),
                b'{"n": %d}' % n,
            )
    return tiny_course, book


def test_status_and_export_merge_a_members_aliases(runner, group):
    course, book = group
    r = runner.invoke(cli, ["status", "--course", str(course), "--gradebook", str(book), "--lang", "en"])
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.output.splitlines() if "5/5" in ln or "2/5" in ln or "4/5" in ln]
    assert len(lines) == 2 and "sora" in lines[0] and "Sora Han" in lines[0] and "5/5" in lines[0]
    assert "sora.han" not in r.output and "shan" not in r.output
    # A deadline counts hand-in times: shan's 5/5 came two days late, so sora's best by then is 4/5.
    r = runner.invoke(
        cli,
        [
            "status",
            "--course",
            str(course),
            "--gradebook",
            str(book),
            "--lang",
            "en",
            "--until",
            "2021-11-21T00:00",
            "--member",
            "shan",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "4/5" in r.output and "5/5" not in r.output and "박지민" not in r.output
    r = runner.invoke(cli, ["export", "--format", "json", "--course", str(course), "--gradebook", str(book)])
    rows = json.loads(r.stdout)
    assert [(x["member"], x["best_score"], x["attempts"]) for x in rows] == [("sora", 5.0, 3), ("지민", 2.0, 1)]
    # Berlin in November is UTC+1: the group's own offset, not Seoul's and not UTC.
    assert rows[0]["last_submitted"] == "2021-11-22T14:00:00+01:00"
    assert rows[0]["last_attempt"] == "2021-11-23T15:00:00+01:00"


def test_a_course_with_an_unknown_time_zone_is_one_line(runner, group):
    course, book = group
    toml = course / "course.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("Europe/Berlin", "Mars/Olympus"), encoding="utf-8")
    r = runner.invoke(cli, ["status", "--course", str(course), "--gradebook", str(book), "--lang", "en"])
    assert r.exit_code == 1 and "timezone 'Mars/Olympus'" in r.output and "Traceback" not in r.output
    shutil.rmtree(course / "site")
