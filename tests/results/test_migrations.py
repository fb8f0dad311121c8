"""Gradebook migrations: a gradebook written by the grader of commit 0825e77 (schema v1,
before Alembic) opens with today's grader and is upgraded in place, on SQLite and on the
real PostgreSQL server; a fresh database gets exactly the tables the queries use; newer
or inconsistent gradebooks are refused in one line and left as they were."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa

from grader.errors import GradebookError
from grader.results import migrate
from grader.results.attempt import Attempt, CheckResult
from grader.results.gradebook import Gradebook
from grader.results.schema import HEAD_REVISION, SCHEMA_VERSION, VERSION_TABLE, metadata

DATA = Path(__file__).parent / "data"
T0 = dt.datetime(2021, 11, 20, 11, 0, tzinfo=dt.UTC)


@functools.cache
def old_grader() -> ModuleType:
    """The gradebook module of commit 0825e77, loaded under a name of its own."""
    spec = importlib.util.spec_from_file_location("gradebook_v1", DATA / "gradebook_v1.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "gb.db")
    return request.getfixturevalue("pg_db")


def _v1_result(member: str, exercise: str, hours: int, points: list[float], **extra: object) -> dict:
    """What `Result.to_dict()` gave at 0825e77: no evidence, no submitted_at."""
    checks = [
        {
            "id": f"c{i}",
            "kind": "function_matches",
            "title": f"검사 {i}",
            "passed": p == 1.0,
            "points": p,
            "max_points": 1.0,
            "message": "" if p == 1.0 else f"틀림 {i}",
            "details": {"i": i},
        }
        for i, p in enumerate(points)
    ]
    checks.append(
        {
            "id": f"quiz:{exercise}",
            "kind": "quiz",
            "title": "퀴즈",
            "passed": False,
            "points": 0.5,
            "max_points": 2.0,
            "message": "BPTT를 언급하세요",
            "details": {"missing": ["BPTT"]},
        }
    )
    return {
        "exercise": exercise,
        "member": member,
        "status": "graded",
        "score": sum(points) + 0.5,
        "max_score": len(points) + 2.0,
        "checks": checks,
        "duration_s": 3.25,
        "path": f"submissions/{member}/04_forecast7.ipynb",
        "seed": 1234 + hours,
        "message": "",
        "grader_version": "0.1.0",
        "answers": {exercise: "가중치를 공유합니다"},
        "timings": {"kernel_start": 0.8},
        "protections": ["bwrap", "cgroup"],
        "created_at": (T0 + dt.timedelta(hours=hours)).isoformat(),
        **extra,
    }


def _write_v1(location: str) -> tuple[ModuleType, dict[int, bytes]]:
    old = old_grader()
    notebooks: dict[int, bytes] = {}
    with old.Gradebook(location) as book:
        for member, exercise, hours, points, nb in (
            ("지민", "ch15.ex1", 0, [1.0, 0.0], b'{"cells": ["first"]}'),
            ("지민", "ch15.ex1", 2, [1.0, 1.0], b'{"cells": ["second"]}'),
            ("sora", "ch15.ex1", 1, [1.0, 1.0], b'{"cells": ["second"]}'),  # the same notebook bytes
            ("sora", "ch15.ex2", 3, [0.0, 0.0, 0.0], b'{"cells": ["third"]}'),
        ):
            aid = book.record(_v1_result(member, exercise, hours, points), nb)
            notebooks[aid] = nb
        timeout = _v1_result("jiho", "ch15.ex4", 4, [])
        timeout.update(status="timeout", checks=[], score=0.0, max_score=0.0, message="셀 3이 120초를 넘었습니다")
        notebooks[book.record(timeout, b"{}")] = b"{}"
    return old, notebooks


def _columns(location: str, table: str) -> set[str]:
    engine = sa.create_engine(_sa_url(location))
    try:
        return {c["name"] for c in sa.inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def _indexes(location: str, table: str) -> set[str]:
    engine = sa.create_engine(_sa_url(location))
    try:
        return {i["name"] for i in sa.inspect(engine).get_indexes(table)}
    finally:
        engine.dispose()


def _sa_url(location: str) -> str:
    return location.replace("postgresql://", "postgresql+psycopg://") if "://" in location else f"sqlite:///{location}"


def _scalar(location: str, sql: str) -> object:
    engine = sa.create_engine(_sa_url(location))
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(sql).scalar()
    finally:
        engine.dispose()


def _execute(location: str, sql: str) -> None:
    engine = sa.create_engine(_sa_url(location))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


# --- upgrading a gradebook made by today's main ------------------------------------------


def test_a_v1_gradebook_is_upgraded_in_place_without_loss(location):
    old, notebooks = _write_v1(location)
    with old.Gradebook(location) as book:
        rows = book.attempts()
        ids = [r.id for r in rows]
        old_checks, old_answers = book.checks_of(ids), book.answers_of(ids)
    assert "evidence" not in _columns(location, "checks")

    with Gradebook(location) as book:
        found = {a.attempt_id: a for a in book.attempts()}
        assert sorted(found) == sorted(ids)
        for r in rows:
            a = found[r.id]
            assert (a.member, a.exercise, a.status, a.score, a.max_score, a.code_score, a.code_max) == (
                r.member,
                r.exercise,
                r.status,
                r.score,
                r.max_score,
                r.code_score,
                r.code_max,
            )
            assert (a.seed, a.duration_s, a.grader_version, a.path, a.message) == (
                r.seed,
                r.duration_s,
                r.grader_version,
                r.path,
                r.message,
            )
            assert a.graded_at == r.created_at and a.submitted_at is None
            assert {"timings": a.timings, "protections": a.protections} == r.extra
            assert a.notebook_sha256 == r.notebook_sha256 == hashlib.sha256(notebooks[r.id]).hexdigest()
            assert book.notebook(a.notebook_sha256) == notebooks[r.id]
            assert a.answers == old_answers[r.id]
            # Rows from v1 have no recorded order: they come back by check id, with no evidence.
            assert [c.id for c in a.checks] == sorted(c["check_id"] for c in old_checks[r.id])
            assert [c.to_dict() for c in a.checks] == [
                {
                    "id": c["check_id"],
                    "kind": c["kind"],
                    "passed": c["passed"],
                    "points": c["points"],
                    "max_points": c["max_points"],
                    "message": c["message"],
                    "title": c["title"],
                    "details": c["details"],
                    "evidence": None,
                    "hint_level": None,
                    "reviewed": False,
                }
                for c in sorted(old_checks[r.id], key=lambda c: c["check_id"])
            ]
        # The database's figures work on the old rows.
        best = book.best()
        assert best[("지민", "ch15.ex1")].score == 2.5 and best[("sora", "ch15.ex1")].score == 2.5
        assert {(s.member, s.exercise): s.attempts for s in book.summaries()} == {
            ("jiho", "ch15.ex4"): 1,
            ("sora", "ch15.ex1"): 1,
            ("sora", "ch15.ex2"): 1,
            ("지민", "ch15.ex1"): 2,
        }
        # New attempts carry what v2 adds.
        new = Attempt(
            "ch15.ex1",
            "지민",
            "graded",
            [
                CheckResult("c1", "function_matches", True, 1, 1, "", evidence="hidden-target"),
                CheckResult("c0", "layer_config", True, 1, 1, "", evidence="clean"),
            ],
            2.0,
            graded_at=T0 + dt.timedelta(days=1),
            submitted_at=T0 + dt.timedelta(hours=20),
        )
        aid = book.record(new, b'{"cells": ["fourth"]}')
        [back] = book.attempts(since=T0 + dt.timedelta(hours=20))  # windows go by the hand-in time
        assert back.attempt_id == aid and back.submitted_at == new.submitted_at
        assert [(c.id, c.evidence) for c in back.checks] == [("c1", "hidden-target"), ("c0", "clean")]

    assert {"evidence", "position"} <= _columns(location, "checks")
    assert "submitted_at" in _columns(location, "attempts")
    assert {"ix_attempts_member_exercise_best", "ux_attempts_once"} <= _indexes(location, "attempts")
    assert {"regrade", "member_source", "member_note"} <= _columns(location, "attempts")
    assert _scalar(location, "SELECT value FROM grade_meta WHERE key = 'schema_version'") == str(SCHEMA_VERSION)
    assert _scalar(location, f"SELECT version_num FROM {VERSION_TABLE}") == HEAD_REVISION
    # The grader of 0825e77 now refuses the gradebook instead of misreading it.
    with pytest.raises(GradebookError, match="newer than this grader"):
        old.Gradebook(location)


def test_many_graders_upgrading_one_v1_gradebook_at_once(location):
    _write_v1(location)
    code = (
        "import sys; from grader.results.gradebook import Gradebook\n"
        "with Gradebook(sys.argv[1]) as b: print(b.count())\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, location], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    assert [out.strip() for out, _ in outs] == ["5"] * 6
    assert _scalar(location, f"SELECT count(*) FROM {VERSION_TABLE}") == 1
    assert _scalar(location, f"SELECT version_num FROM {VERSION_TABLE}") == HEAD_REVISION


# --- the schema the migrations build ---------------------------------------------------------


def test_migrating_an_empty_database_gives_the_tables_the_queries_use(location):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    Gradebook(location).close()
    engine = sa.create_engine(_sa_url(location))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_the_upgraded_v1_schema_is_the_fresh_schema(tmp_path):
    _write_v1(str(tmp_path / "old.db"))
    Gradebook(str(tmp_path / "old.db")).close()
    Gradebook(str(tmp_path / "fresh.db")).close()

    def shape(path: Path) -> dict[str, object]:
        engine = sa.create_engine(f"sqlite:///{path}")
        try:
            insp = sa.inspect(engine)
            return {
                t: (
                    [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(t)],
                    sorted((i["name"], tuple(i["column_names"])) for i in insp.get_indexes(t)),
                    insp.get_pk_constraint(t)["constrained_columns"],
                )
                for t in sorted(insp.get_table_names())
            }
        finally:
            engine.dispose()

    assert shape(tmp_path / "old.db") == shape(tmp_path / "fresh.db")


def test_downgrade_to_v1_and_up_again_keeps_every_row(location):
    from alembic import command

    with Gradebook(location) as book:
        book.record(
            Attempt(
                "e",
                "m",
                "graded",
                [CheckResult("c", "quiz", True, 1, 1, "", evidence="self-reported")],
                1.0,
                graded_at=T0,
                submitted_at=T0,
            ),
            b"{}",
        )
        engine = book.engine
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0001")
    assert "evidence" not in _columns(location, "checks") and "submitted_at" not in _columns(location, "attempts")
    assert _scalar(location, "SELECT value FROM grade_meta WHERE key = 'schema_version'") == "1"
    with old_grader().Gradebook(location) as v1:  # a v1 gradebook again, as the old grader sees it
        [row] = v1.attempts()
        assert row.member == "m" and len(v1.checks_of([row.id])[row.id]) == 1
    with Gradebook(location) as book:
        [a] = book.attempts()
        assert a.submitted_at is None and a.checks[0].evidence is None and a.checks[0].id == "c"


# --- refusals --------------------------------------------------------------------------------


def test_an_unknown_revision_is_refused_as_newer_and_left_alone(location):
    with Gradebook(location) as book:
        book.record(Attempt("e", "m", "graded", [], 1.0), None)
    newer = f"{SCHEMA_VERSION + 1:04d}"
    _execute(location, f"UPDATE {VERSION_TABLE} SET version_num = '{newer}'")
    with pytest.raises(GradebookError) as info:
        Gradebook(location)
    msg = str(info.value)
    assert "newer than this grader" in msg and f"v{SCHEMA_VERSION + 1}" in msg and "\n" not in msg
    assert _scalar(location, f"SELECT version_num FROM {VERSION_TABLE}") == newer
    assert _scalar(location, "SELECT count(*) FROM attempts") == 1


def test_a_v2_gradebook_without_its_revision_table_is_refused(location):
    Gradebook(location).close()
    _execute(location, f"DROP TABLE {VERSION_TABLE}")
    with pytest.raises(GradebookError, match="has no revision table"):
        Gradebook(location)


def test_a_gradebook_without_a_version_is_refused(tmp_path):
    path = tmp_path / "gb.db"
    _write_v1(str(path))
    _execute(str(path), "UPDATE grade_meta SET value = 'x' WHERE key = 'schema_version'")
    with pytest.raises(GradebookError, match=f"schema v0 predates v{SCHEMA_VERSION} and has no migration"):
        Gradebook(str(path))


def test_an_up_to_date_gradebook_opens_without_loading_alembic(tmp_path):
    path = tmp_path / "gb.db"
    code = (
        "import sys; from grader.results.gradebook import Gradebook\n"
        "Gradebook(sys.argv[1]).close(); print(json.dumps('alembic' in sys.modules))\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", "import json\n" + code, str(path)], capture_output=True, text=True, check=True
        )
        for _ in range(2)
    ]
    assert [json.loads(r.stdout) for r in runs] == [True, False]  # created with it; reopened without
