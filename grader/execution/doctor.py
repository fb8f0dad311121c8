"""`grade doctor`: which sandbox protections this machine gives the student's kernel.

It builds the same policy and sandbox a submission gets and runs a tiny Python
program in it that reports what it can see and do (its user and capabilities,
seccomp, pid, network, the course, the disk quota, limits), so the report is
measured, not assumed. When the grader runs as root, a kernel that is root or
holds any capability is a failure: `failures` says so and the command exits 1.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.course.spec import Limits
from grader.execution.cgroups import stale_groups
from grader.execution.policy import SandboxPolicy, build_policy, disabled
from grader.execution.sandbox import Sandbox, bwrap_status, stale_run_mounts

_INSIDE = r"""
import ctypes, errno, json, os, resource, socket
out = {"pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid()}
status = {}
for line in open("/proc/self/status"):
    key, _, value = line.partition(":")
    status[key] = value.strip()
for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"):
    out[key] = status.get(key)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.settimeout(1)
try:
    s.connect(("192.0.2.1", 9)); out["network"] = "connected"
except OSError as e:
    out["network"] = e.strerror or type(e).__name__
finally:
    s.close()
probe = os.environ.get("GRADE_DOCTOR_PROBE", "")
out["grader_file_visible"] = bool(probe) and os.path.exists(probe)
private = [p for p in os.environ.get("GRADE_DOCTOR_PRIVATE", "").split(os.pathsep) if p]
out["private_visible"] = [p for p in private if os.path.exists(p)]
try:
    open("/etc/shadow", "rb").close(); out["shadow_readable"] = True
except OSError:
    out["shadow_readable"] = False
try:
    open("/usr/.grade-doctor-write-test", "w").close(); out["system_writable"] = True
    os.remove("/usr/.grade-doctor-write-test")
except OSError:
    out["system_writable"] = False
libc = ctypes.CDLL(None, use_errno=True)
def err(rc):
    return "allowed" if rc == 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
out["umount2"] = err(libc.umount2(b"/proc", 2))
out["unshare"] = err(libc.unshare(0x10000000 | 0x20000))
st = os.statvfs(os.environ.get("HOME", "."))
out["home_mb"] = st.f_blocks * st.f_frsize // 2**20
out["home_files"] = st.f_files
out["rlimit_data_mb"] = (lambda v: None if v < 0 else v // 2**20)(resource.getrlimit(resource.RLIMIT_DATA)[0])
out["rlimit_fsize_mb"] = (lambda v: None if v < 0 else v // 2**20)(resource.getrlimit(resource.RLIMIT_FSIZE)[0])
print(json.dumps(out))
"""

CAPS = ("CapEff", "CapPrm", "CapBnd", "CapAmb", "CapInh")


@dataclass
class Report:
    platform: str
    python: str
    root: bool
    bwrap: str
    cgroups: str
    policy: dict[str, Any] = field(default_factory=dict)
    policy_lines: list[str] = field(default_factory=list)
    protections: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    # The policy's shared caches: "name: folder" when a kernel reads it, else why it does not.
    caches: list[str] = field(default_factory=list)
    measured: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    stale_cgroups: list[str] = field(default_factory=list)
    stale_mounts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def failures_of(measured: dict[str, Any], grader_is_root: bool, isolated: bool = True) -> list[str]:
    """What makes this sandbox unfit for untrusted notebooks, from the measured values.
    A visible course counts when the grader is root (a server) or bubblewrap should have
    hidden it; on a laptop without bubblewrap it is the student's own folder."""
    if "error" in measured:
        return [f"the test program did not run in the sandbox: {measured['error']}"]
    out = []
    if grader_is_root:
        if measured.get("uid") == 0:
            out.append("the kernel runs as root (uid 0): a notebook can read and change anything on this machine")
        held = {k: measured.get(k) for k in CAPS if measured.get(k) and int(str(measured[k]), 16) != 0}
        if held:
            out.append(
                "the kernel holds capabilities ("
                + ", ".join(f"{k} {v}" for k, v in held.items())
                + "): it can undo its sandbox"
            )
    if measured.get("private_visible") and (grader_is_root or isolated):
        out.append("the kernel can see " + ", ".join(measured["private_visible"]))
    return out


def _sample_files(folders: tuple[str, ...]) -> list[str]:
    """One file of each private folder (course.toml for a course): the kernel must not see it.
    (The folder itself may exist in there, empty, on the way to the bound venv.)"""
    out = []
    for folder in folders:
        try:
            files = sorted(p for p in Path(folder).iterdir() if p.is_file())
        except OSError:
            continue
        named = [p for p in files if p.name == "course.toml"]
        if named or files:
            out.append(str((named or files)[0]))
    return out


def diagnose(
    limits: Limits | None = None, course_root: os.PathLike[str] | str | None = None, policy: SandboxPolicy | None = None
) -> Report:
    policy = policy or build_policy(limits, course_root=course_root)
    exe, why = bwrap_status()
    off = disabled()
    rep = Report(
        platform=f"{platform.system()} {platform.release()} ({platform.machine()})",
        python=sys.version.split()[0],
        root=hasattr(os, "geteuid") and os.geteuid() == 0,
        bwrap=("disabled by GRADE_SANDBOX_DISABLE" if "bwrap" in off else exe or why),
        cgroups="",
        policy=policy.to_dict(),
        policy_lines=policy.describe(),
    )
    rep.stale_mounts = [str(p) for p in stale_run_mounts()]
    workdir = Path(tempfile.mkdtemp(prefix="grade-doctor-")).resolve()
    sb = Sandbox(workdir=workdir, policy=policy)
    try:
        sb.prepare()
        cg = sb.cgroups
        if cg is None:
            rep.cgroups = "not used"
        else:
            kinds = [k for k, ok in (("pids", cg.limits_processes), ("memory", cg.limits_memory)) if ok]
            rep.cgroups = (f"v{cg.version}: {', '.join(kinds)}" if kinds else "unavailable") + (
                f" ({'; '.join(cg.problems)})" if cg.problems else ""
            )
        rep.protections = list(sb.protections)
        rep.missing = list(sb.missing)
        rep.caches = [f"{c.name}: {c.folder}" for c in sb.caches] + [f"not shared: {p}" for p in sb.cache_problems]
        # A file of the grader's folder (usually the course): the kernel should not see it.
        probe = next((p for p in sorted(Path.cwd().iterdir()) if p.is_file()), None) if Path.cwd().is_dir() else None
        env = dict(
            sb.env(),
            GRADE_DOCTOR_PROBE=str(probe or ""),
            GRADE_DOCTOR_PRIVATE=os.pathsep.join(_sample_files(policy.private)),
        )
        cmd = sb.wrap([sys.executable, "-I", "-c", _INSIDE])
        try:
            proc = subprocess.run(cmd, cwd=sb.home, env=env, capture_output=True, timeout=60)
            last = proc.stdout.decode("utf-8", "replace").strip().splitlines()
            rep.measured = (
                json.loads(last[-1])
                if last
                else {
                    "error": proc.stderr.decode("utf-8", "replace").strip()[-300:] or f"exit status {proc.returncode}"
                }
            )
        except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
            rep.measured = {"error": str(exc)}
    finally:
        sb.dispose()
    rep.failures = failures_of(rep.measured, rep.root, isolated=bool(sb.bwrap))
    rep.stale_cgroups = [str(p) for p in stale_groups()]
    return rep


def render(rep: Report) -> str:
    m = rep.measured
    lines = [
        f"platform      {rep.platform}, Python {rep.python}, {'root' if rep.root else 'not root'}",
        f"bubblewrap    {rep.bwrap}",
        f"cgroups       {rep.cgroups}",
        "",
        "policy:",
        *[f"  {line}" for line in rep.policy_lines],
        "",
        "active protections:",
        *[f"  ✓ {p}" for p in rep.protections],
    ]
    if rep.missing:
        lines += ["missing:", *[f"  ✗ {p}" for p in rep.missing]]
    if rep.caches:
        lines += ["shared caches (built once, read-only in every kernel):", *[f"  {c}" for c in rep.caches]]
    if m and "error" not in m:
        lines += [
            "",
            "measured inside the sandbox:",
            f"  uid {m.get('uid')}, gid {m.get('gid')}; CapEff {m.get('CapEff')}, CapPrm {m.get('CapPrm')}, "
            f"CapBnd {m.get('CapBnd')}, CapAmb {m.get('CapAmb')}; no_new_privs {m.get('NoNewPrivs')}",
            f"  seccomp {'on' if m.get('Seccomp') == '2' else 'off'} (umount2: {m.get('umount2')}, "
            f"unshare: {m.get('unshare')})",
            f"  pid {m.get('pid')} (1 or 2 = own pid namespace)",
            f"  network: {m.get('network')}",
            f"  files of the grader's folder visible: {'yes' if m.get('grader_file_visible') else 'no'}",
            f"  /etc/shadow readable: {'yes' if m.get('shadow_readable') else 'no'}",
            f"  system writable: {'yes' if m.get('system_writable') else 'no'}",
            f"  home: {m.get('home_mb')} MB, {m.get('home_files')} files (the file system it lives on)",
            f"  RLIMIT_DATA {m.get('rlimit_data_mb')} MB, RLIMIT_FSIZE {m.get('rlimit_fsize_mb')} MB",
        ]
    if rep.stale_cgroups:
        lines += [
            "",
            f"grade cgroups present (running graders, or left by a killed one) ({len(rep.stale_cgroups)}): "
            f"{', '.join(rep.stale_cgroups[:5])}",
        ]
    if rep.stale_mounts:
        lines += [
            "",
            f"run folders left mounted by a killed grader ({len(rep.stale_mounts)}; the next run "
            f"removes them): {', '.join(rep.stale_mounts[:5])}",
        ]
    if rep.failures:
        lines += [
            "",
            *[f"✗ FAIL: {f}" for f in rep.failures],
            "  do not grade untrusted notebooks with this setup (see docs/sandbox.md)",
        ]
    return "\n".join(lines)
