"""Whether a speed change left every score alone: dump every result of the tuning splits, or compare.

A change meant only to make scoring faster must not move a single answer. This writes
the whole result of every answer of `dev` and `dev2` (score, band, confidence, matched
and missing concepts, flags, doubts, feedback) to JSON, or compares a fresh run with
such a file and lists each answer that differs. The held-out split is never read.

    .venv/bin/python benchmarks/quiz_samescores.py --dump /tmp/before.json
    .venv/bin/python benchmarks/quiz_samescores.py --check /tmp/before.json   # exit 1 on any difference
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.quiz import band, load_bank, score_answer

SPLITS = ("dev", "dev2")  # the tuning splits; heldout stays unread


def results() -> dict[str, dict]:
    bank = load_bank(ROOT / "quizzes")
    out: dict[str, dict] = {}
    for name in SPLITS:
        path = ROOT / "tests" / "data" / "quiz_eval" / f"{name}.toml"
        for n, item in enumerate(tomllib.loads(path.read_text(encoding="utf-8"))["answer"]):
            # budget_s=None: a slow moment of a loaded machine must not read as a changed score
            res = score_answer(bank[item["question"]], item["text"], budget_s=None)
            out[f"{name}:{item.get('id', n)}"] = {"band": band(res.fraction), **res.to_dict()}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dump", type=Path, help="write every result to this JSON file")
    mode.add_argument("--check", type=Path, help="compare with a file --dump wrote; exit 1 on any difference")
    args = ap.parse_args()
    now = results()
    if args.dump:
        args.dump.write_text(json.dumps(now, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        print(f"{len(now)} results written to {args.dump}")
        return 0
    before = json.loads(args.check.read_text(encoding="utf-8"))
    differ = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    for k in differ[:20]:
        print(f"{k}:\n  before {before.get(k)}\n  now    {now.get(k)}")
    print(f"{len(now)} answers, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
