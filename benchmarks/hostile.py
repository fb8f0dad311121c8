"""Hostile and broken submissions end to end: one `grade submit` process per case.

    .venv/bin/python benchmarks/hostile.py [--fallback] [--workers N] [CASE ...]

Prints: case, status, exit code, time to result, processes left behind, and the
case's gradebook rows before/after (each case has its own gradebook file so the
rows are meaningful while cases run in parallel). `--fallback` turns bubblewrap
and cgroups off (GRADE_SANDBOX_DISABLE), as on a laptop. The fork bomb is skipped
in fallback mode when running as root (nothing would limit it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "data" / "hostile"))
sys.path.insert(0, str(ROOT))
import cases as H


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fallback", action="store_true", help="no bubblewrap, no cgroups")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("only", nargs="*")
    args = ap.parse_args()
    env = {"GRADE_SANDBOX_DISABLE": "bwrap,cgroup"} if args.fallback else None
    base = Path("/var/tmp") if Path("/var/tmp").is_dir() else Path(tempfile.gettempdir())
    work = Path(tempfile.mkdtemp(prefix="grade-bench-hostile-", dir=base))
    try:
        paths = H.make_course(work)
        have = set() if args.fallback else H.active_protections()
        code = [c for c in H.code_cases(paths) if c.needs <= have]
        if args.fallback and os.getuid() == 0:
            code = [c for c in code if c.name != "fork_bomb"]
        files = H.file_cases()
        if args.only:
            code = [c for c in code if c.name in args.only]
            files = {k: v for k, v in files.items() if k in args.only}
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            futs = [pool.submit(H.run_case, c, paths, work, env) for c in code]
            futs += [pool.submit(H.run_file_case, n, d, paths, work) for n, (d, _) in files.items()]
            rows = [f.result() for f in futs]
        wall = time.monotonic() - t0
        expected = {c.name: c.statuses for c in code} | {n: s for n, (_, s) in files.items()}
        print(f"protections: {', '.join(sorted(have)) or 'none (fallback: rlimits + process group)'}")
        hdr = f"{'case':32} {'status':8} {'ok':3} {'exit':4} {'time s':>6} {'orphans':>7} {'rows':>7}  message"
        print(hdr)
        print("-" * len(hdr))
        bad = 0
        for r in rows:
            ok = r["status"] in expected[r["case"]] and r["orphans"] == 0
            bad += not ok
            rows_s = f"{r['rows_before']}→{r['rows_after']}"
            msg = (r["message"] or "").replace("\n", " ")[:70]
            print(
                f"{r['case']:32} {r['status']!s:8} {'✓' if ok else '✗':3} {r['exit']:>4} "
                f"{r['seconds']:6.1f} {r['orphans']:7d} {rows_s:>7}  {msg}"
            )
        print(f"\n{len(rows)} cases in {wall:.0f} s wall ({args.workers} at a time); {bad} unexpected")
        return 1 if bad else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
