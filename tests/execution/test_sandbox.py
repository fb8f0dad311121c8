"""The sandbox's parts on their own: bubblewrap command line, cgroups, the probe's
encoder, `grade doctor`, and the degraded mode's report."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

from grader.execution import runner

from grader.execution import sandbox
from grader.cli.app import cli
from grader.execution.cgroups import CgroupLimits, stale_groups
from grader.course.spec import Limits


def test_bwrap_hides_course_gradebook_and_homes_but_keeps_the_interpreter(tmp_path, monkeypatch):
    course = Path("/var/tmp") / f"grade-test-course-{os.getpid()}"
    course.mkdir(exist_ok=True)
    try:
        monkeypatch.chdir(course)
        sb = sandbox.Sandbox(workdir=tmp_path / "run", limits=Limits(), hide=[course / "solutions"])
        sb.workdir.mkdir()
        sb.bwrap = "/usr/bin/bwrap"
        sandbox.hide_from_kernels(tmp_path / "book" / "gb.db")
        args = sb.bwrap_args()
        tmpfs = [args[i + 1] for i, a in enumerate(args) if a == "--tmpfs"]
        assert str(course) in tmpfs and "/root" in tmpfs and "/tmp" in tmpfs
        ro = [args[i + 1] for i, a in enumerate(args) if a == "--ro-bind"]
        assert "/" in ro
        if sys.prefix.startswith(("/root", "/home", str(course))):
            assert str(Path(sys.prefix).resolve()) in ro  # the venv is put back, read-only
        bind = [args[i + 1] for i, a in enumerate(args) if a == "--bind"]
        assert bind == [str(sb.workdir)]
        # The workdir's bind comes after every tmpfs, so a hidden parent cannot hide it.
        assert args.index("--bind") > max(i for i, a in enumerate(args) if a == "--tmpfs")
        for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session"):
            assert flag in args
        assert ["--unsetenv", "JPY_PARENT_PID"] == args[args.index("--unsetenv"):args.index("--unsetenv") + 2]
    finally:
        sandbox._HIDDEN.discard((tmp_path / "book").resolve())
        os.rmdir(course)


def test_system_folders_are_never_hidden(tmp_path, monkeypatch):
    monkeypatch.chdir("/")
    sb = sandbox.Sandbox(workdir=tmp_path, limits=Limits(), hide=[Path("/usr"), Path("/etc/passwd")])
    hidden = {str(p) for p in sb.hidden_paths()}
    assert not hidden & {"/", "/usr", "/etc"}


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
    assert runner._run_parent() in ("/tmp", "/var/tmp", "/dev/shm")
    monkeypatch.setattr(tempfile, "tempdir", "/tmp")
    assert runner._run_parent() == "/tmp"


def _probe_encoder():
    """`encode` from the probe source, run standalone."""
    src = runner.PROBE_SOURCE
    start = src.index("    escapes = ")
    end = src.index("    try:\n        from numpy.lib")
    body = "import math as _math\n" + "\n".join(line[4:] for line in src[start:end].splitlines())
    ns: dict = {}
    exec(body, ns)  # noqa: S102 - our own probe text
    return ns["encode"]


@pytest.mark.parametrize("value", [
    {"a": [1, 2.5, None, True, False, "x\"y\\z\n\t\x01"]},
    {"한국어": "값 ✓", "nested": {"l": [[1], [2, [3]]], "neg": -0.0, "big": 10**30}},
    {"inf": "inf", "e": 1e-300},
    [],
])
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
    r = runner.invoke(cli, ["doctor"])
    assert "active protections" in r.stdout


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
        sb.cleanup()
