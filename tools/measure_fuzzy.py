"""Pick the fuzzy-match thresholds from data, not by guessing.

For each threshold, scores every pair in tests/data/fuzzy_pairs.toml the way
the scorer compares terms (Korean on jamo, English on Snowball stems; English
through the scorer's own `ko_similar` / `en_similar`) and prints recall on true typos and the false matches
among look-alike words. The scorer uses the middle of the thresholds with the best recall and no
false match; its constants KO_FUZZ and EN_FUZZ should equal what this prints.

    .venv/bin/python tools/measure_fuzzy.py
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.quiz import scorer


def _stem(text: str) -> str:
    from grader.quiz.normalize import Normalizer

    return " ".join(Normalizer().phrase(text))


def ko_match(term: str, text: str, threshold: float) -> bool:
    return scorer.ko_similar(term, text, threshold)


def en_match(term: str, text: str, threshold: float) -> bool:
    return scorer.en_similar(_stem(term), _stem(text), threshold)


def sweep(pairs: list[dict], match, lo: int = 70, hi: int = 100) -> list[tuple[int, float, int]]:
    rows = []
    typos = [p for p in pairs if p["same"]]
    others = [p for p in pairs if not p["same"]]
    for t in range(lo, hi + 1):
        recall = sum(match(p["term"], p["text"], t) for p in typos) / len(typos)
        false = sum(match(p["term"], p["text"], t) for p in others)
        rows.append((t, recall, false))
    return rows


def best(rows: list[tuple[int, float, int]]) -> tuple[int, float]:
    """The middle of the thresholds that reach the best recall with no false match,
    so a small change in the data does not tip it over an edge."""
    safe = [(t, r) for t, r, f in rows if f == 0]
    if not safe:
        return 101, 0.0
    top = max(r for _, r in safe)
    plateau = [t for t, r in safe if r == top]
    return plateau[len(plateau) // 2], top


def main() -> int:
    data = tomllib.loads((ROOT / "tests" / "data" / "fuzzy_pairs.toml").read_text(encoding="utf-8"))
    for name, match, current in (
        ("korean (jamo)", ko_match, scorer.KO_FUZZ),
        ("english (stems)", en_match, scorer.EN_FUZZ),
    ):
        pairs = data[name.split()[0]]
        rows = sweep(pairs, match)
        print(f"{name}: {sum(p['same'] for p in pairs)} typos, {sum(not p['same'] for p in pairs)} look-alikes")
        print("  threshold  recall  false matches")
        for t, r, f in rows:
            if t % 2 == 0 or t == current:
                print(f"  {t:>9}  {r:6.0%}  {f:>5}" + ("   <- scorer" if t == current else ""))
        t, r = best(rows)
        print(
            f"  chosen (best recall, no false match, middle of that range): {t} (recall {r:.0%}); "
            f"scorer uses {current:g}\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
