"""Batch throughput: N copies of one exercise graded in several ways, in one run.

Modes (`--modes`, in this order):

- `plain`       `jupyter execute` of each copy, one after another: the notebooks' own cost,
                no sandbox, no grading (the serial plain-execution rate);
- `plain-parallel` the same, `--workers` copies at a time: what running notebooks side by side
                gains with no grader at all, the ceiling of `workers` (a notebook that already
                uses more than one core leaves less for a second one to take);
- `serial`      `grade submit` of the folder in one process, every kernel started when its
                notebook's turn comes (`--cold`);
- `serial-warm` the same with the next kernel started ahead (the default of `grade submit`);
- `workers`     `--workers N`, each worker starting its next kernel ahead (the default);
- `workers-cold` `--workers N --cold`;
- `dask`        a local Dask cluster with N worker processes.

Every grading mode grades the same files with the same seed through the function the CLI
calls (`grader.batch.run_batch`), records into its own gradebook, and must give the same
results. Prints submissions per minute, the speed-ups over `plain` and over `serial`, where
the time of one submission goes, the CPU seconds each mode spent per notebook (every process
it started, counted in a cgroup as benchmarks/notebook_cpu.py does), and the load average
(other work on the machine skews every wall-clock figure: run it when the machine is quiet).

Usage: .venv/bin/python benchmarks/throughput.py [--copies 8] [--workers 2]
           [--notebook solutions/04_forecast7.ipynb] [--modes plain,plain-parallel,serial,workers,workers-cold]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks"))

from notebook_cpu import Meter, metered  # the benchmarks folder is not a package

from grader.batch import available_cores, collect, run_batch
from grader.course.loader import load_course
from grader.results.gradebook import Gradebook

SEED = 2021
MODES = ("plain", "plain-parallel", "serial", "serial-warm", "workers", "workers-cold", "dask")


def outcome(items: list) -> list[tuple]:
    return [
        (i.result.member, i.result.status.value, i.result.score, [(c.id, c.passed, c.points) for c in i.result.checks])
        for i in items
    ]


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def plain(files: list[Path], meter: Meter, at_once: int = 1) -> dict:
    """`jupyter execute` of every file, `at_once` of them running at a time."""
    from concurrent.futures import ThreadPoolExecutor

    jupyter = Path(sys.executable).parent / "jupyter"
    mode = "plain" if at_once == 1 else "plain-parallel"
    with tempfile.TemporaryDirectory(prefix="grade-bench-plain-") as out:

        def execute(f: Path) -> None:
            subprocess.run(
                [str(jupyter), "execute", "--timeout=600", f"--output={Path(out) / f.parent.name}.ipynb", str(f)],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        c0 = meter.sample()["total"]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(at_once) as pool:
            list(pool.map(execute, files))
        wall = time.perf_counter() - t0
        cpu = meter.sample()["total"] - c0
    how = "one after another" if at_once == 1 else f"{at_once} at a time, no grader"
    print(
        f"  {mode:<14} {wall:7.1f} s  {60 * len(files) / wall:5.1f}/min  (jupyter execute, {how}; load {load()})",
        flush=True,
    )
    return {"mode": mode, "wall_s": wall, "items": None, "cpu_s": cpu / len(files)}


def graded(label: str, course, found, tmp: Path, meter: Meter, **kw) -> dict:
    book = Gradebook(str(tmp / f"gb-{label}" / "gradebook.db"))  # opened first, as `grade submit` does
    c0 = meter.sample()["total"]
    t0 = time.perf_counter()
    items = run_batch(course, found, seed=SEED, lang="en", book=book, **kw)
    wall = time.perf_counter() - t0
    cpu = meter.sample()["total"] - c0
    recorded = book.count()
    book.close()
    timings = [i.result.timings for i in items]

    def mean(key: str) -> float:
        vals = [t[key] for t in timings if key in t]
        return statistics.fmean(vals) if vals else float("nan")

    ahead = sum("kernel_ahead_s" in t for t in timings)
    print(
        f"  {label:<14} {wall:7.1f} s  {60 * len(items) / wall:5.1f}/min  "
        f"({sum(i.result.status == 'graded' for i in items)}/{len(items)} graded, {recorded} recorded, "
        f"{ahead} in a kernel started ahead; load {load()})",
        flush=True,
    )
    return {
        "mode": label,
        "wall_s": wall,
        "items": items,
        "cpu_s": cpu / len(items),
        "kernel_start_s": mean("kernel_start_s"),
        "cells_s": mean("cells_s"),
        "probe_s": mean("probe_s"),
        "duration_s": statistics.fmean(i.result.duration_s for i in items),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--notebook",
        default="solutions/04_forecast7.ipynb",
        help="the exercise to copy (04: training, ~27 s; 06: start-up and import bound, ~3 s)",
    )
    ap.add_argument(
        "--modes", default="plain,serial,workers,workers-cold", help=f"comma-separated, from {', '.join(MODES)}"
    )
    args = ap.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if unknown := set(modes) - set(MODES):
        ap.error(f"unknown modes: {', '.join(sorted(unknown))}")
    os.environ.setdefault("GRADE_SANDBOX_QUIET", "1")
    course = load_course(ROOT)
    src = ROOT / args.notebook
    print(
        f"{args.copies} copies of {src.name}; {available_cores()} cores; {args.workers} workers; seed {SEED}; "
        f"load average at the start {load()}"
    )
    rows: list[dict] = []
    with metered() as meter, tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp_name:
        tmp = Path(tmp_name)
        subs = tmp / "submissions"
        for n in range(1, args.copies + 1):
            (subs / f"m{n:02d}").mkdir(parents=True)
            shutil.copy(src, subs / f"m{n:02d}" / src.name)
        found, _ = collect([subs])
        # Warm the page cache (TensorFlow's files) so the first mode is not charged for it.
        run_batch(course, found[:1], seed=SEED, lang="en", warm=False)
        for mode in modes:
            if mode == "plain":
                rows.append(plain([f.path for f in found], meter))
            elif mode == "plain-parallel":
                rows.append(plain([f.path for f in found], meter, at_once=args.workers))
            elif mode == "serial":
                rows.append(graded(mode, course, found, tmp, meter, warm=False))
            elif mode == "serial-warm":
                rows.append(graded(mode, course, found, tmp, meter))
            elif mode == "workers":
                rows.append(graded(mode, course, found, tmp, meter, workers=args.workers))
            elif mode == "workers-cold":
                rows.append(graded(mode, course, found, tmp, meter, workers=args.workers, warm=False))
            elif mode == "dask":
                from distributed import LocalCluster

                with LocalCluster(
                    n_workers=args.workers,
                    processes=True,
                    host="127.0.0.1",
                    threads_per_worker=1,
                    dashboard_address=None,
                ) as cluster:
                    rows.append(graded(mode, course, found, tmp, meter, scheduler=cluster.scheduler_address))
    by = {r["mode"]: r for r in rows}
    gradings = [r for r in rows if r["items"] is not None]
    same = all(outcome(r["items"]) == outcome(gradings[0]["items"]) for r in gradings)
    print()
    print(
        f"{'mode':<14} {'wall s':>7} {'subm/min':>9} {'vs plain':>9} {'vs serial':>10}   "
        f"{'CPU s/nb':>8}   {'per submission':>14} {'kernel':>7} {'cells':>6} {'probe':>6}"
    )
    for r in rows:
        vs_plain = f"{by['plain']['wall_s'] / r['wall_s']:8.2f}×" if "plain" in by else "        -"
        vs_serial = f"{by['serial']['wall_s'] / r['wall_s']:9.2f}×" if "serial" in by else "         -"
        line = (
            f"{r['mode']:<14} {r['wall_s']:7.1f} {60 * args.copies / r['wall_s']:9.1f} {vs_plain} {vs_serial} "
            f"{r['cpu_s']:8.1f}"
        )
        if r["items"] is not None:
            line += (
                f"   {r['duration_s']:12.2f} s {r['kernel_start_s']:6.2f}s {r['cells_s']:5.2f}s {r['probe_s']:5.2f}s"
            )
        print(line)
    print(f"\nsame scores and check outcomes in every grading mode: {'yes' if same else 'NO'}")
    if "workers" in by and "plain" in by:
        # CPU-bound, N workers on N cores: the rate over serial plain is about N x plain wall / graded CPU.
        print(
            f"CPU per notebook: plain {by['plain']['cpu_s']:.1f} s, workers {by['workers']['cpu_s']:.1f} s; "
            f"{available_cores()} × plain wall / workers CPU = "
            f"{available_cores() * by['plain']['wall_s'] / args.copies / by['workers']['cpu_s']:.2f}×"
        )
        print(
            f"--workers {args.workers}: {by['plain']['wall_s'] / by['workers']['wall_s']:.2f}× the serial "
            f"plain-execution rate (target ≥ 1.85× on 2 cores); load average now {load()}"
        )
    if "plain-parallel" in by and "plain" in by:
        ceiling = by["plain"]["wall_s"] / by["plain-parallel"]["wall_s"]
        line = f"{args.workers} notebooks at a time with no grader: {ceiling:.2f}× the serial plain rate"
        if "workers" in by:
            line += f"; the workers reach {by['plain-parallel']['wall_s'] / by['workers']['wall_s']:.0%} of that"
        print(line)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
