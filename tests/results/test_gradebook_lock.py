"""Whoever holds the gradebook's write lock delays another member's write only by a short,
bounded wait (with retries), then the submit fails with a clear message and writes nothing."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from site_fixtures import at, check, record

from grader.errors import GradebookError
from grader.results import opening as gb
from grader.results.gradebook import Gradebook


@pytest.fixture
def short_waits(monkeypatch):
    monkeypatch.setattr(gb, "LOCK_TRY_S", 0.2)
    monkeypatch.setattr(gb, "LOCK_WAIT_S", 1.5)


def _hold_write_lock(path: Path, seconds: float) -> tuple[threading.Thread, threading.Event]:
    """Another program (as a hostile notebook with the file in reach would) takes the
    write lock and keeps it."""
    taken = threading.Event()

    def hold() -> None:
        con = sqlite3.connect(path, timeout=5, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO notebooks (sha256, size, content) VALUES ('held', 0, x'')")
        taken.set()
        time.sleep(seconds)
        con.execute("ROLLBACK")
        con.close()

    t = threading.Thread(target=hold, daemon=True)
    t.start()
    assert taken.wait(5)
    return t, taken


def _write(book: Gradebook, member: str) -> int:
    return record(book, "ch15.ex2", member, at(20), [check("shape", True, 2, 2)])


def test_a_held_lock_fails_the_write_quickly_and_clearly(tmp_path, short_waits):
    path = tmp_path / "gb.sqlite"
    with Gradebook(str(path)) as book:
        _write(book, "sora")
        holder, _ = _hold_write_lock(path, 8.0)
        t0 = time.monotonic()
        with pytest.raises(GradebookError) as err:
            _write(book, "jiho")
        waited = time.monotonic() - t0
        assert 1.0 <= waited < 4.0  # retried for the budget, not SQLite's old 60 s
        msg = str(err.value)
        assert "busy" in msg and "nothing was written" in msg and str(path) in msg
        assert "Traceback" not in msg and "\n" not in msg
        holder.join()
        assert [a.member for a in book.attempts()] == ["sora"]  # nothing half-written
        _write(book, "jiho")  # the lock is gone: writing works again
        assert sorted(a.member for a in book.attempts()) == ["jiho", "sora"]


def test_a_lock_released_within_the_budget_is_waited_for(tmp_path, short_waits):
    path = tmp_path / "gb.sqlite"
    with Gradebook(str(path)) as book:
        _write(book, "sora")
        holder, _ = _hold_write_lock(path, 0.7)  # longer than one SQLite wait (0.2 s): needs retries
        _write(book, "jiho")
        holder.join()
        assert sorted(a.member for a in book.attempts()) == ["jiho", "sora"]


def test_opening_a_locked_gradebook_is_bounded_too(tmp_path, short_waits):
    path = tmp_path / "gb.sqlite"
    Gradebook(str(path)).close()
    holder, _ = _hold_write_lock(path, 8.0)
    t0 = time.monotonic()
    try:
        Gradebook(str(path)).close()  # opening may need no write lock at all...
    except GradebookError as exc:
        assert "busy" in str(exc) or "locked" in str(exc)  # ...or says why it gave up
    assert time.monotonic() - t0 < 4.0
    holder.join()
