"""Grading on a Dask cluster: the same jobs as the local pool, on remote workers.

The submitter keeps the queue (at most two tasks per worker thread on the scheduler), so
it still reads each notebook only when it hands it out; results come back here and are
recorded by the submitter alone. Spare kernels are a local-pool feature: a Dask task has
no worker of its own to keep one in.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from grader.batch.bundle import course_bundle
from grader.batch.pool import Done, Job
from grader.batch.threads import cap_threads
from grader.errors import GradeError

if TYPE_CHECKING:
    from grader.batch.bundle import CourseBundle
    from grader.course.loader import Course


def dask_cap_threads(client: Any) -> int:  # noqa: ANN401
    """Cap threads on every Dask worker by how many task slots share its host; returns the slots.

    Workers on one host (`dask worker --nworkers 2 --nthreads 1`, or a
    LocalCluster) are separate processes that cannot see each other, so the
    submitter counts the slots per host and tells each worker its share.
    Workers that join later keep Dask's own default (OMP_NUM_THREADS=1).
    """
    try:
        info = client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:  # distributed before 2025: no n_workers, and all workers listed
        info = client.scheduler_info()["workers"]
    by_host: dict[str, list[str]] = {}
    slots: dict[str, int] = {}
    for addr, w in info.items():
        host = w.get("host") or addr
        by_host.setdefault(host, []).append(addr)
        slots[host] = slots.get(host, 0) + int(w.get("nthreads") or 1)
    for host, addrs in by_host.items():
        client.run(cap_threads, slots[host], workers=addrs)
    return sum(slots.values())


def run_on_dask(scheduler: str, course: Course, next_job: Callable[[Any], Job | None], done: Done) -> None:
    """Run the jobs `next_job(bundle)` gives on the cluster behind `scheduler`.

    `next_job` receives the scattered course bundle (what a job's course argument must be
    on remote workers) and returns a `Job` or None. Anything that goes wrong with one task
    (it raised, its worker died too often: KilledWorker, the scheduler went away) is that
    job's "error" outcome; an unreachable scheduler is one GradeError before any job."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise GradeError.told("errors.batch.needs_dask") from None
    import asyncio
    import concurrent.futures

    try:
        # How long to try: Dask's own setting (distributed.comm.timeouts.connect, 30 s by default).
        client = Client(scheduler)
    except (OSError, TimeoutError, ValueError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise GradeError.told("errors.batch.scheduler_unreachable", scheduler=scheduler, why=why) from None
    futures: dict[str, Any] = {}
    try:
        slots = dask_cap_threads(client)
        bundle: CourseBundle = client.scatter(course_bundle(course), broadcast=True)
        inflight: dict[str, Job] = {}
        results = as_completed()
        sent = 0

        def refill() -> None:
            nonlocal sent
            # Bounded like the local pool: the scheduler holds at most two per worker thread.
            while len(inflight) < max(4, 2 * slots):
                job = next_job(bundle)
                if job is None:
                    return
                sent += 1
                key = f"grade-{sent}-{os.urandom(4).hex()}"
                fut = client.submit(job.fn, *job.args, pure=False, key=key)  # the future's key is this one
                inflight[key] = job
                futures[key] = fut
                results.add(fut)

        refill()
        for fut in results:
            job = inflight.pop(fut.key)
            futures.pop(fut.key, None)
            try:
                value = fut.result()
            except (Exception, asyncio.CancelledError, concurrent.futures.CancelledError) as exc:
                first = str(exc).splitlines()[0] if str(exc).strip() else ""
                done(job, "error", type(exc).__name__ + (f": {first}" if first else ""))
            else:
                done(job, "ok", value)
            fut.release()
            refill()
    except BaseException:
        # Interrupted: take the queued and running tasks off the cluster too.
        with contextlib.suppress(Exception):
            client.cancel(list(futures.values()))
        raise
    finally:
        client.close()
