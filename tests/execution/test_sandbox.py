"""The sandbox's parts on their own: the policy, the bubblewrap command line, cgroups,
the probe's encoder, `grade doctor`, and the degraded mode's report."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from grader.cli.app import cli
from grader.course.spec import Limits
from grader.execution import command, kernel, probe_io, sandbox
from grader.execution.cgroups import CgroupLimits, stale_groups
from grader.execution.policy import LAYERS, PolicyError, build_policy


def _args(sb: sandbox.Sandbox) -> dict[str, list[str]]:
    a = sb.bwrap_args()
    out: dict[str, list[str]] = {}
    for flag in ("--ro-bind", "--bind", "--tmpfs", "--symlink"):
        out[flag] = [
            a[i + 1] + (" " + a[i + 2] if flag in ("--ro-bind", "--bind", "--symlink") else "")
            for i, x in enumerate(a)
            if x == flag
        ]
    return out


def test_bwrap_binds_only_the_allow_list(tmp_path, monkeypatch):
    """No `--ro-bind / /` with holes: the system, the interpreter and the run folder, nothing else."""
    course = Path("/var/tmp") / f"grade-test-course-{os.getpid()}"
    (course / "solutions").mkdir(parents=True, exist_ok=True)
    try:
        monkeypatch.chdir(course)
        pol = build_policy(Limits(), course_root=course)
        sb = sandbox.Sandbox(workdir=tmp_path / "run", policy=pol)
        sb.workdir.mkdir()
        sb.bwrap = "/usr/bin/bwrap"
        args = _args(sb)
        sources = [b.split()[0] for b in args["--ro-bind"] + args["--bind"]]
        assert "/" not in sources and "/var" not in sources and "/etc" not in sources
        assert not any(src == str(course) or src.startswith(str(course) + "/") for src in sources)
        assert not any(src.startswith(("/home", "/srv", "/var")) for src in sources)
        assert f"{sb.workdir} {sb.workdir}" in args["--bind"]
        assert any(src == str(Path(sys.prefix).resolve()) for src in sources)  # the venv
        assert "/usr /usr" in args["--ro-bind"] and "/etc/passwd /etc/passwd" in args["--ro-bind"]
        assert "/etc/shadow /etc/shadow" not in args["--ro-bind"]
        a = sb.bwrap_args()
        for flag in ("--unshare-net", "--unshare-pid", "--unshare-ipc", "--die-with-parent", "--new-session"):
            assert flag in a
        assert a[-2:] == ["--chdir", str(sb.home)]
        assert a[a.index("--unsetenv") : a.index("--unsetenv") + 2] == ["--unsetenv", "JPY_PARENT_PID"]
        # Parents before children: the run folder's bind comes after /tmp's.
        targets = [a[i + 2] for i, x in enumerate(a) if x in ("--ro-bind", "--bind")]
        for i, t in enumerate(targets):
            assert not any(Path(t) in Path(u).parents for u in targets[:i]), (t, targets[:i])
    finally:
        shutil.rmtree(course, ignore_errors=True)


def test_policy_is_one_frozen_value_built_from_limits_and_course(tmp_path):
    lim = Limits(disk_mb=64, inodes=500)
    pol = build_policy(lim, course_root=tmp_path)
    assert pol.disk_mb == 64 and pol.inodes == 500 and pol.private == (str(tmp_path.resolve()),)
    assert set(pol.layers) == set(LAYERS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pol.readonly = ()  # type: ignore[misc]
    more = pol.with_readonly(tmp_path / "models")
    assert str((tmp_path / "models").resolve()) in more.readonly and str(tmp_path / "models") not in pol.readonly
    assert build_policy(lim, env={"GRADE_SANDBOX_DISABLE": "seccomp, uid"}).layers == set(LAYERS) - {"seccomp", "uid"}
    if os.geteuid() == 0:
        assert pol.kernel_uid not in (None, 0)
        assert build_policy(lim, env={"GRADE_SANDBOX_DISABLE": "uid"}).kernel_uid is None


def test_policy_refuses_a_venv_that_contains_the_course():
    venv = str(Path(sys.prefix).resolve())
    with pytest.raises(PolicyError, match="contains this folder") as info:
        build_policy(Limits(), course_root=Path(venv) / "inside")
    assert info.value.said("ko").startswith(f"커널이 읽어야 하는 {venv}")


def test_no_module_state_hides_folders():
    assert not hasattr(sandbox, "hide_from_kernels") and not hasattr(sandbox, "_HIDDEN")


def test_cgroup_limits_create_and_clean_up():
    cg = CgroupLimits.create(16, 256)
    if not cg.dirs:
        pytest.skip(f"no cgroups here: {cg.problems}")
    dirs = set(cg.dirs.values())
    assert all(d.is_dir() for d in dirs)
    cg.remove()
    assert not any(d.exists() for d in dirs)
    assert not set(stale_groups()) & dirs


def test_long_temp_folder_moves_run_folder(monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", "/tmp/" + "x" * 90)
    assert kernel.run_parent() in ("/tmp", "/var/tmp", "/dev/shm")
    monkeypatch.setattr(tempfile, "tempdir", "/tmp")
    assert kernel.run_parent() == "/tmp"


def _probe_encoder():
    """`encode` from the probe source, run standalone."""
    src = probe_io.PROBE_SOURCE
    start = src.index("    escapes = ")
    end = src.index("    try:\n        from numpy.lib")
    body = "import math as _math\n" + "\n".join(line[4:] for line in src[start:end].splitlines())
    ns: dict = {}
    exec(body, ns)  # noqa: S102 - our own probe text
    return ns["encode"]


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, 2.5, None, True, False, 'x"y\\z\n\t\x01']},
        {"한국어": "값 ✓", "nested": {"l": [[1], [2, [3]]], "neg": -0.0, "big": 10**30}},
        {"inf": "inf", "e": 1e-300},
        [],
    ],
)
def test_probe_json_encoder_round_trips(value):
    encode = _probe_encoder()
    assert json.loads(encode(value)) == value


def test_probe_encoder_survives_lone_surrogates():
    encode = _probe_encoder()
    text = str.encode(encode({"s": "a\udc80b"}), "utf-8", "backslashreplace")
    assert json.loads(text.decode("utf-8"))["s"].startswith("a")


def test_doctor_reports_protections(runner):
    r = runner.invoke(cli, ["doctor", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["protections"] and "measured" in doc
    if sandbox.bwrap_status()[0]:
        assert doc["measured"].get("pid") in (1, 2)
        assert doc["measured"].get("network") != "connected"
        assert doc["measured"].get("system_writable") is False
    assert any(c.startswith("matplotlib: ") for c in doc["caches"]), doc["caches"]
    assert doc["policy"]["caches"][0]["name"] == "matplotlib"
    r = runner.invoke(cli, ["doctor"])
    assert "active protections" in r.stdout
    assert "shared cache    matplotlib: " in r.stdout and "shared caches (built once" in r.stdout


def test_fallback_reports_less_and_says_so(runner, monkeypatch):
    monkeypatch.setenv("GRADE_SANDBOX_DISABLE", "bwrap,cgroup")
    monkeypatch.setattr(sandbox, "_WARNED", False)
    r = runner.invoke(cli, ["doctor", "--json"])
    doc = json.loads(r.stdout)
    assert any("bubblewrap disabled" in m for m in doc["missing"])
    assert not any("cgroup" in p for p in doc["protections"])
    sb = sandbox.Sandbox(workdir=Path(tempfile.mkdtemp()), limits=Limits())
    sb.prepare()
    try:
        import io
        from contextlib import redirect_stderr

        monkeypatch.delenv("GRADE_SANDBOX_QUIET", raising=False)
        buf = io.StringIO()
        with redirect_stderr(buf):
            sb.warn_if_degraded()
        assert "reduced isolation" in buf.getvalue()
    finally:
        sb.dispose()


def test_unprivileged_bwrap_uses_a_user_namespace_and_sized_tmpfs(tmp_path, monkeypatch):
    """The laptop path (grader not root): no quota mount, so /tmp, /dev/shm and TMPDIR are
    size-limited tmpfs of bubblewrap's, and no nested user namespace is allowed."""
    monkeypatch.setattr(sandbox, "is_root", lambda: False)
    monkeypatch.setattr(command, "is_root", lambda: False)
    monkeypatch.setattr(command, "bwrap_help", lambda: "--disable-userns ...")
    sb = sandbox.Sandbox(workdir=tmp_path / "run", policy=build_policy(Limits(disk_mb=32)))
    sb.workdir.mkdir()
    sb.bwrap = "/usr/bin/bwrap"
    a = sb.bwrap_args()
    assert "--unshare-user" in a and "--disable-userns" in a
    sized = {a[i + 1]: a[i - 1] for i, x in enumerate(a) if x == "--tmpfs" and a[i - 2] == "--size"}
    assert sized == {"/tmp": str(32 * 2**20), "/dev/shm": str(32 * 2**20), str(sb.workdir / "tmp"): str(32 * 2**20)}
    # TMPDIR's tmpfs goes over the run folder's bind, not under it.
    assert a.index(str(sb.workdir / "tmp")) > a.index(str(sb.workdir))
    assert "--seccomp" not in a or a[a.index("--seccomp") + 1] == "@SECCOMP_FD@"


def test_run_folders_of_a_killed_grader_are_unmounted(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting needs root")
    import ctypes
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()  # its pid is now free: the "grader" that mounted this is gone
    dead = dead.pid
    target = tmp_path / "grade-run-left"
    target.mkdir()
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.mount(f"{sandbox.MOUNT_SOURCE}-{dead}".encode(), str(target).encode(), b"tmpfs", 0, b"size=1m") == 0
    try:
        assert target in sandbox.stale_run_mounts()
        sandbox.stale_run_mounts(remove=True)
        assert str(target) not in Path("/proc/self/mountinfo").read_text() and not target.exists()
    finally:
        libc.umount2(str(target).encode(), 2)
