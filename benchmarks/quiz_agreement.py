"""How often the quiz scorer lands in the band a teacher chose.

Reads the evaluation splits of tests/data/quiz_eval/ (answers written and labeled
by people who never saw the rubrics; see its README): `dev`, `dev2`, `dev3` and `dev4`, the only
parts anything is tuned on, and `heldout`, read here only to report figures. For
each it prints band agreement overall, per teacher band, per question and per
answer style, the confusion matrix, how many wrong answers (teacher: none) the
scorer put in the full band, and the agreement on the answers the scorer is
confident about, with the share it marks for review. The old
tests/data/quiz_labeled.toml is reported last as a tuning set: the early rubrics
were written against it, so its figure flatters. Speed is CPU time of scoring
alone (the bank's patterns are analysed once first, and that time is printed
apart), beside the CPU time of the Korean analyser alone on the same answers in
the same run: the ratio holds when other work slows the machine.

    .venv/bin/python benchmarks/quiz_agreement.py                 # every split
    .venv/bin/python benchmarks/quiz_agreement.py --split dev --show   # dev, with each disagreement

`--show` lists answers of the tuning splits only: the held-out answers stay unread.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.quiz import band, load_bank, prepare, score_answer
from grader.quiz.normalize import kiwi

BANDS = ("none", "partial", "full")
EVAL = ROOT / "tests" / "data" / "quiz_eval"
TUNING = ROOT / "tests" / "data" / "quiz_labeled.toml"
SPLITS = ("dev", "dev2", "dev3", "dev4", "heldout", "tuning")  # the order they are reported in


@dataclass
class Report:
    name: str
    n: int = 0
    agree: int = 0
    confident: int = 0
    confident_agree: int = 0
    wrong_full: int = 0
    confusion: Counter = field(default_factory=Counter)
    by_question: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_style: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    cpu_s: float = 0.0
    wall_s: float = 0.0
    analyser_s: float = 0.0  # CPU time of the morpheme analyser alone on the same answers
    misses: list = field(default_factory=list)

    def as_dict(self) -> dict:
        def pct(a: float, b: float) -> float | None:
            return round(100 * a / b, 1) if b else None

        return {
            "split": self.name,
            "answers": self.n,
            "agreement_pct": pct(self.agree, self.n),
            "wrong_in_full": self.wrong_full,
            "review_share_pct": pct(self.n - self.confident, self.n),
            "confident_agreement_pct": pct(self.confident_agree, self.confident),
            "per_band_pct": {b: pct(self.confusion[(b, b)], sum(self.confusion[(b, g)] for g in BANDS)) for b in BANDS},
            "confusion": {w: {g: self.confusion[(w, g)] for g in BANDS} for w in BANDS},
            "per_question": {q: f"{a}/{t}" for q, (a, t) in sorted(self.by_question.items())},
            "per_style": {s: f"{a}/{t}" for s, (a, t) in sorted(self.by_style.items())},
            "answers_per_s_cpu": round(self.n / self.cpu_s) if self.cpu_s else None,
            "cost_vs_analyser": round(self.cpu_s / self.analyser_s, 2) if self.analyser_s else None,
        }


def run(name: str, items: list[dict], bank: dict, keep_misses: bool) -> Report:
    rep = Report(name)
    t_wall, t_cpu = time.perf_counter(), time.process_time()
    for item in items:
        res = score_answer(bank[item["question"]], item["text"])
        got, want = band(res.fraction), item.get("label") or item["band"]
        ok = got == want
        rep.n += 1
        rep.agree += ok
        rep.confusion[(want, got)] += 1
        rep.by_question[item["question"]][0] += ok
        rep.by_question[item["question"]][1] += 1
        style = item.get("style") or item.get("kind", "").split(",")[0].strip() or "-"
        rep.by_style[style][0] += ok
        rep.by_style[style][1] += 1
        if not res.needs_review:
            rep.confident += 1
            rep.confident_agree += ok
        if want == "none" and got == "full":
            rep.wrong_full += 1
        if keep_misses and not ok:
            rep.misses.append((item, res, got))
    rep.wall_s = time.perf_counter() - t_wall
    rep.cpu_s = time.process_time() - t_cpu
    # the baseline, measured in the same run: kiwi alone on every line of the same
    # answers, the floor no rule can go below (other work on the machine moves both)
    t_cpu = time.process_time()
    for item in items:
        for line in item["text"].splitlines():
            if line.strip():
                kiwi().tokenize(line)
    rep.analyser_s = time.process_time() - t_cpu
    return rep


def show(rep: Report, per_answer: bool) -> None:
    d = rep.as_dict()
    print(f"\n=== {rep.name}: {rep.n} answers")
    print(f"band agreement: {rep.agree}/{rep.n} = {d['agreement_pct']}%")
    print(f"wrong answers (teacher: none) scored full: {rep.wrong_full}")
    print(
        f"marked for review: {rep.n - rep.confident}/{rep.n} = {d['review_share_pct']}%   "
        f"agreement on the rest: {rep.confident_agree}/{rep.confident} = {d['confident_agreement_pct']}%"
    )
    print("per teacher band: " + "  ".join(f"{b} {v}%" for b, v in d["per_band_pct"].items()))
    print("confusion (rows: teacher, columns: scorer)")
    print("          " + "".join(f"{b:>9}" for b in BANDS))
    for w in BANDS:
        print(f"{w:>9} " + "".join(f"{rep.confusion[(w, g)]:>9}" for g in BANDS))
    print("per question: " + "  ".join(f"{q.removeprefix('ch15.')} {v}" for q, v in d["per_question"].items()))
    print("per style:    " + "  ".join(f"{s} {v}" for s, v in d["per_style"].items()))
    print(
        f"speed: {d['answers_per_s_cpu']} answers/s of CPU time ({rep.n / rep.wall_s:.0f}/s wall clock), "
        f"{d['cost_vs_analyser']}x the analyser alone on the same text"
    )
    if per_answer:
        for item, res, got in rep.misses:
            print(
                f"\n-- {item.get('id', '')} {item['question']} teacher={item.get('label') or item['band']} "
                f"scorer={got} ({res.fraction:.2f}, conf {res.confidence:.2f}{' REVIEW' if res.needs_review else ''}) "
                f"style={item.get('style') or item.get('kind')}\n   {item['text'].strip()[:400]}\n"
                f"   matched={res.matched} missing={res.missing} mis={res.misconceptions} flags={res.flags} "
                f"doubts={res.doubts}"
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=[*SPLITS, "all"], default="all")
    ap.add_argument("--show", action="store_true", help="print every disagreement (dev and tuning set only)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    t0 = time.perf_counter()
    kiwi()
    start = time.perf_counter() - t0
    t0 = time.process_time()
    bank = load_bank(ROOT / "quizzes")
    prepare(bank.values())
    prepared = time.process_time() - t0
    reports = []
    for name in SPLITS:
        if args.split not in (name, "all"):
            continue
        path = TUNING if name == "tuning" else EVAL / f"{name}.toml"
        if not path.is_file():
            print(f"({path} is missing: skipped)", file=sys.stderr)
            continue
        items = tomllib.loads(path.read_text(encoding="utf-8"))["answer"]
        label = (
            "tuning set tests/data/quiz_labeled.toml (the early rubrics were tuned on it: flatters)"
            if name == "tuning"
            else name
        )
        rep = run(label, items, bank, keep_misses=args.show and name != "heldout")
        reports.append(rep)
    if args.json:
        print(json.dumps([r.as_dict() for r in reports], indent=2, ensure_ascii=False))
        return 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"analyser start: {start:.1f} s; bank load and pattern analysis: {prepared:.2f} s of CPU, once; "
        f"load average {load:.1f} (other work on the machine slows every figure)"
    )
    for rep in reports:
        show(rep, per_answer=args.show and not rep.name.startswith("heldout"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
