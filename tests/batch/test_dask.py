"""The course bundle and grading on a Dask cluster (grader/batch/bundle.py, grader/batch/dask.py)."""

from __future__ import annotations

import json
import os

import pytest

from batch.conftest import SEED, result_key
from grader.batch import course_bundle, course_for, thread_share
from grader.cli.app import cli
from grader.course.loader import load_course
from grader.results.gradebook import Gradebook


def test_course_bundle_round_trip(tiny_course):
    course = load_course(tiny_course)
    bundle = course_bundle(course)
    assert bundle == course_bundle(course)  # same course, same bytes: one cache entry per worker
    remote = course_for(bundle)
    assert remote.root != course.root and set(remote.specs) == {"t.ex1"}
    assert not (remote.root / "solutions").exists()  # only what grading needs travels
    assert remote.reference("tiny:double")(2) == 4
    assert course_for(course) is course and course_for(str(tiny_course)).root == course.root


@pytest.mark.slow  # starts a Dask scheduler and two worker processes (~10-30 s)
def test_dask_cluster_grades_like_the_local_batch(runner, tiny_course, submissions, tmp_path):
    distributed = pytest.importorskip("distributed")
    common = ["--json", "--seed", str(SEED), "--lang", "en", "--course", str(tiny_course)]
    local = runner.invoke(cli, ["submit", str(submissions), "--workers", "2", "--no-record", *common])
    assert local.exit_code == 1, local.output
    book = tmp_path / "gb.db"
    with distributed.LocalCluster(
        n_workers=2, processes=True, host="127.0.0.1", threads_per_worker=1, dashboard_address=None
    ) as cluster:
        remote = runner.invoke(
            cli,
            ["submit", str(submissions), "--scheduler", cluster.scheduler_address, "--gradebook", str(book), *common],
        )
        with distributed.Client(cluster) as client:
            envs = client.run(
                lambda: {k: os.environ.get(k) for k in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")}
            )
            worker_pids = set(client.run(os.getpid).values())
    assert remote.exit_code == 1, remote.output
    docs = json.loads(remote.stdout)
    assert [result_key(d) for d in docs] == [result_key(d) for d in json.loads(local.stdout)]
    share = str(thread_share(2))
    assert all(e == {"TF_NUM_INTRAOP_THREADS": share, "TF_NUM_INTEROP_THREADS": "1"} for e in envs.values())
    assert len(worker_pids) == 2 and os.getpid() not in worker_pids
    # Only the submitting process wrote the gradebook, once per graded submission.
    assert sorted(a.member for a in Gradebook(str(book)).attempts()) == ["alice", "bob", "erin", "캐롤"]


def test_unreachable_scheduler_is_one_line(runner, tiny_course):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        r = runner.invoke(
            cli,
            [
                "submit",
                str(tiny_course / "solutions"),
                "--scheduler",
                "tcp://127.0.0.1:9",
                "--no-record",
                "--course",
                str(tiny_course),
                "--lang",
                "en",
            ],
        )
    assert r.exit_code == 1 and "cannot reach the Dask scheduler" in r.output and "Traceback" not in r.output
