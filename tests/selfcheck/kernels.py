"""A real Jupyter kernel per notebook, started the way Jupyter Server starts one.

Jupyter Server (2.0.7 and later) starts a notebook's kernel in the notebook's folder with
JPY_SESSION_NAME set to the notebook's path, and writes the same path into the connection
file (`jupyter_session`); ipykernel then binds `__session__`. nbclient alone sets none of
these, only the folder. `LiveKernel` does either, runs cells one by one through nbclient
and keeps the kernel for more cells (one kernel per exercise, shared by the tests)."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

MARK = "@@selfcheck@@"


class LiveKernel:
    def __init__(
        self, path: Path, *, as_jupyter: bool = True, env: dict[str, str] | None = None, timeout: int = 600
    ) -> None:
        self.path = path
        self.nb = nbformat.read(path, as_version=4)
        kenv = dict(os.environ)
        kenv.pop("JPY_SESSION_NAME", None)
        kenv.pop("GRADE_COURSE", None)
        if as_jupyter:
            kenv["JPY_SESSION_NAME"] = str(path)
        kenv.update(env or {})
        self.km = KernelManager(kernel_name="python3")
        self.client = NotebookClient(
            self.nb, km=self.km, timeout=timeout, allow_errors=True, resources={"metadata": {"path": str(path.parent)}}
        )
        self._ctx = self.client.setup_kernel(env=kenv, cwd=str(path.parent))
        self._ctx.__enter__()
        self.cell_s: list[float] = []

    def run_cells(self, upto: int | None = None, start: int = 0) -> None:
        """Run the notebook's code cells `start:upto` in order (`upto=-1`: all but the self-check)."""
        cells = [(i, c) for i, c in enumerate(self.nb.cells) if c.cell_type == "code"]
        for i, cell in cells[start:upto]:
            t0 = time.monotonic()
            self.client.execute_cell(cell, i)
            self.cell_s.append(time.monotonic() - t0)

    def execute(self, source: str) -> list[dict[str, Any]]:
        """Run `source` as one more cell; its outputs."""
        cell = nbformat.v4.new_code_cell(source)
        self.nb.cells.append(cell)
        try:
            self.client.execute_cell(cell, len(self.nb.cells) - 1)
        finally:
            self.nb.cells.pop()
        return cell.outputs

    def value(self, expression: str, setup: str = "") -> Any:  # noqa: ANN401
        """A JSON value computed in the kernel."""
        outs = self.execute(f"{setup}\nimport json as _j\nprint({MARK!r} + _j.dumps({expression}, default=str))")
        for o in outs:
            if o.get("output_type") == "stream":
                for line in o["text"].splitlines():
                    if line.startswith(MARK):
                        return json.loads(line[len(MARK) :])
            if o.get("output_type") == "error":
                raise RuntimeError("\n".join(o.get("traceback", []))[-3000:])
        raise RuntimeError(f"no value printed: {outs}")

    def report(self, args: str = "") -> dict[str, Any]:
        """`grader.selfcheck.run(args)` in the kernel, as a plain dict."""
        return self.value("_sc_doc(_sc.run(" + args + "))", setup=REPORT_SETUP)

    def report_settled(self, wait_s: float = 900.0) -> dict[str, Any]:
        """`report()`, with the quiz's row once it is scored: a quiz still being scored (the
        analyser's first load on a busy machine) is asked for again until it is there."""
        r = self.report()
        deadline = time.monotonic() + wait_s
        while any(u["reason"] == "quiz_pending" for u in r["unavailable"]) and time.monotonic() < deadline:
            time.sleep(5)
            quiz = self.report('"quiz"')
            if quiz["results"]:
                r["results"] = [x for x in r["results"] if x["kind"] != "quiz"] + quiz["results"]
                r["unavailable"] = [u for u in r["unavailable"] if u["reason"] != "quiz_pending"]
        return r

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a kernel already gone
            self._ctx.__exit__(None, None, None)


REPORT_SETUP = """
import dataclasses as _dc
from grader import selfcheck as _sc
def _sc_doc(r):
    d = {k: getattr(r, k) for k in ("lang", "skipped", "error", "exercise", "mode", "results", "unavailable",
                                   "untrained", "notebook_problem", "probe_error", "timings")}
    d["located"] = None if r.located is None else {"path": str(r.located.path), "how": r.located.how}
    d["fresh"] = None if r.fresh is None else _dc.asdict(r.fresh)
    return d
"""
