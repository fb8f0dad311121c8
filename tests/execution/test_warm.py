"""Spare kernels started ahead (grader/execution/warm.py): what they preload, when they fit,
and that a spare nobody takes leaves no process and no folder behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from grader.course.spec import Limits
from grader.execution.policy import build_policy
from grader.execution.warm import SPARE_NICE, SpareKernel, preload_for, sandbox_key
from grader.selfcheck.setupcell import is_setup_cell, setup_cell

sys.path.insert(0, str(Path(__file__).parent.parent / "data" / "hostile"))
import cases as H

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "cells, wanted",
    [
        (
            ["import numpy as np\nimport tensorflow as tf\nimport keras\n\nkeras.utils.set_random_seed(42)"],
            ("numpy", "tensorflow", "keras"),
        ),
        (
            ["# 준비\nfrom tensorflow import keras\nimport numpy as np, pandas as pd", "import sklearn"],
            ("tensorflow", "numpy", "pandas", "sklearn"),
        ),  # imports only, across cells
        (["import matplotlib.pyplot as plt"], ("matplotlib.pyplot",)),
        (["from __future__ import annotations\nimport numpy as np"], ("numpy",)),
        # Anything before the import could change how it loads: nothing is preloaded after it.
        (["import os\nos.environ['TF_ENABLE_ONEDNN_OPTS'] = '0'\nimport tensorflow as tf"], ()),
        (["import sys\nsys.path.insert(0, '.')\nimport keras"], ()),
        (["%env KERAS_BACKEND=jax\nimport keras"], ()),
        (["x = 1\nimport tensorflow"], ()),
        (["import numpy as np\nprint(np.pi)", "import tensorflow as tf"], ("numpy",)),
        (["import requests\nimport tensorflow as tf"], ("tensorflow",)),  # not on the list: not preloaded
        ([], ()),
    ],
)
def test_preload_is_what_the_notebook_imports_before_anything_else(cells, wanted):
    assert preload_for(cells) == wanted


def _code_cells(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_the_course_setup_cell_is_passed_over_and_nothing_else_is():
    cells = _code_cells(ROOT / "solutions" / "04_forecast7.ipynb")
    assert preload_for(cells) == ("numpy", "tensorflow", "keras")
    # another group's repository: still the course's cell
    other = setup_cell("git+https://github.com/another-group/grade.git@v2")
    assert is_setup_cell(other) and preload_for([other, *cells[1:]]) == ("numpy", "tensorflow", "keras")
    # one more line, an address that closes its string, or a cell cut short: the student's code
    for changed in (
        cells[0] + "\nos.environ['KERAS_BACKEND'] = 'jax'",
        cells[0].replace("YOUR-GROUP/grade.git", 'x", "--index-url", "http://evil/'),
        cells[0].rsplit("try:", 1)[0],
    ):
        assert not is_setup_cell(changed) and preload_for([changed, *cells[1:]]) == ()
    with pytest.raises(ValueError):
        setup_cell('x"; import os')


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_every_course_notebook_opens_with_the_setup_cell(folder):
    for path in sorted((ROOT / folder).glob("*.ipynb")):
        assert is_setup_cell(_code_cells(path)[0]), path


def test_a_spare_fits_the_same_sandbox_whatever_the_time_limits(tiny_course):
    policy = build_policy(Limits(memory_mb=4096), course_root=tiny_course)
    slower = build_policy(Limits(memory_mb=4096, cell_timeout_s=5, total_timeout_s=9), course_root=tiny_course)
    bigger = build_policy(Limits(memory_mb=6144), course_root=tiny_course)
    assert sandbox_key(policy) == sandbox_key(slower) != sandbox_key(bigger)
    spare = SpareKernel(policy, ("numpy",))  # not started: fitting is about what it was asked to be
    assert spare.fits(slower, ("numpy", "tensorflow"))
    assert not spare.fits(bigger, ("numpy",))
    assert not spare.fits(policy, ())  # it imported numpy; this notebook would not have
    assert not spare.fits(replace(policy, network=True), ("numpy",))


@pytest.fixture
def run_folder(monkeypatch):
    """Run folders (and so every sandboxed process's command line) under a unique folder."""
    marker = Path(tempfile.mkdtemp(prefix="gw-", dir="/var/tmp" if Path("/var/tmp").is_dir() else None))
    monkeypatch.setattr(tempfile, "tempdir", str(marker))
    yield marker
    left = H.leftovers(marker, wait=0)
    H.kill_leftovers(left)
    shutil.rmtree(marker, ignore_errors=True)


@pytest.mark.kernel
@pytest.mark.parametrize("when", ["starting", "ready"])
def test_a_discarded_spare_leaves_nothing(tiny_course, run_folder, when):
    spare = SpareKernel.start(build_policy(Limits(), course_root=tiny_course), ("numpy",))
    if when == "ready":
        assert spare._ready.wait(60) and not spare.problem, spare.problem
        assert H.leftovers(run_folder, wait=0), "the spare's kernel should be running"
    else:
        time.sleep(0.3)
    spare.discard()
    spare.discard()  # twice is harmless
    assert H.leftovers(run_folder, wait=5) == []
    assert not list(run_folder.glob("grade-run-*"))


@pytest.mark.kernel
def test_a_spare_that_does_not_fit_is_discarded_not_used(tiny_course, run_folder):
    spare = SpareKernel.start(build_policy(Limits(), course_root=tiny_course), ())
    assert spare.take(build_policy(Limits(memory_mb=1024), course_root=tiny_course), ()) is None
    assert "does not fit" in spare.problem
    assert H.leftovers(run_folder, wait=5) == [] and not list(run_folder.glob("grade-run-*"))


def _nice_values(pids: list[int]) -> set[int]:
    out = set()
    for pid in pids:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                out.add(int(f.read().rsplit(")", 1)[1].split()[16]))
    return out


@pytest.mark.kernel
def test_a_ready_spare_is_handed_over_once(tiny_course, run_folder):
    policy = build_policy(Limits(), course_root=tiny_course)
    spare = SpareKernel.start(policy, ("numpy",))
    assert spare._ready.wait(60) and not spare.problem, spare.problem
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    # this spare's processes only: the run folder is the session's, and a kernel of an earlier
    # test may still be on its way out
    kernel = H.leftovers(spare.workdir, wait=0)
    assert kernel
    if os.geteuid() == 0:  # niced while it waits: it takes only CPU nobody else wants
        assert _nice_values(kernel) == {min(19, mine + SPARE_NICE)}
    taken = spare.take(policy, ("numpy",))
    assert taken is not None and spare.start_s is not None
    assert _nice_values(kernel) == {mine}  # handed over at the grader's own priority
    workdir, sandbox, km = taken
    assert workdir.is_dir() and km.has_kernel and km.provisioner.process.poll() is None
    assert spare.take(policy, ("numpy",)) is None  # one notebook per spare
    spare.discard()  # handed over: the run's to dispose of
    assert km.provisioner.process.poll() is None
    sandbox.dispose()
    assert H.leftovers(run_folder, wait=5) == []


_THREAD_CHAIN = """
import sys, threading, time
def spawn(n):
    # each thread starts the next one a moment later: the newest is started by a thread just made
    time.sleep(0.002)
    if n:
        threading.Thread(target=spawn, args=(n - 1,)).start()
    time.sleep(30)
print("ready", flush=True)
sys.stdin.readline()
for _ in range(3):
    threading.Thread(target=spawn, args=(60,)).start()
"""


def test_priority_reaches_threads_started_while_it_is_being_set(monkeypatch):
    """A kernel that has just started is still starting threads; none of them keeps its old
    value (CI once saw one of a spare's threads at nice 0)."""
    from types import SimpleNamespace

    from grader.execution.priority import set_priority

    real = os.setpriority

    def slow(which: int, who: int, value: int) -> None:  # a busy machine: threads start meanwhile
        time.sleep(0.001)
        real(which, who, value)

    monkeypatch.setattr(os, "setpriority", slow)
    proc = subprocess.Popen(
        [sys.executable, "-c", _THREAD_CHAIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        target = min(19, os.getpriority(os.PRIO_PROCESS, 0) + 3)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert set_priority(SimpleNamespace(cgroups=None), proc.pid, target)
        deadline = time.monotonic() + 20
        while len(os.listdir(f"/proc/{proc.pid}/task")) < 1 + 3 * 61 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _nice_values([proc.pid]) == {target}
    finally:
        proc.kill()
        proc.wait()
