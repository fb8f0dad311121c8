"""How often the quiz scorer lands in the band a teacher chose.

Reads tests/data/quiz_labeled.toml (answers labeled none/partial/full before the
scorer was tuned), scores each one and prints band agreement overall and by
question and kind, the confusion matrix, and the answers that matter most:
wrong or gaming answers scored `full`. `--show` lists every disagreement.

    .venv/bin/python benchmarks/quiz_agreement.py [--show]
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.quiz import band, load_bank, score_answer  # noqa: E402

BANDS = ("none", "partial", "full")
GAMING = {"salad", "injection", "repeat", "empty"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", action="store_true", help="print every disagreement")
    ap.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "quiz_labeled.toml")
    args = ap.parse_args()
    items = tomllib.loads(args.data.read_text(encoding="utf-8"))["answer"]
    bank = load_bank(ROOT / "quizzes")
    t0 = time.perf_counter()
    score_answer(bank[items[0]["question"]], "warm up the analyser")
    t_start = time.perf_counter() - t0
    agree = 0
    confusion: Counter[tuple[str, str]] = Counter()
    by_q: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    bad_full = []
    misses = []
    t0 = time.perf_counter()
    for item in items:
        res = score_answer(bank[item["question"]], item["text"])
        got = band(res.fraction)
        want = item["band"]
        ok = got == want
        agree += ok
        confusion[(want, got)] += 1
        by_q[item["question"]][0] += ok
        by_q[item["question"]][1] += 1
        kinds = {k.strip() for k in item.get("kind", "").split(",") if k.strip()}
        for k in kinds:
            by_kind[k][0] += ok
            by_kind[k][1] += 1
        if got == "full" and want != "full" and (kinds & (GAMING | {"wrong", "misconception"}) or want == "none"):
            bad_full.append((item, res))
        if not ok:
            misses.append((item, res, got))
    elapsed = time.perf_counter() - t0
    n = len(items)
    print(f"answers: {n}   band agreement: {agree}/{n} = {agree / n:.1%}   (goal >= 90%)")
    print(f"wrong or gaming answers scored full: {len(bad_full)}   (goal 0)")
    print(f"speed: {n / elapsed:.0f} answers/s after a {t_start:.1f} s analyser start")
    print("\nconfusion (rows: teacher, columns: scorer)")
    print("          " + "".join(f"{b:>9}" for b in BANDS))
    for w in BANDS:
        print(f"{w:>9} " + "".join(f"{confusion[(w, g)]:>9}" for g in BANDS))
    print("\nby question: " + "  ".join(f"{q} {a}/{t}" for q, (a, t) in sorted(by_q.items())))
    print("by kind:     " + "  ".join(f"{k} {a}/{t}" for k, (a, t) in sorted(by_kind.items())))
    for item, res in bad_full:
        print(f"\n!! FULL for a {item['band']} answer ({item['question']}, {item.get('kind')}): {item['text'][:120]!r}")
    if args.show:
        for item, res, got in misses:
            print(f"\n-- {item['question']} teacher={item['band']} scorer={got} ({res.fraction:.2f}) "
                  f"kind={item.get('kind')}\n   {item['text'].strip()[:300]}\n   matched={res.matched} "
                  f"missing={res.missing} mis={res.misconceptions} flags={res.flags}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
