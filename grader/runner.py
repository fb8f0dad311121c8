"""Run a notebook's code cells in a sandboxed kernel, then the grader's probe.

One kernel per submission, IPC transport, its own temporary folder, killed and
removed on every path. Per-cell and total time limits; outputs are capped. The
outcome says how the run ended; it never raises because of student code.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbformat
import numpy as np
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from .checks.base import ProbeOutput
from .sandbox import Sandbox
from .spec import Limits

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


def _error_line(exc: CellExecutionError) -> str:
    ename = getattr(exc, "ename", "") or "Error"
    evalue = (getattr(exc, "evalue", "") or "").strip().splitlines()
    return f"{ename}: {evalue[0][:300]}" if evalue else ename


def _student_line(exc: CellExecutionError) -> int | None:
    """The line in the student's cell where the error happened, from the traceback text."""
    import re

    tb = getattr(exc, "traceback", "") or ""
    tb = re.sub(r"\x1b\[[0-9;]*m", "", tb)
    for m in re.finditer(r"Cell In\[\d+\], line (\d+)", tb):
        return int(m.group(1))
    for m in re.finditer(r"^-*> ?(\d+)", tb, flags=re.M):
        return int(m.group(1))
    return None


def run_notebook(nb: nbformat.NotebookNode, limits: Limits, *,
                 probe_requests: list[dict[str, Any]], probe_inputs: dict[str, np.ndarray],
                 progress: Callable[[str, int, int], None] | None = None,
                 extra_rounds: list[tuple[list[dict[str, Any]], dict[str, np.ndarray]]] | None = None,
                 ) -> RunOutcome:
    """Execute `nb` with limits, then the probe. Always returns an outcome."""
    return asyncio.run(_run(nb, limits, probe_requests, probe_inputs, progress, extra_rounds or []))


async def _run(nb: nbformat.NotebookNode, limits: Limits, probe_requests: list[dict[str, Any]],
               probe_inputs: dict[str, np.ndarray],
               progress: Callable[[str, int, int], None] | None,
               extra_rounds: list[tuple[list[dict[str, Any]], dict[str, np.ndarray]]]) -> RunOutcome:
    outcome = RunOutcome()
    t0 = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="grade-run-"))
    sandbox = Sandbox(workdir=workdir, limits=limits)
    km = SandboxedKernelManager(kernel_name="python3", transport="ipc",
                                ip=str(workdir / ".kernel" / "ipc"),
                                connection_file=str(workdir / ".kernel" / "connection.json"))
    km.sandbox = sandbox
    (workdir / ".kernel").mkdir()
    client = CappedClient(nb, km=km, timeout=int(limits.cell_timeout_s), interrupt_on_timeout=False,
                          allow_errors=False, record_timing=False, kernel_name="python3",
                          startup_timeout=60, resources={"metadata": {"path": str(workdir)}})
    client.output_budget = limits.output_kb * 1024
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    deadline = t0 + limits.total_timeout_s
    try:
        # The kernel's own stdout/stderr (TensorFlow's C++ logs) are not the student's output.
        async with client.async_setup_kernel(cwd=str(workdir), env=sandbox.env(),
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
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
                    outcome.message = f"{where}: {_error_line(exc)}"
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
        if spent >= limits.total_timeout_s - 1:
            outcome.message = f"the notebook ran past the total limit of {limits.total_timeout_s:g} s"
        else:
            cell_no = _current_cell(client)
            outcome.message = (f"cell {cell_no} ran past the limit of {limits.cell_timeout_s:g} s"
                               if cell_no else f"a cell ran past the limit of {limits.cell_timeout_s:g} s")
    except DeadKernelError:
        outcome.status = "crashed"
        cell_no = _current_cell(client)
        outcome.message = (f"the kernel died while running cell {cell_no}" if cell_no else "the kernel died") + \
            " (out of memory, os._exit, or a killed process?)"
    except RuntimeError as exc:
        # nbclient reports a kernel that never came up as RuntimeError
        outcome.status = "crashed"
        outcome.message = f"the kernel could not run: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    finally:
        try:
            await asyncio.wait_for(km.shutdown_kernel(now=True), 10)
        except Exception:
            pass
        sandbox.cleanup()
        outcome.protections = list(sandbox.protections)
        outcome.output_truncated = client.truncated
        shutil.rmtree(workdir, ignore_errors=True)
    outcome.timings["total_s"] = time.monotonic() - t0
    return outcome


def _kernel_pid(km: AsyncKernelManager) -> int | None:
    prov = getattr(km, "provisioner", None)
    proc = getattr(prov, "process", None)
    return getattr(proc, "pid", None)


def _current_cell(client: NotebookClient) -> int | None:
    return getattr(client, "grade_current_cell", None)


async def _probe(client: NotebookClient, workdir: Path, requests: list[dict[str, Any]],
                 inputs: dict[str, np.ndarray], limits: Limits, outcome: RunOutcome) -> dict[str, ProbeOutput]:
    if not requests:
        return {}
    # A fresh, unguessable folder created only now: student code that ran
    # earlier could not have seen these inputs or prepared fake outputs there.
    probe_dir = workdir / f".probe-{secrets.token_hex(8)}"
    probe_dir.mkdir()
    (probe_dir / "requests.json").write_text(json.dumps(requests), encoding="utf-8")
    np.savez(probe_dir / "inputs.npz", **inputs)
    cell = nbformat.v4.new_code_cell(PROBE_SOURCE + f"\n__grade_probe_run__({str(probe_dir)!r})\n")
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
    out_json = probe_dir / "out.json"
    if not out_json.is_file() or out_json.stat().st_size > MAX_PROBE_JSON:
        outcome.probe_error = "the probe produced no readable output"
        return {}
    try:
        results = json.loads(out_json.read_text(encoding="utf-8"))
        with np.load(probe_dir / "out.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:  # noqa: BLE001 - anything the student left there is suspect
        outcome.probe_error = f"the probe output could not be read ({type(exc).__name__})"
        return {}
    found: dict[str, ProbeOutput] = {}
    for rid, r in results.items():
        if not isinstance(r, dict):
            continue
        n = int(r.get("n_arrays", 0) or 0)
        found[rid] = ProbeOutput(ok=bool(r.get("ok")), value=r.get("value"),
                                         arrays=[arrays[f"{rid}::{i}"] for i in range(n) if f"{rid}::{i}" in arrays],
                                         error=str(r.get("error", "")))
    shutil.rmtree(probe_dir, ignore_errors=True)
    return found
