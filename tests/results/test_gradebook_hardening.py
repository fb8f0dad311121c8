"""The gradebook under stress: concurrent writers, files it must not touch, a full disk.

Every attempt is recorded or none of it is; a gradebook this grader cannot use is
reported in one line (exit 1) and left byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from grader.cli.app import cli
from grader.errors import GradebookError
from grader.results.attempt import Attempt
from grader.results.gradebook import SCHEMA_VERSION, Gradebook

sys.path.insert(0, str(Path(__file__).parent.parent / "data" / "hostile"))
import cases as H


@pytest.fixture
def paths(tmp_path):
    p = H.make_course(tmp_path)
    nb = p["subs"] / H.NB_NAME
    nb.write_text(nbformat.writes(H.notebook([H.HONEST])), encoding="utf-8")
    p["nb"] = nb
    return p


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wire(member: str = "m", n_checks: int = 2) -> dict:
    return {
        "exercise": "h.ex1",
        "member": member,
        "status": "graded",
        "score": 1.0,
        "max_score": 2.0,
        "checks": [
            {
                "id": f"c{i}",
                "kind": "function_matches",
                "passed": True,
                "points": 0.5,
                "max_points": 1.0,
                "message": "ok",
            }
            for i in range(n_checks)
        ],
        "duration_s": 1.0,
        "answers": {"h.ex1": "답"},
    }


def _result(member: str = "m", n_checks: int = 2) -> Attempt:
    return Attempt.from_dict(_wire(member, n_checks))


# --- concurrency ---------------------------------------------------------------


@pytest.mark.kernel
def test_eight_concurrent_submits_of_one_notebook_record_it_once(paths, tmp_path):
    """The same notebook submitted eight times at once: one attempt, seven "already graded"
    (grade once, the gradebook's unique index); with --regrade, eight numbered regrades."""
    book = tmp_path / "shared.db"

    def one(i: int, *extra: str):
        if not extra:
            return H.submit(paths["nb"], paths, tmp_path / f"m{i}", gradebook=book, timeout=120)
        env = dict(os.environ, TMPDIR=str(tmp_path / f"r{i}"), GRADE_SANDBOX_QUIET="1")
        env.pop("GRADE_GRADEBOOK", None)
        (tmp_path / f"r{i}").mkdir()
        proc = subprocess.run(
            H.GRADE
            + [
                "submit",
                str(paths["nb"]),
                "--json",
                "--lang",
                "en",
                "--member",
                "tester",
                "--course",
                str(paths["course"]),
                "--gradebook",
                str(book),
                *extra,
            ],
            cwd=paths["course"],
            env=env,
            capture_output=True,
            timeout=120,
        )
        return proc.returncode, json.loads(proc.stdout or b"null"), proc.stderr.decode(), 0.0

    with ThreadPoolExecutor(max_workers=8) as pool:
        outs = list(pool.map(one, range(8)))
    for code, doc, err, _ in outs:
        assert code == 0 and doc and doc["status"] == "graded", err[-1000:]
    assert sorted(doc.get("skipped", False) for _, doc, _, _ in outs) == [False] + [True] * 7
    assert len({doc["attempt_id"] for _, doc, _, _ in outs}) == 1  # everyone names the one attempt
    with Gradebook(str(book)) as gb:
        assert gb.count() == 1
        assert all(len(a.checks) == 3 for a in gb.attempts())

    with ThreadPoolExecutor(max_workers=8) as pool:
        outs = list(pool.map(lambda i: one(i, "--regrade"), range(8)))
    for code, doc, err, _ in outs:
        assert code == 0 and doc and doc["status"] == "graded" and not doc.get("skipped"), err[-1000:]
    ids = [doc["attempt_id"] for _, doc, _, _ in outs]
    assert len(set(ids)) == 8 and None not in ids
    with Gradebook(str(book)) as gb:
        assert gb.count() == 9
        assert sorted(a.regrade for a in gb.attempts()) == list(range(9))
        assert all(len(a.checks) == 3 for a in gb.attempts())


def test_concurrent_record_calls_in_many_processes(tmp_path):
    """Many processes writing at once (no kernels): all rows, no 'database is locked'."""
    book = tmp_path / "gb.db"
    Gradebook(str(book)).close()
    code = (
        "import sys, json; from grader.results.gradebook import Gradebook\n"
        "from grader.results.attempt import Attempt\n"
        "r = json.loads(sys.argv[2])\n"
        "gb = Gradebook(sys.argv[1])\n"
        "[gb.record(Attempt.from_dict(dict(r, member=f'p{sys.argv[3]}-{i}')), f'nb{sys.argv[3]}-{i}'.encode())"
        " for i in range(25)]\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(book), json.dumps(_wire()), str(i)]) for i in range(8)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    with Gradebook(str(book)) as gb:
        assert gb.count() == 200


# --- files the grader must not touch --------------------------------------------


def _submit_cli(runner, paths, book: Path, lang: str = "en"):
    return runner.invoke(
        cli,
        ["submit", str(paths["nb"]), "--json", "--course", str(paths["course"]), "--gradebook", str(book)]
        + ["--lang", lang],
    )


@pytest.mark.parametrize(
    "content",
    [b"this is not a database\n" * 10, os.urandom(4096), b"SQLite format 3\x00" + b"\xff" * 4080],
    ids=["text", "random", "bad_pages"],
)
def test_corrupt_gradebook_is_reported_and_left_untouched(content, runner, paths, tmp_path):
    book = tmp_path / "gb.db"
    book.write_bytes(content)
    before = _sha(book)
    r = _submit_cli(runner, paths, book)
    assert r.exit_code == 1
    err = r.stderr.strip()
    assert err.startswith("grade: error:") and "\n" not in err and "left untouched" in err, err
    assert _sha(book) == before
    assert not Path(str(book) + "-wal").exists() or Path(str(book) + "-wal").stat().st_size == 0


def _rollback_mode_book(path: Path, version: int) -> None:
    """A gradebook written by something else (no WAL): our pragmas would change its header."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE grade_meta (key VARCHAR(64) PRIMARY KEY, value VARCHAR(256) NOT NULL)")
    con.execute("INSERT INTO grade_meta VALUES ('schema_version', ?)", (str(version),))
    con.execute("CREATE TABLE attempts (id INTEGER PRIMARY KEY, future_column TEXT)")
    con.commit()
    con.close()


def test_newer_schema_is_refused_byte_for_byte(runner, paths, tmp_path):
    book = tmp_path / "gb.db"
    _rollback_mode_book(book, SCHEMA_VERSION + 1)
    before = _sha(book)
    r = _submit_cli(runner, paths, book)
    assert r.exit_code == 1 and "newer than this grader" in r.stderr and r.stderr.count("\n") == 1
    assert _sha(book) == before
    with pytest.raises(GradebookError, match="newer"):
        Gradebook(str(book))
    assert _sha(book) == before


def test_foreign_database_is_refused(runner, paths, tmp_path):
    book = tmp_path / "other.db"
    con = sqlite3.connect(book)
    con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    con.commit()
    con.close()
    before = _sha(book)
    r = _submit_cli(runner, paths, book)
    assert r.exit_code == 1 and "does not own" in r.stderr
    r = _submit_cli(runner, paths, book, lang="ko")
    assert r.exit_code == 1 and "이 채점기의 것이 아닌 테이블(invoices)이 있는" in r.stderr
    assert _sha(book) == before


def test_gradebook_that_is_a_folder(runner, paths, tmp_path):
    r = _submit_cli(runner, paths, tmp_path)
    assert r.exit_code == 1 and "is a folder" in r.stderr
    r = _submit_cli(runner, paths, tmp_path, lang="ko")
    assert r.exit_code == 1 and r.stderr == f"grade: error: {tmp_path}: 성적부 파일이 아니라 폴더입니다\n"


# --- disk full ----------------------------------------------------------------------


def test_disk_full_by_fault_injection_leaves_no_partial_row(tmp_path):
    """SQLite fails half-way through an attempt (after the notebook and attempt rows):
    the transaction rolls back, the error is one line, earlier attempts are intact."""
    import sqlalchemy as sa

    book = tmp_path / "gb.db"
    gb = Gradebook(str(book))
    first = gb.record(_result("a"), b"{}")
    gb.engine.dispose()

    @sa.event.listens_for(gb.engine, "connect")
    def _fail_on_checks(dbapi_conn, _rec):  # a per-connection trigger: the file is not changed
        dbapi_conn.execute(
            "CREATE TEMP TRIGGER disk_full BEFORE INSERT ON main.checks "
            "BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END"
        )

    with pytest.raises(GradebookError) as info:
        gb.record(_result("b"), b'{"second": 1}')
    msg = str(info.value)
    assert "nothing was written" in msg and "disk" in msg and "\n" not in msg
    gb.close()
    with Gradebook(str(book)) as fresh:
        [kept] = fresh.attempts()
        assert kept.attempt_id == first and len(kept.checks) == 2 and kept.answers == {"h.ex1": "답"}
        with fresh.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM notebooks").scalar_one() == 1


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MB tmpfs (root only); skipped where mounting is not allowed."""
    mnt = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.kernel
def test_disk_full_for_real_notebook_copy(runner, paths, tiny_disk):
    """The stored notebook copy does not fit: one line, exit 1, no row; the book still works."""
    book = tiny_disk / "gb.db"
    r = _submit_cli(runner, paths, book)
    assert r.exit_code == 0, r.output
    before = H.gradebook_rows(book)
    big = H.notebook([H.HONEST])
    big.cells.append(nbformat.v4.new_markdown_cell(os.urandom(800_000).hex()))  # 1.6 MB, incompressible
    big_path = paths["subs"] / "big" / H.NB_NAME
    big_path.parent.mkdir()
    big_path.write_text(nbformat.writes(big), encoding="utf-8")
    r = runner.invoke(
        cli,
        ["submit", str(big_path), "--json", "--course", str(paths["course"]), "--gradebook", str(book), "--lang", "en"],
    )
    assert r.exit_code == 1, r.output
    # Warnings and progress may come first (no member named: the OS user); the error is one line.
    err = r.stderr.strip().splitlines()[-1]
    assert sum(line.startswith("grade: error:") for line in r.stderr.splitlines()) == 1
    assert err.startswith("grade: error:") and "full" in err, err
    assert "nothing was written" in err
    assert H.gradebook_rows(book) == before
    con = sqlite3.connect(book)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    # The small one still fits (graded again: it was recorded before, so --regrade).
    r = runner.invoke(
        cli,
        ["submit", str(paths["nb"]), "--json", "--regrade", "--course", str(paths["course"]), "--gradebook", str(book)],
    )
    assert r.exit_code == 0 and H.gradebook_rows(book) == before + 1
