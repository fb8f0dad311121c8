"""Batches: collecting submissions, members, parallel workers, Dask, export.

Uses the tiny course (no TensorFlow). The pool tests spawn real worker
processes; the Dask test starts a real LocalCluster on loopback.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from conftest import write_notebook
from grader import batch
from grader.batch import BatchItem, Found, collect, compile_member_pattern, decide_member, run_batch
from grader.cli.app import cli
from grader.course.loader import load_course
from grader.errors import GradeError
from grader.results.attempt import Attempt
from grader.results.gradebook import Gradebook

SEED = 7


# --- helpers (module level: the spawned workers import them by name) -------------------------------

def fake_grade(course_root, name, data, member, seed, lang):  # noqa: ANN001, ANN201
    """Stands in for grade_one in the pool tests: instant, and fatal for 'poison' files."""
    if "poison" in name:
        os._exit(3)  # what a segfault or the OOM killer does to a worker
    if "raises" in name:
        raise RuntimeError("grader bug")
    env = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")}
    return {"exercise": "t.ex1", "member": member, "status": "graded", "score": 1.0, "max_score": 1.0,
            "checks": [], "duration_s": 0.0, "path": name, "seed": seed,
            "message": json.dumps({"env": env, "pid": os.getpid()})}


def _solution(tiny_course: Path) -> nbformat.NotebookNode:
    return nbformat.read(tiny_course / "solutions" / "01_tiny.ipynb", as_version=4)


def _submissions(tiny_course: Path, tmp_path: Path) -> Path:
    """submissions/<member>/01_tiny.ipynb: two right, one wrong, one broken, one named in metadata."""
    subs = tmp_path / "submissions"
    good = _solution(tiny_course)
    wrong = _solution(tiny_course)
    for cell in wrong.cells:
        cell.source = cell.source.replace("return x.sum(axis=1)", "return x.mean(axis=1)")
    named = _solution(tiny_course)
    named.metadata["grade"]["member"] = "캐롤"
    for member, nb in (("alice", good), ("bob", wrong), ("carol-folder", named), ("erin", good)):
        (subs / member).mkdir(parents=True)
        write_notebook(subs / member / "01_tiny.ipynb", nb)
    (subs / "dave").mkdir()
    (subs / "dave" / "01_tiny.ipynb").write_text('{"cells": [', encoding="utf-8")  # truncated upload
    return subs


def _key(doc: dict) -> tuple:
    """What must not depend on where a submission was graded."""
    return (doc["path"], doc["member"], doc["exercise"], doc["status"], doc["score"], doc["max_score"],
            doc["seed"], [(c["id"], c["passed"], c["points"], c["message"], c["details"]) for c in doc["checks"]])


# --- collecting and members ------------------------------------------------------------------------

def test_collect_recurses_sorts_skips_hidden_and_dedupes(tmp_path):
    subs = tmp_path / "subs"
    for rel in ("bob/01_tiny.ipynb", "alice/01_tiny.ipynb", "alice/w2/02_x.ipynb",
                "bob/.ipynb_checkpoints/01_tiny-checkpoint.ipynb", ".git/x.ipynb", "carol/._01_tiny.ipynb",
                "carol/notes.txt"):
        (subs / rel).parent.mkdir(parents=True, exist_ok=True)
        (subs / rel).write_text("{}", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    found, warnings = collect([subs / "bob" / "01_tiny.ipynb", subs, tmp_path / "empty", tmp_path / "missing.ipynb"])
    rels = [f.path.relative_to(tmp_path).as_posix() for f in found]
    assert rels == ["subs/bob/01_tiny.ipynb", "subs/alice/01_tiny.ipynb", "subs/alice/w2/02_x.ipynb",
                    "missing.ipynb"]
    assert found[0].root is None and found[1].root == subs
    assert [f.folder_member for f in found] == [None, "alice", "alice", None]
    assert len(warnings) == 1 and "empty" in warnings[0]
    with pytest.raises(GradeError, match="nothing to grade"):
        collect([tmp_path / "empty"])


def test_member_precedence(tmp_path, monkeypatch):
    monkeypatch.setattr("grader.grading._os_user", lambda: "os-user")
    meta = json.dumps({"metadata": {"grade": {"member": " 지민 "}}, "cells": []}).encode()
    plain = b'{"metadata": {}, "cells": []}'
    under = Found(tmp_path / "subs" / "alice" / "01.ipynb", root=tmp_path / "subs")
    pattern = compile_member_pattern("{member}_*.ipynb")
    named = Found(tmp_path / "in" / "minseo_01_x.ipynb")
    assert decide_member(under, meta, member="explicit", pattern=pattern) == "explicit"
    assert decide_member(named, meta, pattern=pattern) == "minseo"
    assert decide_member(under, meta) == "지민"            # metadata before the folder
    assert decide_member(under, plain) == "alice"           # the member folder
    assert decide_member(under, b"not json") == "alice"
    assert decide_member(Found(tmp_path / "01_x.ipynb"), plain) == "os-user"
    with pytest.raises(GradeError, match="does not match the --member-from pattern"):
        decide_member(under, meta, pattern=pattern)


@pytest.mark.parametrize("template, root, rel, member", [
    ("{member}/*.ipynb", "submissions", "alice/04_forecast7.ipynb", "alice"),
    ("submissions/{member}/*.ipynb", "/abs/submissions", "bob/04_forecast7.ipynb", "bob"),
    ("{member}/**/*.ipynb", "subs", "carol/week3/late/04.ipynb", "carol"),
    ("{member}_??.ipynb", None, "x/dana_04.ipynb", "dana"),
    ("{member}_*.ipynb", None, "x/minseo_04_v2.ipynb", "minseo"),
    ("./{member}/*.ipynb", "subs", "erin/04.ipynb", "erin"),
    ("{member}/*.ipynb", None, "04.ipynb", None),
    ("{member}_*.ipynb", "subs", "erin/04.ipynb", None),
])
def test_member_template(template, root, rel, member):
    found = Found(Path(root) / rel, root=Path(root)) if root else Found(Path(rel))
    pattern = compile_member_pattern(template)
    if member is None:
        with pytest.raises(GradeError):
            decide_member(found, None, pattern=pattern)
    else:
        assert decide_member(found, None, pattern=pattern) == member


def test_bad_member_template_is_a_one_line_usage_error(runner, tiny_course):
    r = runner.invoke(cli, ["submit", str(tiny_course), "--member-from", "*/*.ipynb", "--course", str(tiny_course)])
    assert r.exit_code == 2 and "exactly one {member}" in r.output and "Traceback" not in r.output
    r = runner.invoke(cli, ["submit", str(tiny_course), "--member-from", "{member}/{x}", "--course", str(tiny_course)])
    assert r.exit_code == 2 and "only placeholder" in r.output


# --- a batch through the CLI ---------------------------------------------------------------------

def test_bad_notebook_in_the_middle_does_not_stop_the_batch(runner, tiny_course, tmp_path):
    subs = _submissions(tiny_course, tmp_path)
    book = tmp_path / "gb.db"
    r = runner.invoke(cli, ["submit", str(subs), "--json", "--seed", str(SEED), "--lang", "en",
                            "--course", str(tiny_course), "--gradebook", str(book)])
    assert r.exit_code == 1, r.output  # one could not be graded
    docs = json.loads(r.stdout)
    assert isinstance(docs, list)
    by_member = {d["member"]: d for d in docs}
    assert [d["member"] for d in docs] == ["alice", "bob", "캐롤", "dave", "erin"]  # sorted by path
    assert by_member["dave"]["status"] == "invalid" and "not JSON" in by_member["dave"]["message"]
    assert by_member["alice"]["score"] == by_member["erin"]["score"] == 5
    assert by_member["bob"]["status"] == "graded" and by_member["bob"]["score"] == 2
    assert by_member["캐롤"]["score"] == 5
    for d in docs:
        assert set(d) >= {"exercise", "member", "status", "score", "max_score", "checks", "duration_s"}
    rows = Gradebook(str(book)).attempts()
    assert sorted(a.member for a in rows) == ["alice", "bob", "erin", "캐롤"]  # invalid: not recorded
    assert {d["attempt_id"] for d in docs if d["status"] != "invalid"} == {a.attempt_id for a in rows}
    assert "[5/5]" in r.output  # a progress line per submission on stderr (no terminal here)


def test_batch_summary_table(runner, tiny_course, tmp_path):
    subs = _submissions(tiny_course, tmp_path)
    (subs / "alice" / "01_tiny.ipynb").unlink()
    (subs / "bob" / "01_tiny.ipynb").unlink()
    (subs / "carol-folder" / "01_tiny.ipynb").unlink()
    r = runner.invoke(cli, ["submit", str(subs), "--no-record", "--lang", "en", "--course", str(tiny_course)])
    assert r.exit_code == 1
    out = r.stdout
    assert "submissions" in out and "erin" in out and "dave" in out and "5/5" in out and "invalid" in out
    assert "2 submissions: 1 graded, 1 invalid" in out and "exit code 1" in out


def test_single_file_with_workers_still_prints_one_object(runner, tiny_course, tmp_path):
    r = runner.invoke(cli, ["submit", str(tiny_course / "solutions" / "01_tiny.ipynb"), "--workers", "2", "--json",
                            "--no-record", "--member", "m", "--course", str(tiny_course)])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert isinstance(doc, dict) and doc["score"] == 5 and doc["member"] == "m"


def test_workers_and_scheduler_together_is_a_usage_error(runner, tiny_course):
    r = runner.invoke(cli, ["submit", str(tiny_course), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1",
                            "--course", str(tiny_course)])
    assert r.exit_code == 2


# --- executors ---------------------------------------------------------------------------------

def test_two_workers_grade_like_one(tiny_course, tmp_path):
    subs = _submissions(tiny_course, tmp_path)
    course = load_course(tiny_course)
    found, _ = collect([subs])
    seq = run_batch(course, found, seed=SEED, lang="en")
    par = run_batch(course, found, workers=2, seed=SEED, lang="en")
    assert [_key(i.result.to_dict()) for i in par] == [_key(i.result.to_dict()) for i in seq]
    assert [i.result.status for i in seq] == ["graded", "graded", "graded", "invalid", "graded"]


def test_a_killed_worker_or_grader_exception_costs_only_its_submission(tiny_course, tmp_path):
    course = load_course(tiny_course)
    files = []
    for name in ("a", "b", "poison", "c", "raises", "d", "e"):
        (tmp_path / name).mkdir()
        files.append(write_notebook(tmp_path / name / "01_tiny.ipynb", _solution(tiny_course)))
    book = Gradebook(str(tmp_path / "book" / "gb.db"))
    seen: list[BatchItem] = []
    items = run_batch(course, [Found(f, root=tmp_path) for f in files], workers=2, seed=SEED, book=book,
                      grade_fn=fake_grade, on_done=seen.append)
    status = {i.member: (i.result.status, i.grader_failure) for i in items}
    assert status == {"a": ("graded", False), "b": ("graded", False), "poison": ("error", True),
                      "c": ("graded", False), "raises": ("error", True), "d": ("graded", False),
                      "e": ("graded", False)}
    assert "died" in items[2].result.message and "RuntimeError: grader bug" in items[4].result.message
    assert len(seen) == 7 and sorted(i.index for i in seen) == list(range(7))
    # Grader failures are not attempts: nothing recorded for them, everything else exactly once.
    assert sorted(a.member for a in book.attempts()) == ["a", "b", "c", "d", "e"]
    assert all(i.data is None for i in items)  # the bytes were let go once recorded


def test_pool_workers_cap_their_threads(tiny_course, tmp_path):
    course = load_course(tiny_course)
    files = [write_notebook(tmp_path / f"{n}_01_tiny.ipynb", _solution(tiny_course)) for n in range(4)]
    items = run_batch(course, [Found(f) for f in files], workers=2, grade_fn=fake_grade, member="m")
    share = str(batch.thread_share(2))
    for item in items:
        env = json.loads(item.result.message)["env"]
        assert env == {"OMP_NUM_THREADS": share, "TF_NUM_INTRAOP_THREADS": share, "TF_NUM_INTEROP_THREADS": "1"}
    pids = {json.loads(i.result.message)["pid"] for i in items}
    assert os.getpid() not in pids  # graded in worker processes


def test_a_refused_record_costs_only_its_attempt(tiny_course, tmp_path):
    from grader.errors import GradebookError

    class FullBook:
        def __init__(self) -> None:
            self.rows: list[str] = []

        def record(self, result, data):  # noqa: ANN001, ANN201
            if result.member == "b":
                raise GradebookError("could not record the attempt (database or disk is full)")
            self.rows.append(result.member)
            return len(self.rows)

    files = []
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        files.append(write_notebook(tmp_path / name / "01_tiny.ipynb", _solution(tiny_course)))
    book = FullBook()
    items = run_batch(load_course(tiny_course), [Found(f, root=tmp_path) for f in files], book=book,
                      grade_fn=fake_grade)
    assert book.rows == ["a", "c"] and [i.problem for i in items] == [False, True, False]
    assert "not recorded: could not record" in items[1].result.message


def test_sigterm_stops_workers_and_kernels(tiny_course, tmp_path):
    import signal
    import subprocess
    import sys
    import tempfile
    import time

    sys.path.insert(0, str(Path(__file__).parent / "data" / "hostile"))
    import cases as H

    slow = _solution(tiny_course)
    slow.cells[1].source = "import time\nopen('started', 'w').close()\ntime.sleep(60)\n" + slow.cells[1].source
    for m in ("a", "b", "c"):
        (tmp_path / "subs" / m).mkdir(parents=True)
        write_notebook(tmp_path / "subs" / m / "01_tiny.ipynb", slow)
    # Short and unique; every process of the batch (workers, kernels) has it in its environment.
    marker = Path(tempfile.mkdtemp(prefix="gb-", dir="/var/tmp" if Path("/var/tmp").is_dir() else None))
    env = dict(os.environ, TMPDIR=str(marker), GRADE_SANDBOX_QUIET="1")
    try:
        proc = subprocess.Popen(H.GRADE + ["submit", str(tmp_path / "subs"), "--workers", "2", "--no-record",
                                           "--course", str(tiny_course)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        # Both workers' kernels are inside the student's cell: what is tested is how the batch
        # stops its workers, not the runner's handling of a stop during kernel start-up.
        while len(list(marker.glob("grade-run-*/home/started"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)
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


def test_thread_share():
    assert batch.thread_share(2, cores=2) == 1
    assert batch.thread_share(3, cores=8) == 2
    assert batch.thread_share(16, cores=4) == 1


def test_course_bundle_round_trip(tiny_course):
    course = load_course(tiny_course)
    bundle = batch.course_bundle(course)
    assert bundle == batch.course_bundle(course)  # same course, same bytes: one cache entry per worker
    remote = batch._course_for(bundle)
    assert remote.root != course.root and set(remote.specs) == {"t.ex1"}
    assert not (remote.root / "solutions").exists()  # only what grading needs travels
    assert remote.reference("tiny:double")(2) == 4


@pytest.mark.slow  # starts a Dask scheduler and two worker processes (~10-30 s)
def test_dask_cluster_grades_like_the_local_batch(runner, tiny_course, tmp_path):
    distributed = pytest.importorskip("distributed")
    subs = _submissions(tiny_course, tmp_path)
    common = ["--json", "--seed", str(SEED), "--lang", "en", "--course", str(tiny_course)]
    local = runner.invoke(cli, ["submit", str(subs), "--workers", "2", "--no-record", *common])
    assert local.exit_code == 1, local.output
    book = tmp_path / "gb.db"
    with distributed.LocalCluster(n_workers=2, processes=True, host="127.0.0.1", threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        remote = runner.invoke(cli, ["submit", str(subs), "--scheduler", cluster.scheduler_address,
                                     "--gradebook", str(book), *common])
        with distributed.Client(cluster) as client:
            envs = client.run(lambda: {k: os.environ.get(k) for k in ("TF_NUM_INTRAOP_THREADS",
                                                                        "TF_NUM_INTEROP_THREADS")})
            worker_pids = set(client.run(os.getpid).values())
    assert remote.exit_code == 1, remote.output
    docs = json.loads(remote.stdout)
    assert [_key(d) for d in docs] == [_key(d) for d in json.loads(local.stdout)]
    share = str(batch.thread_share(2))
    assert all(e == {"TF_NUM_INTRAOP_THREADS": share, "TF_NUM_INTEROP_THREADS": "1"} for e in envs.values())
    assert len(worker_pids) == 2 and os.getpid() not in worker_pids
    # Only the submitting process wrote the gradebook, once per graded submission.
    assert sorted(a.member for a in Gradebook(str(book)).attempts()) == ["alice", "bob", "erin", "캐롤"]


def test_unreachable_scheduler_is_one_line(runner, tiny_course):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        r = runner.invoke(cli, ["submit", str(tiny_course / "solutions"), "--scheduler", "tcp://127.0.0.1:9",
                                "--no-record", "--course", str(tiny_course)])
    assert r.exit_code == 1 and "cannot reach the Dask scheduler" in r.output and "Traceback" not in r.output


# --- export --------------------------------------------------------------------------------------

def _attempt(member: str, exercise: str, score: float, when: dt.datetime) -> Attempt:
    return Attempt.from_dict({"member": member, "exercise": exercise, "status": "graded", "score": score,
                              "max_score": 10.0, "checks": [], "graded_at": when.isoformat(), "duration_s": 1.0})


@pytest.fixture
def filled_book(tmp_path) -> Path:
    path = tmp_path / "gb.db"
    kst = dt.timezone(dt.timedelta(hours=9))
    with Gradebook(str(path)) as book:
        book.record(_attempt("지민", "ch15.ex10", 4, dt.datetime(2021, 11, 20, 19, 0, tzinfo=kst)), b"{}")
        book.record(_attempt("지민", "ch15.ex2", 6, dt.datetime(2021, 11, 20, 19, 5, tzinfo=kst)), b"{}")
        book.record(_attempt("지민", "ch15.ex2", 9.5, dt.datetime(2021, 11, 21, 9, 0, tzinfo=kst)), b"{}")
        book.record(_attempt("지민", "ch15.ex2", 7, dt.datetime(2021, 11, 22, 9, 0, 30, 123, tzinfo=kst)), b"{}")
        book.record(_attempt("=cmd|' /C calc'!A0", "ch15.ex2", 1, dt.datetime(2021, 11, 20, tzinfo=dt.timezone.utc)),
                    b"{}")
        book.record(_attempt("alice", "ch15.ex2", 10, dt.datetime(2021, 11, 23, tzinfo=dt.timezone.utc)), b"{}")
    return path


def test_export_csv(runner, filled_book, tmp_path):
    r = runner.invoke(cli, ["export", "--format", "csv", "--gradebook", str(filled_book)])
    assert r.exit_code == 0, r.output
    assert not r.stdout.startswith("\ufeff") and b"\r\n" in r.stdout_bytes  # RFC 4180 line ends
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows == [
        ["member", "exercise", "best_score", "max_score", "attempts", "last_attempt"],
        ["=cmd|' /C calc'!A0", "ch15.ex2", "1", "10", "1", "2021-11-20T00:00:00Z"],
        ["alice", "ch15.ex2", "10", "10", "1", "2021-11-23T00:00:00Z"],
        ["지민", "ch15.ex2", "9.5", "10", "3", "2021-11-22T00:00:30Z"],   # best of three, latest time in UTC
        ["지민", "ch15.ex10", "4", "10", "1", "2021-11-20T10:00:00Z"],    # ex2 before ex10
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
    assert rows[2] == {"member": "지민", "exercise": "ch15.ex2", "best_score": 9.5, "max_score": 10.0,
                       "attempts": 3, "last_attempt": "2021-11-22T00:00:30Z"}
    assert [(x["member"], x["exercise"]) for x in rows][-1] == ("지민", "ch15.ex10")


def test_export_without_a_gradebook_is_one_line(runner, tmp_path):
    r = runner.invoke(cli, ["export", "--gradebook", str(tmp_path / "nope.db")])
    assert r.exit_code == 1 and "no gradebook here" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "nope.db").exists()
