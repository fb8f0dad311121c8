"""Grader overhead: `grade submit` of the exercise-4 solution ÷ plain `jupyter execute`.

Both run in this process's environment, alternating, `--repeat` times each;
the figure is the ratio of medians. Target: ≤ 1.10.
Usage: .venv/bin/python benchmarks/overhead.py [--repeat 3] [--notebook solutions/04_forecast7.ipynb]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--notebook", default="solutions/04_forecast7.ipynb")
    args = ap.parse_args()
    bindir = Path(sys.executable).parent
    nb = ROOT / args.notebook
    grade_t, plain_t = [], []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / nb.name
        shutil.copy(nb, copy)
        for i in range(args.repeat):
            plain_t.append(timed([str(bindir / "jupyter"), "execute", "--timeout=600", str(copy)], Path(tmp)))
            grade_t.append(timed([str(bindir / "grade"), "submit", str(nb), "--no-record", "--json"], ROOT))
            print(f"run {i + 1}: jupyter execute {plain_t[-1]:.1f} s, grade submit {grade_t[-1]:.1f} s")
    g, p = statistics.median(grade_t), statistics.median(plain_t)
    print(f"\nmedian jupyter execute: {p:.2f} s")
    print(f"median grade submit:    {g:.2f} s")
    print(f"overhead ratio (grade ÷ jupyter execute): {g / p:.3f}  (target ≤ 1.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
