"""What the student's kernel may see and use, as one value built before the sandbox starts.

The policy is an allow-list: the kernel's file system is an empty, read-only root
into which only the system (`/usr`, the `/bin`-style links, a few files of `/etc`),
the interpreter and the virtual environment are bound read-only, plus its own run
folder read-write. Nothing else exists in there, so the course, the gradebook,
other submissions and home folders are out of reach wherever they live, without
anyone having to name them. `build_policy` is the only place that decides; the
sandbox, `grade doctor` and the tests read the same value.
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.course.spec import Limits
from grader.errors import GradeError
from grader.execution.kernel_cache import KernelCache, matplotlib_cache

# Every layer the sandbox knows; GRADE_SANDBOX_DISABLE=name,... turns some off.
LAYERS = ("bwrap", "cgroup", "seccomp", "uid", "quota")

# /etc holds credentials and service configuration (PostgreSQL's, ssh's): only what an
# interpreter, TensorFlow and matplotlib read is bound, file by file.
ETC_ENTRIES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "passwd",
    "group",
    "nsswitch.conf",
    "host.conf",
    "hosts",
    "gai.conf",
    "localtime",
    "timezone",
    "locale.alias",
    "locale.conf",
    "ssl",
    "ca-certificates",
    "ca-certificates.conf",
    "pki",
    "mime.types",
    "fonts",
    "alternatives",
    "os-release",
    "debian_version",
    "protocols",
    "services",
    "magic",
)
# Modules only the kernel imports (a stand-in `google.colab`): bound read-only and put on
# the kernel's PYTHONPATH by the sandbox, never on the grader's own path.
KERNEL_SITE = Path(__file__).resolve().with_name("kernel_site")
# Top-level folders that are links into /usr on merged-/usr systems, real folders elsewhere.
SYSTEM_TOP = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


class PolicyError(GradeError):
    """The sandbox cannot be built without exposing something private."""


def disabled(env: dict[str, str] | os._Environ[str] | None = None) -> set[str]:
    """Layers turned off by GRADE_SANDBOX_DISABLE (comma-separated names)."""
    raw = (os.environ if env is None else env).get("GRADE_SANDBOX_DISABLE", "")
    return {s.strip() for s in raw.split(",") if s.strip()}


def _nobody() -> tuple[int, int]:
    """The unprivileged account the kernel becomes when the grader is root."""
    try:
        import pwd

        pw = pwd.getpwnam("nobody")
        return pw.pw_uid, pw.pw_gid
    except (ImportError, KeyError):
        return 65534, 65534


@dataclass(frozen=True)
class SandboxPolicy:
    """Everything the sandbox enforces, decided once per run and never changed afterwards."""

    limits: Limits
    layers: frozenset[str]  # wanted; the sandbox says which it could apply
    readonly: tuple[str, ...]  # host paths bound read-only at the same place
    symlinks: tuple[tuple[str, str], ...]  # (target, link), e.g. ("usr/bin", "/bin")
    # Run-folder subfolders the kernel may write, and where they also appear inside
    # ("" = only at their own path). Everything else of the run folder is the grader's.
    writable: tuple[tuple[str, str], ...] = (("home", ""), ("tmp", "/tmp"), ("shm", "/dev/shm"), (".kernel", ""))
    kernel_uid: int | None = None  # None: the kernel keeps the grader's user
    kernel_gid: int | None = None
    network: bool = False
    private: tuple[str, ...] = field(default=())  # checked to lie outside every bound path
    # Caches the grader builds once and binds read-only, so that no kernel builds its own
    # (kernel_cache.py): bound only once they exist, their files linked into the kernel's HOME.
    caches: tuple[KernelCache, ...] = ()

    @property
    def disk_mb(self) -> int:
        return self.limits.disk_mb

    @property
    def inodes(self) -> int:
        return self.limits.inodes

    def wants(self, layer: str) -> bool:
        return layer in self.layers

    def with_readonly(self, *paths: os.PathLike[str] | str) -> SandboxPolicy:
        """The same policy with more folders bound read-only (e.g. a model to load)."""
        extra = tuple(str(Path(p).resolve()) for p in paths)
        return _checked(replace(self, readonly=_outermost(self.readonly + extra)))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["layers"] = sorted(self.layers)
        d["disk_mb"], d["inodes"] = self.disk_mb, self.inodes
        return d

    def describe(self) -> list[str]:
        """Lines for `grade doctor`."""
        lim = self.limits
        who = (
            f"uid {self.kernel_uid}, gid {self.kernel_gid}, no capabilities"
            if self.kernel_uid is not None
            else "the grader's own user"
        )
        lines = [
            f"layers wanted   {', '.join(sorted(self.layers)) or '(none)'}",
            f"kernel runs as  {who}",
            "read-only       " + ", ".join(self.readonly),
            "links           " + ", ".join(f"{link} -> {target}" for target, link in self.symlinks),
            "writable        the run folder's "
            + ", ".join(f"{name}/" + (f" (as {where})" if where else "") for name, where in self.writable),
            f"network         {'yes' if self.network else 'loopback only'}",
            f"run folder      ≤ {lim.disk_mb} MB and {lim.inodes} files/folders, files ≤ {lim.file_size_mb} MB",
            f"memory          ≤ {lim.memory_mb} MB; processes ≤ {lim.max_processes}",
            f"time            ≤ {lim.cell_timeout_s:g} s per cell, {lim.total_timeout_s:g} s in total",
        ]
        for c in self.caches:
            lines.append(f"shared cache    {c.name}: {c.folder} (read-only, as ~/{c.home_dir})")
        if self.private:
            lines.append("kept out        " + ", ".join(self.private))
        return lines


def _within(p: Path, parent: Path) -> bool:
    return p == parent or parent in p.parents


def _outermost(paths: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Sorted, without paths inside another one of the list (binding the outer one suffices)."""
    out: list[Path] = []
    for p in sorted({Path(x) for x in paths}, key=lambda q: (len(q.parts), str(q))):
        if not any(_within(p, o) for o in out):
            out.append(p)
    return tuple(str(p) for p in sorted(out))


def _interpreter_paths() -> list[str]:
    """The folders an interpreter like this one needs: the venv, the base Python, extra site dirs."""
    cands = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        str(Path(os.path.realpath(sys.executable)).parent.parent),
    }
    for entry in sys.path:  # site-packages added by .pth files or PYTHONPATH
        if entry and "site-packages" in entry and Path(entry).is_dir():
            cands.add(entry)
    out = []
    for c in cands:
        p = Path(c).resolve()
        if p != Path("/") and p.is_dir():
            out.append(str(p))
    return out


def _system_paths() -> tuple[list[str], list[tuple[str, str]]]:
    ro, links = ["/usr"], []
    for name in SYSTEM_TOP:
        p = Path("/") / name
        if p.is_symlink():
            links.append((os.readlink(p), str(p)))
        elif p.is_dir():
            ro.append(str(p))
    ro += [f"/etc/{e}" for e in ETC_ENTRIES if os.path.lexists(f"/etc/{e}")]
    return ro, links


def _checked(policy: SandboxPolicy) -> SandboxPolicy:
    for priv in policy.private:
        pp = Path(priv)
        for ro in policy.readonly:
            if _within(pp, Path(ro)):
                raise PolicyError.told("execution.policy.inside_readonly", priv, folder=ro)
        for c in policy.caches:
            if _within(pp, Path(c.folder)):
                raise PolicyError.told("execution.policy.inside_cache", priv, folder=c.folder)
    return policy


def build_policy(
    limits: Limits | None = None,
    *,
    course_root: os.PathLike[str] | str | None = None,
    extra_readonly: tuple[os.PathLike[str] | str, ...] = (),
    env: dict[str, str] | None = None,
) -> SandboxPolicy:
    """The policy for kernels of this grader: allow-list mounts, the unprivileged user, the limits.

    `course_root` is what must stay private (solutions, specs, references): building fails
    when a folder the kernel needs contains it. `extra_readonly` adds folders to bind.
    """
    limits = limits or Limits()
    ro, links = _system_paths()
    ro += _interpreter_paths()
    # The grader's own code (not the course): the clean model loader runs from it.
    ro.append(str(Path(__file__).resolve().parent.parent))
    ro.append(str(KERNEL_SITE))  # inside the line above today; named so that it stays bound
    ro += [str(Path(p).resolve()) for p in extra_readonly]
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    uid, gid = _nobody() if root else (None, None)
    layers = frozenset(LAYERS) - disabled(env)
    if "uid" not in layers:
        uid = gid = None
    private = (str(Path(course_root).resolve()),) if course_root else ()
    # A cache folder inside the course (a cache dir set there) is not shared: it would be bound.
    caches = tuple(
        c for c in (matplotlib_cache(),) if c is not None and not any(_within(Path(c.folder), Path(p)) for p in private)
    )
    return _checked(
        SandboxPolicy(
            limits=limits,
            layers=layers,
            readonly=_outermost(ro),
            symlinks=tuple(links),
            kernel_uid=uid,
            kernel_gid=gid,
            private=private,
            caches=caches,
        )
    )
