"""The local worker pool: N spawned processes, one job each at a time, each with its own pipe.

`grade submit --workers N` and `grade check --workers N` both run their notebooks here.
A job is a function and its arguments (plain data); the caller hands out jobs one at a
time as workers become free, so it reads a notebook only when a worker takes it.

- A worker that dies (a segfault, the OOM killer, a stray kill) costs exactly the job it
  was running (an "error" outcome) and is replaced; nobody else is re-run or disturbed.
  Our own pool rather than ProcessPoolExecutor: that one marks the whole pool broken when
  one worker dies and sends SIGTERM to the others, which would also cut short their
  kernels' clean-up when the batch is being stopped.
- A job may carry an `ahead` step, which the worker starts (in the background) before it
  runs the job: a spare kernel for the next notebook (`work.start_spare`). Whatever it
  returns is passed to the worker's next job as `kernel=`, once, and discarded after it.
  The pool tells the caller which plan a free worker's spare was started for, so the
  caller can hand it a notebook that fits.
- Stopping (Ctrl-C or SIGTERM of the submitter): each worker gets exactly one SIGTERM,
  stops its kernel and spare and cleans up, and only what is still alive 20 s later is
  killed (`grader.signals`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grader.batch.threads import cap_threads
from grader.errors import Phrase


@dataclass
class Job:
    """One unit of work for a worker; `tag` is the caller's and never leaves this process."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    tag: Any = None
    ahead: tuple[Callable[..., Any], tuple[Any, ...]] | None = None
    ahead_key: Any = None  # what `ahead` prepares (a KernelPlan), for the caller's next choice


# The caller's side: the next job for a free worker whose spare was prepared for `key`
# (None: nothing prepared), or None when there is no more work.
NextJob = Callable[[Any], "Job | None"]
# An outcome: ("ok", the function's value) or ("error", a one-line reason: the exception's
# type and first line, or a Phrase when the pool itself failed).
Done = Callable[[Job, str, Any], None]


def _run_job(job_fn: Callable[..., Any], args: tuple[Any, ...], spare: Any) -> tuple[str, Any]:  # noqa: ANN401
    """One job, with the spare started for it if any: ("ok", value) or ("error", why).
    KeyboardInterrupt (a stop) passes through; the spare is discarded either way."""
    try:
        return "ok", (job_fn(*args, kernel=spare) if spare is not None else job_fn(*args))
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a grader bug is this job's error outcome
        first = str(exc).splitlines()[0] if str(exc).strip() else ""
        return "error", type(exc).__name__ + (f": {first}" if first else "")
    finally:
        if spare is not None:
            spare.discard()  # used or not, a spare serves one notebook


def _start_ahead(ahead: tuple[Callable[..., Any], tuple[Any, ...]] | None) -> Any:  # noqa: ANN401
    if ahead is None:
        return None
    try:
        return ahead[0](*ahead[1])
    except Exception:  # noqa: BLE001 - no spare is never an error: the next job starts cold
        return None


def run_in_process(next_job: NextJob, done: Done) -> None:
    """The pool's loop with one worker, this process: spares included, no pipes."""
    spare: Any = None
    key: Any = None
    try:
        while (job := next_job(key)) is not None:
            mine, spare = spare, _start_ahead(job.ahead)
            key = job.ahead_key if spare is not None else None
            kind, value = _run_job(job.fn, job.args, mine)
            done(job, kind, value)
    finally:
        if spare is not None:
            spare.discard()


def _worker_main(conn: Any, slots: int, parent: int) -> None:  # noqa: ANN401
    """A worker process: receive (fn, args, ahead), send back ("ok", value) or ("error", why)."""
    from grader.signals import become_worker

    become_worker(parent)
    cap_threads(slots)
    spare: Any = None
    try:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError, KeyboardInterrupt):
                return
            if msg is None:
                return
            fn, args, ahead = msg
            mine, spare = spare, _start_ahead(ahead)
            try:
                reply = _run_job(fn, args, mine)
            except KeyboardInterrupt:
                return  # stopped (SIGTERM) after its kernel was cleaned up: take no further work
            try:
                conn.send(reply)
            except (OSError, ValueError):
                return
    finally:
        if spare is not None:
            spare.discard()


class _Slot:
    """One worker process, its pipe, the job it is running and the plan of its spare."""

    def __init__(self, ctx: Any, slots: int) -> None:  # noqa: ANN401
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, slots, os.getpid()), name="grade-worker")
        self.proc.start()
        child.close()
        self.job: Job | None = None
        self.ahead_key: Any = None

    def send(self, job: Job) -> None:
        self.job = job
        self.conn.send((job.fn, job.args, job.ahead))
        self.ahead_key = job.ahead_key if job.ahead is not None else None

    def take(self) -> Job:
        job, self.job = self.job, None
        assert job is not None
        return job


class LocalPool:
    """N spawned worker processes (fresh interpreters: nothing of the submitter's threads
    or gradebook connections is inherited), each with its share of the cores."""

    def __init__(self, workers: int, *, slots: int | None = None) -> None:
        import multiprocessing as mp

        self.ctx = mp.get_context("spawn")
        self.cap = slots or workers
        self.slots = [_Slot(self.ctx, self.cap) for _ in range(workers)]

    def run(self, next_job: NextJob, done: Done) -> None:
        """Hand out jobs until `next_job` has none and every worker has answered; `done`
        gets each outcome as it arrives."""
        failures: dict[int, int] = {}
        retry: deque[Job] = deque()
        try:
            while True:
                self._fill(next_job, done, failures, retry)
                if not self.busy():
                    break
                for slot, (kind, value) in self.wait():
                    done(slot.take(), kind, value)
        except BaseException:
            self.stop()  # Ctrl-C / SIGTERM: the workers' kernels are cleaned up, not orphaned
            raise
        self.close()

    def _fill(self, next_job: NextJob, done: Done, failures: dict[int, int], retry: deque[Job]) -> None:
        for index in range(len(self.slots)):
            while self.slots[index].job is None:
                slot = self.slots[index]
                job = retry.popleft() if retry else next_job(slot.ahead_key)
                if job is None:
                    return
                try:
                    slot.send(job)
                except OSError:  # this idle worker had died: replace it, try again (three times)
                    slot.job = None
                    self.replace(slot)
                    failures[id(job)] = failures.get(id(job), 0) + 1
                    if failures[id(job)] >= 3:
                        done(job, "error", Phrase("batch.failed.no_process"))
                    else:
                        retry.append(job)

    def busy(self) -> list[_Slot]:
        return [s for s in self.slots if s.job is not None]

    def wait(self) -> list[tuple[_Slot, tuple[str, Any]]]:
        """Block until some busy workers answer or die; their outcomes."""
        from multiprocessing.connection import wait

        busy = self.busy()
        ready = set(wait([s.conn for s in busy] + [s.proc.sentinel for s in busy]))
        out = []
        for slot in busy:
            if slot.conn not in ready and slot.proc.sentinel not in ready:
                continue
            try:
                if slot.conn.poll():
                    out.append((slot, slot.conn.recv()))
                    continue
            except (EOFError, OSError):
                pass
            slot.proc.join(5)
            code = slot.proc.exitcode
            out.append((slot, ("error", Phrase("batch.failed.process_died", {"code": code}))))
            self.replace(slot)  # the caller takes the dead one's job from the returned slot
        return out

    def replace(self, dead: _Slot) -> _Slot:
        """A fresh worker in the dead one's place (the caller deals with the dead one's job)."""
        fresh = _Slot(self.ctx, self.cap)
        with contextlib.suppress(Exception):
            dead.conn.close()
        self.slots[self.slots.index(dead)] = fresh
        return fresh

    def close(self) -> None:
        for s in self.slots:
            with contextlib.suppress(Exception):
                s.conn.send(None)
        for s in self.slots:
            s.proc.join(10)
            if s.proc.is_alive():
                s.proc.kill()
                s.proc.join(2)

    def stop(self) -> None:
        """SIGTERM once to each worker (a busy one stops its kernel and cleans up, an idle
        one just ends), then time to finish; only what is still alive after that is killed.
        Exactly one SIGTERM each: a second one during the kernel clean-up would kill the
        worker before it removed the kernel's processes and folder."""
        procs = [s.proc for s in self.slots if s.proc.is_alive()]
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.terminate()
        deadline = time.monotonic() + 20
        for proc in procs:
            proc.join(max(0.1, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(2)
