"""What a prepared sandbox protects, one line per active layer (`Result.protections`, `grade doctor`).

The lines are stored with each attempt and compared by tests and the hostile-code
benchmark, so they stay plain English data, like the attempt's other fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.execution.sandbox import Sandbox


def protections(sb: Sandbox) -> list[str]:
    """The active layers of a prepared sandbox, in the order they are applied."""
    lim = sb.lim
    p: list[str] = []
    if sb.bwrap:
        p += [
            "bubblewrap: only the system, Python and the venv (read-only) and the run folder exist",
            "course, gradebook, other submissions and home folders are not in the kernel's file system",
            "no network",
            "own pid namespace (everything it spawns dies with it)",
        ]
    else:
        p += ["private working folder (not isolated: the kernel can read your files)"]
    if sb.uid is not None:
        p.append(f"runs as uid {sb.uid} with no capabilities and no_new_privs")
    elif sb.caps_only:
        p.append("runs as root but with no capabilities and no_new_privs")
    if sb.seccomp_file:
        p.append("seccomp: mount, namespaces, ptrace, bpf, keyrings refused")
    if sb.quota:
        p.append(f"run folder ≤ {lim.disk_mb} MB and {lim.inodes} files (size-limited tmpfs)")
    elif sb.bwrap:
        p.append(f"/tmp ≤ {lim.disk_mb} MB (size-limited tmpfs)")
    cg = sb.cgroups
    if cg and cg.limits_processes:
        p.append(f"processes ≤ {lim.max_processes} (pids cgroup)")
    elif sb.nproc_applies():
        p.append(f"processes ≤ {lim.max_processes} more (RLIMIT_NPROC)")
    if cg and cg.limits_memory:
        p.append(f"memory ≤ {lim.memory_mb} MB for the kernel and its children (memory cgroup)")
    p.append(f"memory ≤ {lim.memory_mb} MB per process (RLIMIT_DATA)")
    p.append(f"files ≤ {lim.file_size_mb} MB (RLIMIT_FSIZE)")
    p.append(f"time ≤ {lim.cell_timeout_s:g} s per cell, {lim.total_timeout_s:g} s in total")
    p.append(f"output ≤ {lim.output_kb} KB")
    p.append("own session and process group (killed as a whole)")
    p.append("IPC transport (no TCP ports)")
    return p
