"""A batch from the submitter's side (grader/batch/run.py, `grade submit` with many files):
results in order, members with their notes, each notebook graded once, the summary."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import write_notebook

from batch.conftest import SEED, result_key, solution
from grader.batch import Found, collect, run_batch
from grader.batch.run import Batch
from grader.batch.work import KernelPlan
from grader.cli.app import cli
from grader.course.loader import load_course
from grader.results.gradebook import Gradebook

# --- through the CLI, with real kernels (tiny course) --------------------------------------------


@pytest.mark.kernel
def test_bad_notebook_in_the_middle_does_not_stop_the_batch(runner, tiny_course, submissions, tmp_path):
    book = tmp_path / "gb.db"
    r = runner.invoke(
        cli,
        [
            "submit",
            str(submissions),
            "--json",
            "--seed",
            str(SEED),
            "--lang",
            "en",
            "--course",
            str(tiny_course),
            "--gradebook",
            str(book),
        ],
    )
    assert r.exit_code == 1, r.output  # one could not be graded
    docs = json.loads(r.stdout)
    assert isinstance(docs, list)
    by_member = {d["member"]: d for d in docs}
    assert [d["member"] for d in docs] == ["alice", "bob", "캐롤", "dave", "erin"]  # sorted by path
    assert by_member["dave"]["status"] == "invalid" and "not JSON" in by_member["dave"]["message"]
    assert by_member["alice"]["score"] == by_member["erin"]["score"] == 5
    assert by_member["bob"]["status"] == "graded" and by_member["bob"]["score"] == 2
    assert by_member["캐롤"]["score"] == 5
    assert [d["member_source"] for d in docs] == ["folder", "folder", "metadata", "folder", "folder"]
    for d in docs:
        assert set(d) >= {
            "exercise",
            "member",
            "status",
            "score",
            "max_score",
            "checks",
            "duration_s",
            "member_source",
            "member_note",
            "submitted_at",
            "skipped",
        }
        assert d["skipped"] is False
    rows = Gradebook(str(book)).attempts()
    assert sorted(a.member for a in rows) == ["alice", "bob", "erin", "캐롤"]  # invalid: not recorded
    assert {d["attempt_id"] for d in docs if d["status"] != "invalid"} == {a.attempt_id for a in rows}
    assert {a.member_source for a in rows} == {"folder", "metadata"}
    # The notebook's modified time is when it was handed in, kept apart from the grading time.
    alice = next(a for a in rows if a.member == "alice")
    mtime = (submissions / "alice" / "01_tiny.ipynb").stat().st_mtime
    assert alice.submitted_from == "mtime" and abs(alice.submitted_at.timestamp() - mtime) < 1e-3
    assert alice.graded_at > alice.submitted_at
    assert "[5/5]" in r.output  # a progress line per submission on stderr (no terminal here)


@pytest.mark.kernel
def test_grading_a_folder_twice_records_each_notebook_once(runner, tiny_course, submissions, tmp_path):
    book = tmp_path / "gb.db"
    args = [
        "submit",
        str(submissions),
        "--json",
        "--lang",
        "en",
        "--course",
        str(tiny_course),
        "--gradebook",
        str(book),
    ]
    first = runner.invoke(cli, args)
    assert first.exit_code == 1
    again = runner.invoke(cli, args)
    assert again.exit_code == 1  # dave's file is still not a notebook: that is not "graded before"
    docs = json.loads(again.stdout)
    assert [d["skipped"] for d in docs] == [True, True, True, False, True]
    assert "4 of 5 notebooks were graded before" in again.stderr and "--regrade" in again.stderr
    assert [d["attempt_id"] for d in docs if d["skipped"]] == [
        d["attempt_id"] for d in json.loads(first.stdout) if d["status"] != "invalid"
    ]
    assert Gradebook(str(book)).count() == 4
    # A changed notebook is a new attempt; the unchanged ones stay skipped.
    bob = submissions / "bob" / "01_tiny.ipynb"
    bob.write_text(bob.read_text(encoding="utf-8").replace("x.mean(axis=1)", "x.sum(axis=1)"), encoding="utf-8")
    third = runner.invoke(cli, args)
    docs = json.loads(third.stdout)
    assert [d["skipped"] for d in docs] == [True, False, True, False, True] and docs[1]["score"] == 5
    assert Gradebook(str(book)).count() == 5
    # --regrade grades everything again, each recorded as the next regrade of its notebook.
    fourth = runner.invoke(cli, args + ["--regrade"])
    docs = [d for d in json.loads(fourth.stdout) if d["status"] != "invalid"]
    assert [d["skipped"] for d in docs] == [False] * 4 and [d["regrade"] for d in docs] == [1, 1, 1, 1]
    with Gradebook(str(book)) as gb:
        assert gb.count() == 9
        assert sorted((a.member, a.regrade) for a in gb.attempts()) == sorted(
            [
                ("alice", 0),
                ("alice", 1),
                ("bob", 0),
                ("bob", 0),
                ("bob", 1),
                ("캐롤", 0),
                ("캐롤", 1),
                ("erin", 0),
                ("erin", 1),
            ]
        )  # bob: the first notebook, the changed one, its regrade


@pytest.mark.kernel
def test_explicit_paths_from_a_shell_glob_get_their_folders_member(runner, tiny_course, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for member in ("sora", "jiho"):
        (tmp_path / "submissions" / member).mkdir(parents=True)
        write_notebook(tmp_path / "submissions" / member / "01_tiny.ipynb", solution(tiny_course))
    write_notebook(tmp_path / "01_tiny.ipynb", solution(tiny_course))
    r = runner.invoke(
        cli,
        [
            "submit",
            "submissions/sora/01_tiny.ipynb",
            "submissions/jiho/01_tiny.ipynb",
            "01_tiny.ipynb",
            "--json",
            "--no-record",
            "--course",
            str(tiny_course),
            "--lang",
            "en",
        ],
    )
    assert r.exit_code == 0, r.output
    docs = json.loads(r.stdout)
    assert [(d["member"], d["member_source"]) for d in docs][:2] == [("sora", "folder"), ("jiho", "folder")]
    assert docs[2]["member_source"] == "os-user"
    # Falling back to the OS user is said on stderr, for that file only.
    warned = [ln for ln in r.stderr.splitlines() if "OS user" in ln]
    assert len(warned) == 1 and " 01_tiny.ipynb:" in warned[0] and "submissions/sora" not in warned[0]


@pytest.mark.kernel
def test_batch_summary_table(runner, tiny_course, submissions):
    for m in ("alice", "bob", "carol-folder"):
        (submissions / m / "01_tiny.ipynb").unlink()
    r = runner.invoke(cli, ["submit", str(submissions), "--no-record", "--lang", "en", "--course", str(tiny_course)])
    assert r.exit_code == 1
    out = r.stdout
    assert "submissions" in out and "erin" in out and "dave" in out and "5/5" in out and "invalid" in out
    assert "2 submissions: 1 graded, 1 invalid" in out and "exit code 1" in out
    assert "handed in" in out


@pytest.mark.kernel
def test_single_file_with_workers_still_prints_one_object(runner, tiny_course):
    r = runner.invoke(
        cli,
        [
            "submit",
            str(tiny_course / "solutions" / "01_tiny.ipynb"),
            "--workers",
            "2",
            "--json",
            "--no-record",
            "--member",
            "m",
            "--course",
            str(tiny_course),
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert isinstance(doc, dict) and doc["score"] == 5 and doc["member"] == "m" and doc["member_source"] == "flag"


def test_usage_errors(runner, tiny_course):
    r = runner.invoke(
        cli,
        [
            "submit",
            str(tiny_course),
            "--workers",
            "2",
            "--scheduler",
            "tcp://127.0.0.1:1",
            "--course",
            str(tiny_course),
        ],
    )
    assert r.exit_code == 2
    r = runner.invoke(
        cli, ["submit", str(tiny_course), "--member-from", "*/*.ipynb", "--course", str(tiny_course), "--lang", "en"]
    )
    assert r.exit_code == 2 and "exactly one {member}" in r.output and "Traceback" not in r.output
    r = runner.invoke(
        cli, ["submit", str(tiny_course), "--member-from", "{member}/{x}", "--course", str(tiny_course), "--lang", "en"]
    )
    assert r.exit_code == 2 and "only placeholder" in r.output
    r = runner.invoke(
        cli, ["submit", str(tiny_course), "--member", "[/]", "--course", str(tiny_course), "--lang", "en"]
    )
    assert r.exit_code == 2 and "cannot be a member id" in r.output and "Traceback" not in r.output
    args = ["submit", str(tiny_course), "--submitted-at", "last sunday", "--course", str(tiny_course)]
    r = runner.invoke(cli, [*args, "--lang", "en"])
    assert r.exit_code == 1 and "not an ISO 8601 time" in r.output and "Traceback" not in r.output
    r = runner.invoke(cli, [*args, "--lang", "ko"])
    assert r.exit_code == 1 and "--submitted-at 'last sunday'는 ISO 8601 시각이 아닙니다" in r.output


@pytest.mark.kernel
def test_two_workers_grade_like_one_warm_or_cold(tiny_course, submissions):
    course = load_course(tiny_course)
    found, _ = collect([submissions])
    cold = run_batch(course, found, seed=SEED, lang="en", warm=False)
    warm = run_batch(course, found, seed=SEED, lang="en")
    par = run_batch(course, found, workers=2, seed=SEED, lang="en")
    assert [result_key(i.result.to_dict()) for i in par] == [result_key(i.result.to_dict()) for i in cold]
    assert [result_key(i.result.to_dict()) for i in warm] == [result_key(i.result.to_dict()) for i in cold]
    assert [i.result.status for i in cold] == ["graded", "graded", "graded", "invalid", "graded"]
    # Started ahead: every graded notebook after the first ran in a spare kernel.
    assert [("kernel_ahead_s" in i.result.timings) for i in warm if i.result.status == "graded"] == [
        False,
        True,
        True,
        True,
    ]
    assert not any("kernel_ahead_s" in i.result.timings for i in cold)


# --- the submitter's decisions, without kernels ----------------------------------------------------


def test_a_refused_record_costs_only_its_attempt(tiny_course, tmp_path, fake_grading):
    from grader.errors import GradebookError

    class FullBook:
        def __init__(self) -> None:
            self.rows: list[str] = []

        def graded_many(self, keys: object) -> dict:
            return {}

        def record(self, result, data, regrade=False):  # noqa: ANN001, ANN201
            if result.member == "b":
                raise GradebookError("could not record the attempt (database or disk is full)")
            self.rows.append(result.member)
            return len(self.rows)

    files = []
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        files.append(write_notebook(tmp_path / name / "01_tiny.ipynb", solution(tiny_course)))
    book = FullBook()
    items = run_batch(load_course(tiny_course), [Found(f, root=tmp_path) for f in files], book=book, lang="en")
    assert book.rows == ["a", "c"] and [i.problem for i in items] == [False, True, False]
    assert "not recorded: could not record" in items[1].result.message
    assert items[1].result.member_note == "folder 'b' of b/01_tiny.ipynb"  # the note in the run's language


def test_a_rerun_of_an_unchanged_folder_starts_no_worker(tiny_course, tmp_path, fake_grading, monkeypatch):
    course = load_course(tiny_course)
    for n in range(12):
        (tmp_path / "subs" / f"m{n:02d}").mkdir(parents=True)
        write_notebook(tmp_path / "subs" / f"m{n:02d}" / "01_tiny.ipynb", solution(tiny_course))
    found, _ = collect([tmp_path / "subs"])
    with Gradebook(str(tmp_path / "gb.db")) as book:
        first = run_batch(course, found, workers=2, book=book)
        assert not any(i.skipped for i in first) and book.count() == 12

        def no_pool(*args: object, **kwargs: object) -> None:
            raise AssertionError("a worker pool was started for a folder with nothing to grade")

        monkeypatch.setattr("grader.batch.run.LocalPool", no_pool)
        again = run_batch(course, found, workers=2, book=book)
        assert all(i.skipped for i in again) and book.count() == 12
        assert [i.result.attempt_id for i in again] == [i.result.attempt_id for i in first]


def test_a_free_worker_gets_the_notebook_its_spare_fits(tiny_course):
    course = load_course(tiny_course)
    batch = Batch(course, [])
    a, b = KernelPlan("t.ex1", ("numpy",)), KernelPlan("t.ex1", ("numpy", "tensorflow"))
    from grader.batch.run import BatchItem

    items = [BatchItem(i, Found(Path(f"{i}.ipynb")), plan=p) for i, p in enumerate((a, a, b, a))]
    batch._ready.extend(items)
    assert batch._take(b, depth=4) is items[2]  # the one that fits, though not first in line
    assert batch._take(b, depth=4) is items[0]  # none fits: the first in line
    assert batch._take(None, depth=4) is items[1]


@pytest.mark.kernel
def test_sigterm_stops_workers_and_kernels(tiny_course, tmp_path):
    import signal
    import subprocess
    import sys
    import tempfile
    import time

    sys.path.insert(0, str(Path(__file__).parent.parent / "data" / "hostile"))
    import cases as H

    slow = solution(tiny_course)
    slow.cells[1].source = "import time\nopen('started', 'w').close()\ntime.sleep(60)\n" + slow.cells[1].source
    for m in ("a", "b", "c", "d"):
        (tmp_path / "subs" / m).mkdir(parents=True)
        write_notebook(tmp_path / "subs" / m / "01_tiny.ipynb", slow)
    # Short and unique; every process of the batch (workers, kernels, spares) has it in its environment.
    marker = Path(tempfile.mkdtemp(prefix="gb-", dir="/var/tmp" if Path("/var/tmp").is_dir() else None))
    env = dict(os.environ, TMPDIR=str(marker), GRADE_SANDBOX_QUIET="1")
    try:
        proc = subprocess.Popen(
            H.GRADE
            + [
                "submit",
                str(tmp_path / "subs"),
                "--workers",
                "2",
                "--no-record",
                "--course",
                str(tiny_course),
                "--lang",
                "en",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        # Both workers' kernels are inside the student's cell, and each worker has a spare
        # kernel started for its next notebook: the stop must take all of them.
        while len(list(marker.glob("grade-run-*/home/started"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("the batch did not stop within 40 s of SIGTERM")
        left = H.leftovers(marker, wait=5)
        H.kill_leftovers(left)
        assert left == [], f"{len(left)} processes left behind"
        assert proc.returncode == 130 and b"interrupted" in err and b"Traceback" not in err, err.decode()[-2000:]
        assert not list(marker.glob("grade-run-*")), "a run folder was not removed"
    finally:
        shutil.rmtree(marker, ignore_errors=True)
