"""The command line that starts a kernel inside its sandbox, and the environment it gets.

`Sandbox.prepare` (sandbox.py) decides which layers the platform offers; this module
turns that decision into argv: the launcher's options (rlimits, cgroups, seccomp), the
bubblewrap mounts of the policy's allow-list, and the switch to the kernel's user.
Nothing here changes the sandbox: every function reads it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from grader.execution.host import bwrap_help, is_root, setpriv_path
from grader.execution.policy import KERNEL_SITE

if TYPE_CHECKING:
    from grader.execution.sandbox import Sandbox

# The grader's variables a kernel keeps (the rest of its environment is made here).
KEPT_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")
THREAD_ENV = (
    "OMP_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
)


def bwrap_args(sb: Sandbox) -> list[str]:
    """The bubblewrap command line (without the kernel command)."""
    assert sb.bwrap
    pol, w = sb.pol, sb.workdir
    size = str(max(1, pol.disk_mb) * 2**20)
    # Mounts by target; applied parents first, so that nothing hides an inner one.
    mounts: list[tuple[str, list[str]]] = [(ro, ["--ro-bind", ro, ro]) for ro in pol.readonly]
    mounts += [(link, ["--symlink", target, link]) for target, link in pol.symlinks]
    # Shared caches appear inside the run folder, not at their host path: the kernel learns
    # nothing of the host's layout (a folder under /root, say) from them.
    mounts += [(str(sb.shared_dir(c)), ["--ro-bind", c.folder, str(sb.shared_dir(c))]) for c in sb.caches]
    mounts += [("/dev", ["--dev", "/dev"]), ("/proc", ["--proc", "/proc"])]
    for name, where in pol.writable:
        if not where:
            continue
        if sb.quota:
            mounts.append((where, ["--bind", str(w / name), where]))
        else:
            mounts.append((where, ["--perms", "1777", "--size", size, "--tmpfs", where]))
    mounts.append((str(w), ["--bind", str(w), str(w)]))
    if not sb.quota:  # the kernel's TMPDIR: size-limited at least
        mounts.append((str(w / "tmp"), ["--perms", "0700", "--size", size, "--tmpfs", str(w / "tmp")]))
    mounts.sort(key=lambda m: len(Path(m[0]).parts))
    ro_roots = [Path(r) for r in pol.readonly]
    made: set[Path] = {Path("/")} | ({sb.shared_dir(sb.caches[0]).parent} if sb.caches else set())
    a = [sb.bwrap, "--tmpfs", "/"]
    for target, args in mounts:
        # Folders on the way to a mount point that no read-only bind brings: crossable (755).
        for anc in reversed(Path(target).parents):
            if anc in made or any(anc == r or r in anc.parents for r in ro_roots):
                continue
            a += ["--perms", "0755", "--dir", str(anc)]
            made.add(anc)
        a += args
        made.add(Path(target))
    a += [
        "--remount-ro",
        "/",
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "grade-sandbox",
        "--die-with-parent",
        "--new-session",
        # ipykernel exits when its parent pid is 1, which it is in the new namespace.
        "--unsetenv",
        "JPY_PARENT_PID",
    ]
    if not is_root():
        # A user namespace is how bubblewrap works unprivileged; no nested one inside it.
        a += ["--unshare-user"] + (["--disable-userns"] if "--disable-userns" in bwrap_help() else [])
    if sb.seccomp_file:
        from grader.execution.launch import SECCOMP_FD_WORD

        a += ["--seccomp", SECCOMP_FD_WORD]
    a += ["--chdir", str(sb.home)]
    return a


def drop_inside(sb: Sandbox) -> list[str]:
    """What switches to the kernel's user inside bubblewrap, before the kernel command."""
    if sb.uid is None:
        return []
    gid = sb.gid if sb.gid is not None else sb.uid
    if sb.drop_with == "setpriv":
        return [
            str(setpriv_path()),
            f"--reuid={sb.uid}",
            f"--regid={gid}",
            "--clear-groups",
            "--bounding-set=-all",
            "--inh-caps=-all",
            "--no-new-privs",
            "--",
        ]
    return [
        sys.executable,
        "-m",
        "grader.execution.launch",
        "--drop-uid",
        str(sb.uid),
        "--drop-gid",
        str(gid),
        "--",
    ]


def wrap(sb: Sandbox, argv: list[str]) -> list[str]:
    """The kernel command `argv`, prefixed by the launcher (and bubblewrap). The sandbox is prepared."""
    lim = sb.lim
    launcher = [
        sys.executable,
        "-m",
        "grader.execution.launch",
        "--memory-mb",
        str(lim.memory_mb),
        "--file-size-mb",
        str(lim.file_size_mb),
    ]
    if sb.cgroups:
        for f in sb.cgroups.procs_files:
            launcher += ["--cgroup-procs", f]
    if not (sb.cgroups and sb.cgroups.limits_processes) and sb.nproc_applies():
        launcher += ["--more-processes", str(lim.max_processes)]
        if sb.uid is not None:
            launcher += ["--nproc-uid", str(sb.uid)]
    if sb.seccomp_file:
        launcher += ["--seccomp", str(sb.seccomp_file)]
    if sb.bwrap:
        return launcher + ["--"] + bwrap_args(sb) + ["--"] + drop_inside(sb) + argv
    if sb.uid is not None:
        launcher += ["--drop-uid", str(sb.uid), "--drop-gid", str(sb.gid if sb.gid is not None else sb.uid)]
    elif sb.caps_only:
        launcher += ["--drop-caps"]
    # No pid namespace: the launcher stays as the kernel's parent (a buffer
    # between student code and the grader) and is killed with its group.
    return launcher + ["--supervise", "--"] + argv


def kernel_env(sb: Sandbox) -> dict[str, str]:
    """A minimal environment: nothing of the grader's (no seeds, no paths to data)."""
    env = {k: os.environ[k] for k in KEPT_ENV if k in os.environ}
    env.update(
        {
            "HOME": str(sb.home),
            "TMPDIR": str(sb.workdir / "tmp"),
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": str(sb.home / ".config" / "matplotlib"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONNOUSERSITE": "1",
            "PYTHONPATH": str(KERNEL_SITE),  # google.colab for notebooks written in Colab
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
    )
    env.update({var: os.environ[var] for var in THREAD_ENV if var in os.environ})
    return env
