"""How the grader's processes stop: one definition for the batch, its workers and the runner.

- A grader that is told to stop (Ctrl-C, or SIGTERM from `kill` or a cancelled CI job)
  leaves through the same door: KeyboardInterrupt, so every `finally` that kills a kernel
  and removes its run folder runs (`sigterm_as_interrupt`).
- A worker process belongs to its submitter: it leaves the terminal's process group (only
  the submitter sees Ctrl-C and then sends each worker exactly one SIGTERM), ignores a
  stray SIGINT, and gets SIGTERM when the submitter dies (`become_worker`).

Exactly one SIGTERM per worker matters: a second one during a kernel's clean-up would end
the worker before it removed the kernel's processes and folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

PR_SET_PDEATHSIG = 1


def _raise_interrupt(signum: int, frame: Any) -> None:  # noqa: ANN401
    raise KeyboardInterrupt("SIGTERM")


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises KeyboardInterrupt in the main thread.

    Only when nobody else handles SIGTERM (a host application's own handler is left
    alone) and only in the main thread (signal handlers cannot be set elsewhere);
    the previous disposition comes back on the way out. Nesting is harmless."""
    main = threading.current_thread() is threading.main_thread()
    mine = False
    if main and signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _raise_interrupt)
        mine = True
    try:
        yield
    finally:
        if mine:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def stop_with_parent(parent: int, sig: int = signal.SIGTERM) -> None:
    """Have the kernel send `sig` to this process when its parent dies (Linux).

    If the parent `parent` is already gone (it died before the request took effect),
    exit at once: nobody is left to take this process's results."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def become_worker(parent: int) -> None:
    """Set up a worker process of the batch pool: own process group, SIGINT ignored,
    SIGTERM when the submitter `parent` dies."""
    import logging

    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    stop_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # nbclient's cell tasks, cancelled by a stop, would each log "Task exception was
    # never retrieved"; the submitter reports the interruption already.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
