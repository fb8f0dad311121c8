"""The kernel's side of the worker process: start it, send it requests, read its replies.

One worker per kernel, started when a notebook kernel imports the self-check (`prestart`,
which also asks it to prepare the notebook's exercise) and kept for the kernel's life:
closing its pipe ends it, so does worker.IDLE_S without a request. A worker that fails or
does not answer in time is ended, and the next self-check starts a new one.

Kernel side: the standard library only.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import grader
from grader.i18n import LANGS, text
from grader.selfcheck.locate import in_graded_run, locate_notebook, shell
from grader.selfcheck.protocol import PASSED_ENV

PLAN_TIMEOUT_S = 120.0
EVALUATE_TIMEOUT_S = 120.0  # the quiz scorer's first answer loads the Korean analyser


class WorkerGone(Exception):
    """The worker did not answer (it died or took too long); `said(lang)` tells which."""

    def __init__(self, key: str, /, **fields: Any) -> None:  # noqa: ANN401
        self.key, self.fields = key, fields
        super().__init__(text(key, "en", **fields))

    def said(self, lang: str) -> str:
        return text(self.key, lang, **self.fields)

    def told(self, key: str) -> dict[str, str]:
        """The catalog entry `key`, its `{exc}` this reason, in both languages."""
        return {lang: text(key, lang, exc=self.said(lang)) for lang in LANGS}


class WorkerProcess:
    """One worker process and the pipe to it."""

    def __init__(self) -> None:
        self.log_dir = Path(tempfile.mkdtemp(prefix="grade-selfcheck-log-"))
        self.log = open(self.log_dir / "worker.log", "wb")  # noqa: SIM115 - lives as long as the worker
        env = dict(os.environ)
        # The worker imports the same `grader` this kernel did, even one found through sys.path.
        here = str(Path(grader.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join([here, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
        # Its linear algebra is small (a baseline's least squares): BLAS threads spinning beside a
        # busy kernel made it five times slower on a loaded 2-core machine, not faster.
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.selfcheck.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
            cwd=os.getcwd(),
            start_new_session=True,
        )
        self.buf = b""
        self.unread = 0  # replies to send() still to be skipped

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, request: dict[str, Any]) -> None:
        """A request whose reply nobody waits for (`prepare`); the next ask() skips that reply."""
        self._write(request)
        self.unread += 1

    def _write(self, request: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._gone("selfcheck.client.had_stopped", "selfcheck.client.had_stopped_saying") from None

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        self._write(request)
        deadline = time.monotonic() + timeout
        while self.unread:
            self._line(deadline, timeout)
            self.unread -= 1
        return json.loads(self._line(deadline, timeout))

    def _line(self, deadline: float, timeout: float) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise WorkerGone("selfcheck.client.no_answer", seconds=timeout)
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise self._gone("selfcheck.client.stopped", "selfcheck.client.stopped_saying")
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def _gone(self, key: str, saying: str) -> WorkerGone:
        """Why the worker is gone (`key`), or with the last line it wrote to its log (`saying`:
        a traceback's last line)."""
        self.proc.poll()
        try:
            tail = (self.log_dir / "worker.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            tail = []
        last = next((ln for ln in reversed(tail) if ln.strip()), "")
        return WorkerGone(saying, last=last[:300]) if last else WorkerGone(key)

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.log.close()
        shutil.rmtree(self.log_dir, ignore_errors=True)


# The kernel's one worker; requests to it go one at a time, under LOCK.
LOCK = threading.Lock()
_WORKER: WorkerProcess | None = None


def _worker() -> WorkerProcess:
    global _WORKER
    if _WORKER is None or not _WORKER.alive():
        if _WORKER is not None:
            _WORKER.close()
        _WORKER = WorkerProcess()
    return _WORKER


def worker_alive() -> bool:
    """Whether this kernel has a worker running (tests: a graded run starts none)."""
    return _WORKER is not None and _WORKER.alive()


@atexit.register
def _stop_worker() -> None:
    global _WORKER
    if _WORKER is not None:
        _WORKER.close()
        _WORKER = None


def prestart() -> None:
    """Start the worker when a notebook kernel imports the self-check (the notebooks' first
    cell does), and let it prepare this notebook's exercise: load the course, compute the
    practice data, load the quiz scorer and score the saved answer, while the notebook trains.
    Never inside a graded run."""
    sh = shell()
    if sh is None or in_graded_run() or not hasattr(sh, "kernel"):
        return
    if not LOCK.acquire(blocking=False):
        return
    try:
        located = locate_notebook(sh.user_ns)
        worker = _worker()
        if located.path is not None:
            worker.send(
                {
                    "op": "prepare",
                    "notebook": str(located.path),
                    "exercise": None,
                    "cwd": os.getcwd(),
                    "lang": None,
                    "only": None,
                    "env": passed_env(),
                }
            )
    except (OSError, WorkerGone):
        pass  # the self-check says why, when it is called
    finally:
        LOCK.release()


def passed_env() -> dict[str, str]:
    """The kernel's settings each request carries (protocol.PASSED_ENV)."""
    return {k: os.environ.get(k, "") for k in PASSED_ENV}


def stop_worker() -> None:
    """End the worker now (the next self-check starts a new one)."""
    with LOCK:
        _stop_worker()


def worker_status() -> dict[str, Any]:
    """The worker's pid and the heavy modules it has loaded (benchmarks and tests)."""
    with LOCK:
        return _worker().ask({"op": "status"}, PLAN_TIMEOUT_S)


def ask(request: dict[str, Any], timeout: float) -> dict[str, Any]:
    """One request to the worker (the caller holds LOCK). A worker that failed, or a wait cut
    short (Ctrl-C in the notebook), ends the worker: its late reply would answer the next question."""
    worker = _worker()
    try:
        return worker.ask(request, timeout)
    except BaseException:
        _stop_worker()
        raise
