"""`grade doctor`: which sandbox protections this machine gives the student's kernel.

It builds the same sandbox a submission gets and runs a tiny Python program in it
that reports what it can see and do (pid, network, hidden folders, limits), so
the report is measured, not assumed.
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

from grader.execution.cgroups import stale_groups
from grader.execution.sandbox import Sandbox, bwrap_status, disabled
from grader.course.spec import Limits

_INSIDE = r"""
import json, os, resource, socket
out = {"pid": os.getpid(), "uid": os.getuid()}
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.settimeout(1)
try:
    s.connect(("192.0.2.1", 9)); out["network"] = "connected"
except OSError as e:
    out["network"] = e.strerror or type(e).__name__
finally:
    s.close()
probe = os.environ.get("GRADE_DOCTOR_PROBE", "")
out["grader_file_visible"] = bool(probe) and os.path.exists(probe)
try:
    open("/usr/.grade-doctor-write-test", "w").close(); out["system_writable"] = True
    os.remove("/usr/.grade-doctor-write-test")
except OSError:
    out["system_writable"] = False
out["rlimit_data_mb"] = (lambda v: None if v < 0 else v // 2**20)(resource.getrlimit(resource.RLIMIT_DATA)[0])
out["rlimit_fsize_mb"] = (lambda v: None if v < 0 else v // 2**20)(resource.getrlimit(resource.RLIMIT_FSIZE)[0])
print(json.dumps(out))
"""


@dataclass
class Report:
    platform: str
    python: str
    root: bool
    bwrap: str
    cgroups: str
    protections: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    measured: dict[str, Any] = field(default_factory=dict)
    stale_cgroups: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def diagnose(limits: Limits | None = None) -> Report:
    limits = limits or Limits()
    exe, why = bwrap_status()
    off = disabled()
    rep = Report(
        platform=f"{platform.system()} {platform.release()} ({platform.machine()})",
        python=sys.version.split()[0],
        root=hasattr(os, "getuid") and os.getuid() == 0,
        bwrap=("disabled by GRADE_SANDBOX_DISABLE" if "bwrap" in off else exe or why),
        cgroups="",
    )
    workdir = Path(tempfile.mkdtemp(prefix="grade-doctor-")).resolve()
    sb = Sandbox(workdir=workdir, limits=limits)
    try:
        sb.prepare()
        cg = sb.cgroups
        if cg is None:
            rep.cgroups = "not used"
        else:
            kinds = [k for k, ok in (("pids", cg.limits_processes), ("memory", cg.limits_memory)) if ok]
            rep.cgroups = (f"v{cg.version}: {', '.join(kinds)}" if kinds else "unavailable") + \
                (f" ({'; '.join(cg.problems)})" if cg.problems else "")
        rep.protections = list(sb.protections)
        rep.missing = list(sb.missing)
        # A file of the grader's folder (usually the course): the kernel should not see it.
        probe = next((p for p in sorted(Path.cwd().iterdir()) if p.is_file()), None) \
            if Path.cwd().is_dir() else None
        env = dict(sb.env(), GRADE_DOCTOR_PROBE=str(probe or ""))
        cmd = sb.wrap([sys.executable, "-I", "-c", _INSIDE])
        try:
            proc = subprocess.run(cmd, cwd=sb.home, env=env, capture_output=True, timeout=60)
            last = proc.stdout.decode("utf-8", "replace").strip().splitlines()
            rep.measured = json.loads(last[-1]) if last else {
                "error": proc.stderr.decode("utf-8", "replace").strip()[-300:]}
        except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
            rep.measured = {"error": str(exc)}
    finally:
        sb.cleanup()
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    rep.stale_cgroups = [str(p) for p in stale_groups()]
    return rep


def render(rep: Report) -> str:
    m = rep.measured
    lines = [
        f"platform      {rep.platform}, Python {rep.python}, {'root' if rep.root else 'not root'}",
        f"bubblewrap    {rep.bwrap}",
        f"cgroups       {rep.cgroups}",
        "",
        "active protections:",
        *[f"  ✓ {p}" for p in rep.protections],
    ]
    if rep.missing:
        lines += ["missing:", *[f"  ✗ {p}" for p in rep.missing]]
    if m:
        lines += ["", "measured inside the sandbox:"]
        if "error" in m:
            lines.append(f"  ✗ the test program did not run: {m['error']}")
        else:
            lines += [
                f"  pid {m.get('pid')} (1 or 2 = own pid namespace)",
                f"  network: {m.get('network')}",
                f"  files of the grader's folder visible: {'yes' if m.get('grader_file_visible') else 'no'}",
                f"  system writable: {'yes' if m.get('system_writable') else 'no'}",
                f"  RLIMIT_DATA {m.get('rlimit_data_mb')} MB, RLIMIT_FSIZE {m.get('rlimit_fsize_mb')} MB",
            ]
    if rep.stale_cgroups:
        lines += ["", f"grade cgroups present (running graders, or left by a killed one) ({len(rep.stale_cgroups)}): "
                      f"{', '.join(rep.stale_cgroups[:5])}"]
    return "\n".join(lines)
