"""Choose the quiz scorer's doubt costs and review threshold on the tuning splits.

The scorer multiplies a base confidence (its distance from the nearest band
boundary) by one cost per doubt it has about an answer (grader/quiz/confidence.py
DOUBT_COST), and marks an answer for review below REVIEW_THRESHOLD. This tool
scores the answers of the tuning splits once, then tries every combination of
costs for the doubts in TUNED and every threshold, and keeps the one with the
best agreement on the answers it would not mark, with at most `--max-review`
of them marked (ties: fewer marked, then costs nearer 1, i.e. fewer assumptions).

It reads only tuning splits (dev, and dev2 when present), never heldout. To
see over-fitting, it also chooses leaving each author out in turn (answer ids
start with the author: k1-, e1-, x1-, ...) and reports the figures on the author
left out: a choice that only holds on the authors it was chosen on shows there.

    .venv/bin/python tools/quiz_review_calibrate.py [--splits dev,dev2] [--max-review 0.15]

It prints the constants to copy into grader/quiz/confidence.py; it changes nothing itself.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.quiz import band, load_bank, prepare, score_answer
from grader.quiz.scorer import DOUBT_COST, REVIEW_THRESHOLD, combine

EVAL = ROOT / "tests" / "data" / "quiz_eval"
TUNED = ("conflict", "capped_list", "uncredited_sentences", "contrast", "rival_holders", "list_only")
GRID = (1.0, 0.85, 0.7, 0.5)


@dataclass(frozen=True)
class Scored:
    author: str
    agrees: bool
    fraction: float
    doubts: tuple[str, ...]
    flags: tuple[str, ...]


def score_splits(splits: list[str]) -> list[Scored]:
    bank = load_bank(ROOT / "quizzes")
    prepare(bank.values())
    out = []
    for name in splits:
        if name == "heldout":
            raise SystemExit("grade: error: heldout is for reporting only; calibrate on dev splits")
        path = EVAL / f"{name}.toml"
        if not path.is_file():
            print(f"({path} is missing: skipped)", file=sys.stderr)
            continue
        for item in tomllib.loads(path.read_text(encoding="utf-8"))["answer"]:
            res = score_answer(bank[item["question"]], item["text"], budget_s=None)
            want = item.get("label") or item["band"]
            out.append(
                Scored(
                    item["id"].split("-")[0],
                    band(res.fraction) == want,
                    res.fraction,
                    tuple(res.doubts),
                    tuple(res.flags),
                )
            )
    return out


def evaluate(rows: list[Scored], costs: dict[str, float], threshold: float) -> tuple[float, float]:
    """(agreement on the answers not marked, share marked)."""
    kept = [r for r in rows if combine(r.fraction, list(r.doubts), list(r.flags), costs) >= threshold]
    agree = sum(r.agrees for r in kept) / len(kept) if kept else 0.0
    return agree, 1 - len(kept) / len(rows) if rows else 0.0


def choose(rows: list[Scored], max_review: float) -> tuple[dict[str, float], float, float, float]:
    """The costs and threshold with the best agreement on the answers not marked (see the module doc)."""
    best: tuple | None = None
    limit = int(max_review * len(rows))
    for combo in itertools.product(GRID, repeat=len(TUNED)):
        costs = {**DOUBT_COST, **dict(zip(TUNED, combo, strict=True))}
        scored = sorted((combine(r.fraction, list(r.doubts), list(r.flags), costs), r.agrees) for r in rows)
        # mark the k least confident answers, for every k a threshold can separate
        kept_agree = sum(a for _, a in scored)
        for k in range(min(limit, len(scored) - 1) + 1):
            # "confidence < scored[k]" marks exactly the first k when no tie straddles k
            if k == 0 or scored[k - 1][0] < scored[k][0]:
                agree = kept_agree / (len(rows) - k)
                key = (round(agree, 4), -k, sum(combo))
                if best is None or key > best[0]:
                    best = (key, costs, round(scored[k][0], 3), agree, k / len(rows))
            kept_agree -= scored[k][1]
    assert best is not None
    return best[1], best[2], best[3], best[4]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splits", default="dev,dev2", help="tuning splits, comma-separated (never heldout)")
    ap.add_argument("--max-review", type=float, default=0.15, help="largest share of answers marked for review")
    args = ap.parse_args()
    rows = score_splits([s.strip() for s in args.splits.split(",") if s.strip()])
    if not rows:
        print("grade: error: no tuning answers found", file=sys.stderr)
        return 1
    agree, review = evaluate(rows, DOUBT_COST, REVIEW_THRESHOLD)
    print(
        f"{len(rows)} answers; now: {agree:.1%} agreement on the {1 - review:.1%} not marked "
        f"(threshold {REVIEW_THRESHOLD})"
    )
    for author in sorted({r.author for r in rows}):
        train = [r for r in rows if r.author != author]
        test = [r for r in rows if r.author == author]
        costs, threshold, t_agree, t_review = choose(train, args.max_review)
        agree, review = evaluate(test, costs, threshold)
        now_agree, now_review = evaluate(test, DOUBT_COST, REVIEW_THRESHOLD)
        print(
            f"leaving out {author} ({len(test)}): chosen on the others {t_agree:.1%} ({t_review:.1%} marked); "
            f"on {author} {agree:.1%} ({review:.1%} marked); current constants on {author} "
            f"{now_agree:.1%} ({now_review:.1%} marked)"
        )
    costs, threshold, agree, review = choose(rows, args.max_review)
    print(f"chosen on all: {agree:.1%} agreement on the answers not marked, {review:.1%} marked")
    print(f"REVIEW_THRESHOLD = {threshold}")
    print("DOUBT_COST: " + ", ".join(f'"{d}": {costs[d]}' for d in TUNED))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
