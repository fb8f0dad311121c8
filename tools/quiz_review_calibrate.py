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

    .venv/bin/python tools/quiz_review_calibrate.py [--splits dev,dev2] [--max-review 0.11]
        [--max-projected 1.0] [--unseen-agreement 0.72]

The share a split marks flatters: the rubrics were fitted to its answers, so fewer of them
sit near a boundary or hold sentences that earned nothing. The tool therefore also prints
the share it would mark on unseen answers, projected from how often it marks a right and a
wrong band here and an agreement of `--unseen-agreement` (default 0.72: dev2 scored before
anyone read it agreed 71.6 %, see tests/data/quiz_eval/README.md).

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


def projected_share(rows: list[Scored], costs: dict[str, float], threshold: float, agreement: float) -> float:
    """The share marked on answers the scorer agrees with `agreement` of the time."""
    marked = [r for r in rows if combine(r.fraction, list(r.doubts), list(r.flags), costs) < threshold]
    right = sum(r.agrees for r in rows)
    wrong = len(rows) - right
    p_right = sum(r.agrees for r in marked) / right if right else 0.0
    p_wrong = sum(not r.agrees for r in marked) / wrong if wrong else 0.0
    return agreement * p_right + (1 - agreement) * p_wrong


def choose(
    rows: list[Scored], max_review: float, max_projected: float = 1.0, agreement: float = 0.72
) -> tuple[dict[str, float], float, float, float]:
    """The costs and threshold with the best agreement on the answers not marked (see the module doc),
    marking at most `max_review` here and at most `max_projected` of unseen answers (projected_share)."""
    best: tuple | None = None
    limit = int(max_review * len(rows))
    right = sum(r.agrees for r in rows) or 1
    wrong = len(rows) - right or 1
    for combo in itertools.product(GRID, repeat=len(TUNED)):
        costs = {**DOUBT_COST, **dict(zip(TUNED, combo, strict=True))}
        scored = sorted((combine(r.fraction, list(r.doubts), list(r.flags), costs), r.agrees) for r in rows)
        # mark the k least confident answers, for every k a threshold can separate
        kept_agree = sum(a for _, a in scored)
        marked_right = 0
        for k in range(min(limit, len(scored) - 1) + 1):
            projected = agreement * marked_right / right + (1 - agreement) * (k - marked_right) / wrong
            # "confidence < scored[k]" marks exactly the first k when no tie straddles k
            if (k == 0 or scored[k - 1][0] < scored[k][0]) and projected <= max_projected:
                agree = kept_agree / (len(rows) - k)
                key = (round(agree, 4), -k, sum(combo))
                if best is None or key > best[0]:
                    best = (key, costs, round(scored[k][0], 3), agree, k / len(rows))
            kept_agree -= scored[k][1]
            marked_right += scored[k][1]
    assert best is not None
    return best[1], best[2], best[3], best[4]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splits", default="dev,dev2", help="tuning splits, comma-separated (never heldout)")
    ap.add_argument("--max-review", type=float, default=0.11, help="largest share of answers marked for review")
    ap.add_argument(
        "--max-projected", type=float, default=1.0, help="largest share marked on unseen answers (projected)"
    )
    ap.add_argument(
        "--unseen-agreement", type=float, default=0.72, help="agreement on unseen answers, for the projected share"
    )
    args = ap.parse_args()
    rows = score_splits([s.strip() for s in args.splits.split(",") if s.strip()])
    if not rows:
        print("grade: error: no tuning answers found", file=sys.stderr)
        return 1
    agree, review = evaluate(rows, DOUBT_COST, REVIEW_THRESHOLD)
    print(
        f"{len(rows)} answers; now: {agree:.1%} agreement on the {1 - review:.1%} not marked "
        f"(threshold {REVIEW_THRESHOLD}); projected on unseen answers: "
        f"{projected_share(rows, DOUBT_COST, REVIEW_THRESHOLD, args.unseen_agreement):.1%} marked"
    )
    for author in sorted({r.author for r in rows}):
        train = [r for r in rows if r.author != author]
        test = [r for r in rows if r.author == author]
        costs, threshold, t_agree, t_review = choose(train, args.max_review, args.max_projected, args.unseen_agreement)
        agree, review = evaluate(test, costs, threshold)
        now_agree, now_review = evaluate(test, DOUBT_COST, REVIEW_THRESHOLD)
        print(
            f"leaving out {author} ({len(test)}): chosen on the others {t_agree:.1%} ({t_review:.1%} marked); "
            f"on {author} {agree:.1%} ({review:.1%} marked); current constants on {author} "
            f"{now_agree:.1%} ({now_review:.1%} marked)"
        )
    costs, threshold, agree, review = choose(rows, args.max_review, args.max_projected, args.unseen_agreement)
    print(
        f"chosen on all: {agree:.1%} agreement on the answers not marked, {review:.1%} marked; "
        f"projected on unseen answers: {projected_share(rows, costs, threshold, args.unseen_agreement):.1%} marked"
    )
    print(f"REVIEW_THRESHOLD = {threshold}")
    print("DOUBT_COST: " + ", ".join(f'"{d}": {costs[d]}' for d in TUNED))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
