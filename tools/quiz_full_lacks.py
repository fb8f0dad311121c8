"""Which concepts do the answers a teacher gave full lack? A table per question.

The scorer gives full from `full_at` of a question's concept weight. When many
answers a teacher marked full, written by different authors, lack the same
concept, that concept is an extra of the rubric rather than something the
teacher requires: its weight, or the question's `full_at`, sets the bar higher
than the teachers do. This tool scores the tuning splits of
tests/data/quiz_eval/ (dev, dev2, dev3; never heldout) and prints, for every
question:

- the teacher's full answers the scorer put below full, and for each concept how
  many of them lack it (`lacked`, with the number of distinct authors), and how
  many of the full answers the scorer did score full lack it too (`lacked_ok`:
  already optional in practice);
- how many of the teacher's partial and none answers have the concept (`in_lower`):
  a concept those answers have often is not what tells full from partial, so
  making something else optional may lift them.

`--set` tries a change before anyone edits the bank, and prints every answer whose
band moves with it (the teacher's band, the band before and after), per split:

    .venv/bin/python tools/quiz_full_lacks.py                           # every question
    .venv/bin/python tools/quiz_full_lacks.py --question ch15.q17       # one question, with the answers
    .venv/bin/python tools/quiz_full_lacks.py --set ch15.q17:full_at=0.7 \\
        --set ch15.q17/output-length:weight=0.5                       # what if

It changes nothing in the bank; a change worth keeping goes into quizzes/*.toml, and
`grade quiz validate` then checks it against the rubric's own examples.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.quiz import Question, band, load_bank, prepare, score_answer

EVAL = ROOT / "tests" / "data" / "quiz_eval"
TUNING = ("dev", "dev2", "dev3")


@dataclass(frozen=True)
class Scored:
    split: str
    id: str
    author: str
    question: str
    teacher: str
    got: str
    fraction: float
    missing: tuple[str, ...]
    matched: tuple[str, ...]
    misconceptions: tuple[str, ...]
    text: str


def load_items(splits: list[str]) -> list[tuple[str, dict]]:
    out = []
    for name in splits:
        if name not in TUNING:
            raise SystemExit(f"grade: error: {name} is not a tuning split (choose from {', '.join(TUNING)})")
        data = tomllib.loads((EVAL / f"{name}.toml").read_text(encoding="utf-8"))
        out.extend((name, item) for item in data["answer"])
    return out


def score_all(bank: dict[str, Question], items: list[tuple[str, dict]]) -> list[Scored]:
    out = []
    for split, item in items:
        res = score_answer(bank[item["question"]], item["text"], budget_s=None)
        out.append(
            Scored(
                split,
                item["id"],
                item["id"].split("-")[0],
                item["question"],
                item.get("label") or item["band"],
                band(res.fraction),
                res.fraction,
                tuple(res.missing),
                tuple(res.matched),
                tuple(res.misconceptions),
                item["text"],
            )
        )
    return out


def apply_set(bank: dict[str, Question], spec: str) -> dict[str, Question]:
    """The bank with `QID:full_at=V` or `QID/CONCEPT:weight=V` applied to a copy of that question
    (the loaded bank is cached and shared in the process, so it is left as it is; the copy keeps
    the analysed patterns, which weights and full_at do not change)."""
    try:
        target, assignment = spec.split(":", 1)
        key, value = assignment.split("=", 1)
        number = float(value)
    except ValueError:
        raise SystemExit(f"grade: error: --set {spec!r}: write QID:full_at=V or QID/CONCEPT:weight=V") from None
    qid, _, cid = target.partition("/")
    if qid not in bank:
        raise SystemExit(f"grade: error: --set {spec!r}: no question {qid}")
    q = bank[qid]
    if key == "full_at" and not cid:
        return bank | {qid: replace(q, full_at=number)}
    if key == "weight" and cid:
        if cid not in {c.id for c in q.concepts}:
            known = ", ".join(c.id for c in q.concepts)
            raise SystemExit(f"grade: error: --set {spec!r}: {qid} has no concept {cid} ({known})")
        concepts = [replace(c, weight=number) if c.id == cid else c for c in q.concepts]
        return bank | {qid: replace(q, concepts=concepts)}
    raise SystemExit(f"grade: error: --set {spec!r}: write QID:full_at=V or QID/CONCEPT:weight=V")


def table(bank: dict[str, Question], scored: list[Scored], question: str | None, show: bool) -> None:
    by_q: dict[str, list[Scored]] = defaultdict(list)
    for s in scored:
        by_q[s.question].append(s)
    for qid in sorted(by_q):
        if question and qid != question:
            continue
        q = bank[qid]
        rows = by_q[qid]
        full = [s for s in rows if s.teacher == "full"]
        under = [s for s in full if s.got != "full"]
        over = [s for s in full if s.got == "full"]
        lower = [s for s in rows if s.teacher != "full"]
        lower_full = sum(s.got == "full" for s in lower)
        if not under and not question:
            continue
        print(
            f"\n{qid}  full_at {q.full_at:g}  teacher full {len(full)}: scorer full {len(over)}, "
            f"below {len(under)}  |  teacher partial/none {len(lower)}, scorer full {lower_full}"
        )
        lacked = Counter(c for s in under for c in s.missing)
        authors: dict[str, set[str]] = defaultdict(set)
        for s in under:
            for c in s.missing:
                authors[c].add(s.author)
        lacked_ok = Counter(c for s in over for c in s.missing)
        in_lower = Counter(c for s in lower for c in s.matched)
        total = q.total_weight or 1.0
        print(
            f"  {'concept':<34} {'weight':>6} {'share':>6} {'lacked':>7} {'authors':>8} {'lacked_ok':>10} {'in_lower':>9}"
        )
        for c in q.concepts:
            print(
                f"  {c.id:<34} {c.weight:>6g} {c.weight / total:>6.2f} {lacked[c.id]:>3}/{len(under):<3} "
                f"{len(authors[c.id]):>8} {lacked_ok[c.id]:>4}/{len(over):<5} {in_lower[c.id]:>4}/{len(lower):<4}"
            )
        if show:
            for s in under:
                print(
                    f"    - {s.id} [{s.split}] scorer {s.got} {s.fraction:.2f} missing={list(s.missing)}"
                    f" mis={list(s.misconceptions)}\n      {s.text.strip()[:300]}"
                )


def what_if(before: list[Scored], after: list[Scored]) -> None:
    for split in TUNING:
        pairs = [(b, a) for b, a in zip(before, after, strict=True) if b.split == split]
        if not pairs:
            continue
        agree_b = sum(b.got == b.teacher for b, _ in pairs)
        agree_a = sum(a.got == a.teacher for _, a in pairs)
        wif_b = sum(b.teacher == "none" and b.got == "full" for b, _ in pairs)
        wif_a = sum(a.teacher == "none" and a.got == "full" for _, a in pairs)
        print(
            f"\n{split}: agreement {agree_b}/{len(pairs)} -> {agree_a}/{len(pairs)}  (wrong in full {wif_b} -> {wif_a})"
        )
        for b, a in pairs:
            if b.got != a.got:
                mark = "+" if a.got == a.teacher else ("-" if b.got == b.teacher else " ")
                print(
                    f"  {mark} {a.id} {a.question} teacher {a.teacher}: {b.got} {b.fraction:.2f} -> {a.got} {a.fraction:.2f}"
                )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splits", default=",".join(TUNING), help="tuning splits to read (default: dev,dev2,dev3)")
    ap.add_argument("--question", help="one question id, with its under-scored full answers listed")
    ap.add_argument("--show", action="store_true", help="list the under-scored full answers of every question")
    ap.add_argument(
        "--set", action="append", default=[], metavar="CHANGE", help="QID:full_at=V or QID/CONCEPT:weight=V"
    )
    args = ap.parse_args()
    bank = load_bank(ROOT / "quizzes")
    prepare(bank.values())
    items = load_items([s for s in args.splits.split(",") if s])
    before = score_all(bank, items)
    if not args.set:
        table(bank, before, args.question, show=args.show or bool(args.question))
        return 0
    changed = bank
    for spec in args.set:
        changed = apply_set(changed, spec)
    after = score_all(changed, items)
    what_if(before, after)
    table(changed, after, args.question, show=bool(args.question))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
