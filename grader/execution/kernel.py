"""The student's kernel as the grader talks to it: a kernel manager whose command goes
through the sandbox, zmq sockets that refuse oversized frames, and a notebook client that
keeps outputs within a byte budget and every cell within the run's total time."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient

from grader.execution.policy import SandboxPolicy
from grader.execution.sandbox import Sandbox

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
                with contextlib.suppress(zmq.ZMQError):
                    sock.disconnect(url)
                with contextlib.suppress(zmq.ZMQError):
                    sock.connect(url)
        return drops


class CappedClient(NotebookClient):
    """Drops outputs past a byte budget, so a flood cannot exhaust the grader; keeps every
    cell, the probe included, inside the run's total time (`deadline`, a monotonic time)."""

    output_budget: int = 512 * 1024
    truncated: bool = False
    grade_current_cell: int | None = None  # the code cell running now, as the member counts them
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
                raise TimeoutError
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
                note = nbformat.v4.new_output(
                    "stream", name="stderr", text="[grade: output limit reached; further output dropped]\n"
                )
                outs.append(note)
            return None
        self.output_budget -= size
        return super().output(outs, msg, display_id, cell_index)


def new_kernel(policy: SandboxPolicy) -> tuple[Path, Sandbox, SandboxedKernelManager]:
    """A run folder, its prepared sandbox, and a manager for a kernel not yet started in it.

    The run's folder: home/ is the kernel's cwd and HOME; .kernel/ holds the connection
    file and IPC sockets; probe folders appear only at probe time."""
    limits = policy.limits
    workdir = Path(tempfile.mkdtemp(prefix="grade-run-", dir=run_parent())).resolve()
    sandbox = Sandbox(workdir=workdir, policy=policy)
    sandbox.prepare()
    sandbox.warn_if_degraded()
    km = SandboxedKernelManager(
        kernel_name="python3",
        transport="ipc",
        ip=str(workdir / ".kernel" / "ipc"),
        connection_file=str(workdir / ".kernel" / "connection.json"),
    )
    km.sandbox = sandbox
    # A single huge message (a 200 MB PNG in display_data) must not reach the grader's
    # memory: the manager's own sockets and the client's (SandboxedKernelManager.client)
    # refuse frames over this size.
    km.max_message_bytes = max(MIN_MESSAGE_BYTES, 4 * limits.output_kb * 1024)
    cap_sockets(km.context, km.max_message_bytes)
    return workdir, sandbox, km


def run_parent() -> str:
    """Where run folders go: the temp folder, unless its path is so long that the
    kernel's IPC socket paths would pass the AF_UNIX limit (~107 bytes)."""
    base = tempfile.gettempdir()
    # <base>/grade-run-XXXXXXXX/.kernel/ipc-NNNNN (37 bytes after <base>)
    if len(os.fsencode(base)) + 37 > 107:
        for short in ("/tmp", "/var/tmp", "/dev/shm"):
            if os.path.isdir(short) and os.access(short, os.W_OK):
                return short
    return base


def kernel_pid(km: AsyncKernelManager) -> int | None:
    prov = getattr(km, "provisioner", None)
    proc = getattr(prov, "process", None)
    return getattr(proc, "pid", None)


def descendants(pid: int) -> set[int]:
    """`pid` and every process below it (Linux /proc), for a sandbox without cgroups."""
    found: set[int] = set()
    todo = [pid]
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
