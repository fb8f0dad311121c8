"""CPU per notebook: plain `jupyter execute` against grading, every process counted, by phase.

On a 2-core machine with 2 workers a batch is CPU-bound, so its rate over the serial plain
rate is about 2 × (CPU of a plain run) / (CPU of a graded run). CPU, unlike wall time, hardly
depends on what else the machine is doing, so this can be measured on a busy machine.

How it counts: this process moves itself into a cpuacct cgroup of its own (cgroup v1, or the
v2 `cpu.stat` of a child group), so every process it starts, however far down and whether or
not anyone waits for it (kernels, bubblewrap, launchers, the self-check worker a plain run
starts, the clean loader), is counted. The clean loader is moved into a child group of its own
when it starts, and the grader's own CPU (this process: nbclient, zmq, the checks) is its
`RUSAGE_SELF`; the kernel's side is the rest. Without a writable cgroup it falls back to
`RUSAGE_CHILDREN`, which misses processes that outlive their parent.

Phases, plain: start + the first two code cells (imports; a notebook cut after them), and the
rest. Graded (in this process, as a batch worker grades: thread caps of `--workers`, the
kernel started ahead unless `--cold`): spare kernel start and preload, start (the run until
its first cell), cells, probe (and the kernel's shutdown), clean loader answers, checks,
gradebook. Runs alternate plain and graded `--runs` times; the first graded run of a process
also pays the grader's one-time imports (a batch worker pays them once).

Usage: .venv/bin/python benchmarks/notebook_cpu.py [--runs 2] [--workers 2] [--cold]
           [--notebook solutions/04_forecast7.ipynb]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 2021


class Meter:
    """CPU seconds of this process's tree (and of the clean loaders, apart)."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self.loader: Path | None = None
        self.v2 = False
        base = self._base()
        if base is None:
            return
        name = f"grade-cpu-{secrets.token_hex(4)}"
        try:
            (base / name / "loader").mkdir(parents=True)
            self.root, self.loader = base / name, base / name / "loader"
            (self.root / "cgroup.procs").write_text(str(os.getpid()))
        except OSError as exc:
            print(f"(no cgroup for the count: {exc}; falling back to RUSAGE_CHILDREN)")
            self.close()
            self.root = self.loader = None

    def _base(self) -> Path | None:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, ctrls, path = line.split(":", 2)
            if "cpuacct" in ctrls.split(","):
                return Path("/sys/fs/cgroup/cpuacct") / path.lstrip("/")
        own = next(
            (ln.split(":", 2)[2] for ln in Path("/proc/self/cgroup").read_text().splitlines() if ln.startswith("0::")),
            None,
        )
        if own is not None and Path("/sys/fs/cgroup/cgroup.controllers").exists():
            self.v2 = True
            return Path("/sys/fs/cgroup") / own.lstrip("/")
        return None

    def _usage(self, group: Path) -> float:
        if self.v2:
            stat = dict(line.split() for line in (group / "cpu.stat").read_text().splitlines())
            return int(stat["usage_usec"]) / 1e6
        return int((group / "cpuacct.usage").read_text()) / 1e9

    def adopt_loader(self, pid: int) -> None:
        if self.loader is not None:
            with contextlib.suppress(OSError):
                (self.loader / "cgroup.procs").write_text(str(pid))

    def sample(self) -> dict[str, float]:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = me.ru_utime + me.ru_stime
        if self.root is None:
            return {"total": own + kids.ru_utime + kids.ru_stime, "loader": 0.0, "grader": own}
        assert self.loader is not None
        return {"total": self._usage(self.root), "loader": self._usage(self.loader), "grader": own}

    def close(self) -> None:
        if self.root is None:
            return
        parent = self.root.parent
        with contextlib.suppress(OSError):
            (parent / "cgroup.procs").write_text(str(os.getpid()))
        for group in (self.loader, self.root):
            if group is None:
                continue
            for _ in range(200):  # processes of the last run may still be exiting
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                print(f"(the cgroup {group} is still in use: rmdir it once its processes are gone)")


class Phases:
    """Marks along one run; each phase is the difference between two marks."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.marks: list[tuple[str, dict[str, float]]] = [("", meter.sample())]

    def mark(self, name: str) -> None:
        self.marks.append((name, self.meter.sample()))

    def rows(self) -> list[tuple[str, float, float, float]]:
        """(phase, kernel side, clean loader, grader side) CPU seconds."""
        out = []
        for (_, a), (name, b) in zip(self.marks, self.marks[1:], strict=False):
            total, loader, grader = (b[k] - a[k] for k in ("total", "loader", "grader"))
            out.append((name, total - loader - grader, loader, grader))
        return out


def plain_run(meter: Meter, notebook: Path, tmp: Path) -> list[tuple[str, float, float, float]]:
    jupyter = Path(sys.executable).parent / "jupyter"
    doc = json.loads(notebook.read_text(encoding="utf-8"))
    code = [i for i, c in enumerate(doc["cells"]) if c["cell_type"] == "code"]
    head = dict(doc, cells=doc["cells"][: code[1] + 1])
    head_file = tmp / "head.ipynb"
    head_file.write_text(json.dumps(head), encoding="utf-8")

    def execute(path: Path) -> None:
        subprocess.run(
            [str(jupyter), "execute", "--timeout=600", f"--output={tmp / 'out.ipynb'}", str(path)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp,
        )

    ph = Phases(meter)
    execute(head_file)
    ph.mark("start + imports")
    execute(notebook)
    ph.mark("whole")
    (_, k1, l1, g1), (_, k2, l2, g2) = ph.rows()
    return [("start + imports", k1, l1, g1), ("other cells", k2 - k1, l2 - l1, g2 - g1)]


def graded_run(meter: Meter, course, notebook: Path, tmp: Path, cold: bool) -> tuple[list, dict]:
    from grader.batch import work
    from grader.execution import clean_session, runner
    from grader.grading import grade_file
    from grader.results.gradebook import Gradebook
    from grader.results.record import record_attempt

    data = notebook.read_bytes()
    ph = Phases(meter)
    spare = None
    if not cold:
        spare = work.start_spare(course, work.plan_for(course, "ch15.ex4", json.loads(data)))
        assert spare is not None
        spare._ready.wait(120)  # noqa: SLF001 - a batch starts it during the previous notebook
        ph.mark("spare start + preload")

    seen: set[str] = set()

    def progress(what: str, n: int, total: int) -> None:
        name = {"cell": "start (until cell 1)", "probe": "cells", "clean": "probe + kernel stop"}[what]
        if name not in seen:
            seen.add(name)
            ph.mark(name)

    real_run, real_start = runner.run_notebook, clean_session.CleanLoader.start.__func__  # type: ignore[attr-defined]

    def run_notebook(*a, **kw):
        out = real_run(*a, **kw)
        ph.mark("clean loader answers" if "probe + kernel stop" in seen else "rest of the run")
        return out

    def start_loader(cls, policy):
        loader = real_start(cls, policy)
        if loader.proc is not None:
            meter.adopt_loader(loader.proc.pid)
        return loader

    runner.run_notebook = run_notebook
    clean_session.CleanLoader.start = classmethod(start_loader)  # type: ignore[method-assign]
    try:
        result, _ = grade_file(
            course, notebook, member="bench", seed=SEED, lang="en", data=data, kernel=spare, progress=progress
        )
    finally:
        runner.run_notebook = real_run
        clean_session.CleanLoader.start = classmethod(real_start)  # type: ignore[method-assign]
    ph.mark("checks")
    book = Gradebook(str(tmp / f"gb-{secrets.token_hex(3)}.db"))
    record_attempt(book, result, data, regrade=True)
    book.close()
    ph.mark("gradebook")
    summary = {
        "status": result.status.value,
        "score": result.score,
        "checks": [(c.id, c.passed) for c in result.checks],
        "timings": {k: v for k, v in result.timings.items() if k != "cell_times"},
    }
    return ph.rows(), summary


def table(title: str, rows: list[tuple[str, float, float, float]]) -> float:
    print(f"  {title}")
    print(f"    {'phase':<24} {'kernel':>7} {'loader':>7} {'grader':>7} {'all':>7}")
    for name, k, lo, g in rows:
        print(f"    {name:<24} {k:7.2f} {lo:7.2f} {g:7.2f} {k + lo + g:7.2f}")
    total = sum(k + lo + g for _, k, lo, g in rows)
    print(
        f"    {'total':<24} {sum(r[1] for r in rows):7.2f} {sum(r[2] for r in rows):7.2f} "
        f"{sum(r[3] for r in rows):7.2f} {total:7.2f}"
    )
    return total


@contextlib.contextmanager
def metered() -> Iterator[Meter]:
    meter = Meter()
    try:
        yield meter
    finally:
        meter.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebook", default="solutions/04_forecast7.ipynb")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2, help="the thread caps of a batch with this many workers")
    ap.add_argument("--cold", action="store_true", help="no kernel started ahead")
    ap.add_argument("--graded-only", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("GRADE_SANDBOX_QUIET", "1")
    from grader.batch.threads import cap_threads
    from grader.course.loader import load_course

    course = load_course(ROOT)
    src = ROOT / args.notebook
    plain_cpu, graded_cpu = [], []
    with metered() as meter, tempfile.TemporaryDirectory(prefix="grade-cpu-") as tmp_name:
        tmp = Path(tmp_name)
        nb = tmp / src.name
        shutil.copy(src, nb)
        print(
            f"{src.name}; counted by {'cgroup ' + str(meter.root) if meter.root else 'RUSAGE_CHILDREN'}; "
            f"load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        env_before = dict(os.environ)
        for run in range(1, args.runs + 1):
            if not args.graded_only:
                os.environ.clear()
                os.environ.update(env_before)  # plain runs in the benchmark's own environment
                plain_cpu.append(table(f"run {run}: plain jupyter execute", plain_run(meter, nb, tmp)))
            cap_threads(args.workers)  # what a pool worker does when it starts
            rows, summary = graded_run(meter, course, nb, tmp, args.cold)
            graded_cpu.append(table(f"run {run}: graded ({'cold' if args.cold else 'kernel started ahead'})", rows))
            print(
                f"    {summary['status']}, score {summary['score']}, "
                f"{sum(p for _, p in summary['checks'])}/{len(summary['checks'])} checks passed; "
                + ", ".join(f"{k} {v:.1f}" for k, v in summary["timings"].items() if isinstance(v, float))
            )
            os.environ.clear()
            os.environ.update(env_before)
    if plain_cpu:
        p, g = statistics.median(plain_cpu), statistics.median(graded_cpu)
        print(
            f"\nmedian CPU per notebook: plain {p:.2f} s, graded {g:.2f} s; graded/plain {g / p:.3f}; "
            f"expected --workers {args.workers} rate on {args.workers} cores: {args.workers * p / g:.2f}× plain"
        )
    else:
        print(f"\nmedian CPU per graded notebook: {statistics.median(graded_cpu):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
