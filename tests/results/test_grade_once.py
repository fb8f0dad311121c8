"""Grade once: a notebook is one attempt per exercise and member, plus numbered regrades; the
gradebook's unique index holds it for every writer (revision 0003), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from grader.results import migrate
from grader.results.attempt import Attempt
from grader.results.gradebook import AlreadyGraded, Gradebook
from grader.results.record import record_attempt

T0 = dt.datetime(2021, 11, 21, 14, 10, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "gb.db")
    return request.getfixturevalue("pg_db")


def _attempt(member: str = "sora", exercise: str = "ch15.ex4", score: float = 3.0) -> Attempt:
    return Attempt.from_dict(
        {
            "exercise": exercise,
            "member": member,
            "status": "graded",
            "score": score,
            "max_score": 5.0,
            "checks": [],
            "duration_s": 1.0,
            "path": "s/04.ipynb",
        }
    )


def test_the_same_notebook_twice_is_refused_unless_regraded(location):
    with Gradebook(location) as book:
        first = record_attempt(
            book,
            _attempt(),
            b"nb",
            submitted_at=T0,
            submitted_from="git",
            member_source="folder",
            member_note="folder 'sora' of sora/04.ipynb",
        )
        with pytest.raises(AlreadyGraded) as info:
            book.record(_attempt(score=5.0), b"nb")
        assert info.value.attempt.attempt_id == first and info.value.exit_code == 0
        assert "already graded" in str(info.value) and "--regrade" in str(info.value)
        # Another exercise, another member or other bytes are other attempts.
        book.record(_attempt(exercise="ch15.ex5"), b"nb")
        book.record(_attempt(member="jiho"), b"nb")
        book.record(_attempt(), b"nb, edited")
        second = _attempt(score=5.0)
        again = book.record(second, b"nb", regrade=True)
        third = book.record(_attempt(score=4.0), b"nb", regrade=True)
        assert second.regrade == 1
        found = {a.attempt_id: a for a in book.attempts()}
        assert [found[i].regrade for i in (first, again, third)] == [0, 1, 2]
        assert (found[first].submitted_at, found[first].submitted_from) == (T0, "git")
        assert (found[first].member_source, found[first].member_note) == ("folder", "folder 'sora' of sora/04.ipynb")
        assert book.graded(found[first].notebook_sha256, "ch15.ex4", "sora").attempt_id == third
        assert book.count() == 6
        # Without bytes there is nothing to key on: always recorded.
        book.record(_attempt(), None)
        book.record(_attempt(), None)
        assert book.count() == 8


def test_the_rule_is_the_databases_not_only_the_graders(location):
    with Gradebook(location) as book:
        aid = book.record(_attempt(), b"nb")
        sha = book.attempts()[0].notebook_sha256
        with book.engine.begin() as conn:
            row = conn.exec_driver_sql(f"SELECT created_at, extra FROM attempts WHERE id = {aid}").first()
        with pytest.raises(sa.exc.IntegrityError), book.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO attempts (created_at, member, exercise, status, score, max_score, code_score, "
                    "code_max, duration_s, grader_version, path, message, notebook_sha256, extra, regrade) "
                    "VALUES (:at, 'sora', 'ch15.ex4', 'graded', 1, 5, 1, 5, 1, '', '', '', :sha, :extra, 0)"
                ),
                {"at": row[0], "sha": sha, "extra": row[1]},
            )


def test_graders_racing_on_one_notebook(location):
    """Eight threads record the same notebook at once: one first grading, seven refusals; with
    --regrade all eight are kept, each with its own number."""
    with Gradebook(location) as book:

        def once(i: int) -> str:
            try:
                book.record(_attempt(score=i), b"shared")
                return "recorded"
            except AlreadyGraded:
                return "already"

        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = list(pool.map(once, range(8)))
        assert sorted(outcomes) == ["already"] * 7 + ["recorded"]
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda i: book.record(_attempt(member="jiho"), b"shared", regrade=True), range(8)))
        assert sorted(a.regrade for a in book.attempts(member="jiho")) == list(range(8))


def test_a_v2_gradebook_with_duplicates_upgrades_them_to_regrades(location):
    from alembic import command

    with Gradebook(location) as book:
        ids = [book.record(_attempt(score=s), b"nb", regrade=True) for s in (1, 2, 3)]
        book.record(_attempt(member="jiho"), b"nb")
        with book.engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0002")  # three rows, one key, no numbers
    with Gradebook(location) as book:  # opening migrates to 0003 again
        found = {a.attempt_id: a for a in book.attempts()}
        assert [found[i].regrade for i in ids] == [0, 1, 2] and found[max(found)].regrade == 0
        assert [found[i].score for i in ids] == [1.0, 2.0, 3.0]  # nothing lost
        with pytest.raises(AlreadyGraded):
            book.record(_attempt(), b"nb")
