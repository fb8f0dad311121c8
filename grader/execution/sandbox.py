"""Isolation for the student's kernel: which layers apply, its run folder, and cleanup.

What the kernel may see and use is a `SandboxPolicy` (policy.py); this module decides
which of its layers the platform offers, lays out the run folder, tracks the kernel's
processes and kills them at the end. The command line made from that decision is
command.py; the lines saying which layers were active (`Result.protections`,
`grade doctor`) are protections.py. The layers:

1. bubblewrap (`bwrap`): an empty read-only root holding only the policy's read-only
   binds (system, interpreter, venv) and the run folder; own mount, pid, network,
   IPC and UTS namespaces; everything the kernel spawns dies with it.
2. An unprivileged user (when the grader is root): inside bubblewrap `setpriv`
   switches to the policy's uid with empty capability sets (effective, permitted,
   inheritable, bounding, ambient) and no_new_privs; without bubblewrap the launcher
   does the same, if that user can reach the interpreter.
3. seccomp (seccomp.py): mount, namespaces, ptrace, bpf, keyrings... fail with EPERM.
4. A size- and inode-limited tmpfs as the run folder (root only): HOME, TMPDIR, /tmp
   and /dev/shm of the kernel all live in it, so `disk_mb` and `inodes` bound
   everything it can write. Without root, bubblewrap's size-limited tmpfs serves /tmp.
5. cgroups (cgroups.py): number of processes and memory of the kernel and all its
   children together; the grader kills whatever is left in the group at the end.
6. The launcher (`python -m grader.execution.launch`): joins the cgroups, applies
   rlimits, starts a new session and, without bubblewrap, stays as the kernel's parent.

`GRADE_SANDBOX_DISABLE=bwrap,cgroup,seccomp,uid,quota` turns layers off (tests of the
fallback, or a machine where a layer misbehaves).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.course.spec import Limits
from grader.execution import command, kernel_cache
from grader.execution.cgroups import CgroupLimits
from grader.execution.host import (
    MOUNT_SOURCE,
    bwrap_status,
    grow_tmpfs,
    is_root,
    mount_tmpfs,
    reachable_by,
    setpriv_path,
    stale_run_mounts,
    sweep_stale_mounts_once,
    unmount,
)
from grader.execution.kernel_cache import KernelCache
from grader.execution.policy import SandboxPolicy, build_policy, disabled
from grader.execution.protections import protections

__all__ = ["MOUNT_SOURCE", "Sandbox", "bwrap_status", "cleanup_all", "disabled", "setpriv_path", "stale_run_mounts"]

# Sandboxes with a live kernel or run folder, for the emergency cleanup at exit / on SIGTERM.
_LIVE: set[Sandbox] = set()
_LIVE_LOCK = threading.Lock()
_WARNED = False


@dataclass(eq=False)
class Sandbox:
    workdir: Path  # the run's own folder: home/ (cwd), .kernel/, probe folders
    limits: Limits | None = None  # shorthand for policy=build_policy(limits)
    policy: SandboxPolicy | None = None
    protections: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    cgroups: CgroupLimits | None = None
    bwrap: str | None = None
    uid: int | None = None  # the kernel's user, when it is not the grader's
    gid: int | None = None
    drop_with: str = ""  # "setpriv", "launcher" (inside or outside bubblewrap), ""
    caps_only: bool = False  # root that cannot switch user: capabilities dropped only
    seccomp_file: Path | None = None
    quota: bool = False  # the run folder is a size- and inode-limited tmpfs
    caches: list[KernelCache] = field(default_factory=list)  # the policy's caches ready for this kernel
    cache_problems: list[str] = field(default_factory=list)  # why one is not (the kernel builds its own)
    _pgids: set[int] = field(default_factory=set)
    _prepared: bool = False
    _disposed: bool = False
    _grown: bool = False

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir)
        if self.policy is None:
            self.policy = build_policy(self.limits)
        self.limits = self.policy.limits

    @property
    def pol(self) -> SandboxPolicy:
        assert self.policy is not None
        return self.policy

    @property
    def lim(self) -> Limits:
        return self.pol.limits

    @property
    def home(self) -> Path:
        return self.workdir / "home"

    @property
    def kernel_dir(self) -> Path:
        """The connection file and the IPC sockets."""
        return self.workdir / ".kernel"

    # --- before the kernel starts ----------------------------------------------

    def prepare(self) -> None:
        """Decide the layers, lay out the run folder, create the cgroups. Never raises."""
        if self._prepared:
            return
        self._prepared = True
        pol = self.pol
        with _LIVE_LOCK:
            _LIVE.add(self)
        sweep_stale_mounts_once()
        self.workdir.mkdir(parents=True, exist_ok=True)
        linux = sys.platform.startswith("linux")
        if not pol.wants("bwrap"):
            self.missing.append("bubblewrap disabled by GRADE_SANDBOX_DISABLE")
        else:
            self.bwrap, why = bwrap_status()
            if not self.bwrap:
                self.missing.append(why)
        self._decide_user()
        if pol.wants("quota") and is_root() and linux:
            problem = mount_tmpfs(self.workdir, pol.disk_mb, pol.inodes)
            self.quota = not problem
            if problem:
                self.missing.append(problem)
        elif not pol.wants("quota"):
            self.missing.append("disk quota disabled by GRADE_SANDBOX_DISABLE")
        elif not self.bwrap:
            self.missing.append("no disk or file-count limit for the run folder (needs root or bubblewrap)")
        else:
            self.missing.append(
                "no file-count limit, and no size limit for the run folder's home (not root: only /tmp is size-limited)"
            )
        self._lay_out()
        self._link_caches()
        if pol.wants("seccomp"):
            self._write_seccomp()
        else:
            self.missing.append("seccomp disabled by GRADE_SANDBOX_DISABLE")
        if not pol.wants("cgroup"):
            self.missing.append("cgroups disabled by GRADE_SANDBOX_DISABLE")
        elif linux:
            self.cgroups = CgroupLimits.create(self.lim.max_processes, self.lim.memory_mb)
            self.missing.extend(self.cgroups.problems)
        else:
            self.missing.append(f"no cgroups on {sys.platform}")
        self._describe()

    def _decide_user(self) -> None:
        pol = self.pol
        if not is_root():
            return  # already unprivileged
        if pol.kernel_uid is None:
            self.missing.append("the kernel runs as root: the user switch is disabled by GRADE_SANDBOX_DISABLE")
            return
        if self.bwrap:
            self.uid, self.gid = pol.kernel_uid, pol.kernel_gid
            self.drop_with = "setpriv" if setpriv_path() else "launcher"
        elif reachable_by(pol.kernel_uid, pol.kernel_gid or pol.kernel_uid):
            self.uid, self.gid, self.drop_with = pol.kernel_uid, pol.kernel_gid, "launcher"
        else:
            self.caps_only = True
            self.missing.append(
                f"the kernel runs as root (without capabilities): without bubblewrap, "
                f"uid {pol.kernel_uid} cannot reach this Python ({sys.prefix})"
            )

    def _lay_out(self) -> None:
        """home/, tmp/, shm/, .kernel/: the kernel's (its uid's, mode 700); the run folder
        itself stays the grader's and can only be crossed (711), not listed."""
        try:
            os.chmod(self.workdir, 0o711 if self.uid is not None else 0o700)
            for name, _ in self.pol.writable:
                d = self.workdir / name
                d.mkdir(exist_ok=True)
                self.give_to_kernel(d)
        except OSError as exc:
            if self.uid is None:
                raise
            # A file system that refuses chown: the kernel's user could not write its folders.
            self.missing.append(
                f"the kernel runs as root: its folders cannot be given to uid {self.uid} ({exc.strerror})"
            )
            self.uid = self.gid = None
            self.drop_with = ""
            self._lay_out()

    def shared_dir(self, cache: KernelCache) -> Path:
        """Where a shared cache is bound read-only in the kernel's file system (bubblewrap)."""
        return self.workdir / ".shared" / cache.name

    def _link_caches(self) -> None:
        """The shared caches' files in the kernel's HOME: links into their read-only bind under
        bubblewrap (the mount points are the grader's, in the run folder); without it, copies
        (the kernel could write through a link, or not reach it)."""
        for cache in self.pol.caches:
            problem = kernel_cache.ensure(cache)
            if problem:
                self.cache_problems.append(problem)
                continue
            try:
                target = self.home
                for part in Path(cache.home_dir).parts:
                    target = target / part
                    target.mkdir(exist_ok=True)
                    self.give_to_kernel(target)
                if self.bwrap:
                    self.shared_dir(cache).mkdir(parents=True, exist_ok=True)
                    os.chmod(self.shared_dir(cache).parent, 0o711)
                for f in cache.files():
                    if self.bwrap:
                        os.symlink(self.shared_dir(cache) / f.name, target / f.name)
                    else:
                        shutil.copyfile(f, target / f.name)
                        self.give_to_kernel(target / f.name)
            except OSError as exc:
                self.cache_problems.append(f"{cache.name}: cannot link its cache into the kernel's home ({exc})")
                continue
            self.caches.append(cache)

    def make_room_for_probe(self) -> None:
        """Grow the run folder's tmpfs by its quota again (and 1000 files), once the notebook's
        cells are done: the grader's probe files must fit even if the notebook filled it."""
        if not self.quota or self._grown:
            return
        self._grown = True
        try:
            st = os.statvfs(self.workdir)
        except OSError:
            return
        used_mb = (st.f_blocks - st.f_bfree) * st.f_frsize // 2**20
        size_mb = max(self.pol.disk_mb, used_mb) + self.pol.disk_mb
        inodes = max(self.pol.inodes, st.f_files - st.f_ffree) + 1000
        grow_tmpfs(self.workdir, size_mb, inodes)

    def give_to_kernel(self, path: Path) -> None:
        """Make a folder (mode 700) or file (600) of the run the kernel's own."""
        os.chmod(path, 0o700 if path.is_dir() else 0o600)
        if self.uid is not None:
            os.chown(path, self.uid, self.gid if self.gid is not None else self.uid)

    def _write_seccomp(self) -> None:
        from grader.execution.seccomp import SeccompUnavailable, compiled

        try:
            program = compiled()
        except SeccompUnavailable as exc:
            self.missing.append(f"no seccomp filter: {exc}")
            return
        path = self.workdir / ".seccomp.bpf"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(program)
        except OSError as exc:
            self.missing.append(f"no seccomp filter: cannot write it to the run folder ({exc.strerror})")
            return
        self.seccomp_file = path

    def _describe(self) -> None:
        self.protections = protections(self)

    def warn_if_degraded(self) -> None:
        """One line on stderr, once per process, when a layer is missing."""
        global _WARNED
        if _WARNED or not self.missing or os.environ.get("GRADE_SANDBOX_QUIET"):
            return
        _WARNED = True
        print(
            f"grade: sandbox: running with reduced isolation: {'; '.join(self.missing)} (see 'grade doctor')",
            file=sys.stderr,
        )

    def nproc_applies(self) -> bool:
        """Whether RLIMIT_NPROC means anything for the kernel (not for root)."""
        return self.uid is not None or not is_root()

    def bwrap_args(self) -> list[str]:
        """The bubblewrap command line (without the kernel command)."""
        return command.bwrap_args(self)

    def wrap(self, argv: list[str]) -> list[str]:
        """The kernel command, prefixed by the launcher (and bubblewrap)."""
        self.prepare()
        return command.wrap(self, argv)

    def env(self) -> dict[str, str]:
        """The kernel's environment: nothing of the grader's (no seeds, no paths to data)."""
        return command.kernel_env(self)

    # --- while it runs ----------------------------------------------------------

    def track(self, pid: int | None) -> None:
        """Remember the kernel's process group; check that it landed in the cgroups."""
        if not pid:
            return
        try:
            self._pgids.add(os.getpgid(pid))
        except ProcessLookupError:
            pass
        cg = self.cgroups
        if cg and cg.dirs:
            deadline = time.monotonic() + 2
            while not cg.contains(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            if not cg.contains(pid):
                self.missing.append("the kernel did not join its cgroups")
                self.protections = [p for p in self.protections if "cgroup" not in p]

    def out_of_memory(self) -> bool:
        return bool(self.cgroups and self.cgroups.out_of_memory())

    def hit_process_limit(self) -> bool:
        return bool(self.cgroups and self.cgroups.hit_process_limit())

    def peak_memory_mb(self) -> float | None:
        return self.cgroups.peak_memory_mb() if self.cgroups else None

    # --- after ------------------------------------------------------------------

    def cleanup(self) -> None:
        """Kill every process the kernel left (cgroup, then process groups); remove the cgroups.
        The run folder stays, for the grader to read what the probe wrote: `dispose` removes it."""
        if self.cgroups:
            self.cgroups.remove()
        for pgid in list(self._pgids):
            if pgid == os.getpgrp():
                continue
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                continue
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                try:
                    os.killpg(pgid, 0)
                except (ProcessLookupError, PermissionError):
                    break
                time.sleep(0.02)
        self._pgids.clear()

    def dispose(self) -> None:
        """`cleanup`, then unmount and delete the run folder. Idempotent."""
        self.cleanup()
        if not self._disposed and self._prepared:
            self._disposed = True
            if self.quota:
                unmount(self.workdir)  # its files go with it, whatever they are
            shutil.rmtree(self.workdir, ignore_errors=True)
        with _LIVE_LOCK:
            _LIVE.discard(self)


def cleanup_all() -> None:
    """Emergency cleanup of every live sandbox (grader exiting, SIGTERM, Ctrl-C)."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for sb in live:
        try:
            sb.dispose()
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass


atexit.register(cleanup_all)
