"""The self-check's kernel side: runs in the student's kernel, imports nothing heavy.

`run()` finds the notebook this kernel belongs to (locate.py), asks the worker process
(client.py, worker.py) to plan the checks with the practice seed, runs the grader's one
probe (grader/execution/probe_kernel.py) on the live namespace, and asks the worker to
judge what it wrote; it then compares the saved file with the kernel's history
(freshness.py). Nothing of the notebook runs again and nothing is recorded. Only NumPy
(already loaded by any notebook of the course), the standard library and this package
are imported here: no TensorFlow, no quiz analyser, no references.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.i18n import both
from grader.selfcheck import client
from grader.selfcheck.freshness import Freshness, freshness
from grader.selfcheck.locate import Located, in_graded_run, locate_notebook, shell


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


def _history(sh: Any) -> tuple[list[str], int]:  # noqa: ANN401
    if sh is None:
        return [], 0
    hm = getattr(sh, "history_manager", None)
    raw = list(getattr(hm, "input_hist_raw", []) or [])
    return raw, int(getattr(sh, "execution_count", 0) or 0)


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


def _live_copy(located: Located, folder: Path) -> Path:
    """Colab's notebook as the browser holds it, written to `folder` under the name in its
    `colab.name` metadata (the exercise may be told by that name)."""
    assert located.live is not None
    colab_meta = (located.live.get("metadata") or {}).get("colab") or {}
    name = Path(str(colab_meta.get("name") or "")).name if isinstance(colab_meta, dict) else ""
    path = folder / (name if name.endswith(".ipynb") and not name.startswith(".") else "notebook.ipynb")
    path.write_text(json.dumps(located.live, ensure_ascii=False), encoding="utf-8")
    return path


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
    sh = shell()
    ns = namespace if namespace is not None else (sh.user_ns if sh is not None else sys.modules["__main__"].__dict__)
    t0 = time.monotonic()
    names = [only] if isinstance(only, str) else (list(only) if only else None)
    located = locate_notebook(ns, notebook)
    report = Report(lang=lang if lang in ("ko", "en") else "ko", located=located)
    folder = Path(tempfile.mkdtemp(prefix="grade-selfcheck-"))
    try:
        nb_path = _live_copy(located, folder) if located.live is not None else located.path
        with client.LOCK:
            try:
                plan = client.ask(
                    {
                        "op": "plan",
                        "dir": str(folder),
                        "notebook": str(nb_path) if nb_path else None,
                        "exercise": exercise,
                        "cwd": os.getcwd(),
                        "lang": lang,
                        "only": names,
                        "env": client.passed_env(),
                    },
                    client.PLAN_TIMEOUT_S,
                )
            except client.WorkerGone as exc:
                report.error = exc.told("selfcheck.kernel.helper_failed")
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
                done = client.ask({"op": "evaluate", "dir": str(folder)}, client.EVALUATE_TIMEOUT_S)
            except client.WorkerGone as exc:
                report.error = exc.told("selfcheck.kernel.helper_failed")
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
                history, current = _history(sh)
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
