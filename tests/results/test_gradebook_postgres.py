"""The gradebook on a real PostgreSQL server (fixture `pg_url` in conftest.py).

The same behaviours as the SQLite gradebook: every attempt with its checks, answers and
notebook, or nothing; concurrent writers lose nothing; a database that is not ours, or is
newer than us, is refused in one line and left as it was. Each test gets its own database
(fixture `pg_db`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from grader.cli.app import cli
from grader.errors import GradebookError
from grader.results.attempt import Attempt
from grader.results.gradebook import SCHEMA_VERSION, Gradebook

KOREAN_MEMBER = "김민서"
KOREAN_ANSWER = "RNN은 모든 타임 스텝이 가중치를 공유합니다. 역전파는 BPTT입니다."


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def _tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return sorted(
            r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        )


def _result(
    member: str = "m", exercise: str = "h.ex1", score: float = 1.0, n_checks: int = 2, **extra: object
) -> Attempt:
    return Attempt.from_dict(_wire(member, exercise, score, n_checks, **extra))


def _wire(member: str = "m", exercise: str = "h.ex1", score: float = 1.0, n_checks: int = 2, **extra: object) -> dict:
    return {
        "exercise": exercise,
        "member": member,
        "status": "graded",
        "score": score,
        "max_score": 3.0,
        "checks": [
            {
                "id": f"c{i}",
                "kind": "function_matches",
                "passed": i == 0,
                "points": 1.0 if i == 0 else 0.0,
                "max_points": 1.0,
                "message": f"검사 {i}",
                "details": {"case": i, "값": [1, 2]},
            }
            for i in range(n_checks)
        ]
        + [
            {
                "id": exercise,
                "kind": "quiz",
                "passed": False,
                "points": 0.5,
                "max_points": 1.0,
                "message": "가중치 공유를 언급하세요",
                "title": "퀴즈",
            }
        ],
        "duration_s": 1.5,
        "seed": 2**40 + 7,
        "answers": {exercise: KOREAN_ANSWER},
        **extra,
    }


# --- unreachable / wrong database ------------------------------------------------------


def test_unreachable_server_is_one_line_exit_1(runner, tiny_course):
    r = runner.invoke(
        cli,
        ["status", "--course", str(tiny_course), "--gradebook", "postgresql://nobody@127.0.0.1:1/x", "--lang", "en"],
    )
    assert r.exit_code == 1, r.output
    err = r.stderr.strip()
    assert err.startswith("grade: error: postgresql://nobody@127.0.0.1:1/x: cannot connect"), err
    assert "\n" not in err and "Traceback" not in r.output


def test_unreachable_server_from_the_environment(runner, tiny_course, monkeypatch):
    monkeypatch.setenv("GRADE_GRADEBOOK", "postgres://nobody:hunter2@127.0.0.1:1/x")
    monkeypatch.setenv("GRADE_LANG", "en")
    r = runner.invoke(cli, ["status", "--course", str(tiny_course)])
    assert r.exit_code == 1
    err = r.stderr.strip()
    assert "cannot connect" in err and "hunter2" not in r.output and "postgres://nobody:***@" in err


def test_missing_database_names_it_and_hides_the_password(runner, tiny_course, pg_url):
    # The test server trusts every login, so the password is accepted and ignored.
    url = pg_url.replace("grade@", "grade:s3cr3t-pw@").rsplit("/", 1)[0] + "/no_such_db"
    r = runner.invoke(cli, ["status", "--course", str(tiny_course), "--gradebook", url])
    assert r.exit_code == 1
    err = r.stderr.strip()
    assert "\n" not in err and "no_such_db" in err and "does not exist" in err, err
    assert "s3cr3t-pw" not in r.output and ":***@" in err


# --- recording and reading -------------------------------------------------------------


def test_record_and_read_back_everything(pg_db):
    nb = json.dumps({"cells": [{"source": "# 한국어 노트북"}]}, ensure_ascii=False).encode()
    created = dt.datetime(2021, 11, 20, 21, 15, 3, 250000, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    with Gradebook(pg_db) as gb:
        aid = gb.record(
            _result(
                KOREAN_MEMBER,
                timings={"kernel": 1.0},
                protections=["bwrap"],
                graded_at=created.isoformat(),
                path="제출/04_forecast7.ipynb",
                message="셀 3에서 오류",
            ),
            nb,
        )
        rows = gb.attempts()
        assert [r.attempt_id for r in rows] == [aid] and gb.count() == 1
        a = rows[0]
        assert a.member == KOREAN_MEMBER and a.exercise == "h.ex1" and a.status == "graded"
        assert a.graded_at == created and a.graded_at.tzinfo == dt.UTC
        assert (a.score, a.max_score, a.code_score, a.code_max) == (1.0, 3.0, 1.0, 2.0)
        assert a.seed == 2**40 + 7 and a.duration_s == 1.5
        assert a.path == "제출/04_forecast7.ipynb" and a.message == "셀 3에서 오류"
        assert (a.timings, a.protections) == ({"kernel": 1.0}, ["bwrap"])
        assert a.notebook_sha256 == hashlib.sha256(nb).hexdigest()
        assert gb.notebook(a.notebook_sha256) == nb
        checks = {c.id: c for c in a.checks}
        assert [c.id for c in a.checks] == ["c0", "c1", "h.ex1"]  # in the order they were graded
        assert checks["c0"].passed is True and checks["c1"].passed is False
        assert checks["c0"].details == {"case": 0, "값": [1, 2]} and checks["h.ex1"].title == "퀴즈"
        assert checks["c1"].message == "검사 1"
        assert a.answers == {"h.ex1": KOREAN_ANSWER}
        assert gb.attempts(member="nobody") == []
        assert [r.attempt_id for r in gb.attempts(member=KOREAN_MEMBER, exercise="h.ex1", since=created)] == [aid]
        assert gb.attempts(since=created + dt.timedelta(seconds=1)) == []
        assert [r.attempt_id for r in gb.attempts(until=created)] == [aid]
        assert gb.attempts(until=created - dt.timedelta(seconds=1)) == []


def test_same_notebook_is_stored_once_and_no_notebook_is_fine(pg_db):
    with Gradebook(pg_db) as gb:
        a1 = gb.record(_result("a"), b"{}")
        a2 = gb.record(_result("b"), b"{}")
        a3 = gb.record(_result("c"), None)
        rows = {r.attempt_id: r for r in gb.attempts()}
        assert rows[a1].notebook_sha256 == rows[a2].notebook_sha256 and rows[a3].notebook_sha256 is None
        with gb.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM notebooks").scalar_one() == 1


def test_best_is_highest_then_earliest(pg_db):
    t0 = dt.datetime(2021, 11, 1, tzinfo=dt.UTC)
    with Gradebook(pg_db) as gb:
        gb.record(_result("a", score=1, graded_at=t0), None)
        first_top = gb.record(_result("a", score=2, graded_at=t0 + dt.timedelta(hours=1)), None)
        gb.record(_result("a", score=2, graded_at=t0 + dt.timedelta(hours=2)), None)
        other = gb.record(_result("a", exercise="h.ex2", score=0, graded_at=t0), None)
        b = gb.record(_result("b", score=3, graded_at=t0), None)
        best = gb.best()
    assert {k: v.attempt_id for k, v in best.items()} == {
        ("a", "h.ex1"): first_top,
        ("a", "h.ex2"): other,
        ("b", "h.ex1"): b,
    }


def test_times_come_back_in_utc_whatever_the_server_zone(pg_db):
    with _admin(pg_db) as conn:
        conn.execute(f"ALTER DATABASE \"{pg_db.rsplit('/', 1)[1]}\" SET timezone TO 'Asia/Seoul'")
    when = dt.datetime(2021, 11, 27, 13, 0, tzinfo=dt.UTC)
    with Gradebook(pg_db) as gb:
        gb.record(_result(graded_at=when), None)
        [a] = gb.attempts()
        [s] = gb.summaries()
    assert a.graded_at == when and a.graded_at.utcoffset() == dt.timedelta(0)
    assert s.last_graded_at == when and s.last_graded_at.utcoffset() == dt.timedelta(0)


def test_nul_in_an_answer_does_not_lose_the_attempt(pg_db):
    """PostgreSQL text cannot hold NUL (SQLite can): a hostile answer cell still records."""
    with Gradebook(pg_db) as gb:
        gb.record(_result("evil\x00", answers={"h.ex1": "a\x00b"}), b"{}")
        [a] = gb.attempts()
        assert a.answers == {"h.ex1": "a\ufffdb"} and a.member == "evil\ufffd"


# --- schema ----------------------------------------------------------------------------


def test_schema_is_created_once_and_reopened(pg_db):
    assert _tables(pg_db) == []
    with Gradebook(pg_db) as gb:
        aid = gb.record(_result(), b"{}")
    assert _tables(pg_db) == [
        "answers",
        "attempts",
        "checks",
        "grade_alembic_version",
        "grade_meta",
        "notebooks",
        "reviewed",
        "reviews",
    ]
    for _ in range(2):
        with Gradebook(pg_db) as gb:
            assert [a.attempt_id for a in gb.attempts()] == [aid]
    with psycopg.connect(pg_db) as conn:
        assert conn.execute("SELECT key, value FROM grade_meta").fetchall() == [("schema_version", str(SCHEMA_VERSION))]


def test_many_graders_opening_an_empty_database_at_once(pg_db):
    """Schema creation is serialised (advisory lock): no 'relation already exists'."""
    code = "import sys; from grader.results.gradebook import Gradebook\nGradebook(sys.argv[1]).close()\n"
    procs = [subprocess.Popen([sys.executable, "-c", code, pg_db], stderr=subprocess.PIPE) for _ in range(8)]
    errs = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), errs
    with psycopg.connect(pg_db) as conn:
        assert conn.execute("SELECT count(*) FROM grade_meta").fetchone()[0] == 1


def _untouched(url: str) -> tuple:
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
        ).fetchall()
        meta = (
            conn.execute("SELECT key, value FROM grade_meta ORDER BY 1").fetchall() if ("grade_meta",) in tables else []
        )
    return tables, meta


def test_newer_schema_is_refused_and_left_untouched(pg_db, runner, tiny_course):
    with psycopg.connect(pg_db) as conn:
        conn.execute("CREATE TABLE grade_meta (key VARCHAR(64) PRIMARY KEY, value VARCHAR(256) NOT NULL)")
        conn.execute("INSERT INTO grade_meta VALUES ('schema_version', %s)", (str(SCHEMA_VERSION + 1),))
        conn.execute("CREATE TABLE attempts (id INTEGER PRIMARY KEY, future_column TEXT)")
    before = _untouched(pg_db)
    with pytest.raises(GradebookError, match="newer than this grader"):
        Gradebook(pg_db)
    r = runner.invoke(cli, ["status", "--course", str(tiny_course), "--gradebook", pg_db, "--lang", "en"])
    assert r.exit_code == 1 and "newer than this grader" in r.stderr and r.stderr.count("\n") == 1
    assert _untouched(pg_db) == before


def test_foreign_database_is_refused_and_left_untouched(pg_db, runner, tiny_course):
    with psycopg.connect(pg_db) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    before = _untouched(pg_db)
    r = runner.invoke(cli, ["status", "--course", str(tiny_course), "--gradebook", pg_db, "--lang", "en"])
    assert r.exit_code == 1 and "does not own (invoices)" in r.stderr and r.stderr.count("\n") == 1
    r = runner.invoke(cli, ["status", "--course", str(tiny_course), "--gradebook", pg_db, "--lang", "ko"])
    assert r.exit_code == 1 and "이 채점기의 것이 아닌 테이블(invoices)" in r.stderr and r.stderr.count("\n") == 1
    assert _untouched(pg_db) == before


# --- concurrency -----------------------------------------------------------------------


def test_concurrent_record_calls_in_many_processes(pg_db):
    """8 processes x 25 attempts, half of them the same notebook bytes (ON CONFLICT race)."""
    Gradebook(pg_db).close()
    code = (
        "import sys, json; from grader.results.gradebook import Gradebook\n"
        "from grader.results.attempt import Attempt\n"
        "r = json.loads(sys.argv[2])\n"
        "gb = Gradebook(sys.argv[1])\n"
        "[gb.record(Attempt.from_dict(dict(r, member=f'p{sys.argv[3]}-{i}')),"
        " (b'shared-%d' % (i % 5)) if i % 2 else f'nb{sys.argv[3]}-{i}'.encode()) for i in range(25)]\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, pg_db, json.dumps(_wire()), str(i)], stderr=subprocess.PIPE)
        for i in range(8)
    ]
    errs = [p.communicate(timeout=180)[1].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), errs
    with Gradebook(pg_db) as gb:
        assert gb.count() == 200
        rows = gb.attempts()
        assert len({r.member for r in rows}) == 200
        assert all(len(r.checks) == 3 for r in rows)
        assert all(len(r.answers) == 1 for r in rows)
        with gb.engine.connect() as conn:
            # 5 shared notebooks + 8 x 13 own ones (even i)
            assert conn.exec_driver_sql("SELECT count(*) FROM notebooks").scalar_one() == 5 + 8 * 13


def test_concurrent_threads_share_one_gradebook(pg_db):
    with Gradebook(pg_db) as gb:
        with ThreadPoolExecutor(max_workers=8) as pool:
            ids = list(pool.map(lambda i: gb.record(_result(f"t{i}"), b"same notebook"), range(40)))
        assert len(set(ids)) == 40 and gb.count() == 40


def test_failed_attempt_leaves_nothing(pg_db):
    """A constraint error half-way (two checks with the same id) rolls the whole attempt back."""
    with Gradebook(pg_db) as gb:
        first = gb.record(_result("a"), b"{}")
        bad = _result("b")
        bad.checks.append(bad.checks[0])
        with pytest.raises(GradebookError) as info:
            gb.record(bad, b'{"new": 1}')
        assert "nothing was written" in str(info.value) and "\n" not in str(info.value)
        assert [a.attempt_id for a in gb.attempts()] == [first]
        with gb.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM notebooks").scalar_one() == 1
            assert conn.exec_driver_sql("SELECT count(*) FROM checks").scalar_one() == 3


# --- through the CLI and the report ----------------------------------------------------


def test_status_reads_a_postgres_gradebook(pg_db, runner, tiny_course, monkeypatch):
    with Gradebook(pg_db) as gb:
        gb.record(_result(KOREAN_MEMBER, exercise="t.ex1", score=2), b"{}")
        gb.record(_result(KOREAN_MEMBER, exercise="t.ex1", score=3), b'{"second": 1}')  # graded once each
        gb.record(_result("jiho", exercise="t.ex1", score=1), None)
    r = runner.invoke(cli, ["status", "--course", str(tiny_course), "--gradebook", pg_db, "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert KOREAN_MEMBER in r.stdout and "3/3" in r.stdout and "jiho" in r.stdout and "1/3" in r.stdout
    monkeypatch.setenv("GRADE_GRADEBOOK", pg_db.replace("postgresql://", "postgres://"))
    r = runner.invoke(cli, ["status", "--course", str(tiny_course), "--member", "jiho", "--lang", "en"])
    assert r.exit_code == 0 and "jiho" in r.stdout and KOREAN_MEMBER not in r.stdout


def test_status_on_an_empty_postgres_gradebook(pg_db, runner, tiny_course):
    r = runner.invoke(cli, ["status", "--course", str(tiny_course), "--gradebook", pg_db, "--lang", "en"])
    assert r.exit_code == 0 and "no attempts yet" in r.stdout


@pytest.mark.kernel
def test_submit_records_into_postgres(pg_db, runner, tiny_course):
    """A real `grade submit` (tiny course, real kernel) written to the server."""
    r = runner.invoke(
        cli,
        [
            "submit",
            str(tiny_course / "solutions" / "01_tiny.ipynb"),
            "--json",
            "--course",
            str(tiny_course),
            "--gradebook",
            pg_db,
            "--member",
            "지민",
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["status"] == "graded" and doc["score"] == 5
    with Gradebook(pg_db) as gb:
        [a] = gb.attempts()
        assert a.attempt_id == doc["attempt_id"] and a.member == "지민" and a.seed == doc["seed"] and a.score == 5
        assert a.to_dict() == doc  # what was printed is what was stored
        assert gb.notebook(a.notebook_sha256).startswith(b"{")


def test_report_reads_the_same_attempts_as_from_sqlite(pg_db, tmp_path):
    """The report's view of a gradebook does not depend on where it lives."""
    from site_fixtures import fill_gradebook

    from grader.report.model import load_attempts

    sqlite_book = tmp_path / "gb.db"
    fill_gradebook(sqlite_book)
    fill_gradebook(pg_db)  # type: ignore[arg-type]  # a URL is a location too
    assert load_attempts(pg_db) == load_attempts(str(sqlite_book))
    assert len(load_attempts(pg_db)) == 9


def test_too_long_member_is_refused_in_one_line(pg_db):
    """PostgreSQL enforces VARCHAR(200) where SQLite does not: refused whole, never truncated."""
    with Gradebook(pg_db) as gb:
        with pytest.raises(GradebookError) as info:
            gb.record(_result("가" * 201), b"{}")
        assert "nothing was written" in str(info.value) and "\n" not in str(info.value)
        assert gb.count() == 0
        with gb.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM notebooks").scalar_one() == 0
