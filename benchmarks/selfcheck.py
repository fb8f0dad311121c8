"""Self-check speed: `selfcheck()` and one `selfcheck("<check>")` on the exercise-4 solution after training.

A kernel is started by nbclient the way Jupyter Server starts one (in the notebook's folder,
JPY_SESSION_NAME set to its path); the notebook's cells run up to its self-check cell; then,
timed inside the kernel:

  cold      the first selfcheck() of the kernel, the score cache empty: the worker was started
            by the notebook's first cell (`import grader.selfcheck`) and has prepared the
            exercise while the cells ran (course, practice data, the Korean analyser, the
            quiz answer scored), as in a student's session;
  cached    selfcheck() after stopping the worker: a worker started by this call, which loads
            the course and the checks and plans with nothing prepared; the quiz from the
            score cache (a kernel whose worker ended, e.g. after 20 idle minutes);
  warm      selfcheck() again, the worker up;
  one       selfcheck(CHECK) for each CHECK of --one, the worker up.

Each figure is also given as a ratio to the notebook's training cell (the cell that fits
`model`). Targets on the 2-core machine: selfcheck() under 2 s, one check under 0.5 s.
The load average is printed before and after: on a shared machine it explains the spread.
Usage: .venv/bin/python benchmarks/selfcheck.py [--repeat 3] [--one windows quality] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
MARK = "@@bench@@"


class Kernel:
    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.nb = nbformat.read(path, as_version=4)
        self.client = NotebookClient(
            self.nb,
            km=KernelManager(kernel_name="python3"),
            timeout=900,
            resources={"metadata": {"path": str(path.parent)}},
        )
        self.ctx = self.client.setup_kernel(env=env, cwd=str(path.parent))
        self.ctx.__enter__()

    def run(self, cell: nbformat.NotebookNode, index: int) -> float:
        t0 = time.perf_counter()
        self.client.execute_cell(cell, index)
        return time.perf_counter() - t0

    def timed(self, statement: str) -> float:
        """Seconds `statement` takes, measured inside the kernel."""
        src = f"import time as _t\n_t0 = _t.perf_counter()\n{statement}\nprint({MARK!r}, _t.perf_counter() - _t0)"
        cell = nbformat.v4.new_code_cell(src)
        self.nb.cells.append(cell)
        try:
            self.client.execute_cell(cell, len(self.nb.cells) - 1)
        finally:
            self.nb.cells.pop()
        for out in cell.outputs:
            if out.get("output_type") == "error":
                raise RuntimeError("\n".join(out.get("traceback", []))[-2000:])
            if out.get("output_type") == "stream":
                for line in out["text"].splitlines():
                    if line.startswith(MARK):
                        return float(line.split()[1])
        raise RuntimeError(f"no timing printed: {cell.outputs}")

    def close(self) -> None:
        self.ctx.__exit__(None, None, None)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebook", default="solutions/04_forecast7.ipynb")
    ap.add_argument("--repeat", type=int, default=3, help="warm and one-check runs each (medians)")
    ap.add_argument("--one", nargs="+", default=["windows", "quality"], help="checks timed one at a time")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "course"
        # A copy of the course folder's parts the self-check reads (the notebook's own folder stays clean).
        shutil.copytree(ROOT / "exercises", work / "exercises")
        shutil.copytree(ROOT / "quizzes", work / "quizzes")
        shutil.copy(ROOT / "course.toml", work / "course.toml")
        nb_path = work / "solutions" / Path(args.notebook).name
        nb_path.parent.mkdir()
        shutil.copy(ROOT / args.notebook, nb_path)
        env = dict(os.environ, JPY_SESSION_NAME=str(nb_path), XDG_CACHE_HOME=str(Path(tmp) / "cache"))
        env.pop("GRADE_COURSE", None)
        k = Kernel(nb_path, env)
        try:
            cells = [(i, c) for i, c in enumerate(k.nb.cells) if c.cell_type == "code"]
            own: list[tuple[str, float]] = []
            for i, cell in cells[:-1]:  # all but the self-check cell
                own.append((cell.source.splitlines()[0][:60], k.run(cell, i)))
            train = next(
                t
                for (i, c), (_, t) in zip(cells[:-1], own, strict=True)
                if "model.fit(" in c.source and "seq2seq_model.fit(" not in c.source
            )
            run_all = sum(t for _, t in own)
            setup = "from grader import selfcheck\n"
            k.timed("import grader.selfcheck.render")
            cold = k.timed(setup + "selfcheck()")
            k.timed("selfcheck.stop_worker()")
            cached = k.timed(setup + "selfcheck()")
            warm = [k.timed(setup + "selfcheck()") for _ in range(args.repeat)]
            one = {name: [k.timed(setup + f"selfcheck({name!r})") for _ in range(args.repeat)] for name in args.one}
        finally:
            k.close()
    load_after = os.getloadavg()
    fig = {
        "notebook": args.notebook,
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_after,
        "training_cell_s": train,
        "notebook_cells_s": run_all,
        "selfcheck_cold_s": cold,
        "selfcheck_cached_s": cached,
        "selfcheck_warm_s": statistics.median(warm),
        "one_check_s": {name: statistics.median(ts) for name, ts in one.items()},
        "warm_runs_s": warm,
        "one_runs_s": one,
    }
    if args.json:
        print(json.dumps(fig, indent=2))
        return 0
    print(
        f"{args.notebook}: training cell {train:.1f} s, all cells {run_all:.1f} s; "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    rows = [
        ("selfcheck() first (worker prepared ahead)", cold),
        ("selfcheck() new worker started by the call", cached),
        (f"selfcheck() warm (median of {args.repeat})", fig["selfcheck_warm_s"]),
    ]
    rows += [(f"selfcheck({name!r}) warm", t) for name, t in fig["one_check_s"].items()]
    for label, t in rows:
        print(f"  {label:<46} {t:7.3f} s   {t / train:6.3f} × training cell")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
