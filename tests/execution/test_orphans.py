"""Stopping the grader (Ctrl-C, SIGTERM, even SIGKILL) leaves no student process behind.

The student's notebook starts background processes and a forked copy of itself,
then sleeps; the grader is signalled while the kernel runs. Every process of the
run carries the run folder's path in its environment, which is how we look for
leftovers (tests/data/hostile/cases.py: `leftovers`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "data" / "hostile"))
import cases as H

pytestmark = pytest.mark.kernel  # every test here starts a Jupyter kernel

SPAWNER = (
    H.HONEST
    + """
import os, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
subprocess.Popen(["sleep", "600"], start_new_session=True)   # leaves the process group
if os.fork() == 0:
    time.sleep(600)
    os._exit(0)
open("spawned", "w").close()
time.sleep(2.5)
"""
)


def _start(paths, tmp_path: Path, extra_env: dict[str, str] | None = None):
    nb_path = paths["subs"] / H.NB_NAME
    nb_path.write_text(nbformat.writes(H.notebook([SPAWNER])), encoding="utf-8")
    # Short (IPC socket paths live under it) and unique: every process of the run has it.
    marker = Path(tempfile.mkdtemp(prefix="go-", dir="/var/tmp" if Path("/var/tmp").is_dir() else None))
    env = dict(os.environ, TMPDIR=str(marker), GRADE_SANDBOX_QUIET="1", **(extra_env or {}))
    proc = subprocess.Popen(
        H.GRADE
        + ["submit", str(nb_path), "--json", "--course", str(paths["course"]), "--gradebook", str(paths["gradebook"])],
        cwd=paths["course"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # Wait until the student's cell has spawned its processes.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if list(marker.glob("grade-run-*/home/spawned")):
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"the notebook never started: {proc.communicate()[1].decode()[-2000:]}")
    time.sleep(0.3)
    assert H.leftovers(marker, wait=0), "the student's processes should be running now"
    return proc, marker


@pytest.fixture
def paths(tmp_path):
    return H.make_course(tmp_path / "c")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("mode", ["sandbox", "fallback"])
def test_signalled_grader_leaves_no_process(sig, mode, paths, tmp_path):
    env = {"GRADE_SANDBOX_DISABLE": "bwrap,cgroup"} if mode == "fallback" else None
    proc, marker = _start(paths, tmp_path, env)
    proc.send_signal(sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the grader did not stop within 20 s")
    left = H.leftovers(marker)
    cmdlines = [_cmdline(p) for p in left]
    H.kill_leftovers(left)
    if mode == "fallback" and left:
        # Without a pid namespace or cgroup, only a process that left the process
        # group (start_new_session=True) can escape: that is the documented limit.
        assert all(c.startswith(b"sleep\x00600") for c in cmdlines), cmdlines
        shutil.rmtree(marker, ignore_errors=True)
        return
    assert left == [], f"{len(left)} processes left behind"
    assert proc.returncode != 0
    assert not list(marker.glob("grade-run-*")), "the run folder was not removed"
    os.rmdir(marker)


def test_killed_grader_takes_the_sandbox_with_it(paths, tmp_path):
    """SIGKILL cannot be caught: the pid namespace (bwrap --die-with-parent) still ends everything."""
    from grader.execution.sandbox import bwrap_status

    if not bwrap_status()[0]:
        pytest.skip("needs bubblewrap")
    proc, marker = _start(paths, tmp_path)
    proc.kill()
    proc.wait(timeout=10)
    left = H.leftovers(marker, wait=5)
    H.kill_leftovers(left)
    shutil.rmtree(marker, ignore_errors=True)  # a killed grader cannot remove its run folder
    assert left == []
    # What a killed grader cannot do is remove its cgroups: `grade doctor` lists them.
    from grader.execution.cgroups import stale_groups

    for g in stale_groups():
        if not (g / "cgroup.procs").read_text().strip():
            try:
                os.rmdir(g)
            except OSError:
                pass


def test_no_cgroups_left_after_runs(paths, tmp_path):
    from grader.execution.cgroups import stale_groups

    before = set(stale_groups())
    code, doc, err, _ = H.submit(_honest(paths), paths, tmp_path / "m")
    assert code == 0 and doc["status"] == "graded", err
    # Other graders may run in parallel; ours must be gone.
    assert set(stale_groups()) - before == set() or all(
        (g / "cgroup.procs").read_text().strip() for g in set(stale_groups()) - before
    )


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _honest(paths) -> Path:
    p = paths["subs"] / H.NB_NAME
    p.write_text(nbformat.writes(H.notebook([H.HONEST])), encoding="utf-8")
    return p
