"""The kernel's privileges, measured from inside: started by a root grader (as on CI and
class servers), it must be an unprivileged user with no capabilities, no_new_privs and
the seccomp filter; the escape attempts of the sandbox issue must fail with EPERM."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import _on_ci, make_notebook

from grader.cli.app import cli
from grader.course.spec import Limits
from grader.execution import seccomp
from grader.execution.policy import build_policy
from grader.execution.runner import run_notebook
from grader.execution.sandbox import Sandbox, bwrap_status, setpriv_path

ROOT = os.geteuid() == 0

MEASURE = r"""
import ctypes, errno, json, os
libc = ctypes.CDLL(None, use_errno=True)
def rc(value):
    return "ok" if value == 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
out = {k: status[k].strip() for k in ("Uid", "Gid", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
                                      "NoNewPrivs", "Seccomp")}
out["uid"] = os.getuid()
out["umount2 tmpfs"] = rc(libc.umount2(os.path.dirname(os.getcwd()).encode(), 2))
out["remount /"] = rc(libc.mount(None, b"/", None, 32 | 4096, None))
out["unshare user+mount"] = rc(libc.unshare(0x10000000 | 0x20000))
fd = os.open("/proc/self/ns/net", os.O_RDONLY)
out["setns"] = rc(libc.setns(fd, 0))
try:
    open("/etc/shadow").close(); out["shadow"] = "readable"
except OSError as exc:
    out["shadow"] = exc.strerror
print("MEASURED " + json.dumps(out))
"""


def _needs_root_sandbox() -> None:
    reasons = []
    if not ROOT:
        reasons.append("the grader is not root")
    if not bwrap_status()[0]:
        reasons.append(bwrap_status()[1])
    if not seccomp.status()[0]:
        reasons.append(seccomp.status()[1])
    if reasons:
        if _on_ci():
            pytest.fail("the privilege test must run on CI: " + "; ".join(reasons), pytrace=False)
        pytest.skip("; ".join(reasons))


def _measured(nb) -> dict:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "")
            if "MEASURED " in text:
                return json.loads(text.split("MEASURED ", 1)[1])
    raise AssertionError("the kernel printed nothing")


@pytest.mark.kernel
def test_kernel_started_by_root_is_unprivileged():
    _needs_root_sandbox()
    nb = make_notebook([("code", MEASURE)])
    lim = Limits(cell_timeout_s=20, total_timeout_s=40, memory_mb=1024)
    outcome = run_notebook(nb, lim, probe_requests=[], probe_inputs={}, policy=build_policy(lim))
    assert outcome.status == "graded", outcome.message
    m = _measured(nb)
    assert m["uid"] != 0 and m["Uid"].split()[0] != "0", m
    for cap in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "CapInh"):
        assert int(m[cap], 16) == 0, (cap, m[cap])
    assert m["NoNewPrivs"] == "1" and m["Seccomp"] == "2", m
    for what in ("umount2 tmpfs", "remount /", "unshare user+mount", "setns"):
        assert m[what] == "EPERM", (what, m[what])
    assert m["shadow"] in ("No such file or directory", "Permission denied")
    assert any("no capabilities" in p for p in outcome.protections)


def test_launcher_drops_to_the_user_without_bubblewrap(tmp_path):
    """The launcher's own switch (used without bubblewrap, or without setpriv inside it)."""
    if not ROOT:
        pytest.skip("the grader is not root")
    program = tmp_path / "filter.bpf"
    program.write_bytes(seccomp.compiled())
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader.execution.launch",
            "--drop-uid",
            "65534",
            "--drop-gid",
            "65534",
            "--seccomp",
            str(program),
            "--",
            "/bin/grep",
            "-E",
            "^(Uid|Gid|Groups|Cap[A-Za-z]+|NoNewPrivs|Seccomp):",
            "/proc/self/status",
        ],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    st = dict(line.split(":\t", 1) for line in proc.stdout.splitlines())
    assert st["Uid"].split() == ["65534"] * 4 and st["Gid"].split() == ["65534"] * 4
    assert st["Groups"].strip() == ""
    assert all(int(st[c], 16) == 0 for c in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"))
    assert st["NoNewPrivs"].strip() == "1" and st["Seccomp"].strip() == "2"


def test_launcher_refuses_to_run_when_the_switch_fails():
    if ROOT:
        pytest.skip("as root the switch succeeds")
    proc = subprocess.run(
        [sys.executable, "-m", "grader.execution.launch", "--drop-uid", "0", "--", "/bin/true"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 126 and "cannot drop privileges" in proc.stderr


def test_seccomp_refuses_the_escape_calls_even_for_root(tmp_path):
    """The filter alone (no user switch): mount, umount2, unshare, setns fail with EPERM."""
    if not seccomp.status()[0]:
        pytest.skip(seccomp.status()[1])
    program = tmp_path / "filter.bpf"
    program.write_bytes(seccomp.compiled())
    code = (
        "import ctypes, os; libc = ctypes.CDLL(None, use_errno=True)\n"
        "def err(rc): return ctypes.get_errno() if rc else 0\n"
        "errs = [err(libc.umount2(b'/nonexistent', 2)), err(libc.mount(b'x', b'/nonexistent', b'tmpfs', 0, None)),\n"
        "        err(libc.unshare(0x10000000)), err(libc.setns(os.open('/proc/self/ns/net', os.O_RDONLY), 0))]\n"
        "rc = libc.syscall(435, 0, 0)\n"
        "print(str(errs).replace(' ', ''), rc, ctypes.get_errno())"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader.execution.launch",
            "--seccomp",
            str(program),
            "--",
            sys.executable,
            "-I",
            "-c",
            code,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    errs, clone3, last = proc.stdout.strip().rsplit(" ", 2)
    assert json.loads(errs) == [1, 1, 1, 1]  # EPERM; for root without the filter umount2 says EINVAL/ENOENT
    assert (int(clone3), int(last)) == (-1, 38)  # clone3: ENOSYS, so the C library falls back to clone


def test_doctor_fails_loudly_for_a_privileged_kernel(runner, monkeypatch):
    if not ROOT or not bwrap_status()[0]:
        pytest.skip("needs a root grader with bubblewrap")
    monkeypatch.setenv("GRADE_SANDBOX_DISABLE", "uid,seccomp")
    r = runner.invoke(cli, ["doctor"])
    assert r.exit_code == 1
    assert "FAIL: the kernel runs as root (uid 0)" in r.stdout and "holds capabilities" in r.stdout
    monkeypatch.delenv("GRADE_SANDBOX_DISABLE")
    r = runner.invoke(cli, ["doctor", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["failures"] == [] and doc["measured"]["uid"] != 0 and doc["measured"]["CapEff"] == "0" * 16
    assert doc["measured"]["Seccomp"] == "2" and doc["policy"]["kernel_uid"] == doc["measured"]["uid"]


def test_run_folder_is_a_limited_tmpfs_the_grader_can_read(tmp_path):
    if not ROOT:
        pytest.skip("mounting the run folder's tmpfs needs root")
    lim = Limits(disk_mb=8, inodes=64)
    sb = Sandbox(workdir=Path(tempfile.mkdtemp(dir=tmp_path)), policy=build_policy(lim))
    sb.prepare()
    try:
        assert sb.quota, sb.missing
        st = os.statvfs(sb.workdir)
        assert st.f_blocks * st.f_frsize == 8 * 2**20 and st.f_files == 64
        assert (os.stat(sb.home).st_uid == 65534) == (sb.uid == 65534)
        (sb.home / "x").write_text("the grader reads and writes here as root")
        sb.make_room_for_probe()
        assert os.statvfs(sb.workdir).f_files > 64
    finally:
        sb.dispose()
    assert not sb.workdir.exists()
    assert str(sb.workdir) not in Path("/proc/self/mountinfo").read_text()


def test_setpriv_is_used_inside_bubblewrap_when_present(tmp_path):
    if not ROOT or not bwrap_status()[0]:
        pytest.skip("needs a root grader with bubblewrap")
    sb = Sandbox(workdir=tmp_path / "run", policy=build_policy(Limits()))
    sb.prepare()
    try:
        cmd = sb.wrap(["python", "-m", "ipykernel_launcher"])
        inner = cmd[len(cmd) - cmd[::-1].index("--") :]  # after bubblewrap's last "--"
        if setpriv_path():
            assert cmd[cmd.index("--chdir") + 3] == setpriv_path()
            assert "--bounding-set=-all" in cmd and "--no-new-privs" in cmd
        assert inner == ["python", "-m", "ipykernel_launcher"]
    finally:
        sb.dispose()


def test_doctor_failure_rules():
    from grader.execution.doctor import failures_of

    clean = {"uid": 65534, "CapEff": "0" * 16, "CapPrm": "0" * 16, "CapBnd": "0" * 16, "private_visible": []}
    assert failures_of(clean, grader_is_root=True) == []
    assert "runs as root" in failures_of(dict(clean, uid=0), grader_is_root=True)[0]
    assert "CapBnd 000001fffeffffff" in failures_of(dict(clean, CapBnd="000001fffeffffff"), True)[0]
    assert failures_of(dict(clean, uid=0, CapEff="1"), grader_is_root=False) == []  # a laptop's own user
    seen = dict(clean, private_visible=["/srv/course/course.toml"])
    assert failures_of(seen, grader_is_root=False, isolated=False) == []  # no bubblewrap: the student's files
    assert failures_of(seen, grader_is_root=False, isolated=True) == ["the kernel can see /srv/course/course.toml"]
    assert "did not run" in failures_of({"error": "boom"}, grader_is_root=False)[0]
