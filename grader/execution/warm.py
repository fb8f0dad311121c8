"""A spare kernel: started, and the notebook's libraries imported, while another notebook runs.

Starting a kernel (bubblewrap, cgroups, ipykernel: ~0.6 s) and `import tensorflow`
(several CPU seconds, one thread) come before every notebook's first real cell. A batch
worker starts the next kernel ahead, on a thread of its own, while the current notebook runs,
and hands it to the next notebook; the run then begins at the notebook's first cell.

What keeps this equal to a cold start:

- The spare has its own run folder and sandbox, built from the same `SandboxPolicy` (the
  same bound paths, user, seccomp filter, memory, process, disk and file-size limits) as
  a kernel started for that notebook. Time limits are not part of the sandbox: the runner
  applies them from the moment it takes the kernel, so the notebook's own time is measured
  as before.
- It imports only what the notebook itself imports first, before it runs any other code
  (`preload_for`): `import numpy as np / import tensorflow as tf / import keras` at the top
  of the first cell. Those imports would have been the kernel's first actions anyway, so
  nothing the notebook does can be affected: a notebook that sets an environment variable
  or changes `sys.path` before importing gets nothing preloaded. The self-check's set-up
  cell that opens every course notebook is passed over when it is the course's text to the
  character (`grader.selfcheck.setupcell`): outside Colab it imports only the standard
  library and a self-check that does nothing in a graded run. Only libraries on
  `PRELOADABLE` are imported, and the import binds no names (the notebook's own `import`
  statement then finds the module loaded). The kernel's history and execution count are
  untouched (`silent`, `store_history=False`).
- A root grader starts it niced (`SPARE_NICE`), so it takes only CPU the running notebooks
  leave idle, and gives every thread the grader's priority back before handing it over
  (a grader that cannot lower a nice value does not nice it).
- One notebook per spare: `take` hands it over once and the run disposes of it like any
  kernel; a spare that does not fit the next notebook, failed to start, or is left over
  when the batch ends is killed and its folder removed (`discard`), never reused.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.execution.priority import own_priority, set_priority

if TYPE_CHECKING:
    from grader.execution.kernel import SandboxedKernelManager
    from grader.execution.policy import SandboxPolicy
    from grader.execution.sandbox import Sandbox

# Top-level packages a spare may import for a notebook: the heavy ones this course uses.
PRELOADABLE = frozenset({"numpy", "pandas", "scipy", "sklearn", "matplotlib", "tensorflow", "keras"})
START_TIMEOUT_S = 60.0  # kernel start plus the preload, as the runner allows for a start
# A root grader starts spares niced, so that they take only CPU the running notebooks leave
# idle, and gives the kernel the grader's priority back when it hands it over. A grader
# that could not give it back (not root) does not nice it at all: the notebook must run as
# a cold kernel would.
SPARE_NICE = 10
_POLL_S = 0.25  # how often a starting spare checks whether it was discarded

_IMPORT = re.compile(r"^import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)\s*(?:#.*)?$")
_FROM = re.compile(r"^from\s+([\w.]+)\s+import\s+[\w\s,()*]+(?:#.*)?$")


def preload_for(code_cells: Iterable[str]) -> tuple[str, ...]:
    """The allow-listed modules a notebook imports before it runs anything else, in order.

    Reads the code cells from the top and stops at the first line that is not blank, a
    comment, or a plain import; `from x import y` counts as importing x. The course's own
    set-up cell (`selfcheck.setupcell`), exactly as the course wrote it, is passed over."""
    from grader.selfcheck.setupcell import is_setup_cell

    wanted: list[str] = []
    for source in code_cells:
        if is_setup_cell(source):
            continue
        for raw in source.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            names: list[str] = []
            if m := _IMPORT.match(line):
                names = [part.split()[0] for part in m.group(1).split(",")]
            elif m := _FROM.match(line):
                if m.group(1) == "__future__":
                    continue
                names = [m.group(1).split(".")[0]]
            else:
                return tuple(wanted)
            for name in names:
                if name.split(".")[0] in PRELOADABLE and name not in wanted:
                    wanted.append(name)
    return tuple(wanted)


def _preload_source(modules: tuple[str, ...]) -> str:
    # A function, called and deleted: the notebook's namespace gains no name.
    return (
        "def __grade_preload__():\n"
        "    import importlib\n"
        f"    for name in {list(modules)!r}:\n"
        "        importlib.import_module(name)\n"
        "__grade_preload__()\n"
        "del __grade_preload__\n"
    )


def kernel_pid(km: Any) -> int | None:  # noqa: ANN401
    from grader.execution.kernel import kernel_pid as pid_of

    return pid_of(km)


def sandbox_key(policy: SandboxPolicy) -> SandboxPolicy:
    """The policy without the time limits, which the runner applies, not the sandbox."""
    from dataclasses import replace

    limits = replace(policy.limits, cell_timeout_s=0.0, total_timeout_s=0.0, probe_timeout_s=0.0)
    return replace(policy, limits=limits)


_LOOP: asyncio.AbstractEventLoop | None = None
_LOOP_LOCK = threading.Lock()


def _starter_loop() -> asyncio.AbstractEventLoop:
    """The event loop, on a thread of its own, that starts every spare of this process.

    One long-lived thread rather than one per spare: bubblewrap's --die-with-parent (Linux
    PR_SET_PDEATHSIG) fires when the *thread* that started it ends, so a kernel started by
    a short-lived thread would be killed the moment that thread finished starting it."""
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="grade-spare-kernels", daemon=True).start()
            _LOOP = loop
        return _LOOP


class SpareKernel:
    """A kernel being started ahead, on the starter thread (see the module docstring)."""

    def __init__(self, policy: SandboxPolicy, preload: tuple[str, ...]) -> None:
        self.policy = policy
        self.preload = tuple(preload)
        self.problem = ""  # why it cannot be used ("" while fine)
        self.start_s: float | None = None  # how long starting it took, off the critical path
        self.workdir: Path | None = None
        self.sandbox: Sandbox | None = None
        self.km: SandboxedKernelManager | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._taken = False
        self._lock = threading.Lock()
        self._future: concurrent.futures.Future[None] | None = None
        self._niced = False

    @classmethod
    def start(cls, policy: SandboxPolicy, preload: Iterable[str] = ()) -> SpareKernel:
        """Begin starting a spare; returns at once."""
        spare = cls(policy, tuple(preload))
        spare._future = asyncio.run_coroutine_threadsafe(spare._boot(), _starter_loop())
        return spare

    # --- starting (on the starter thread's event loop) ------------------------------------

    async def _boot(self) -> None:
        t0 = time.monotonic()
        try:
            await self._start()
            if not self.problem:
                self.start_s = time.monotonic() - t0
        except BaseException as exc:  # noqa: BLE001 - a spare that fails is discarded, never fatal
            self.problem = self.problem or f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        finally:
            self._ready.set()

    async def _start(self) -> None:
        from grader.execution.kernel import new_kernel

        self.workdir, self.sandbox, self.km = new_kernel(self.policy)
        if self._stop.is_set():
            # take() may have said why already (it does not fit): keep that reason.
            self.problem = self.problem or "discarded"
            return
        sandbox, km = self.sandbox, self.km
        await km.start_kernel(
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
            cwd=str(sandbox.home),
            env=sandbox.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        sandbox.track(kernel_pid(km))
        self._niced = os.geteuid() == 0 and set_priority(sandbox, kernel_pid(km), min(19, own_priority() + SPARE_NICE))
        kc = km.client()
        # Shell and IOPub are all it needs (the manager says whether the kernel lives); no
        # heartbeat thread that a discard could catch half-started.
        kc.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            await self._within(deadline, kc.wait_for_ready(timeout=START_TIMEOUT_S))
            if self.preload:
                msg_id = kc.execute(_preload_source(self.preload), silent=True, store_history=False, allow_stdin=False)
                while True:
                    reply = await self._within(deadline, kc.get_shell_msg(timeout=START_TIMEOUT_S))
                    if reply.get("parent_header", {}).get("msg_id") == msg_id:
                        break
                content = reply.get("content", {})
                if content.get("status") != "ok":
                    self.problem = f"the preload failed ({content.get('ename', 'error')})"
        finally:
            kc.stop_channels()

    async def _within(self, deadline: float, coro: Any) -> Any:  # noqa: ANN401
        """Await `coro` until the deadline, giving up as soon as the spare is discarded."""
        task = asyncio.ensure_future(coro)
        try:
            while True:
                if self._stop.is_set():
                    raise RuntimeError("discarded")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"not ready within {START_TIMEOUT_S:g} s")
                done, _ = await asyncio.wait({task}, timeout=min(_POLL_S, remaining))
                if done:
                    return task.result()
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    # --- handing over --------------------------------------------------------------------

    def fits(self, policy: SandboxPolicy, preload: Iterable[str]) -> bool:
        """Started under the sandbox `policy` asks for, having imported nothing the notebook
        does not import first itself."""
        return sandbox_key(self.policy) == sandbox_key(policy) and set(self.preload) <= set(preload)

    def take(
        self, policy: SandboxPolicy, preload: Iterable[str]
    ) -> tuple[Path, Sandbox, SandboxedKernelManager] | None:
        """The started kernel (run folder, sandbox, manager) for one notebook, or None (and the
        spare discarded) when it does not fit, failed, or its kernel died meanwhile. Waits for a
        spare that is still starting: it is ahead of a cold start either way."""
        preload = tuple(preload)
        with self._lock:
            if self._taken:
                return None
            self._taken = True
        if not self.fits(policy, preload):
            self.problem = "it does not fit this notebook"
            self.discard()
            return None
        self._ready.wait(START_TIMEOUT_S + 5)
        km = self.km
        provisioner: Any = getattr(km, "provisioner", None)  # a local provisioner has a process
        alive = km is not None and getattr(provisioner, "has_process", False) and provisioner.process.poll() is None
        if self.problem or not alive or self.sandbox is None or self.workdir is None or km is None:
            self.problem = self.problem or "its kernel died"
            self.discard()
            return None
        if self._niced and not set_priority(self.sandbox, kernel_pid(km), own_priority()):
            self.problem = "its priority could not be given back"
            self.discard()
            return None
        # From here on the run owns it: the run's own clean-up kills and removes it.
        return self.workdir, self.sandbox, km

    def discard(self) -> None:
        """Kill it and remove its folder (idempotent; a spare that was handed over is the run's)."""
        with self._lock:
            handed = self._taken and not self.problem and self._ready.is_set()
            self._taken = True
        if handed:
            return
        self._stop.set()
        if self._future is not None:
            with contextlib.suppress(BaseException):
                self._future.result(START_TIMEOUT_S + 5)
        if self.sandbox is not None:
            self.sandbox.dispose()  # kills the kernel's processes, unmounts and deletes the run folder
