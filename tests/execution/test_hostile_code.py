"""Hostile code: every case ends as a clear result in bounded time, leaves no process
behind, is recorded, and tampering earns nothing it would not earn honestly.

All cases run once, in parallel (one `grade submit` process each), in a
module-scoped fixture; each test then looks at its own case. The course lives under
/var/tmp (not /tmp, which the sandbox hides wholesale) so that hiding the gradebook's
folder and the course (the grader's working folder) is really exercised.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "data" / "hostile"))
import cases as H

WORK_BASE = Path("/var/tmp") if Path("/var/tmp").is_dir() else Path(tempfile.gettempdir())
FALLBACK = {"GRADE_SANDBOX_DISABLE": "bwrap,cgroup"}
FALLBACK_CASES = [
    "infinite_loop",
    "os_exit",
    "kill_parent",
    "sys_exit",
    "background_process",
    "delete_files",
    "patch_json",
    "patch_numpy_save",
    "shadow_builtins",
    "env_seed",
]


pytestmark = pytest.mark.kernel  # the module's fixtures grade every case through `grade submit`


@pytest.fixture(scope="module")
def hostile_env():
    work = Path(tempfile.mkdtemp(prefix="grade-hostile-", dir=WORK_BASE))
    paths = H.make_course(work)
    # A gradebook where class servers keep data (/srv), when this user may put one there.
    srv = None
    if os.access("/srv", os.W_OK):
        srv = Path(tempfile.mkdtemp(prefix="grade-test-", dir="/srv"))
        (srv / "gradebook.db").write_bytes(b"SQLite format 3\x00" + H.SECRET.encode())
        paths["srv_book"] = srv / "gradebook.db"
    yield work, paths, H.active_protections()
    shutil.rmtree(work, ignore_errors=True)
    if srv is not None:
        shutil.rmtree(srv, ignore_errors=True)


@pytest.fixture(scope="module")
def results(hostile_env):
    work, paths, have = hostile_env
    cases = [c for c in H.code_cases(paths) if c.needs <= have]
    return H.run_all(cases, paths, work, workers=3)


@pytest.fixture(scope="module")
def fallback_results(hostile_env):
    work, paths, _ = hostile_env
    cases = [c for c in H.code_cases(paths) if c.name in FALLBACK_CASES]
    return H.run_all(cases, paths, work / "fallback", workers=3, extra_env=FALLBACK)


# Case names only (the real cases are built against the fixture's course).
NAMES = [c.name for c in H.code_cases({"book_dir": Path("/nonexistent"), "solution": Path("/nonexistent")})]


def _check(case: H.Case, r: dict, allowed: set[str] | None = None) -> None:
    statuses = allowed or case.statuses
    assert r["doc"] is not None, f"no JSON from grade submit: {r['stderr'][-1500:]}"
    assert r["status"] in statuses, (r["status"], r["message"])
    assert r["exit"] in case.exit_codes, (r["exit"], r["stderr"][-500:])
    if case.message and r["status"] in case.statuses:
        assert case.message in r["message"], r["message"]
    if r["status"] != "graded":
        assert r["message"], "a non-graded result must say what happened"
    if case.max_score is not None:
        assert r["score"] <= case.max_score + 1e-9, (r["score"], r["doc"]["checks"])
    if r["status"] == "timeout":
        assert r["score"] == 0, "a timeout must never read as success"
    assert r["orphans"] == 0, "processes were left behind"
    assert r["rows_after"] == r["rows_before"] + 1, "the attempt was not recorded"
    assert r["seconds"] < 40, "no result within a bounded time"
    assert "LEAK" not in r["message"] and "SEED FOUND" not in r["message"], r["message"]


@pytest.mark.parametrize("name", NAMES)
def test_hostile_code_case(name, results, hostile_env):
    _, paths, have = hostile_env
    case = next(c for c in H.code_cases(paths) if c.name == name)
    if case.name not in results:
        pytest.skip(f"needs {', '.join(sorted(case.needs - have))}, not available here")
    _check(case, results[case.name])


def test_tampering_earns_nothing_over_the_honest_wrong_notebook(results):
    for name in ("patch_numpy_save", "patch_json", "patch_print_and_fake_output", "patch_predict", "env_seed"):
        r = results[name]
        assert r["score"] is None or r["score"] <= H.WRONG_SCORE, (name, r["score"])


def test_shadowed_builtins_do_not_break_the_probe(results):
    r = results["shadow_builtins"]
    assert r["status"] == "graded" and r["score"] == 8, r["doc"]["checks"]


def test_gradebook_and_solutions_untouched_by_the_kernel(results, hostile_env):
    _work, paths, have = hostile_env
    if "bubblewrap" not in have:
        pytest.skip("needs bubblewrap")
    book = H.book_of(paths, "read_gradebook_and_solutions")
    assert b"GARBGARBGARBGARBAGE!" not in book.read_bytes()
    import sqlite3

    con = sqlite3.connect(book)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    assert H.SECRET in paths["solution"].read_text(encoding="utf-8")


def test_limits_are_named_in_messages(results, hostile_env):
    _, _, have = hostile_env
    assert "memory limit is 1024 MB" in results["alloc_30gb"]["message"]
    if "memory cgroup" in have and results["alloc_8gb_shared"]["status"] == "crashed":
        assert "out of memory" in results["alloc_8gb_shared"]["message"]
    fork_bomb = results["fork_bomb"]
    if (
        "pids cgroup" in have
        and fork_bomb["status"] in ("graded", "error")
        and "BlockingIOError" in fork_bomb["message"]
    ):
        assert "at most 32 processes" in fork_bomb["message"]


def test_protections_are_reported(results, hostile_env):
    _, _, have = hostile_env
    prot = " | ".join(results["infinite_loop"]["doc"]["protections"])
    assert "time ≤ 3 s per cell" in prot and "RLIMIT_DATA" in prot
    if "bubblewrap" in have:
        assert "no network" in prot and "own pid namespace" in prot
    if "pids cgroup" in have:
        assert "pids cgroup" in prot


@pytest.mark.parametrize("name", FALLBACK_CASES)
def test_fallback_without_bwrap_or_cgroups(name, fallback_results, hostile_env):
    """A laptop without bubblewrap or cgroups: weaker isolation, same guarantees for the grader."""
    _, paths, _ = hostile_env
    case = next(c for c in H.code_cases(paths) if c.name == name)
    r = fallback_results[name]
    allowed = set(case.statuses)
    if name == "kill_parent":
        allowed = {"crashed", "graded"}  # the launcher is the parent: it dies, the grader does not
    _check(case, r, allowed)
    prot = " | ".join(r["doc"]["protections"])
    assert "bubblewrap" not in prot and "cgroup" not in prot
    assert "not isolated" in prot


def test_nothing_written_outside_the_run_folder(results, hostile_env):
    work, paths, _have = hostile_env
    if "write_outside" not in results:
        pytest.skip("needs bubblewrap and the user switch")
    folders = [Path(p) for p in ("/", "/usr", "/etc", "/var/tmp", "/srv")]
    folders += [paths["book_dir"], paths["solution"].parent, work]
    left = [str(f / H.ESCAPED) for f in folders if (f / H.ESCAPED).exists()]
    assert not left, left


def test_disk_and_file_count_limits_are_named(results):
    for name in ("fill_disk_2gb", "fill_inodes_1e6", "fill_tmp_inodes"):
        if name in results:
            assert "allows 64 MB and 2000 files" in results[name]["message"], results[name]["message"]
