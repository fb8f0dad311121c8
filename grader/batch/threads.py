"""How many threads one grading slot's kernel may use, so N kernels share the cores."""

from __future__ import annotations

import os


def available_cores() -> int:
    """Cores this process may run on (CPU affinity / container limits), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def thread_share(slots: int, cores: int | None = None) -> int:
    """Threads one grading slot may use when `slots` kernels share the machine."""
    return max(1, (cores or available_cores()) // max(1, slots))


def cap_threads(slots: int) -> None:
    """Give the kernels this process starts their share of the cores, no more.

    N kernels each running TensorFlow with its default pools (one intra-op
    thread per core, plus inter-op threads) would run N x cores threads on the
    machine: they fight for the cores, and each context switch costs the
    training loop more than a smaller pool does. So each slot gets
    cores // slots intra-op (and OpenMP/oneDNN) threads and one inter-op thread
    (the chapter's small sequential models have little inter-op parallelism).
    The sandbox passes exactly these variables on to the kernel (`Sandbox.env`).
    Run by every pool worker when it starts, and on every Dask worker.
    """
    share = str(thread_share(slots))
    for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ[var] = share
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
