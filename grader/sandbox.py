"""Isolation for the student's kernel: what wraps the kernel command, and cleanup.

The kernel is started through `python -m grader.launch`, which applies resource
limits and starts a new session (process group) before exec'ing the kernel, so
everything the student's code spawns can be killed as one group.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .spec import Limits


@dataclass
class Sandbox:
    workdir: Path
    limits: Limits
    protections: list[str] = field(default_factory=list)
    _pgids: set[int] = field(default_factory=set)

    def wrap(self, argv: list[str]) -> list[str]:
        """The kernel command, prefixed by the launcher that applies the limits."""
        launcher = [sys.executable, "-m", "grader.launch",
                    "--memory-mb", str(self.limits.memory_mb),
                    "--file-size-mb", str(self.limits.file_size_mb),
                    "--"]
        self.protections = [
            "own process group (killed as a whole)",
            f"memory ≤ {self.limits.memory_mb} MB (RLIMIT_DATA)",
            f"files ≤ {self.limits.file_size_mb} MB (RLIMIT_FSIZE)",
            "private working directory",
            "IPC transport (no TCP ports)",
        ]
        return launcher + argv

    def env(self) -> dict[str, str]:
        """A minimal environment: nothing of the grader's (no seeds, no paths to data)."""
        keep = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env.update({
            "HOME": str(self.workdir),
            "TMPDIR": str(self.workdir / "tmp"),
            "MPLBACKEND": "Agg",
            "PYTHONUNBUFFERED": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        })
        for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
                    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            if var in os.environ:
                env[var] = os.environ[var]
        (self.workdir / "tmp").mkdir(exist_ok=True)
        return env

    def track(self, pid: int | None) -> None:
        if pid:
            try:
                self._pgids.add(os.getpgid(pid))
            except ProcessLookupError:
                pass

    def cleanup(self) -> None:
        """Kill every process left in the kernel's process group(s)."""
        for pgid in list(self._pgids):
            if pgid == os.getpgrp():
                continue
            for sig in (signal.SIGKILL,):
                try:
                    os.killpg(pgid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                try:
                    os.killpg(pgid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.02)
        self._pgids.clear()
