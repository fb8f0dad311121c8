"""Process and memory limits through cgroups (v1 controllers, or a v2 hierarchy).

Why cgroups: the grader often runs as root, where RLIMIT_NPROC does not apply,
and RLIMIT_DATA limits each process separately. A cgroup counts the kernel and
everything it spawns together, and lets the grader kill that whole set at the end
(even processes that left the process group or reparented themselves).

Measured on the development machines (Linux, cgroup v1, root): a child group of
`/sys/fs/cgroup/pids/<own path>` with `pids.max` stops a fork loop with EAGAIN; a
child of the process's own memory cgroup with `memory.limit_in_bytes` SIGKILLs a
process that outgrows it. Anything that fails here is reported, never raised: on a
laptop (not root, macOS) the grader runs without cgroups.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PREFIX = "grade-"


def _mounts() -> dict[str, Path]:
    """Controller (or 'unified') -> mount point, from /proc/self/mountinfo."""
    found: dict[str, Path] = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        left, _, right = line.partition(" - ")
        parts, rparts = left.split(), right.split()
        if len(parts) < 5 or len(rparts) < 3:
            continue
        fstype, options = rparts[0], rparts[2].split(",")
        mnt = Path(parts[4])
        if fstype == "cgroup2":
            found.setdefault("unified", mnt)
        elif fstype == "cgroup":
            for opt in options:
                if opt in ("pids", "memory"):
                    found.setdefault(opt, mnt)
    return found


def _own_paths() -> dict[str, str]:
    """Controller -> this process's cgroup path ('' key: the v2 path)."""
    out: dict[str, str] = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, ctrls, path = line.split(":", 2)
            if ctrls == "":
                out["unified"] = path
            for c in ctrls.split(","):
                if c in ("pids", "memory"):
                    out[c] = path
    except (OSError, ValueError):
        pass
    return out


def _write(path: Path, value: str) -> None:
    with open(path, "w", encoding="ascii") as fh:
        fh.write(value)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        return ""


@dataclass
class CgroupLimits:
    """The cgroups of one kernel. `create` never raises; `active` says what worked."""

    max_processes: int
    memory_mb: int
    dirs: dict[str, Path] = field(default_factory=dict)  # 'pids' / 'memory' / 'unified' -> group dir
    problems: list[str] = field(default_factory=list)
    version: int = 0

    @classmethod
    def create(cls, max_processes: int, memory_mb: int) -> CgroupLimits:
        self = cls(max_processes=max_processes, memory_mb=memory_mb)
        if not CGROUP_ROOT.is_dir():
            self.problems.append("no /sys/fs/cgroup (not Linux?)")
            return self
        mounts, own = _mounts(), _own_paths()
        name = PREFIX + secrets.token_hex(6)
        if "pids" in mounts or "memory" in mounts:
            self.version = 1
            for ctrl in ("pids", "memory"):
                if ctrl not in mounts:
                    self.problems.append(f"no {ctrl} cgroup controller")
                    continue
                parent = mounts[ctrl] / own.get(ctrl, "/").lstrip("/")
                self._make_v1(ctrl, parent / name)
        elif "unified" in mounts:
            self.version = 2
            parent = mounts["unified"] / own.get("unified", "/").lstrip("/")
            self._make_v2(parent, name)
        else:
            self.problems.append("no cgroup filesystem mounted")
        return self

    def _make_v1(self, ctrl: str, group: Path) -> None:
        try:
            group.mkdir()
        except OSError as exc:
            self.problems.append(f"cannot create a {ctrl} cgroup ({exc.strerror})")
            return
        try:
            if ctrl == "pids":
                _write(group / "pids.max", str(self.max_processes))
            else:
                limit = str(self.memory_mb * 2**20)
                _write(group / "memory.limit_in_bytes", limit)
                try:  # no swapping around the limit, where swap accounting exists
                    _write(group / "memory.memsw.limit_in_bytes", limit)
                except OSError:
                    pass
                try:
                    _write(group / "memory.swappiness", "0")
                except OSError:
                    pass
        except OSError as exc:
            self.problems.append(f"cannot set {ctrl} limit ({exc.strerror})")
            _rmdir(group)
            return
        self.dirs[ctrl] = group

    def _make_v2(self, parent: Path, name: str) -> None:
        enabled = set(_read(parent / "cgroup.subtree_control").split())
        if not {"pids", "memory"} <= enabled:
            try:
                _write(parent / "cgroup.subtree_control", "+pids +memory")
            except OSError as exc:
                self.problems.append(f"cgroup v2: cannot enable pids/memory in {parent} ({exc.strerror})")
                return
        group = parent / name
        try:
            group.mkdir()
            _write(group / "pids.max", str(self.max_processes))
            _write(group / "memory.max", str(self.memory_mb * 2**20))
            try:
                _write(group / "memory.swap.max", "0")
            except OSError:
                pass
        except OSError as exc:
            self.problems.append(f"cgroup v2: cannot create a limited group ({exc.strerror})")
            _rmdir(group)
            return
        self.dirs["pids"] = self.dirs["memory"] = group

    # --- what the launcher needs ---------------------------------------------

    @property
    def procs_files(self) -> list[str]:
        """Files the launcher writes its own pid into (before exec'ing the kernel)."""
        return sorted({str(d / "cgroup.procs") for d in self.dirs.values()})

    @property
    def limits_processes(self) -> bool:
        return "pids" in self.dirs

    @property
    def limits_memory(self) -> bool:
        return "memory" in self.dirs

    def contains(self, pid: int) -> bool:
        return all(pid in self.pids(d) for d in set(self.dirs.values()))

    @staticmethod
    def pids(group: Path) -> set[int]:
        text = _read(group / "cgroup.procs")
        return {int(p) for p in text.split()} if text else set()

    # --- after the run --------------------------------------------------------

    def out_of_memory(self) -> bool:
        """Did the memory limit kill or starve something?"""
        group = self.dirs.get("memory")
        if group is None:
            return False
        if self.version == 2:
            for line in _read(group / "memory.events").splitlines():
                k, _, v = line.partition(" ")
                if k == "oom_kill" and v.isdigit() and int(v) > 0:
                    return True
            return False
        for line in _read(group / "memory.oom_control").splitlines():
            k, _, v = line.partition(" ")
            if k == "oom_kill" and v.isdigit():
                return int(v) > 0
        # Kernels before 4.13 have no oom_kill counter: hitting the limit is the best sign
        # (it can also mean page cache was reclaimed, hence only as a fallback).
        fail = _read(group / "memory.failcnt")
        return fail.isdigit() and int(fail) > 0

    def hit_process_limit(self) -> bool:
        group = self.dirs.get("pids")
        if group is None:
            return False
        for line in _read(group / "pids.events").splitlines():
            k, _, v = line.partition(" ")
            if k == "max" and v.isdigit() and int(v) > 0:
                return True
        return False

    def peak_memory_mb(self) -> float | None:
        group = self.dirs.get("memory")
        if group is None:
            return None
        raw = _read(group / ("memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"))
        return int(raw) / 2**20 if raw.isdigit() else None

    def kill_all(self, timeout: float = 5.0) -> int:
        """SIGKILL everything in the groups until they are empty. Returns how many were killed."""
        groups = set(self.dirs.values())
        if not groups:
            return 0
        pids_group = self.dirs.get("pids")
        if pids_group is not None and self.version == 1:
            try:  # no new processes while we kill (a fork bomb cannot outrun us)
                _write(pids_group / "pids.max", "0")
            except OSError:
                pass
        if self.version == 2:
            for g in groups:
                try:
                    _write(g / "cgroup.kill", "1")
                except OSError:
                    pass
        killed: set[int] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = set().union(*(self.pids(g) for g in groups))
            if not alive:
                break
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)
        return len(killed)

    def remove(self) -> None:
        """Kill what is left and remove the groups (rmdir needs them empty)."""
        self.kill_all()
        for group in set(self.dirs.values()):
            deadline = time.monotonic() + 3
            while group.exists() and time.monotonic() < deadline:
                if _rmdir(group):
                    break
                time.sleep(0.05)
        self.dirs.clear()


def _rmdir(path: Path) -> bool:
    try:
        os.rmdir(path)
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


def join(procs_files: list[str]) -> list[str]:
    """Move the calling process into the given groups (run by the launcher). Returns failures."""
    failed = []
    for f in procs_files:
        try:
            _write(Path(f), str(os.getpid()))
        except OSError as exc:
            failed.append(f"{f}: {exc.strerror}")
    return failed


def stale_groups() -> list[Path]:
    """Groups a killed grader left behind (for `grade doctor`)."""
    mounts, own = _mounts(), _own_paths()
    out: list[Path] = []
    for key in ("pids", "memory", "unified"):
        if key in mounts:
            parent = mounts[key] / own.get(key, "/").lstrip("/")
            try:
                out.extend(p for p in parent.iterdir() if p.is_dir() and p.name.startswith(PREFIX))
            except OSError:
                pass
    return out
