"""Run a notebook's code cells in a sandboxed kernel, then the grader's probe.

One kernel per submission, IPC transport, its own temporary folder, killed and
removed on every path. Per-cell and total time limits; outputs are capped. The
outcome says how the run ended; it never raises because of student code.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbformat
import numpy as np
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from grader.checks.base import ProbeOutput
from grader.execution.sandbox import Sandbox
from grader.course.spec import Limits

PROBE_SOURCE = (Path(__file__).with_name("probe_kernel.py")).read_text(encoding="utf-8")
MAX_PROBE_JSON = 50 * 2**20


@dataclass
class RunOutcome:
    status: str = "graded"          # graded | timeout | crashed | error
    message: str = ""
    error_cell: int | None = None   # 1-based cell number in the notebook
    probe: dict[str, ProbeOutput] = field(default_factory=dict)
    # One dict per extra probe round (calibration probes the same kernel many times).
    extra_probes: list[dict[str, ProbeOutput]] = field(default_factory=list)
    probe_error: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    protections: list[str] = field(default_factory=list)
    output_truncated: bool = False
    peak_memory_mb: float | None = None
    interrupted: bool = False       # the grader was asked to stop (Ctrl-C, SIGTERM)
    sandbox: Any = field(default=None, repr=False, compare=False)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose command goes through the sandbox launcher."""

    sandbox: Sandbox | None = None

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        return self.sandbox.wrap(cmd) if self.sandbox else cmd


class CappedClient(NotebookClient):
    """Drops outputs past a byte budget, so a flood cannot exhaust the grader."""

    output_budget: int = 512 * 1024
    truncated: bool = False

    def output(self, outs: list[Any], msg: dict[str, Any], display_id: str | None, cell_index: int) -> Any:
        if self.truncated:
            return None  # over the budget already: do not even measure (a flood stays cheap)
        size = len(json.dumps(msg.get("content", {}), default=str))
        if self.output_budget - size < 0:
            if not self.truncated:
                self.truncated = True
                note = nbformat.v4.new_output("stream", name="stderr",
                                              text="[grade: output limit reached; further output dropped]\n")
                outs.append(note)
            return None
        self.output_budget -= size
        return super().output(outs, msg, display_id, cell_index)


# Keras 3 colours its messages; a terminal escape in a gradebook row or an HTML
# report is noise.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _error_line(exc: CellExecutionError) -> str:
    ename = getattr(exc, "ename", "") or "Error"
    evalue = _ANSI.sub("", getattr(exc, "evalue", "") or "").strip().splitlines()
    return f"{ename}: {evalue[0][:300]}" if evalue else ename


def _limit_hint(exc: CellExecutionError, sandbox: Sandbox, limits: Limits) -> str:
    """Say which grader limit a student's error came from, when it is one."""
    ename = getattr(exc, "ename", "") or ""
    evalue = getattr(exc, "evalue", "") or ""
    if ename == "MemoryError":
        return f" (the grader's memory limit is {limits.memory_mb} MB)"
    if ename in ("BlockingIOError", "OSError", "RuntimeError") and (
            "Resource temporarily unavailable" in evalue or "can't start new thread" in evalue) \
            and sandbox.hit_process_limit():
        return f" (the grader allows at most {limits.max_processes} processes)"
    if "File too large" in evalue:
        return f" (the grader's file size limit is {limits.file_size_mb} MB)"
    return ""


def _student_line(exc: CellExecutionError) -> int | None:
    """The line in the student's cell where the error happened, from the traceback text."""
    tb = _ANSI.sub("", getattr(exc, "traceback", "") or "")
    for m in re.finditer(r"Cell In\[\d+\], line (\d+)", tb):
        return int(m.group(1))
    for m in re.finditer(r"^-*> ?(\d+)", tb, flags=re.M):
        return int(m.group(1))
    return None


def run_notebook(nb: nbformat.NotebookNode, limits: Limits, *,
                 probe_requests: list[dict[str, Any]], probe_inputs: dict[str, np.ndarray],
                 progress: Callable[[str, int, int], None] | None = None,
                 extra_rounds: list[tuple[list[dict[str, Any]], dict[str, np.ndarray]]] | None = None,
                 hide: list[Path] | None = None,
                 ) -> RunOutcome:
    """Execute `nb` with limits, then the probe. Always returns an outcome.

    `hide`: more folders (or files' folders) the kernel must not see, besides the
    ones registered with `sandbox.hide_from_kernels` (the gradebook's folder).
    SIGTERM of the grader is turned into KeyboardInterrupt while a kernel runs, so
    Ctrl-C and SIGTERM both go through the cleanup that kills the kernel's processes.
    """
    main = threading.current_thread() is threading.main_thread()
    old = None
    if main:
        old = signal.getsignal(signal.SIGTERM)
        if old in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _term_as_interrupt)
    outcome = RunOutcome()
    try:
        return asyncio.run(_run(nb, limits, probe_requests, probe_inputs, progress, extra_rounds or [],
                                list(hide or []), outcome))
    except asyncio.CancelledError:
        if outcome.interrupted:
            raise KeyboardInterrupt("the grader was interrupted") from None
        raise
    finally:
        if main and old in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if outcome.sandbox is not None:
            outcome.sandbox.cleanup()  # idempotent: covers a run interrupted mid-way


def _term_as_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt("SIGTERM")


async def _run(nb: nbformat.NotebookNode, limits: Limits, probe_requests: list[dict[str, Any]],
               probe_inputs: dict[str, np.ndarray],
               progress: Callable[[str, int, int], None] | None,
               extra_rounds: list[tuple[list[dict[str, Any]], dict[str, np.ndarray]]],
               hide: list[Path], outcome: RunOutcome) -> RunOutcome:
    t0 = time.monotonic()
    # The run's folder: home/ is the kernel's cwd and HOME; .kernel/ holds the
    # connection file and IPC sockets; probe folders appear only at probe time.
    workdir = Path(tempfile.mkdtemp(prefix="grade-run-", dir=_run_parent())).resolve()
    sandbox = Sandbox(workdir=workdir, limits=limits, hide=hide)
    outcome.sandbox = sandbox
    sandbox.prepare()
    sandbox.warn_if_degraded()
    km = SandboxedKernelManager(kernel_name="python3", transport="ipc",
                                ip=str(workdir / ".kernel" / "ipc"),
                                connection_file=str(workdir / ".kernel" / "connection.json"))
    km.sandbox = sandbox
    # A single huge message (print of a 1 GB string) must not reach the grader's
    # memory: zmq drops inbound messages over this size on every client socket.
    try:
        import zmq

        km.context.setsockopt(zmq.MAXMSGSIZE, max(8 * 2**20, 4 * limits.output_kb * 1024))
    except Exception:  # noqa: BLE001 - an older pyzmq: the output budget still applies
        pass
    (workdir / ".kernel").mkdir()
    client = CappedClient(nb, km=km, timeout=int(limits.cell_timeout_s), interrupt_on_timeout=False,
                          allow_errors=False, record_timing=False, kernel_name="python3",
                          startup_timeout=60, resources={"metadata": {"path": str(sandbox.home)}})
    client.output_budget = limits.output_kb * 1024
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    deadline = t0 + limits.total_timeout_s
    try:
        # The kernel's own stdout/stderr (TensorFlow's C++ logs) are not the student's output.
        async with client.async_setup_kernel(cwd=str(sandbox.home), env=sandbox.env(),
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            _stop_on_signals(outcome)
            sandbox.track(_kernel_pid(km))
            outcome.timings["kernel_start_s"] = time.monotonic() - t0
            for n, (index, cell) in enumerate(cells, start=1):
                if progress:
                    progress("cell", n, len(cells))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise asyncio.TimeoutError
                client.timeout = int(max(1, min(limits.cell_timeout_s, remaining)))
                client.grade_current_cell = index + 1
                try:
                    await asyncio.wait_for(client.async_execute_cell(cell, index), remaining + 5)
                except CellExecutionError as exc:
                    outcome.status = "error"
                    outcome.error_cell = index + 1
                    line = _student_line(exc)
                    where = f"cell {index + 1}" + (f", line {line}" if line else "")
                    outcome.message = f"{where}: {_error_line(exc)}{_limit_hint(exc, sandbox, limits)}"
                    break
            outcome.timings["cells_s"] = time.monotonic() - t0 - outcome.timings["kernel_start_s"]
            if progress:
                progress("probe", len(cells), len(cells))
            tp = time.monotonic()
            outcome.probe = await _probe(client, workdir, probe_requests, probe_inputs, limits, outcome)
            outcome.timings["probe_s"] = time.monotonic() - tp
            for reqs, inps in extra_rounds:
                outcome.extra_probes.append(await _probe(client, workdir, reqs, inps, limits, outcome))
    except (CellTimeoutError, asyncio.TimeoutError):
        outcome.status = "timeout"
        spent = time.monotonic() - t0
        cell_no = _current_cell(client)
        if sandbox.out_of_memory():
            # The memory limit killed the kernel; the timeout only noticed it later.
            outcome.status = "crashed"
            outcome.message = (f"the notebook ran out of memory while running cell {cell_no} "
                               f"(limit {limits.memory_mb} MB); use smaller arrays or batches")
        elif spent >= limits.total_timeout_s - 1:
            outcome.message = f"the notebook ran past the total limit of {limits.total_timeout_s:g} s"
        else:
            outcome.message = (f"cell {cell_no} ran past the limit of {limits.cell_timeout_s:g} s"
                               if cell_no else f"a cell ran past the limit of {limits.cell_timeout_s:g} s")
    except DeadKernelError:
        outcome.status = "crashed"
        cell_no = _current_cell(client)
        where = f"while running cell {cell_no}" if cell_no else "during the grader's checks"
        if sandbox.out_of_memory():
            outcome.message = (f"the notebook ran out of memory {where} "
                               f"(limit {limits.memory_mb} MB); use smaller arrays or batches")
        else:
            outcome.message = (f"the kernel died {where} "
                               f"(os._exit, a killed process, or native code such as TensorFlow or zmq aborting, often "
                               f"for lack of memory: the limit is {limits.memory_mb} MB per process)")
    except RuntimeError as exc:
        # nbclient reports a kernel that never came up as RuntimeError
        outcome.status = "crashed"
        outcome.message = f"the kernel could not run: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise  # the grader is being stopped: the finally below still kills the kernel
    except Exception as exc:  # noqa: BLE001 - e.g. a kernel whose json/zmq the notebook broke
        outcome.status = "crashed"
        cell_no = _current_cell(client)
        where = f" while running cell {cell_no}" if cell_no else ""
        outcome.message = (f"the kernel stopped talking to the grader properly{where} "
                           f"({type(exc).__name__}); did the notebook change json, zmq or the kernel's "
                           "internals?")
    finally:
        try:
            await asyncio.wait_for(km.shutdown_kernel(now=True), 10)
        except BaseException:  # noqa: BLE001 - cleanup below must run whatever happened
            pass
        outcome.peak_memory_mb = sandbox.peak_memory_mb()
        sandbox.cleanup()
        outcome.protections = list(sandbox.protections)
        outcome.output_truncated = client.truncated
        shutil.rmtree(workdir, ignore_errors=True)
    outcome.timings["total_s"] = time.monotonic() - t0
    return outcome


def _run_parent() -> str:
    """Where run folders go: the temp folder, unless its path is so long that the
    kernel's IPC socket paths would pass the AF_UNIX limit (~107 bytes)."""
    base = tempfile.gettempdir()
    # <base>/grade-run-XXXXXXXX/.kernel/ipc-NNNNN (37 bytes after <base>)
    if len(os.fsencode(base)) + 37 > 107:
        for short in ("/tmp", "/var/tmp", "/dev/shm"):
            if os.path.isdir(short) and os.access(short, os.W_OK):
                return short
    return base


def _stop_on_signals(outcome: RunOutcome) -> None:
    """Ctrl-C / SIGTERM of the grader stop the run (cleanup included) instead of
    nbclient's default, which kills the kernel and lets the run go on as a "crash"."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def stop() -> None:
        outcome.interrupted = True
        if task is not None:
            task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
        except (RuntimeError, NotImplementedError, ValueError):
            pass  # not the main thread, or no signals here


def _kernel_pid(km: AsyncKernelManager) -> int | None:
    prov = getattr(km, "provisioner", None)
    proc = getattr(prov, "process", None)
    return getattr(proc, "pid", None)


def _current_cell(client: NotebookClient) -> int | None:
    return getattr(client, "grade_current_cell", None)


def _probe_cell_source(probe_dir: Path) -> str:
    """The probe's text, then a call of it under fresh globals (only the builtins):
    whatever the notebook bound to `np`, `json`, `list`, `open`... does not reach it."""
    return (PROBE_SOURCE
            + "\n__grade_probe_run__.__class__(__grade_probe_run__.__code__, "
              "{'__builtins__': __grade_probe_run__.__builtins__, '__name__': '__grade_probe__'})"
            + f"({str(probe_dir)!r})\n")


async def _probe(client: NotebookClient, workdir: Path, requests: list[dict[str, Any]],
                 inputs: dict[str, np.ndarray], limits: Limits, outcome: RunOutcome) -> dict[str, ProbeOutput]:
    if not requests:
        return {}
    # A fresh, unguessable folder created only now: student code that ran
    # earlier could not have seen these inputs or prepared fake outputs there.
    probe_dir = workdir / f".probe-{secrets.token_hex(8)}"
    probe_dir.mkdir(parents=True)
    try:
        (probe_dir / "requests.json").write_text(json.dumps(requests), encoding="utf-8")
        np.savez(probe_dir / "inputs.npz", **inputs)
        cell = nbformat.v4.new_code_cell(_probe_cell_source(probe_dir))
        client.nb.cells.append(cell)
        client.output_budget = max(client.output_budget, 64 * 1024)
        client.timeout = int(limits.probe_timeout_s)
        try:
            await client.async_execute_cell(cell, len(client.nb.cells) - 1)
        except CellExecutionError as exc:
            outcome.probe_error = _error_line(exc)
            return {}
        finally:
            client.nb.cells.pop()
        return _read_probe(probe_dir, requests, outcome)
    finally:
        # The hidden inputs exist only while the probe runs.
        shutil.rmtree(probe_dir, ignore_errors=True)


def _regular_file(path: Path, limit: int) -> bool:
    """A plain file (not a symlink, FIFO or device) of at most `limit` bytes."""
    import stat

    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size <= limit


def _read_probe(probe_dir: Path, requests: list[dict[str, Any]], outcome: RunOutcome) -> dict[str, ProbeOutput]:
    """Read what the probe wrote; anything malformed is the student's, never a grader crash."""
    out_json, out_npz = probe_dir / "out.json", probe_dir / "out.npz"
    if not _regular_file(out_json, MAX_PROBE_JSON) or not _regular_file(out_npz, 2**31):
        outcome.probe_error = "the probe produced no readable output"
        return {}
    try:
        results = json.loads(out_json.read_text(encoding="utf-8"))
        with np.load(out_npz, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:  # noqa: BLE001 - anything the student left there is suspect
        outcome.probe_error = f"the probe output could not be read ({type(exc).__name__})"
        return {}
    if not isinstance(results, dict):
        outcome.probe_error = "the probe output could not be read (not a JSON object)"
        return {}
    wanted = {str(r["id"]) for r in requests}
    found: dict[str, ProbeOutput] = {}
    for rid, r in results.items():
        if rid not in wanted or not isinstance(r, dict):
            continue
        try:
            n = max(0, min(int(r.get("n_arrays", 0) or 0), 1000))
        except (TypeError, ValueError):
            n = 0
        found[rid] = ProbeOutput(ok=r.get("ok") is True, value=r.get("value"),
                                 arrays=[arrays[f"{rid}::{i}"] for i in range(n) if f"{rid}::{i}" in arrays],
                                 error=_ANSI.sub("", str(r.get("error", "")))[:1000])
    return found
