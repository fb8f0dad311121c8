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
import contextlib
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from grader.checks.base import ProbeOutput
from grader.course.spec import Limits
from grader.execution.cells import COLAB, cell_error, without_installs
from grader.execution.clean_session import CleanLoader
from grader.execution.kernel import CappedClient, kernel_pid, new_kernel
from grader.execution.outcome import RunOutcome
from grader.execution.policy import SandboxPolicy, build_policy
from grader.execution.probe_io import SAVE_PREFIX, model_files, read_probe, run_probe, save_requests, split_round
from grader.execution.warm import SpareKernel, preload_for
from grader.i18n import text
from grader.signals import sigterm_as_interrupt


def run_notebook(
    nb: nbformat.NotebookNode,
    limits: Limits,
    *,
    probe_requests: list[dict[str, Any]],
    probe_inputs: dict[str, np.ndarray],
    progress: Callable[[str, int, int], None] | None = None,
    extra_rounds: list[tuple[list[dict[str, Any]], dict[str, np.ndarray]]] | None = None,
    policy: SandboxPolicy | None = None,
    kernel: SpareKernel | None = None,
    lang: str = "en",
) -> RunOutcome:
    """Execute `nb` with limits, then the probe. Always returns an outcome.

    `probe_requests` marked `"where": "clean"` are answered by the clean loader from the
    saved models; `outcome.probe` holds every request's output either way, keyed by id.
    `policy`: what the kernel may see and use (`build_policy(limits)` when not given).
    `kernel`: a spare started ahead (`warm.SpareKernel`); used if it fits this notebook's
    policy and imports, else discarded and a kernel started as usual.
    `lang`: the language of the cell errors' summaries (`outcome.said(lang)` for the rest).
    SIGTERM of the grader is turned into KeyboardInterrupt while a kernel runs, so
    Ctrl-C and SIGTERM both go through the cleanup that kills the kernel's processes.
    """
    outcome = RunOutcome()
    try:
        with sigterm_as_interrupt():
            return asyncio.run(
                _run(
                    nb,
                    limits,
                    probe_requests,
                    probe_inputs,
                    progress,
                    extra_rounds or [],
                    policy or build_policy(limits),
                    outcome,
                    kernel,
                    lang,
                )
            )
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


async def _run(
    nb: nbformat.NotebookNode,
    limits: Limits,
    probe_requests: list[dict[str, Any]],
    probe_inputs: dict[str, np.ndarray],
    progress: Callable[[str, int, int], None] | None,
    extra_rounds: list[tuple[list[dict[str, Any]], dict[str, np.ndarray]]],
    policy: SandboxPolicy,
    outcome: RunOutcome,
    kernel: SpareKernel | None = None,
    lang: str = "en",
) -> RunOutcome:
    t0 = time.monotonic()
    rounds = [split_round(reqs, inps) for reqs, inps in [(probe_requests, probe_inputs), *extra_rounds]]
    models = model_files(rounds)
    ready = (
        kernel.take(policy, preload_for(c.source for c in nb.cells if c.cell_type == "code"))
        if kernel is not None
        else None
    )
    if ready is not None:
        workdir, sandbox, km = ready
        outcome.timings["kernel_ahead_s"] = kernel.start_s or 0.0  # type: ignore[union-attr]
    else:
        workdir, sandbox, km = new_kernel(policy)
    outcome.sandbox = sandbox
    client = CappedClient(
        nb,
        km=km,
        timeout=int(limits.cell_timeout_s),
        interrupt_on_timeout=False,
        allow_errors=False,
        record_timing=False,
        kernel_name="python3",
        startup_timeout=60,
        resources={"metadata": {"path": str(sandbox.home)}},
    )
    client.output_budget = limits.output_kb * 1024
    cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for n, (_, cell) in enumerate(cells, start=1):
        cell.source, skipped = without_installs(cell.source)
        outcome.skipped_installs += [(n, line) for line in skipped]
        outcome.uses_colab = outcome.uses_colab or bool(COLAB.search(cell.source))
    outcome.code_cells = sum(1 for _, c in cells if c.source.strip())  # nbclient skips empty ones
    # Every code cell runs, as in nbgrader and otter: a failing cell is recorded (the hook
    # has its execute_reply) and the next one runs. allow_errors also keeps the kernel from
    # aborting requests queued behind an error. The probe's failures must raise (run_probe).
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
            async with client.async_setup_kernel(
                cwd=str(sandbox.home), env=sandbox.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            ):
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
                        raise TimeoutError
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
                        outcome.cell_errors.append(cell_error(reply, n, index, cell, sandbox, lang))
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
                    probe_dirs.append(
                        await run_probe(client, workdir, sandbox, reqs, rnd.kernel_inputs, limits, outcome)
                    )
                    if i == 0:
                        outcome.timings["probe_s"] = time.monotonic() - tp
        except (TimeoutError, CellTimeoutError):
            spent = time.monotonic() - t0
            cell_no = _current_cell(client)
            if sandbox.out_of_memory():
                # The memory limit killed the kernel; the timeout only noticed it later.
                if cell_no:
                    outcome.tell("crashed", "execution.run.oom_in_cell", cell=cell_no, memory_mb=limits.memory_mb)
                else:
                    outcome.tell("crashed", "execution.run.oom_in_checks", memory_mb=limits.memory_mb)
            elif spent >= limits.total_timeout_s - 1:
                outcome.tell("timeout", "execution.run.total_timeout", total_s=limits.total_timeout_s)
            elif cell_no:
                outcome.tell("timeout", "execution.run.cell_timeout", cell=cell_no, cell_s=limits.cell_timeout_s)
            else:
                outcome.tell("timeout", "execution.run.some_cell_timeout", cell_s=limits.cell_timeout_s)
        except DeadKernelError:
            cell_no = _current_cell(client)
            mb = limits.memory_mb
            if sandbox.out_of_memory() and cell_no:
                outcome.tell("crashed", "execution.run.oom_in_cell", cell=cell_no, memory_mb=mb)
            elif sandbox.out_of_memory():
                outcome.tell("crashed", "execution.run.oom_in_checks", memory_mb=mb)
            elif cell_no:
                outcome.tell("crashed", "execution.run.kernel_died_in_cell", cell=cell_no, memory_mb=mb)
            else:
                outcome.tell("crashed", "execution.run.kernel_died_in_checks", memory_mb=mb)
        except RuntimeError as exc:
            # nbclient reports a kernel that never came up as RuntimeError
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            outcome.tell("crashed", "execution.run.kernel_did_not_start", reason=reason)
        except (KeyboardInterrupt, asyncio.CancelledError):
            raise  # the grader is being stopped: the finally below still kills the kernel
        except Exception as exc:  # noqa: BLE001 - e.g. a kernel whose json/zmq the notebook broke
            cell_no = _current_cell(client)
            error_type = type(exc).__name__
            if cell_no:
                outcome.tell("crashed", "execution.run.kernel_protocol_in_cell", cell=cell_no, error_type=error_type)
            else:
                outcome.tell("crashed", "execution.run.kernel_protocol", error_type=error_type)
        finally:
            # BaseException: the cleanup below must run whatever happened
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(km.shutdown_kernel(now=True), 10)
            # The client is ours to close (nbclient leaves it open when it does not own the
            # manager): its sockets and monitors would otherwise stay open, a dozen descriptors
            # per notebook, until a long batch's worker runs out of them.
            if client.kc is not None:
                with contextlib.suppress(Exception):  # a client already half closed
                    client.kc.stop_channels()
            outcome.peak_memory_mb = sandbox.peak_memory_mb()
            sandbox.cleanup()
            outcome.protections = list(sandbox.protections)
            outcome.output_truncated = client.truncated
        # From here on the kernel and every process it started are dead: what the probe left
        # in its folders can no longer change while the grader reads it.
        found = [
            read_probe(d, rnd.kernel + (save_requests(models) if i == 0 else []), outcome, lang)
            if d is not None
            else {}
            for i, (d, rnd) in enumerate(zip(probe_dirs, rounds, strict=False))
        ]
        saves = {k: found[0].pop(k) for k in list(found[0]) if k.startswith(SAVE_PREFIX)} if found else {}
        if loader is not None:
            tc = time.monotonic()
            if probe_dirs and probe_dirs[0] is not None:
                if progress:
                    progress("clean", len(cells), len(cells))
                clean = await loader.answer(rounds, models, saves, probe_dirs[0] / "models", limits, lang)
                outcome.protections.append(
                    "models measured in a second sandbox that runs no student code (Keras safe mode)"
                )
            else:
                why = outcome.probe_error or text("execution.probe.did_not_run", lang)
                clean = [
                    {r["id"]: ProbeOutput(ok=False, error=why) for r in rnd.clean} if probe_dirs else {}
                    for rnd in rounds
                ]
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
        with contextlib.suppress(RuntimeError, NotImplementedError, ValueError):  # not the main thread, or no signals
            loop.add_signal_handler(sig, stop)


def _current_cell(client: NotebookClient) -> int | None:
    return getattr(client, "grade_current_cell", None)
