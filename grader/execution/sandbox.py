"""Isolation for the student's kernel: what wraps the kernel command, and cleanup.

Layers, strongest first; each is used when the platform offers it and every run
reports the ones that were active (`Result.protections`, `grade doctor`):

1. bubblewrap (`bwrap`): own mount namespace with a read-only view of the system,
   a private /tmp, the run folder as the only writable place, the course's private
   folders (solutions, specs, references, the gradebook's folder, the grader's
   working folder, /root and /home) hidden under empty tmpfs; no network; own pid
   namespace (everything the kernel spawns dies with it); own session.
2. cgroups (`limits_cgroup`): number of processes (pids.max; RLIMIT_NPROC does not
   apply to root) and memory for the kernel and all its children together; the
   grader kills whatever is left in the group at the end.
3. The launcher (`python -m grader.execution.launch`): joins the cgroups, applies rlimits
   (RLIMIT_DATA, RLIMIT_FSIZE, no core files; RLIMIT_NPROC when not root), starts a
   new session and, without bubblewrap, stays as the kernel's parent so that a
   student's `os.kill(os.getppid(), 9)` cannot reach the grader.

`GRADE_SANDBOX_DISABLE=bwrap,cgroup` turns layers off (tests of the fallback, or a
machine where a layer misbehaves).
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.execution.cgroups import CgroupLimits
from grader.course.spec import Limits

# Paths that no kernel may see, registered by whoever knows them (the gradebook
# registers its folder when it is opened; callers may pass more per run).
_HIDDEN: set[Path] = set()
# Sandboxes with a live kernel, for the emergency cleanup at exit / on SIGTERM.
_LIVE: set["Sandbox"] = set()
_LIVE_LOCK = threading.Lock()
_WARNED = False

# Never hidden: hiding them would break the interpreter (and they hold no course data).
_SYSTEM = {Path(p) for p in ("/", "/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc",
                             "/proc", "/sys", "/dev", "/var", "/opt", "/tmp", "/run")}


def hide_from_kernels(*paths: os.PathLike[str] | str) -> None:
    """Hide these folders (or a file's folder) from every sandboxed kernel of this process."""
    for p in paths:
        if p:
            _HIDDEN.add(Path(p).expanduser().resolve())


def disabled() -> set[str]:
    return {s.strip() for s in os.environ.get("GRADE_SANDBOX_DISABLE", "").split(",") if s.strip()}


@functools.lru_cache(maxsize=1)
def bwrap_status() -> tuple[str | None, str]:
    """(path to a working bwrap, or None; why not)."""
    if not sys.platform.startswith("linux"):
        return None, f"bubblewrap needs Linux (this is {sys.platform})"
    exe = shutil.which("bwrap")
    if not exe:
        return None, "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    try:
        proc = subprocess.run([exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                               "--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session",
                               "--", "/bin/sh", "-c", "exit 0"],
                              capture_output=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"bubblewrap does not run here ({exc})"
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return None, f"bubblewrap does not work here ({err[-1] if err else proc.returncode}); " \
                     "unprivileged user namespaces may be disabled"
    return exe, ""


def _interpreter_paths() -> list[Path]:
    """What the kernel must be able to read to start: the venv and the base Python."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
             Path(os.path.realpath(sys.executable)).parent.parent}
    # The launcher runs `python -m grader.execution.launch` inside the sandbox: keep the package itself
    # readable even when its checkout (the course folder) is hidden.
    paths.add(Path(__file__).resolve().parents[1])
    for entry in sys.path:  # site-packages added by .pth files or PYTHONPATH
        if entry and Path(entry).is_dir() and "site-packages" in entry:
            paths.add(Path(entry))
    return sorted(p.resolve() for p in paths if str(p) not in ("", "/"))


def _is_within(p: Path, parent: Path) -> bool:
    try:
        p.relative_to(parent)
        return True
    except ValueError:
        return False


@dataclass(eq=False)
class Sandbox:
    workdir: Path                      # the run's own folder: home/ (cwd), .kernel/, probe folders
    limits: Limits
    hide: list[Path] = field(default_factory=list)
    protections: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    cgroups: CgroupLimits | None = None
    bwrap: str | None = None
    _pgids: set[int] = field(default_factory=set)
    _prepared: bool = False

    @property
    def home(self) -> Path:
        return self.workdir / "home"

    # --- before the kernel starts ----------------------------------------------

    def prepare(self) -> None:
        """Decide the layers and create the cgroups. Never raises."""
        if self._prepared:
            return
        self._prepared = True
        self.home.mkdir(parents=True, exist_ok=True)
        (self.workdir / "tmp").mkdir(exist_ok=True)
        off = disabled()
        if "bwrap" in off:
            self.missing.append("bubblewrap disabled by GRADE_SANDBOX_DISABLE")
        else:
            self.bwrap, why = bwrap_status()
            if not self.bwrap:
                self.missing.append(why)
        if "cgroup" in off:
            self.missing.append("cgroups disabled by GRADE_SANDBOX_DISABLE")
        elif sys.platform.startswith("linux"):
            self.cgroups = CgroupLimits.create(self.limits.max_processes, self.limits.memory_mb)
            self.missing.extend(self.cgroups.problems)
        else:
            self.missing.append(f"no cgroups on {sys.platform}")
        with _LIVE_LOCK:
            _LIVE.add(self)
        self._describe()

    def _describe(self) -> None:
        lim = self.limits
        p: list[str] = []
        if self.bwrap:
            p += ["bubblewrap: read-only system, private /tmp and working folder",
                  "course solutions, specs, references and the gradebook hidden from the kernel",
                  "no network", "own pid namespace (everything it spawns dies with it)"]
        else:
            p += ["private working folder (not isolated: the kernel can read your files)"]
        cg = self.cgroups
        if cg and cg.limits_processes:
            p.append(f"processes ≤ {lim.max_processes} (pids cgroup)")
        elif self._nproc_applies():
            p.append(f"processes ≤ {lim.max_processes} more (RLIMIT_NPROC)")
        if cg and cg.limits_memory:
            p.append(f"memory ≤ {lim.memory_mb} MB for the kernel and its children (memory cgroup)")
        p.append(f"memory ≤ {lim.memory_mb} MB per process (RLIMIT_DATA)")
        p.append(f"files ≤ {lim.file_size_mb} MB (RLIMIT_FSIZE)")
        p.append(f"time ≤ {lim.cell_timeout_s:g} s per cell, {lim.total_timeout_s:g} s in total")
        p.append(f"output ≤ {lim.output_kb} KB")
        p.append("own session and process group (killed as a whole)")
        p.append("IPC transport (no TCP ports)")
        self.protections = p

    def warn_if_degraded(self) -> None:
        """One line on stderr, once per process, when a layer is missing."""
        global _WARNED
        if _WARNED or not self.missing or os.environ.get("GRADE_SANDBOX_QUIET"):
            return
        _WARNED = True
        print(f"grade: sandbox: running with reduced isolation: {'; '.join(self.missing)} "
              "(see 'grade doctor')", file=sys.stderr)

    @staticmethod
    def _nproc_applies() -> bool:
        return hasattr(os, "getuid") and os.getuid() != 0

    def hidden_paths(self) -> list[Path]:
        """Folders the kernel must not see (bubblewrap mounts an empty tmpfs over each)."""
        cands = set(_HIDDEN) | {Path(p).resolve() for p in self.hide}
        cands |= {Path("/root"), Path("/home")}
        try:
            cands.add(Path.cwd().resolve())  # the grader's own folder: usually the course
        except OSError:
            pass
        if os.environ.get("GRADE_COURSE"):
            cands.add(Path(os.environ["GRADE_COURSE"]).resolve())
        out = []
        for c in cands:
            if c.is_file():
                c = c.parent
            if c in _SYSTEM or not c.is_dir() or len(c.parts) < 2:
                continue
            if _is_within(c, self.workdir):
                continue
            out.append(c)
        # Outer folders first, so an inner one is hidden inside the outer tmpfs.
        return sorted(set(out), key=lambda q: (len(q.parts), str(q)))

    def bwrap_args(self) -> list[str]:
        """The bubblewrap command line (without the kernel command)."""
        assert self.bwrap
        a = [self.bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
             "--tmpfs", "/tmp", "--tmpfs", "/dev/shm", "--tmpfs", "/run"]
        hidden = self.hidden_paths()
        for h in hidden:
            a += ["--tmpfs", str(h)]
        # Put back, read-only, what the interpreter needs if it lives under a hidden folder.
        # /tmp, /run and /dev/shm count too: a fresh clone (CI) keeps its .venv under /tmp.
        covered = [*hidden, Path("/tmp"), Path("/run"), Path("/dev/shm")]
        for p in _interpreter_paths():
            if any(_is_within(p, h) for h in covered):
                a += ["--ro-bind", str(p), str(p)]
        a += ["--bind", str(self.workdir), str(self.workdir),
              "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
              "--hostname", "grade-sandbox",
              "--die-with-parent", "--new-session",
              # ipykernel exits when its parent pid is 1, which it is in the new namespace.
              "--unsetenv", "JPY_PARENT_PID",
              "--chdir", str(self.home)]
        return a

    def wrap(self, argv: list[str]) -> list[str]:
        """The kernel command, prefixed by the launcher (and bubblewrap)."""
        self.prepare()
        launcher = [sys.executable, "-m", "grader.execution.launch",
                    "--memory-mb", str(self.limits.memory_mb),
                    "--file-size-mb", str(self.limits.file_size_mb)]
        if self.cgroups:
            for f in self.cgroups.procs_files:
                launcher += ["--cgroup-procs", f]
        if not (self.cgroups and self.cgroups.limits_processes) and self._nproc_applies():
            launcher += ["--more-processes", str(self.limits.max_processes)]
        if self.bwrap:
            return launcher + ["--"] + self.bwrap_args() + ["--"] + argv
        # No pid namespace: the launcher stays as the kernel's parent (a buffer
        # between student code and the grader) and is killed with its group.
        return launcher + ["--supervise", "--"] + argv

    def env(self) -> dict[str, str]:
        """A minimal environment: nothing of the grader's (no seeds, no paths to data)."""
        keep = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env.update({
            "HOME": str(self.home),
            "TMPDIR": str(self.workdir / "tmp"),
            "MPLBACKEND": "Agg",
            "PYTHONUNBUFFERED": "1",
            "PYTHONNOUSERSITE": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        })
        for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
                    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            if var in os.environ:
                env[var] = os.environ[var]
        (self.workdir / "tmp").mkdir(parents=True, exist_ok=True)
        return env

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
        """Kill every process the kernel left (cgroup, then process groups); remove the cgroups."""
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
        with _LIVE_LOCK:
            _LIVE.discard(self)


def cleanup_all() -> None:
    """Emergency cleanup of every live sandbox (grader exiting, SIGTERM, Ctrl-C)."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for sb in live:
        try:
            sb.cleanup()
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass


import atexit  # noqa: E402

atexit.register(cleanup_all)
