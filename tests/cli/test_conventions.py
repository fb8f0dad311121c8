"""CLI conventions (DESIGN section 4): errors as one `grade: error:` line on stderr, JSON
documents for errors in --json mode, --json on the commands that print data, exit codes,
plain output without a terminal, Ctrl-C as exit 130 with one line, `python -m grader`."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_notebook, write_notebook

from grader.cli.app import cli
from grader.cli.term import live_ok

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON = sys.executable


def _grade(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "grader", *args], capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=timeout
    )


@pytest.mark.parametrize(
    "lang, usage, hint, line",
    [
        ("en", "Usage: grade submit", "Try 'grade submit --help' for help.", "Missing argument 'PATHS...'."),
        ("ko", "사용법: grade submit", "도움말은 'grade submit --help'로 봅니다.", "인자 'PATHS...'가 빠졌습니다."),
    ],
)
def test_usage_errors_use_the_one_format_on_stderr(runner, lang, usage, hint, line):
    r = runner.invoke(cli, ["submit", "--lang", lang], prog_name="grade")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.splitlines()[-1] == f"grade: error: {line}"
    assert "Error:" not in r.stderr and r.stderr.startswith(usage) and hint in r.stderr.splitlines()


def test_errors_in_json_mode_are_json_on_stdout_too(runner, tiny_course):
    r = runner.invoke(cli, ["status", "--json", "--no-such-flag"])
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    assert doc["error"].startswith("No such option") and doc["exit_code"] == 2
    assert r.stderr.splitlines()[-1].startswith("grade: error: '--no-such-flag'라는 옵션은 없습니다")
    empty = tiny_course.parent / "empty"
    empty.mkdir()
    r = runner.invoke(cli, ["submit", str(empty), "--json", "--no-record", "--course", str(tiny_course)])
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert set(doc) == {"error", "file", "exit_code"} and doc["exit_code"] == 1
    assert r.stderr.startswith("grade: error: ")


def test_a_missing_file_is_an_error_on_stderr_not_a_result(runner, tiny_course, tmp_path):
    missing = str(tmp_path / "nope.ipynb")
    for lang, said in (("en", "no such file"), ("ko", "파일이 없습니다")):
        r = runner.invoke(cli, ["submit", missing, "--no-record", "--course", str(tiny_course), "--lang", lang])
        assert r.exit_code == 1 and r.stdout == ""
        assert r.stderr.strip() == f"grade: error: {missing}: {said}"
        r = runner.invoke(
            cli, ["submit", missing, "--no-record", "--json", "--course", str(tiny_course), "--lang", lang]
        )
        doc = json.loads(r.stdout)
        assert r.exit_code == 1 and doc["status"] == "invalid"
        assert (doc["error"], doc["file"]) == (said, missing)


def test_outside_a_course_the_error_names_both_ways_to_give_one(runner, tmp_path, monkeypatch):
    monkeypatch.delenv("GRADE_COURSE", raising=False)
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(cli, ["status", "--lang", "en"])
    assert r.exit_code == 1
    line = r.stderr.strip()
    assert line.startswith("grade: error: not inside a course") and "--course" in line and "GRADE_COURSE" in line
    monkeypatch.setenv("GRADE_COURSE", str(tmp_path / "gone"))
    r = runner.invoke(cli, ["status"])
    assert "GRADE_COURSE=" in r.stderr and r.exit_code == 1


def test_status_json_lists_best_attempts(runner, tiny_course, tmp_path):
    book = str(tmp_path / "gb.db")
    base = ["--course", str(tiny_course), "--gradebook", book]
    r = runner.invoke(cli, ["status", "--json", *base])
    assert r.exit_code == 0 and json.loads(r.stdout) == []
    from grader.results.attempt import Attempt, CheckResult
    from grader.results.gradebook import Gradebook

    with Gradebook(book) as gb:
        gb.record(
            Attempt(
                "t.ex1",
                "sora",
                "graded",
                [
                    CheckResult("double", "function_matches", True, 2, 2, ""),
                    CheckResult("summer", "model_metric", False, 1 / 3, 3, ""),
                ],
                1.0,
            ),
            b"{}",
        )
    r = runner.invoke(cli, ["status", "--json", *base])
    [row] = json.loads(r.stdout)
    assert (row["member"], row["exercise"], row["score"], row["max_score"]) == ("sora", "t.ex1", 2.3333, 5.0)
    assert row["attempt_id"] and row["graded_at"]
    text = runner.invoke(cli, ["status", *base, "--lang", "en"]).stdout
    assert "2.33/5" in text and "2.3333" not in text


@pytest.mark.parametrize(
    "path",
    [
        "submit",
        "status",
        "starters",
        "check",
        "doctor",
        "export",
        "import",
        "selfcheck-pack",
        "review",
        "review history",
        "review set-band",
        "quiz list",
        "quiz score",
        "quiz validate",
        "minutes",
        "site build",
        "site serve",
    ],
)
def test_commands_that_print_data_take_json(path):
    command = cli
    for name in path.split():
        command = command.commands[name]
    assert "--json" in {o for p in command.params for o in getattr(p, "opts", [])}, path


def test_starters_json(runner, tiny_course):
    r = runner.invoke(cli, ["starters", "--json", "--course", str(tiny_course)])
    assert r.exit_code == 0
    assert json.loads(r.stdout) == [{"name": "01_tiny.ipynb", "state": "written"}]


def test_python_dash_m_grader_is_the_grade_command():
    r = _grade("--help", "--lang", "en")
    assert r.returncode == 0 and r.stdout.startswith("Usage: grade")
    assert "submit" in r.stdout and "status" in r.stdout


def test_live_displays_only_on_a_real_terminal():
    class Tty:
        def isatty(self) -> bool:
            return True

    assert live_ok(Tty(), {"TERM": "xterm"})
    # A `!grade submit` in Jupyter: a pseudo-terminal, FORCE_COLOR set by ipykernel.
    assert not live_ok(Tty(), {"TERM": "xterm-color", "FORCE_COLOR": "1", "JPY_PARENT_PID": "4242"})
    assert not live_ok(Tty(), {"TERM": "dumb"})
    assert not live_ok(Tty(), {"TERM": "xterm", "TTY_INTERACTIVE": "0"})
    with open(os.devnull) as null:
        assert not live_ok(null, {"TERM": "xterm"})


def _slow_notebook(tmp_path: Path) -> Path:
    return write_notebook(
        tmp_path / "01_tiny.ipynb",
        make_notebook([("code", "import time\nprint('started', flush=True)\ntime.sleep(120)")], exercise="t.ex1"),
    )


def _descendants(pid: int) -> dict[int, str]:
    """{pid: command line} of every process below `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, ValueError, IndexError):
            continue
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                try:
                    found[child] = (Path("/proc") / str(child) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    found[child] = ""
                todo.append(child)
    return found


def _submit_line(nb: Path, course: Path) -> list[str]:
    """`grade submit` of one notebook as a command of its own, nothing recorded, in English."""
    args = ["submit", str(nb), "--no-record", "--member", "sora", "--course", str(course), "--lang", "en"]
    return [PYTHON, "-m", "grader", *args]


@pytest.mark.kernel
def test_ctrl_c_on_one_file_prints_one_line_cleans_up_and_exits_130(tiny_course, tmp_path):
    nb = _slow_notebook(tmp_path)
    # Its own process group, as a terminal's foreground job: Ctrl-C is SIGINT to the group.
    proc = subprocess.Popen(
        _submit_line(nb, tiny_course),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 120
        kernel: dict[int, str] = {}
        while time.monotonic() < deadline and not kernel:
            kernel = {p: c for p, c in _descendants(proc.pid).items() if "ipykernel_launcher" in c and "bwrap" not in c}
            time.sleep(0.2)
        assert kernel, "the kernel never started"
        run_folder = next(part for part in next(iter(kernel.values())).split() if part.endswith("connection.json"))
        time.sleep(2)  # the cell is running (the tiny course allows it 10 s)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Aborted" not in err and "DeadKernelError" not in err
    interrupted = [line for line in err.splitlines() if "interrupted" in line]
    assert interrupted == ["grade: interrupted; nothing more was graded (exit code 130)"]
    assert out == ""
    # Cleaned up: the kernel is gone and so is its run folder.
    time.sleep(1)
    assert not [p for p in kernel if Path(f"/proc/{p}").exists()]
    assert not Path(run_folder).parent.parent.exists()


@pytest.mark.kernel
def test_without_a_terminal_progress_is_plain_lines(tiny_course, tmp_path):
    nb = write_notebook(
        tmp_path / "01_tiny.ipynb", make_notebook([("code", "def double(x):\n    return 2 * x")], exercise="t.ex1")
    )
    r = _grade(
        "submit", str(nb), "--no-record", "--member", "sora", "--course", str(tiny_course), "--lang", "en", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == ["01_tiny.ipynb: running 1 code cell…", "01_tiny.ipynb: checking…"]
    assert "\x1b" not in r.stdout + r.stderr and "\r" not in r.stdout + r.stderr and "None" not in r.stderr
    assert "score 2/5" in r.stdout


@pytest.mark.kernel
def test_in_a_jupyter_cell_there_are_no_spinner_frames(tiny_course, tmp_path):
    """`!grade submit` in Jupyter: a pseudo-terminal and FORCE_COLOR, as ipykernel sets them."""
    nb = write_notebook(
        tmp_path / "01_tiny.ipynb",
        make_notebook([("code", "import time\ntime.sleep(2)\ndef double(x):\n    return 2 * x")], exercise="t.ex1"),
    )
    env = dict(os.environ, TERM="xterm-color", FORCE_COLOR="1", CLICOLOR_FORCE="1", JPY_PARENT_PID=str(os.getpid()))
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        _submit_line(nb, tiny_course),
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=env,
        cwd=tmp_path,
    )
    os.close(secondary)
    chunks = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 1)
        if ready:
            try:
                data = os.read(primary, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=60)
    os.close(primary)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, text
    # No cursor movement, line erasing or hidden cursor: nothing that leaves frames behind.
    for control in ("\x1b[?25l", "\x1b[2K", "\x1b[1A", "\r\x1b"):
        assert control not in text
    assert "None" not in text and "running 1 code cell…" in text
