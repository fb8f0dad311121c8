"""The local worker pool (grader/batch/pool.py): one job per worker, failures contained,
thread caps, and the spare each worker prepares for its next job."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import write_notebook

from batch import fakes
from batch.conftest import SEED, solution
from grader.batch import BatchItem, Found, run_batch, thread_share
from grader.batch.pool import Job, LocalPool, run_in_process
from grader.course.loader import load_course
from grader.results.gradebook import Gradebook


def _collect(pool_run, jobs: list[Job]) -> tuple[list[tuple[str, str, object]], list[object]]:
    queue = iter(jobs)
    prefers: list[object] = []
    outcomes: list[tuple[str, str, object]] = []

    def next_job(prefer: object) -> Job | None:
        prefers.append(prefer)
        return next(queue, None)

    pool_run(next_job, lambda job, kind, value: outcomes.append((job.tag, kind, value)))
    return outcomes, prefers


@pytest.mark.parametrize("where", ["pool", "here"])
def test_each_spare_serves_the_next_job_once_and_is_discarded(tmp_path, where):
    jobs = [
        Job(
            fakes.fake_job,
            (f"j{i}",),
            tag=f"j{i}",
            ahead=(fakes.fake_spare, (str(tmp_path), f"s{i}")),
            ahead_key=f"plan{i}",
        )
        for i in range(3)
    ]
    run = LocalPool(1).run if where == "pool" else run_in_process
    outcomes, prefers = _collect(run, jobs)
    assert [(tag, kind) for tag, kind, _ in outcomes] == [("j0", "ok"), ("j1", "ok"), ("j2", "ok")]
    # Job i runs with the spare started while job i-1 ran; the first starts cold.
    assert [value["kernel"] for _, _, value in outcomes] == [None, "s0", "s1"]
    # The caller is told which plan the free worker's spare was prepared for.
    assert prefers[:3] == [None, "plan0", "plan1"]
    started = sorted(p.name for p in tmp_path.glob("started-*"))
    discarded = {p.name: p.read_text() for p in tmp_path.glob("discarded-*")}
    assert started == ["started-s0", "started-s1", "started-s2"]
    # Used or left over at the end: each discarded exactly once.
    assert discarded == {"discarded-s0": "x", "discarded-s1": "x", "discarded-s2": "x"}
    if where == "here":
        assert {value["pid"] for _, _, value in outcomes} == {os.getpid()}


def test_a_dead_worker_costs_its_job_and_is_replaced(tmp_path):
    jobs = [Job(fakes.fake_job, (name,), tag=name) for name in ("a", "poison", "b", "c")]
    outcomes, _ = _collect(LocalPool(2).run, jobs)
    by_tag = {tag: (kind, value) for tag, kind, value in outcomes}
    assert by_tag["poison"][0] == "error" and "died (exit code 3)" in str(by_tag["poison"][1])
    assert all(by_tag[t][0] == "ok" for t in ("a", "b", "c"))
    assert len({by_tag[t][1]["pid"] for t in ("a", "b", "c")} - {os.getpid()}) >= 1


def test_a_killed_worker_or_grader_exception_costs_only_its_submission(tiny_course, tmp_path, fake_grading):
    course = load_course(tiny_course)
    files = []
    for name in ("a", "b", "poison", "c", "raises", "d", "e"):
        (tmp_path / name).mkdir()
        files.append(write_notebook(tmp_path / name / "01_tiny.ipynb", solution(tiny_course)))
    book = Gradebook(str(tmp_path / "book" / "gb.db"))
    seen: list[BatchItem] = []
    items = run_batch(
        course, [Found(f, root=tmp_path) for f in files], workers=2, seed=SEED, book=book, on_done=seen.append
    )
    status = {i.member: (i.result.status, i.grader_failure) for i in items}
    assert status == {
        "a": ("graded", False),
        "b": ("graded", False),
        "poison": ("error", True),
        "c": ("graded", False),
        "raises": ("error", True),
        "d": ("graded", False),
        "e": ("graded", False),
    }
    # the run's language (ko by default) says the pool's failure; the grader bug keeps its type
    assert "종료 코드" in items[2].result.message and "RuntimeError: grader bug" in items[4].result.message
    assert items[2].result.exercise == "t.ex1"  # which exercise to submit again
    assert len(seen) == 7 and sorted(i.index for i in seen) == list(range(7))
    # Grader failures are not attempts: nothing recorded for them, everything else exactly once.
    assert sorted(a.member for a in book.attempts()) == ["a", "b", "c", "d", "e"]
    assert all(i.data is None for i in items)  # the bytes were let go once recorded


def test_pool_workers_cap_their_threads(tiny_course, tmp_path, fake_grading):
    course = load_course(tiny_course)
    files = [write_notebook(tmp_path / f"{n}_01_tiny.ipynb", solution(tiny_course)) for n in range(4)]
    items = run_batch(course, [Found(f) for f in files], workers=2, member="m")
    share = str(thread_share(2))
    for item in items:
        env = json.loads(item.result.message)["env"]
        assert env == {"OMP_NUM_THREADS": share, "TF_NUM_INTRAOP_THREADS": share, "TF_NUM_INTEROP_THREADS": "1"}
    pids = {json.loads(i.result.message)["pid"] for i in items}
    assert os.getpid() not in pids  # graded in worker processes
    # Each job after a worker's first was offered the spare prepared for it.
    assert sum(json.loads(i.result.message)["kernel"] for i in items) >= 1


def test_thread_share():
    assert thread_share(2, cores=2) == 1
    assert thread_share(3, cores=8) == 2
    assert thread_share(16, cores=4) == 1


# A thread count set in a notebook wins over the cap the workers give its kernel: the course's
# notebooks once set two intra-op threads each, and two workers then ran four compute threads
# on two cores (docs/scaling.md, "Workers, thread caps and spare kernels").
_SETS_THREADS = re.compile(r"set_(intra|inter)_op_parallelism_threads|(OMP_NUM|TF_NUM_INTRAOP|TF_NUM_INTEROP)_THREADS")
COURSE_NOTEBOOKS = ("exercises", "solutions", "samples", "calibration/variants")


def test_course_notebooks_leave_thread_counts_to_the_grader():
    root = Path(__file__).resolve().parents[2]
    notebooks = [nb for folder in COURSE_NOTEBOOKS for nb in sorted((root / folder).rglob("*.ipynb"))]
    assert len(notebooks) > 60
    setting = [
        f"{nb.relative_to(root)}: {line.strip()}"
        for nb in notebooks
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]
        if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines()
        if _SETS_THREADS.search(line)
    ]
    assert setting == []


def test_the_grading_function_is_not_a_parameter_of_the_batch():
    """The test hook lives in tests/batch/conftest.py (`fake_grading`), not in grader/."""
    import inspect

    from grader.batch import run

    assert "grade_fn" not in inspect.signature(run_batch).parameters
    assert "grade_fn" not in Path(run.__file__).read_text(encoding="utf-8")
