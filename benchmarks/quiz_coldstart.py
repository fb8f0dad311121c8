"""How long a cold `grade quiz score` takes, beside the Korean analyser's own start.

Each run is a fresh process (the page cache warm, the bank's analysis cached after
one untimed run): `grade quiz score` on a Korean and on an English answer, and in the
same rounds two floors no grader can go below, `python -c pass` and a process that
imports kiwipiepy, makes an analyser and analyses one syllable (as kiwipiepy comes,
and with the options grader/quiz/korean.py makes it with). The kinds take turns
within each round, so other work on the machine slows them alike; the ratio of the
grader to the analyser's floor holds under load, the seconds do not.

    .venv/bin/python benchmarks/quiz_coldstart.py            # 7 rounds
    .venv/bin/python benchmarks/quiz_coldstart.py -n 15 --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "ch15.ex6"
ANSWERS = {
    "ko": "LSTM 셀은 장기 상태와 단기 상태를 가진다. 삭제 게이트는 장기 상태에서 지울 정보를 정한다.",
    "en": "An LSTM cell keeps a long-term and a short-term state; the forget gate decides what to erase.",
}
KIWI_AS_SHIPPED = "import kiwipiepy; kiwipiepy.Kiwi().analyze('가')"
KIWI_AS_GRADER = (
    "import kiwipiepy; kiwipiepy.Kiwi(load_typo_dict=False, load_multi_dict=False, "
    "load_default_dict=False).analyze('가')"
)


def _grade() -> list[str]:
    found = shutil.which("grade", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-c", "from grader.cli.app import main; main()"]


def commands(baseline: Path | None) -> dict[str, list[str]]:
    score = [*_grade(), "quiz", "score", QUESTION, "--course", str(ROOT), "--answer"]
    out = {
        "grade quiz score (ko)": [*score, ANSWERS["ko"]],
        "grade quiz score (en)": [*score, ANSWERS["en"]],
    }
    if baseline is not None:
        # another checkout's grader (say, before a change) on the same bank, in the same rounds
        run = f"import sys; sys.path.insert(0, {str(baseline)!r}); from grader.cli.app import main; main()"
        old = [sys.executable, "-c", run, "quiz", "score", QUESTION, "--course", str(ROOT), "--answer"]
        out["grade quiz score (ko, baseline)"] = [*old, ANSWERS["ko"]]
        out["grade quiz score (en, baseline)"] = [*old, ANSWERS["en"]]
    return out | {
        "python -c pass": [sys.executable, "-c", "pass"],
        "kiwi floor (as shipped)": [sys.executable, "-c", KIWI_AS_SHIPPED],
        "kiwi floor (grader's options)": [sys.executable, "-c", KIWI_AS_GRADER],
    }


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, every thread) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0,):
        raise SystemExit(f"{' '.join(cmd[:4])} … failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=7, help="rounds (each runs every kind once)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--baseline", type=Path, help="also time the grader of this source tree (before/after)")
    args = ap.parse_args()
    cmds = commands(args.baseline)
    for cmd in cmds.values():
        timed(cmd)  # untimed: the bank's analysis cached, the files in the page cache
    walls: dict[str, list[float]] = {k: [] for k in cmds}
    cpus: dict[str, list[float]] = {k: [] for k in cmds}
    names = list(cmds)
    for r in range(args.n):
        for name in names[r % len(names) :] + names[: r % len(names)]:  # a different first each round
            wall, cpu = timed(cmds[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
    med = {k: statistics.median(v) for k, v in walls.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpus.items()}
    floor = med["kiwi floor (as shipped)"]
    floor_ours = med["kiwi floor (grader's options)"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    doc = {
        "rounds": args.n,
        "load_average": round(load, 2),
        "median_wall_s": {k: round(v, 3) for k, v in med.items()},
        "median_cpu_s": {k: round(v, 3) for k, v in med_cpu.items()},
        "ratio_to_kiwi_floor": {k: round(v / floor, 3) for k, v in med.items() if k.startswith("grade")},
        "ratio_to_kiwi_floor_grader_options": {
            k: round(v / floor_ours, 3) for k, v in med.items() if k.startswith("grade")
        },
    }
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    print(f"{args.n} rounds, load average {load:.1f} at the end (other work slows every figure)")
    print(f"{'':32}{'median wall':>12}{'median CPU':>12}{'/ floor':>9}{'/ floor*':>10}")
    for k in names:
        ratio = f"{med[k] / floor:9.2f}{med[k] / floor_ours:10.2f}" if k.startswith("grade") else ""
        print(f"{k:32}{med[k]:11.3f}s{med_cpu[k]:11.3f}s{ratio}")
    print("floor: kiwipiepy as shipped; floor*: with the grader's options (no default dictionary)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
