"""Batch throughput: N copies of a fast exercise graded sequentially, with local
worker processes (`grade submit --workers 2`) and on a local Dask cluster
(`grade submit --scheduler`), in one run. Prints submissions per minute for each,
the speed-ups over sequential, and where the time of one submission goes.

Every mode grades the same files with the same seed and records into its own
gradebook, through the same function the CLI calls (`grader.batch.run_batch`);
the results must be identical across modes. Target on 2 cores: ≥ 1.7× with 2 workers.

Usage: .venv/bin/python benchmarks/throughput.py [--copies 16] [--workers 2]
                                                 [--notebook solutions/06_lstm_structure.ipynb] [--no-dask]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.batch import available_cores, collect, run_batch  # noqa: E402
from grader.course.loader import load_course  # noqa: E402
from grader.results.gradebook import Gradebook  # noqa: E402

SEED = 2021


def outcome(items: list) -> list[tuple]:
    return [(i.result["member"], i.result["status"], i.result["score"],
             [(c["id"], c["passed"], c["points"]) for c in i.result["checks"]]) for i in items]


def timed(label: str, course, found, tmp: Path, **kw) -> dict:
    book = Gradebook(str(tmp / f"gb-{label}" / "gradebook.db"))  # opened first, as `grade submit` does
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    items = run_batch(course, found, seed=SEED, lang="en", book=book, **kw)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    # CPU of this (submitting) process only; kernels and workers are other processes, except in
    # the sequential mode where the grader itself runs here.
    own_cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    load = os.getloadavg()[0]
    recorded = book.count()
    book.close()
    timings = [i.result.get("timings", {}) for i in items]

    def mean(key: str) -> float:
        vals = [t[key] for t in timings if key in t]
        return statistics.fmean(vals) if vals else float("nan")

    row = {"mode": label, "wall_s": wall, "per_min": 60 * len(items) / wall, "items": items,
           "graded": sum(i.result["status"] == "graded" for i in items), "recorded": recorded,
           "kernel_start_s": mean("kernel_start_s"), "cells_s": mean("cells_s"), "probe_s": mean("probe_s"),
           "duration_s": statistics.fmean(i.result["duration_s"] for i in items), "own_cpu": own_cpu}
    print(f"  {label:<22} {wall:6.1f} s  {row['per_min']:5.1f}/min  "
          f"({row['graded']}/{len(items)} graded, {recorded} recorded; submitter CPU {own_cpu:.1f} s; "
          f"load average at the end {load:.2f})", flush=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--notebook", default="solutions/06_lstm_structure.ipynb",
                    help="a fast exercise (06 and 02 grade in about 3 s: kernel start, TF import, small model)")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask cluster")
    args = ap.parse_args()
    os.environ.setdefault("GRADE_SANDBOX_QUIET", "1")
    course = load_course(ROOT)
    src = ROOT / args.notebook
    print(f"{args.copies} copies of {src.name}; {available_cores()} cores; {args.workers} workers; seed {SEED}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp_name:
        tmp = Path(tmp_name)
        subs = tmp / "submissions"
        for n in range(1, args.copies + 1):
            (subs / f"m{n:02d}").mkdir(parents=True)
            shutil.copy(src, subs / f"m{n:02d}" / src.name)
        found, _ = collect([subs])
        # Warm the page cache (TensorFlow's files) so the first mode is not charged for it.
        run_batch(course, found[:1], seed=SEED, lang="en")
        rows.append(timed("sequential", course, found, tmp))
        rows.append(timed(f"--workers {args.workers}", course, found, tmp, workers=args.workers))
        if not args.no_dask:
            from distributed import LocalCluster

            t0 = time.perf_counter()
            with LocalCluster(n_workers=args.workers, processes=True, host="127.0.0.1", threads_per_worker=1,
                              dashboard_address=None) as cluster:
                start = time.perf_counter() - t0
                print(f"  (Dask LocalCluster with {args.workers} worker processes started in {start:.1f} s, "
                      "not counted)", flush=True)
                rows.append(timed(f"dask, {args.workers} workers", course, found, tmp,
                                  scheduler=cluster.scheduler_address))
    base = rows[0]
    same = all(outcome(r["items"]) == outcome(base["items"]) for r in rows)
    print()
    print(f"{'mode':<22} {'wall s':>7} {'subm/min':>9} {'speed-up':>9}   "
          f"{'per submission: total':>21} {'kernel':>7} {'cells':>6} {'probe':>6}")
    for r in rows:
        print(f"{r['mode']:<22} {r['wall_s']:7.1f} {r['per_min']:9.1f} {base['wall_s'] / r['wall_s']:8.2f}×   "
              f"{r['duration_s']:19.2f} s {r['kernel_start_s']:6.2f}s {r['cells_s']:5.2f}s {r['probe_s']:5.2f}s")
    print(f"\nsame scores and check outcomes in every mode: {'yes' if same else 'NO'}")
    par = base["wall_s"] / rows[1]["wall_s"]
    print(f"speed-up with {args.workers} local workers: {par:.2f}× (target ≥ 1.7× on 2 cores)")
    if len(rows) > 2:
        print(f"speed-up on the Dask cluster: {base['wall_s'] / rows[2]['wall_s']:.2f}×")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
