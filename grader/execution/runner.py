"""Run a notebook's code cells in a sandboxed kernel, then the grader's probe.

One kernel per submission, IPC transport, its own temporary folder, killed and
removed on every path. Per-cell and total time limits; outputs are capped. The
outcome says how the run ended; it never raises because of student code.

Requests marked `"where": "clean"` never reach the kernel: the probe only saves
the models they name, and a second sandboxed process with no student code (the
clean loader, started while the notebook runs) answers them from those files.
The kernel and every process it started are dead before the grader reads any
file the probe wrote, so nothing can rewrite them after the probe.
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
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbformat
import numpy as np
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from grader.checks.base import ProbeOutput
from grader import errortext
from grader.course.spec import Limits
from grader.execution.policy import SandboxPolicy, build_policy
from grader.execution import bounded
from grader.execution.sandbox import Sandbox
from grader.execution.warm import SpareKernel, preload_for
from grader.results.attempt import CellError
from grader.signals import sigterm_as_interrupt

PROBE_SOURCE = (Path(__file__).with_name("probe_kernel.py")).read_text(encoding="utf-8")
MAX_PROBE_JSON = bounded.MAX_JSON_BYTES
SAVE_PREFIX = "grade:save/"      # ids of the probe's own save requests
MAX_LOADS_JSON = 2**20
# The loader imports Keras while the notebook runs; if the notebook was quicker, the wait
# for its answers includes the rest of that start.
LOADER_START_S = 60.0
LOADER_NICE = 5


@dataclass
class RunOutcome:
    status: str = "graded"          # graded | timeout | crashed | error (every code cell raised)
    message: str = ""
    # Every code cell runs, also after one raised: what each failing cell raised, in order.
    cell_errors: list[CellError] = field(default_factory=list)
    code_cells: int = 0             # code cells with something to run
    # (code cell number, line) of each package-installing line that was not run.
    skipped_installs: list[tuple[int, str]] = field(default_factory=list)
    uses_colab: bool = False        # the notebook imports google.colab (a stand-in here)
    probe: dict[str, ProbeOutput] = field(default_factory=dict)
    # One dict per extra probe round (calibration probes the same kernel many times).
    extra_probes: list[dict[str, ProbeOutput]] = field(default_factory=list)
    probe_error: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    # Seconds each code cell ran, in order (code cell n is entry n - 1), up to the one that
    # ended the run.
    cell_times: list[float] = field(default_factory=list)
    protections: list[str] = field(default_factory=list)
    output_truncated: bool = False
    peak_memory_mb: float | None = None
    interrupted: bool = False       # the grader was asked to stop (Ctrl-C, SIGTERM)
    sandbox: Any = field(default=None, repr=False, compare=False)
    clean_sandbox: Any = field(default=None, repr=False, compare=False)


# What the grader's side of the kernel's sockets accepts. zmq enforces MAXMSGSIZE per
# frame (an oversized one drops the connection; it never reaches memory) and RCVHWM per
# socket (messages queued before the grader reads them). Outputs past the output budget
# are dropped anyway, so a frame over 2 MB is never something the grader needs.
MIN_MESSAGE_BYTES = 2 * 2**20
RECEIVE_QUEUE = 32


def cap_sockets(context: Any, max_bytes: int) -> None:  # noqa: ANN401
    """Make every socket `context` creates from now on refuse frames over `max_bytes`."""
    import zmq

    context.setsockopt(zmq.MAXMSGSIZE, int(max_bytes))
    context.setsockopt(zmq.RCVHWM, RECEIVE_QUEUE)


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose command goes through the sandbox launcher."""

    sandbox: Sandbox | None = None
    max_message_bytes: int = 8 * 2**20

    def client(self, **kwargs: Any) -> Any:  # noqa: ANN401
        # jupyter_client gives the client a zmq context of its own (not self.context): the
        # cap must go on that one, before start_channels() creates the sockets.
        kc = super().client(**kwargs)
        cap_sockets(kc.context, self.max_message_bytes)
        return kc

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        return self.sandbox.wrap(cmd) if self.sandbox else cmd

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        if self.sandbox is not None:  # written by the grader, read by the kernel's own user
            self.sandbox.give_to_kernel(Path(self.connection_file))


class _DropWatch:
    """Notices the client sockets zmq disconnected because a frame was over MAXMSGSIZE.

    zmq never reconnects those by itself: the iopub channel would stay deaf for the rest
    of the run (every later cell waiting out nbclient's iopub timeout, the probe's output
    lost). Reconnecting loses only what the kernel sent meanwhile."""

    def __init__(self, kc: Any) -> None:  # noqa: ANN401
        import zmq

        self.watched: list[tuple[Any, Any, Any]] = []
        for name in ("shell_channel", "iopub_channel", "stdin_channel", "control_channel"):
            sock = getattr(getattr(kc, name, None), "socket", None)
            if sock is None:
                continue
            mon = sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
            # A blocking view of the same socket: read without awaiting, between cells.
            self.watched.append((sock, mon, zmq.Socket.shadow(mon.underlying)))

    def reconnect(self) -> int:
        """Reconnect every dropped socket; returns how many drops there were."""
        import zmq
        from zmq.utils.monitor import parse_monitor_message

        drops = 0
        for sock, _mon, view in self.watched:
            while True:
                try:
                    event = parse_monitor_message(view.recv_multipart(zmq.NOBLOCK))
                except zmq.ZMQError:  # nothing more (Again), or the socket is gone
                    break
                if event["event"] != zmq.EVENT_DISCONNECTED:
                    continue
                drops += 1
                url = event["endpoint"].decode()
                try:
                    sock.disconnect(url)
                except zmq.ZMQError:
                    pass
                try:
                    sock.connect(url)
                except zmq.ZMQError:
                    pass
        return drops


class CappedClient(NotebookClient):
    """Drops outputs past a byte budget, so a flood cannot exhaust the grader; keeps every
    cell, the probe included, inside the run's total time (`deadline`, a monotonic time)."""

    output_budget: int = 512 * 1024
    truncated: bool = False
    deadline: float | None = None
    _drops: _DropWatch | None = None

    async def async_start_new_kernel_client(self) -> Any:  # noqa: ANN401
        kc = await super().async_start_new_kernel_client()
        try:
            self._drops = _DropWatch(kc)
        except Exception:  # noqa: BLE001 - no monitor support: the per-frame cap still holds
            self._drops = None
        return kc

    async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise asyncio.TimeoutError
            self.timeout = int(max(1, min(self.timeout or remaining, remaining)))
        try:
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        finally:
            # A message over the cap was refused: say so like any other dropped output. A
            # kernel that died also disconnects every socket; that is not a refused message.
            if self._drops is not None and self._drops.reconnect() and await self._kernel_alive():
                self.truncated = True

    async def _kernel_alive(self) -> bool:
        try:
            return bool(await ensure_async(self.km.is_alive())) if self.km is not None else False
        except Exception:  # noqa: BLE001 - a manager in the middle of shutting down
            return False

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


def _limit_hit(ename: str, evalue: str, sandbox: Sandbox) -> str:
    """Which grader limit a student's error came from ("memory", "processes", "file_size",
    "disk"), or "" when it is none of them."""
    if ename == "MemoryError":
        return "memory"
    if ename in ("BlockingIOError", "OSError", "RuntimeError") and (
            "Resource temporarily unavailable" in evalue or "can't start new thread" in evalue) \
            and sandbox.hit_process_limit():
        return "processes"
    if "File too large" in evalue:
        return "file_size"
    if "No space left on device" in evalue and sandbox.quota:
        return "disk"
    return ""


# Lines that install packages: pip, conda or apt as a shell escape or magic, also
# `!python -m pip` and `!{sys.executable} -m pip`. The sandbox has no network, so they
# could only wait for a timeout; they are not run, and the result says so.
_INSTALL = re.compile(
    r"^(?P<indent>[ \t]*)[!%]\s*(?:sudo\s+)?"
    r"(?:pip3?|conda|mamba|micromamba|apt(?:-get)?|uv\s+pip"
    r"|(?:python3?|\{sys\.executable\}|\$\{?sys\.executable\}?)\s+-m\s+pip)(?:\s|$)")
_COLAB = re.compile(r"\bgoogle\.colab\b|\bfrom\s+google\s+import\s+colab\b")
MAX_TRACEBACK_CHARS = 20_000


def without_installs(source: str) -> tuple[str, list[str]]:
    """`source` with each package-installing line replaced by `pass` (its continuation lines
    by blank ones, so that line numbers stay the student's), and the lines replaced."""
    lines = source.split("\n")
    skipped: list[str] = []
    i = 0
    while i < len(lines):
        m = _INSTALL.match(lines[i])
        if not m:
            i += 1
            continue
        skipped.append(lines[i].strip())
        continued = lines[i].rstrip().endswith("\\")
        lines[i] = f"{m.group('indent')}pass  # grade: not run, the sandbox has no network"
        i += 1
        while continued and i < len(lines):  # `!pip install a \` goes on in the next line
            continued = lines[i].rstrip().endswith("\\")
            lines[i] = ""
            i += 1
    return "\n".join(lines), skipped


def _cell_error(reply: dict[str, Any], code_cell: int, index: int, cell: Any, sandbox: Sandbox) -> CellError:
    """What a failing cell raised, from its execute_reply (present even when the cell's
    outputs were dropped at the output limit)."""
    ename = str(reply.get("ename") or "Error")
    evalue = str(reply.get("evalue") or "")
    tb = errortext.full_text([str(t) for t in reply.get("traceback") or []])
    count = cell.get("execution_count") or reply.get("execution_count")
    return CellError(code_cell=code_cell, execution_count=int(count) if isinstance(count, int) else None,
                     cell=index + 1, ename=ename, summary=errortext.summary(ename, evalue),
                     line=_student_line(tb), traceback=tb[:MAX_TRACEBACK_CHARS],
                     limit=_limit_hit(ename, evalue, sandbox))


def _student_line(traceback: str) -> int | None:
    """The line in the student's cell where the error happened, from the traceback text."""
    tb = _ANSI.sub("", traceback or "")
    for m in re.finditer(r"Cell In\[\d+\], line (\d+)", tb):
        return int(m.group(1))
    for m in re.finditer(r"^-*> ?(\d+)", tb, flags=re.M):
        return int(m.group(1))
    return None


def run_notebook(nb: nbformat.NotebookNode, limits: Limits, *,
                 probe_requests: list[dict[str, Any]], probe_inputs: dict[str, np.ndarray],
                 progress: Callable[[str, int, int], None] | None = None,
                 extra_rounds: list[tuple[list[dict[str, Any]], dict[str, np.ndarray]]] | None = None,
                 policy: SandboxPolicy | None = None,
                 kernel: SpareKernel | None = None,
                 ) -> RunOutcome:
    """Execute `nb` with limits, then the probe. Always returns an outcome.

    `probe_requests` marked `"where": "clean"` are answered by the clean loader from the
    saved models; `outcome.probe` holds every request's output either way, keyed by id.
    `policy`: what the kernel may see and use (`build_policy(limits)` when not given).
    `kernel`: a spare started ahead (`warm.SpareKernel`); used if it fits this notebook's
    policy and imports, else discarded and a kernel started as usual.
    SIGTERM of the grader is turned into KeyboardInterrupt while a kernel runs, so
    Ctrl-C and SIGTERM both go through the cleanup that kills the kernel's processes.
    """
    outcome = RunOutcome()
    try:
        with sigterm_as_interrupt():
            return asyncio.run(_run(nb, limits, probe_requests, probe_inputs, progress, extra_rounds or [],
                                    policy or build_policy(limits), outcome, kernel))
    except asyncio.CancelledError:
        if outcome.interrupted:
            raise KeyboardInterrupt("the grader was interrupted") from None
        raise
    finally:
        if kernel is not None:
            kernel.discard()  # a spare that was not taken; one that was is the run's own now
        for sb in (outcome.sandbox, outcome.clean_sandbox):
            if sb is not None:
                sb.dispose()  # idempotent: covers a run interrupted mid-way; unmounts the run folder


def new_kernel(policy: SandboxPolicy) -> tuple[Path, Sandbox, SandboxedKernelManager]:
    """A run folder, its prepared sandbox, and a manager for a kernel not yet started in it.

    The run's folder: home/ is the kernel's cwd and HOME; .kernel/ holds the connection
    file and IPC sockets; probe folders appear only at probe time."""
    limits = policy.limits
    workdir = Path(tempfile.mkdtemp(prefix="grade-run-", dir=_run_parent())).resolve()
    sandbox = Sandbox(workdir=workdir, policy=policy)
    sandbox.prepare()
    sandbox.warn_if_degraded()
    km = SandboxedKernelManager(kernel_name="python3", transport="ipc",
                                ip=str(workdir / ".kernel" / "ipc"),
                                connection_file=str(workdir / ".kernel" / "connection.json"))
    km.sandbox = sandbox
    # A single huge message (a 200 MB PNG in display_data) must not reach the grader's
    # memory: the manager's own sockets and the client's (SandboxedKernelManager.client)
    # refuse frames over this size.
    km.max_message_bytes = max(MIN_MESSAGE_BYTES, 4 * limits.output_kb * 1024)
    cap_sockets(km.context, km.max_message_bytes)
    return workdir, sandbox, km


async def _run(nb: nbformat.NotebookNode, limits: Limits, probe_requests: list[dict[str, Any]],
               probe_inputs: dict[str, np.ndarray],
               progress: Callable[[str, int, int], None] | None,
               extra_rounds: list[tuple[list[dict[str, Any]], dict[str, np.ndarray]]],
               policy: SandboxPolicy, outcome: RunOutcome, kernel: SpareKernel | None = None) -> RunOutcome:
    t0 = time.monotonic()
    rounds = [split_round(reqs, inps) for reqs, inps in [(probe_requests, probe_inputs), *extra_rounds]]
    models = model_files(rounds)
    ready = kernel.take(policy, preload_for(c.source for c in nb.cells if c.cell_type == "code")) \
        if kernel is not None else None
    if ready is not None:
        workdir, sandbox, km = ready
        outcome.timings["kernel_ahead_s"] = kernel.start_s or 0.0  # type: ignore[union-attr]
    else:
        workdir, sandbox, km = new_kernel(policy)
    outcome.sandbox = sandbox
    client = CappedClient(nb, km=km, timeout=int(limits.cell_timeout_s), interrupt_on_timeout=False,
                          allow_errors=False, record_timing=False, kernel_name="python3",
                          startup_timeout=60, resources={"metadata": {"path": str(sandbox.home)}})
    client.output_budget = limits.output_kb * 1024
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for n, (_, cell) in enumerate(cells, start=1):
        cell.source, skipped = without_installs(cell.source)
        outcome.skipped_installs += [(n, line) for line in skipped]
        outcome.uses_colab = outcome.uses_colab or bool(_COLAB.search(cell.source))
    outcome.code_cells = sum(1 for _, c in cells if c.source.strip())  # nbclient skips empty ones
    # Every code cell runs, as in nbgrader and otter: a failing cell is recorded (the hook
    # has its execute_reply) and the next one runs. allow_errors also keeps the kernel from
    # aborting requests queued behind an error. The probe's failures must raise (_probe).
    failed: dict[int, dict[str, Any]] = {}

    def on_cell_error(cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:  # noqa: ANN401
        if "raises-exception" not in cell.metadata.get("tags", []):  # an error the notebook expects
            failed[cell_index] = dict(execute_reply.get("content") or {})

    client.on_cell_error = on_cell_error
    deadline = t0 + limits.total_timeout_s
    client.deadline = deadline  # the probe's cells count in the total limit too
    probe_dirs: list[Path | None] = []
    # Started before the kernel, so that importing Keras overlaps the notebook's run.
    loader = CleanLoader.start(policy) if models else None
    if loader is not None:
        outcome.clean_sandbox = loader.sandbox
    try:
        try:
            # The kernel's own stdout/stderr (TensorFlow's C++ logs) are not the student's output.
            async with client.async_setup_kernel(cwd=str(sandbox.home), env=sandbox.env(),
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
                _stop_on_signals(outcome)
                sandbox.track(kernel_pid(km))
                if loader is not None:
                    loader.track()
                outcome.timings["kernel_start_s"] = time.monotonic() - t0
                client.allow_errors = True
                for n, (index, cell) in enumerate(cells, start=1):
                    if progress:
                        progress("cell", n, len(cells))
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise asyncio.TimeoutError
                    client.timeout = int(max(1, min(limits.cell_timeout_s, remaining)))
                    client.grade_current_cell = n  # the code cell's number, as the member counts
                    started = time.monotonic()
                    try:
                        await asyncio.wait_for(client.async_execute_cell(cell, index), remaining + 5)
                    finally:
                        # Also the cell that ran out of time: how close each cell came to its limit.
                        outcome.cell_times.append(time.monotonic() - started)
                    reply = failed.pop(index, None)
                    if reply is not None:
                        outcome.cell_errors.append(_cell_error(reply, n, index, cell, sandbox))
                client.allow_errors = False
                client.grade_current_cell = None
                if outcome.code_cells and len(outcome.cell_errors) >= outcome.code_cells:
                    outcome.status = "error"  # nothing of the notebook ran to its end
                outcome.timings["cells_s"] = time.monotonic() - t0 - outcome.timings["kernel_start_s"]
                if progress:
                    progress("probe", len(cells), len(cells))
                sandbox.make_room_for_probe()  # a notebook that filled its quota leaves none for the probe
                tp = time.monotonic()
                for i, rnd in enumerate(rounds):
                    reqs = rnd.kernel + (save_requests(models) if i == 0 else [])
                    probe_dirs.append(await _probe(client, workdir, sandbox, reqs, rnd.kernel_inputs, limits, outcome))
                    if i == 0:
                        outcome.timings["probe_s"] = time.monotonic() - tp
        except (CellTimeoutError, asyncio.TimeoutError):
            outcome.status = "timeout"
            spent = time.monotonic() - t0
            cell_no = _current_cell(client)
            if sandbox.out_of_memory():
                # The memory limit killed the kernel; the timeout only noticed it later.
                outcome.status = "crashed"
                outcome.message = (f"the notebook ran out of memory while running code cell {cell_no} "
                                   f"(limit {limits.memory_mb} MB); use smaller arrays or batches")
            elif spent >= limits.total_timeout_s - 1:
                outcome.message = f"the notebook ran past the total limit of {limits.total_timeout_s:g} s"
            else:
                outcome.message = (f"code cell {cell_no} ran past the limit of {limits.cell_timeout_s:g} s"
                                   if cell_no else f"a cell ran past the limit of {limits.cell_timeout_s:g} s")
        except DeadKernelError:
            outcome.status = "crashed"
            cell_no = _current_cell(client)
            where = f"while running code cell {cell_no}" if cell_no else "during the grader's checks"
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
            where = f" while running code cell {cell_no}" if cell_no else ""
            outcome.message = (f"the kernel stopped talking to the grader properly{where} "
                               f"({type(exc).__name__}); did the notebook change json, zmq or the kernel's "
                               "internals?")
        finally:
            try:
                await asyncio.wait_for(km.shutdown_kernel(now=True), 10)
            except BaseException:  # noqa: BLE001 - cleanup below must run whatever happened
                pass
            # The client is ours to close (nbclient leaves it open when it does not own the
            # manager): its sockets and monitors would otherwise stay open, a dozen descriptors
            # per notebook, until a long batch's worker runs out of them.
            if client.kc is not None:
                try:
                    client.kc.stop_channels()
                except Exception:  # noqa: BLE001 - a client already half closed
                    pass
            outcome.peak_memory_mb = sandbox.peak_memory_mb()
            sandbox.cleanup()
            outcome.protections = list(sandbox.protections)
            outcome.output_truncated = client.truncated
        # From here on the kernel and every process it started are dead: what the probe left
        # in its folders can no longer change while the grader reads it.
        found = [_read_probe(d, rnd.kernel + (save_requests(models) if i == 0 else []), outcome)
                 if d is not None else {} for i, (d, rnd) in enumerate(zip(probe_dirs, rounds))]
        saves = {k: found[0].pop(k) for k in list(found[0]) if k.startswith(SAVE_PREFIX)} if found else {}
        if loader is not None:
            tc = time.monotonic()
            if probe_dirs and probe_dirs[0] is not None:
                if progress:
                    progress("clean", len(cells), len(cells))
                clean = await loader.answer(rounds, models, saves, probe_dirs[0] / "models", limits)
                outcome.protections.append("models measured in a second sandbox that runs no student code "
                                           "(Keras safe mode)")
            else:
                why = outcome.probe_error or "the probe did not run"
                clean = [{r["id"]: ProbeOutput(ok=False, error=why) for r in rnd.clean} if probe_dirs else {}
                         for rnd in rounds]
            for i, outs in enumerate(clean):
                if i < len(found):
                    found[i].update(outs)
            outcome.timings["clean_s"] = time.monotonic() - tc
            outcome.timings.update({f"clean_{k}": v for k, v in loader.timings.items()})
        if found:
            outcome.probe, outcome.extra_probes = found[0], found[1:]
    finally:
        if loader is not None:
            loader.close()
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


def kernel_pid(km: AsyncKernelManager) -> int | None:
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
            + f"({str(probe_dir)!r}, None)\n")


@dataclass
class ProbeRound:
    """One round of requests, split by where they are answered."""

    kernel: list[dict[str, Any]]
    kernel_inputs: dict[str, np.ndarray]
    clean: list[dict[str, Any]]
    clean_inputs: dict[str, np.ndarray]


def split_round(requests: list[dict[str, Any]], inputs: dict[str, np.ndarray]) -> ProbeRound:
    """Kernel requests with only their own inputs; clean requests with theirs. The hidden
    inputs of a clean request never enter the student's kernel."""
    kernel = [r for r in requests if r.get("where") != "clean"]
    clean = [r for r in requests if r.get("where") == "clean"]

    def inputs_of(reqs: list[dict[str, Any]]) -> dict[str, np.ndarray]:
        names = {a for r in reqs for a in r.get("args", [])}
        return {k: v for k, v in inputs.items() if k in names}

    return ProbeRound(kernel, inputs_of(kernel), clean, inputs_of(clean))


def model_files(rounds: list[ProbeRound]) -> dict[str, str]:
    """{target: file name} for every model a clean request names, in order of appearance."""
    files: dict[str, str] = {}
    for rnd in rounds:
        for r in rnd.clean:
            target = str(r["target"])
            if target in files:
                continue
            stem = re.sub(r"[^A-Za-z0-9_.-]", "_", target).strip(".") or "model"
            name, n = f"{stem}.keras", 1
            while name in files.values():
                n += 1
                name = f"{stem}-{n}.keras"
            files[target] = name
    return files


def save_requests(models: dict[str, str]) -> list[dict[str, Any]]:
    return [{"id": f"{SAVE_PREFIX}{target}", "op": "save", "target": target, "file": name}
            for target, name in models.items()]


async def _probe(client: NotebookClient, workdir: Path, sandbox: Sandbox, requests: list[dict[str, Any]],
                 inputs: dict[str, np.ndarray], limits: Limits, outcome: RunOutcome) -> Path | None:
    """Run one probe round in the kernel. Returns its folder, to be read once the kernel
    is dead; None when there was nothing to ask or the probe cell failed."""
    if not requests:
        return None
    # A fresh, unguessable folder created only now: student code that ran
    # earlier could not have seen these inputs or prepared fake outputs there.
    probe_dir = workdir / f".probe-{secrets.token_hex(8)}"
    probe_dir.mkdir(parents=True)
    (probe_dir / "models").mkdir()
    for d in (probe_dir, probe_dir / "models"):
        sandbox.give_to_kernel(d)
    inputs_file = probe_dir / "inputs.npz"
    try:
        (probe_dir / "requests.json").write_text(json.dumps(requests), encoding="utf-8")
        np.savez(inputs_file, **inputs)
        cell = nbformat.v4.new_code_cell(_probe_cell_source(probe_dir))
        client.nb.cells.append(cell)
        client.output_budget = max(client.output_budget, 64 * 1024)
        client.timeout = int(limits.probe_timeout_s)
        try:
            await client.async_execute_cell(cell, len(client.nb.cells) - 1)
        except CellExecutionError as exc:
            outcome.probe_error = _error_line(exc)
            return None
        finally:
            client.nb.cells.pop()
        return probe_dir
    finally:
        # The hidden inputs exist only while the probe runs.
        inputs_file.unlink(missing_ok=True)


class CleanLoader:
    """The second sandboxed process: loads the saved models in safe mode, with no student
    code, and answers the clean requests (clean_loader.py). Started with the notebook so
    that importing Keras costs no wall time; given work only after the kernel is dead."""

    def __init__(self, workdir: Path, sandbox: Sandbox, proc: subprocess.Popen[bytes] | None, problem: str):
        self.workdir, self.sandbox, self.proc, self.problem = workdir, sandbox, proc, problem
        self._tracked = False
        self.timings: dict[str, float] = {}  # what the loader says it spent (start, idle, loads)

    @classmethod
    def start(cls, policy: SandboxPolicy) -> "CleanLoader":
        workdir = Path(tempfile.mkdtemp(prefix="grade-clean-", dir=_run_parent())).resolve()
        sandbox = Sandbox(workdir=workdir, policy=policy)
        sandbox.prepare()
        command = [sys.executable, "-m", "grader.execution.clean_loader"]
        if os.geteuid() == 0:
            # Niced while it starts, only when the grader can give it its priority back.
            command += ["--nice", str(LOADER_NICE)]
        argv = sandbox.wrap(command)
        try:
            # Its own session from the start: its process group is never the grader's.
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, cwd=sandbox.home, env=sandbox.env(),
                                    start_new_session=True)
        except OSError as exc:
            return cls(workdir, sandbox, None, f"it could not start ({exc})")
        return cls(workdir, sandbox, proc, "")

    def track(self) -> None:
        """Register its process group with its sandbox (once), for the kill at the end."""
        if self.proc is not None and not self._tracked:
            self._tracked = True
            self.sandbox.track(self.proc.pid)

    async def answer(self, rounds: list[ProbeRound], models: dict[str, str], saves: dict[str, ProbeOutput],
                     saved_dir: Path, limits: Limits) -> list[dict[str, ProbeOutput]]:
        """The clean requests' outputs, round by round. A model the probe could not save,
        or the loader could not load, answers each of its requests with `clean_failure` set."""
        failures: dict[str, ProbeOutput] = {}
        usable: dict[str, Path] = {}
        cap = max(1, limits.file_size_mb) * 2**20
        for target, name in models.items():
            out = saves.get(f"{SAVE_PREFIX}{target}")
            src = saved_dir / name
            if out is None:
                failures[target] = ProbeOutput(ok=False, error="the probe reported nothing for it",
                                               clean_failure="no_file")
            elif not out.ok:
                code = out.value.get("failure") if isinstance(out.value, dict) else None
                failures[target] = ProbeOutput(ok=False, error=out.error,
                                               clean_failure=code if code in ("not_keras", "save_failed") else "")
            elif not _regular_file(src, cap):
                failures[target] = ProbeOutput(ok=False, clean_failure="no_file",
                                               error=f"models/{name} is missing, not a plain file, "
                                                     f"or larger than {limits.file_size_mb} MB")
            else:
                usable[target] = src
        results: list[dict[str, ProbeOutput]] = [{} for _ in rounds]
        loaded: dict[str, ProbeOutput | None] = {}
        if usable:
            loaded = await self._run_job(rounds, models, usable, limits, results)
        failures.update({t: o for t, o in loaded.items() if o is not None})
        for rnd, outs in zip(rounds, results):
            for r in rnd.clean:
                if r["target"] in failures:
                    outs[r["id"]] = failures[r["target"]]
        return results

    async def _run_job(self, rounds: list[ProbeRound], models: dict[str, str], usable: dict[str, Path],
                       limits: Limits, results: list[dict[str, ProbeOutput]]) -> dict[str, ProbeOutput | None]:
        """Hand the files to the loader, wait for it, kill it, then read what it wrote.
        Returns {target: None if it loaded, else the failure}; fills `results` per round."""
        job = self.sandbox.home / f"job-{secrets.token_hex(8)}"
        (job / "models").mkdir(parents=True)
        for target, src in usable.items():
            shutil.copyfile(src, job / "models" / models[target], follow_symlinks=False)
        names = []
        for i, rnd in enumerate(rounds):
            d = job / f"round-{i}"
            d.mkdir()
            wanted = [r for r in rnd.clean if r["target"] in usable]
            (d / "wanted.json").write_text(json.dumps(wanted), encoding="utf-8")
            np.savez(d / "inputs.npz", **rnd.clean_inputs)
            for f in d.iterdir():
                self.sandbox.give_to_kernel(f)
            self.sandbox.give_to_kernel(d)
            names.append(d.name)
        (job / "job.json").write_text(json.dumps({"models": {t: models[t] for t in usable}, "rounds": names}),
                                      encoding="utf-8")
        for p in [*(job / "models").iterdir(), job / "models", job / "job.json", job]:
            self.sandbox.give_to_kernel(p)
        wait = limits.probe_timeout_s * len(rounds) + LOADER_START_S
        self.track()
        self._full_priority()
        stopped = self.problem or await self._finish(job, wait)
        self.sandbox.cleanup()  # dead before anything it wrote is read
        report = _read_json(job / "loads.json", MAX_LOADS_JSON)
        loads = report.get("models") if isinstance(report, dict) else None
        if isinstance(report, dict) and isinstance(report.get("timings"), dict):
            self.timings = {k: float(v) for k, v in report["timings"].items()
                            if k in ("ready_s", "idle_s", "load_s", "answer_s") and isinstance(v, (int, float))}
        if not isinstance(loads, dict):
            why = stopped or "it reported nothing"
            if self.sandbox.out_of_memory():
                why = f"it ran out of memory (limit {limits.memory_mb} MB)"
            return {t: ProbeOutput(ok=False, error=why, clean_failure="loader_failed") for t in usable}
        status: dict[str, ProbeOutput | None] = {}
        for target in usable:
            entry = loads.get(target)
            if isinstance(entry, dict) and entry.get("ok") is True:
                status[target] = None
                continue
            code = entry.get("failure") if isinstance(entry, dict) else None
            error = str(entry.get("error", "")) if isinstance(entry, dict) else "it reported nothing for it"
            status[target] = ProbeOutput(ok=False, error=_ANSI.sub("", error)[:500],
                                         clean_failure=code if code in ("unsafe", "custom", "load_failed")
                                         else "load_failed")
        for i, rnd in enumerate(rounds):
            todo = [r for r in rnd.clean if r["target"] in status and status[r["target"]] is None]
            if not todo:
                continue
            scratch = RunOutcome()
            outs = _read_probe(job / f"round-{i}", todo, scratch)
            for r in todo:
                if r["id"] in outs:
                    results[i][r["id"]] = outs[r["id"]]
                else:
                    why = stopped or scratch.probe_error or "it gave no answer"
                    results[i][r["id"]] = ProbeOutput(ok=False, error=why, clean_failure="loader_failed")
        return status

    def _full_priority(self) -> None:
        """A root grader starts the loader niced (LOADER_NICE) so that importing Keras yields
        the CPU to the notebook; now that it has the work, it gets the grader's priority back
        (lowering a nice value needs that privilege)."""
        if self.proc is None or os.geteuid() != 0:
            return
        cg = self.sandbox.cgroups
        pids = (set().union(*(cg.pids(d) for d in set(cg.dirs.values()))) if cg is not None and cg.dirs
                else _descendants(self.proc.pid))
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        for pid in pids:
            # A nice value belongs to each thread: TensorFlow's pool threads too.
            try:
                tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
            except (OSError, ValueError):
                tids = [pid]
            for tid in tids:
                try:
                    os.setpriority(os.PRIO_PROCESS, tid, mine)
                except PermissionError:
                    return  # not privileged: it stays niced
                except OSError:
                    continue  # the thread just ended

    async def _finish(self, job: Path, wait: float) -> str:
        """Send the job, wait for the loader to exit. Returns "" or why it stopped short."""
        proc = self.proc
        assert proc is not None and proc.stdin is not None
        try:
            proc.stdin.write(json.dumps({"job": str(job)}).encode() + b"\n")
            proc.stdin.close()
        except OSError:
            pass  # it already died: its exit status says how
        try:
            code = await asyncio.to_thread(proc.wait, wait)
        except subprocess.TimeoutExpired:
            return f"it did not finish within {wait:g} s"
        if code == 0:
            return ""
        return f"it stopped with signal {-code}" if code < 0 else f"it exited with status {code}"

    def close(self) -> None:
        """Kill it (a loader never given work just dies) and remove its folder."""
        self.track()
        if self.proc is not None and self.proc.poll() is None:
            try:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
            except OSError:
                pass
        self.sandbox.cleanup()
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.sandbox.dispose()  # unmounts and deletes its run folder


def _descendants(pid: int) -> set[int]:
    """`pid` and every process below it (Linux /proc), for a sandbox without cgroups."""
    found, todo = set(), [pid]
    while todo and len(found) < 1000:
        p = todo.pop()
        if p in found:
            continue
        found.add(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children", encoding="ascii") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return found


def _read_json(path: Path, limit: int) -> Any:
    """A JSON file a sandboxed process wrote, or None if it is not a plain file under `limit`."""
    if not _regular_file(path, limit):
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _regular_file(path: Path, limit: int) -> bool:
    """A plain file (not a symlink, FIFO or device) of at most `limit` bytes."""
    import stat

    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size <= limit


def _read_probe(probe_dir: Path, requests: list[dict[str, Any]], outcome: RunOutcome) -> dict[str, ProbeOutput]:
    """Read what the probe wrote; anything malformed is the student's, never a grader crash.

    Sizes are checked before anything is parsed or inflated (`bounded`): out.json has a
    byte cap, and of out.npz only the arrays the requests produced are read, each within
    its own and a total cap taken from the zip headers. An oversized array fails its own
    request with a message that says so; the other requests keep their results."""
    try:
        results = bounded.read_json(probe_dir / "out.json", MAX_PROBE_JSON)
    except bounded.TooLarge as exc:
        outcome.probe_error = f"the probe output is too large ({exc})"
        return {}
    except (OSError, ValueError):  # missing, a FIFO or symlink, not UTF-8 JSON
        outcome.probe_error = "the probe produced no readable output"
        return {}
    if not isinstance(results, dict):
        outcome.probe_error = "the probe output could not be read (not a JSON object)"
        return {}
    wanted = {str(r["id"]) for r in requests}
    counts: dict[str, int] = {}
    for rid, r in results.items():
        if rid not in wanted or not isinstance(r, dict):
            continue
        try:
            counts[rid] = max(0, min(int(r.get("n_arrays", 0) or 0), 1000))
        except (TypeError, ValueError):
            counts[rid] = 0
    names = [f"{rid}::{i}" for rid, n in counts.items() for i in range(n)]
    arrays: dict[str, np.ndarray] = {}
    refused: dict[str, str] = {}
    if names:
        try:
            arrays, refused = bounded.load_arrays(probe_dir / "out.npz", names)
        except bounded.TooLarge as exc:
            outcome.probe_error = f"the probe output is too large ({exc})"
            return {}
        except Exception as exc:  # noqa: BLE001 - anything the student left there is suspect
            outcome.probe_error = f"the probe output could not be read ({type(exc).__name__})"
            return {}
    found: dict[str, ProbeOutput] = {}
    for rid, n in counts.items():
        r = results[rid]
        why = next((refused[k] for k in (f"{rid}::{i}" for i in range(n)) if k in refused), None)
        if why is not None:
            found[rid] = ProbeOutput(ok=False, error=f"the grader did not read this output: {why}")
            continue
        found[rid] = ProbeOutput(ok=r.get("ok") is True, value=r.get("value"),
                                 arrays=[arrays[f"{rid}::{i}"] for i in range(n) if f"{rid}::{i}" in arrays],
                                 error=_ANSI.sub("", str(r.get("error", "")))[:1000])
    return found
