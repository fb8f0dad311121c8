"""The self-check's kernel side: runs in the student's kernel, imports nothing heavy.

`run()` finds the notebook this kernel belongs to, asks the worker process
(worker.py) to plan the checks with the practice seed, runs the grader's one probe
(grader/execution/probe_kernel.py) on the live namespace, and asks the worker to
judge what it wrote. Nothing of the notebook runs again and nothing is recorded.
Only NumPy (already loaded by any notebook of the course), the standard library and
this package are imported here: no TensorFlow, no quiz analyser, no references.

The worker stays up for the kernel's lifetime (closing its pipe ends it; so does
worker.IDLE_S without a request), so a second self-check skips its start-up.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grader
from grader.i18n import both
from grader.selfcheck.protocol import PASSED_ENV

PLAN_TIMEOUT_S = 120.0
EVALUATE_TIMEOUT_S = 120.0  # the quiz scorer's first answer loads the Korean analyser
_KERNEL_SITE = Path(grader.__file__).resolve().parent / "execution" / "kernel_site"

# A cell that only imports or calls the self-check: not the student's work.
_SELFCHECK_LINE = re.compile(
    r"^\s*(?:from\s+grader\s+import\s+selfcheck|import\s+grader(?:\.selfcheck)?"
    r"|from\s+grader\.selfcheck\s+import\s+\w+|(?:grader\.)?selfcheck(?:\.run)?\(.*\))\s*(?:#.*)?$"
)


# --- where we are ---------------------------------------------------------------------


def in_graded_run() -> bool:
    """True inside the grader's own kernel: the sandbox puts its stand-in site on PYTHONPATH."""
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if entry:
            try:
                if Path(entry).resolve() == _KERNEL_SITE:
                    return True
            except OSError:
                continue
    return False


def _shell() -> Any:  # noqa: ANN401
    """The running IPython shell, or None; IPython is not imported when nothing did it before
    (the worker process imports this module too)."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def in_colab() -> bool:
    """The real Colab: its kernel has google.colab loaded (the grader's stand-in says IN_GRADER)
    and COLAB_* variables set."""
    mod = sys.modules.get("google.colab")
    return (
        mod is not None
        and not getattr(mod, "IN_GRADER", False)
        and any(name.startswith("COLAB_") for name in os.environ)
    )


@dataclass
class Located:
    """The notebook the kernel belongs to, and how it was found."""

    path: Path | None = None
    how: str = ""  # session, env, connection, vscode, folder, argument, colab
    live: dict[str, Any] | None = None  # Colab: the notebook as the browser holds it
    candidates: list[str] = field(default_factory=list)  # several notebooks in the folder


def _colab_notebook() -> dict[str, Any] | None:
    try:
        from google.colab import _message

        reply = _message.blocking_request("get_ipynb", request="", timeout_sec=20)
    except Exception:  # noqa: BLE001 - no frontend answer: fall back to the file search
        return None
    nb = reply.get("ipynb") if isinstance(reply, dict) else None
    return nb if isinstance(nb, dict) else None


def _connection_session() -> str:
    """The notebook path Jupyter wrote into the kernel's connection file (jupyter_session)."""
    try:
        from ipykernel.connect import get_connection_file

        info = json.loads(Path(get_connection_file()).read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - not an ipykernel, or no file
        return ""
    value = info.get("jupyter_session") if isinstance(info, dict) else ""
    return value if isinstance(value, str) else ""


def _existing(value: Any) -> Path | None:  # noqa: ANN401
    if not isinstance(value, str) or not value.endswith(".ipynb"):
        return None
    p = Path(value)
    if not p.is_absolute():
        p = Path.cwd() / p
    return p if p.is_file() else None


def locate_notebook(ns: dict[str, Any], explicit: str | os.PathLike[str] | None = None) -> Located:
    """The kernel's notebook: an explicit path, Colab's live notebook, the path Jupyter gave the
    kernel (`__session__`, JPY_SESSION_NAME, the connection file; stale after a rename, so checked),
    VS Code's `__vsc_ipynb_file__`, else the one notebook of the current folder."""
    if explicit is not None:
        p = Path(explicit).expanduser()
        return Located(p.resolve() if p.exists() else p, "argument")
    if in_colab():
        live = _colab_notebook()
        if live is not None:
            return Located(None, "colab", live)
    for how, value in (
        ("session", ns.get("__session__")),
        ("env", os.environ.get("JPY_SESSION_NAME")),
        ("connection", _connection_session()),
        ("vscode", ns.get("__vsc_ipynb_file__")),
    ):
        found = _existing(value)
        if found is not None:
            return Located(found.resolve(), how)
    here = sorted(p for p in Path.cwd().glob("*.ipynb") if p.is_file() and not p.name.startswith("."))
    if len(here) == 1:
        return Located(here[0].resolve(), "folder")
    return Located(None, "folder" if here else "", candidates=[p.name for p in here])


# --- the saved file against the kernel's history ---------------------------------------------


@dataclass
class Freshness:
    """How the saved notebook compares with what this kernel ran."""

    unsaved: list[int] = field(default_factory=list)  # In [n] run after the file was last saved
    edited: list[int] = field(default_factory=list)  # In [n] whose saved text differs from what ran
    other_session: bool = False  # the file's counts come from another kernel
    saved_at: float | None = None  # the file's modification time


def _sources(nb: dict[str, Any]) -> list[tuple[int | None, str]]:
    out = []
    for cell in nb.get("cells") or []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        count = cell.get("execution_count")
        out.append((count if isinstance(count, int) else None, src))
    return out


def _only_selfcheck(source: str) -> bool:
    lines = [ln for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return bool(lines) and all(_SELFCHECK_LINE.match(ln) for ln in lines)


def freshness(nb: dict[str, Any], history: list[str], current: int, saved_at: float | None = None) -> Freshness:
    """Compare the saved file's code cells with the kernel's input history.

    `history[n]` is the source of In [n]; `current` is the running cell's count. A run after
    the last save has a count above every count in the file; a saved cell whose count this
    kernel has run with other text was edited after it ran (or comes from another session)."""
    cells = _sources(nb)
    counts = [c for c, _ in cells if c is not None]
    top = max(counts, default=0)
    fresh = Freshness(saved_at=saved_at)
    if top >= current:
        fresh.other_session = True
        return fresh
    fresh.unsaved = [
        n
        for n in range(top + 1, current)
        if n < len(history) and history[n].strip() and not _only_selfcheck(history[n])
    ]
    for count, src in cells:
        if count is not None and 0 < count < len(history) and history[count].rstrip() != src.rstrip():
            fresh.edited.append(count)
    return fresh


# --- the worker process --------------------------------------------------------------------------


class WorkerGone(Exception):
    """The worker did not answer (it died or took too long); the message says which."""


class _Worker:
    def __init__(self) -> None:
        self.log_dir = Path(tempfile.mkdtemp(prefix="grade-selfcheck-log-"))
        self.log = open(self.log_dir / "worker.log", "wb")  # noqa: SIM115 - lives as long as the worker
        env = dict(os.environ)
        # The worker imports the same `grader` this kernel did, even one found through sys.path.
        here = str(Path(grader.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join([here, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
        # Its linear algebra is small (a baseline's least squares): BLAS threads spinning beside a
        # busy kernel made it five times slower on a loaded 2-core machine, not faster.
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.selfcheck.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
            cwd=os.getcwd(),
            start_new_session=True,
        )
        self.buf = b""
        self.unread = 0  # replies to send() still to be skipped

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, request: dict[str, Any]) -> None:
        """A request whose reply nobody waits for (`prepare`); the next ask() skips that reply."""
        self._write(request)
        self.unread += 1

    def _write(self, request: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerGone(self._why("it had stopped")) from None

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        self._write(request)
        deadline = time.monotonic() + timeout
        while self.unread:
            self._line(deadline, timeout)
            self.unread -= 1
        return json.loads(self._line(deadline, timeout))

    def _line(self, deadline: float, timeout: float) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise WorkerGone(f"it did not answer within {timeout:g} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise WorkerGone(self._why("it stopped"))
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def _why(self, what: str) -> str:
        self.proc.poll()
        try:
            tail = (self.log_dir / "worker.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            tail = []
        last = next((ln for ln in reversed(tail) if ln.strip()), "")
        return f"{what}{f' ({last[:300]})' if last else ''}"

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.log.close()
        shutil.rmtree(self.log_dir, ignore_errors=True)


_LOCK = threading.Lock()
_WORKER: _Worker | None = None


def _worker() -> _Worker:
    global _WORKER
    if _WORKER is None or not _WORKER.alive():
        if _WORKER is not None:
            _WORKER.close()
        _WORKER = _Worker()
    return _WORKER


@atexit.register
def _stop_worker() -> None:
    global _WORKER
    if _WORKER is not None:
        _WORKER.close()
        _WORKER = None


def prestart() -> None:
    """Start the worker when a notebook kernel imports the self-check (the notebooks' first
    cell does), and let it prepare this notebook's exercise: load the course, compute the
    practice data, load the quiz scorer and score the saved answer, while the notebook trains.
    Never inside a graded run."""
    shell = _shell()
    if shell is None or in_graded_run() or not hasattr(shell, "kernel"):
        return
    if not _LOCK.acquire(blocking=False):
        return
    try:
        located = locate_notebook(shell.user_ns)
        worker = _worker()
        if located.path is not None:
            worker.send(
                {
                    "op": "prepare",
                    "notebook": str(located.path),
                    "exercise": None,
                    "cwd": os.getcwd(),
                    "lang": None,
                    "only": None,
                    "env": {k: os.environ.get(k, "") for k in PASSED_ENV},
                }
            )
    except (OSError, WorkerGone):
        pass  # the self-check says why, when it is called
    finally:
        _LOCK.release()


def stop_worker() -> None:
    """End the worker now (the next self-check starts a new one)."""
    with _LOCK:
        _stop_worker()


def worker_status() -> dict[str, Any]:
    """The worker's pid and the heavy modules it has loaded (benchmarks and tests)."""
    with _LOCK:
        return _worker().ask({"op": "status"}, PLAN_TIMEOUT_S)


def _ask(request: dict[str, Any], timeout: float) -> dict[str, Any]:
    """One request to the worker (the caller holds _LOCK). A worker that failed, or a wait cut
    short (Ctrl-C in the notebook), ends the worker: its late reply would answer the next question."""
    worker = _worker()
    try:
        return worker.ask(request, timeout)
    except BaseException:
        _stop_worker()
        raise


# --- one self-check ----------------------------------------------------------------------------


@dataclass
class Report:
    """Everything a self-check found; render.py turns it into a table."""

    lang: str = "ko"
    skipped: bool = False  # inside a graded run: nothing was checked
    error: dict[str, str] | None = None  # {"en": ..., "ko": ...}: the self-check could not run
    exercise: str = ""
    notebook: str = ""  # the exercise's notebook name (04_forecast7.ipynb)
    title: dict[str, str] = field(default_factory=dict)
    mode: str = ""  # "course" or "pack"
    results: list[dict[str, Any]] = field(default_factory=list)
    unavailable: list[dict[str, Any]] = field(default_factory=list)
    untrained: dict[str, dict[str, Any]] = field(default_factory=dict)
    located: Located | None = None
    fresh: Freshness | None = None
    notebook_problem: str = ""
    probe_error: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return round(sum(r["points"] for r in self.results), 4)

    @property
    def max_score(self) -> float:
        return round(sum(r["max_points"] for r in self.results), 4)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r["passed"] for r in self.results) and self.error is None

    def result(self, check_id: str) -> dict[str, Any] | None:
        return next((r for r in self.results if r["id"] == check_id), None)


def _history(shell: Any) -> tuple[list[str], int]:  # noqa: ANN401
    if shell is None:
        return [], 0
    hm = getattr(shell, "history_manager", None)
    raw = list(getattr(hm, "input_hist_raw", []) or [])
    return raw, int(getattr(shell, "execution_count", 0) or 0)


def _probe(folder: Path, ns: dict[str, Any]) -> None:
    from grader.execution.probe_kernel import __grade_probe_run__ as probe

    # The graded path's call: a copy of the function under fresh globals (only the builtins).
    fresh = types.FunctionType(
        probe.__code__,
        {
            "__builtins__": probe.__builtins__,  # type: ignore[attr-defined, unused-ignore]  # typeshed differs by environment here
            "__name__": "__grade_probe__",
        },
    )
    fresh(str(folder), ns)


def run(
    only: str | list[str] | tuple[str, ...] | None = None,
    *,
    exercise: str | None = None,
    lang: str | None = None,
    notebook: str | os.PathLike[str] | None = None,
    namespace: dict[str, Any] | None = None,
) -> Report:
    """One self-check of the running kernel; returns the report without showing it."""
    if in_graded_run():
        return Report(lang=lang or "ko", skipped=True)
    shell = _shell()
    ns = (
        namespace
        if namespace is not None
        else (shell.user_ns if shell is not None else sys.modules["__main__"].__dict__)
    )
    t0 = time.monotonic()
    names = [only] if isinstance(only, str) else (list(only) if only else None)
    located = locate_notebook(ns, notebook)
    report = Report(lang=lang if lang in ("ko", "en") else "ko", located=located)
    folder = Path(tempfile.mkdtemp(prefix="grade-selfcheck-"))
    try:
        nb_path = located.path
        if located.live is not None:
            # Colab keeps the file's name in the notebook's metadata: the exercise may be told by it.
            colab_meta = (located.live.get("metadata") or {}).get("colab") or {}
            name = Path(str(colab_meta.get("name") or "")).name if isinstance(colab_meta, dict) else ""
            nb_path = folder / (name if name.endswith(".ipynb") and not name.startswith(".") else "notebook.ipynb")
            nb_path.write_text(json.dumps(located.live, ensure_ascii=False), encoding="utf-8")
        with _LOCK:
            try:
                plan = _ask(
                    {
                        "op": "plan",
                        "dir": str(folder),
                        "notebook": str(nb_path) if nb_path else None,
                        "exercise": exercise,
                        "cwd": os.getcwd(),
                        "lang": lang,
                        "only": names,
                        "env": {k: os.environ.get(k, "") for k in PASSED_ENV},
                    },
                    PLAN_TIMEOUT_S,
                )
            except WorkerGone as exc:
                report.error = both("selfcheck.kernel.helper_failed", exc=exc)
                return report
            report.lang = plan.get("lang") or report.lang
            if not plan.get("ok"):
                report.error = plan.get("error") or both("selfcheck.kernel.failed")
                return report
            report.exercise, report.title, report.mode = plan["exercise"], plan["title"], plan["mode"]
            report.notebook = plan.get("notebook", "")
            report.notebook_problem = plan.get("notebook_problem", "")
            report.timings["plan_s"] = time.monotonic() - t0
            tp = time.monotonic()
            try:
                _probe(folder, ns)
            except Exception as exc:  # noqa: BLE001 - e.g. no room left for its files
                report.error = both("selfcheck.kernel.probe_failed", kind=type(exc).__name__, exc=exc)
                return report
            report.timings["probe_s"] = time.monotonic() - tp
            try:
                done = _ask({"op": "evaluate", "dir": str(folder)}, EVALUATE_TIMEOUT_S)
            except WorkerGone as exc:
                report.error = both("selfcheck.kernel.helper_failed", exc=exc)
                return report
        if not done.get("ok"):
            report.error = done.get("error") or both("selfcheck.kernel.failed")
            return report
        report.timings.update({k: float(v) for k, v in done.items() if k.endswith("_s")})
        report.timings["worker_plan_s"] = float(plan.get("plan_s", 0.0))
        report.results = done["results"]
        report.unavailable = done.get("unavailable", [])
        report.probe_error = done.get("probe_error", "")
        report.untrained = {
            t: v
            for t, v in (done.get("training") or {}).items()
            if v.get("model") and (v.get("optimizer") is None or v.get("iterations") == 0)
        }
        if located.live is None and located.path is not None and located.path.is_file():
            try:
                saved = json.loads(located.path.read_text(encoding="utf-8"))
                history, current = _history(shell)
                if current:
                    report.fresh = freshness(saved, history, current, located.path.stat().st_mtime)
            except (OSError, ValueError):
                pass
        report.timings["total_s"] = time.monotonic() - t0
        return report
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def selfcheck(
    only: str | list[str] | tuple[str, ...] | None = None,
    *,
    exercise: str | None = None,
    lang: str | None = None,
    notebook: str | os.PathLike[str] | None = None,
) -> None:
    """Check this notebook's exercise on the live kernel and show a table (see grader.selfcheck)."""
    from grader.selfcheck.render import show

    report = run(only, exercise=exercise, lang=lang, notebook=notebook)
    show(report)
