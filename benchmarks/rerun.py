"""Re-running `grade submit` on a folder that was graded before: how long it takes to say so.

Builds submissions/m01..mNN/ with a copy of a solution each (every copy slightly different,
as members' notebooks are), records each as graded in a fresh gradebook (the rows a real
first run leaves: same notebook bytes, exercise and member), then times the real command,
`grade submit submissions/ --workers 2`, as a new process, start-up included. Nothing is to
be graded, so no worker and no kernel may start. Target: under 2 s for 40 notebooks.

`--grade-first` grades the folder for real instead of recording the rows (minutes).

Usage: .venv/bin/python benchmarks/rerun.py [--copies 40] [--repeat 3] [--grade-first]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "solutions" / "04_forecast7.ipynb"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--grade-first", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from grader.results.attempt import Attempt
    from grader.results.gradebook import Gradebook

    grade = Path(sys.executable).parent / "grade"
    env = dict(os.environ, GRADE_SANDBOX_QUIET="1")
    with tempfile.TemporaryDirectory(prefix="grade-rerun-") as tmp_name:
        tmp = Path(tmp_name)
        subs, book = tmp / "submissions", tmp / "gradebook.db"
        doc = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
        for n in range(1, args.copies + 1):
            (subs / f"m{n:02d}").mkdir(parents=True)
            doc["metadata"]["grade_bench_copy"] = n  # a notebook of its own, as each member's is
            (subs / f"m{n:02d}" / NOTEBOOK.name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        cmd = [str(grade), "submit", str(subs), "--workers", "2", "--course", str(ROOT), "--gradebook", str(book)]
        if args.grade_first:
            subprocess.run(cmd, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            with Gradebook(str(book)) as gb:
                for n in range(1, args.copies + 1):
                    path = subs / f"m{n:02d}" / NOTEBOOK.name
                    gb.record(
                        Attempt.from_dict(
                            {
                                "exercise": "ch15.ex4",
                                "member": f"m{n:02d}",
                                "status": "graded",
                                "score": 10.0,
                                "max_score": 10.0,
                                "checks": [],
                                "duration_s": 27.0,
                                "path": str(path),
                                "graded_at": dt.datetime.now(dt.UTC).isoformat(),
                            }
                        ),
                        path.read_bytes(),
                    )
        times, out = [], None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            out = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
        assert out is not None
        docs = json.loads(out.stdout)
        skipped = sum(d["skipped"] for d in docs)
        print(f"re-run of an unchanged folder of {args.copies} notebooks: {skipped} skipped, exit {out.returncode}")
        print(
            f"  {', '.join(f'{t:.2f} s' for t in times)}; median {statistics.median(times):.2f} s "
            f"(target < 2 s); load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        print(f"  stderr: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else ''}")
        return 0 if skipped == args.copies and statistics.median(times) < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
