"""Build the quiz evaluation split (dev / heldout) once, from the authors' and labelers' files.

The split is fixed by the answer ids alone, before any tuning: within each question, answers
are ordered by the SHA-256 of their id and the first 40 % (rounded) go to `dev`, the rest to
`heldout`. Re-running it on the same files gives the same split; the labels never influence it.

Later rounds of authors (LATER_ROUNDS: written after a held-out figure showed the rubrics
over-fitted the tuning answers) go whole into `dev2`, `dev3`, …, further tuning sets: the first
round's split is computed from the first round's ids only, so it never moves.

Usage: python tools/split_quiz_eval.py [FOLDER]   (default tests/data/quiz_eval)
"""

from __future__ import annotations

import hashlib
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

DEV_SHARE = 0.4
# Authors of later rounds, written after a held-out figure showed over-fitting: tuning only,
# each round a split of its own.
LATER_ROUNDS = {"k2": "dev2", "x2": "dev2", "k3": "dev3", "x3": "dev3", "k4": "dev4", "x4": "dev4"}


def _toml_str(text: str) -> str:
    # A TOML basic string: escape what TOML requires; keep Korean text readable.
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    return '"' + "".join(ch if ch >= " " or ch in "\\" else f"\\u{ord(ch):04x}" for ch in out) + '"'


def main(folder: Path) -> int:
    answers: dict[str, dict] = {}
    for f in sorted(folder.glob("answers_*.toml")):
        for a in tomllib.loads(f.read_text(encoding="utf-8"))["answer"]:
            if a["id"] in answers:
                raise SystemExit(f"{f}: duplicate answer id {a['id']!r}")
            answers[a["id"]] = dict(a, author=f.stem.removeprefix("answers_"))
    labels: dict[str, dict] = {}
    for f in sorted(folder.glob("labels_*.toml")):
        for lab in tomllib.loads(f.read_text(encoding="utf-8"))["label"]:
            if lab["id"] not in answers:
                raise SystemExit(f"{f}: label for unknown answer id {lab['id']!r}")
            if lab["label"] not in ("none", "partial", "full"):
                raise SystemExit(f"{f}: bad label {lab['label']!r} for {lab['id']}")
            # The first labeler file (sorted by name) is primary where two labelers overlap.
            labels.setdefault(lab["id"], dict(lab, labeler=f.stem.removeprefix("labels_")))
    unlabeled = sorted(set(answers) - set(labels))
    if unlabeled:
        raise SystemExit(f"{len(unlabeled)} answers have no label, e.g. {unlabeled[:5]}")
    by_q: dict[str, list[str]] = defaultdict(list)
    split: dict[str, list[str]] = {"dev": [], "heldout": [], **{r: [] for r in LATER_ROUNDS.values()}}
    for aid, a in answers.items():
        if a["author"] in LATER_ROUNDS:
            split[LATER_ROUNDS[a["author"]]].append(aid)
        else:
            by_q[a["question"]].append(aid)
    for _q, ids in sorted(by_q.items()):
        ids.sort(key=lambda i: hashlib.sha256(i.encode()).hexdigest())
        n_dev = round(len(ids) * DEV_SHARE)
        split["dev"] += ids[:n_dev]
        split["heldout"] += ids[n_dev:]
    for name, ids in split.items():
        lines = [f"# Quiz evaluation split '{name}': made by tools/split_quiz_eval.py (do not edit by hand).", ""]
        for aid in sorted(ids):
            a, lab = answers[aid], labels[aid]
            lines += [
                "[[answer]]",
                f"id = {_toml_str(aid)}",
                f"question = {_toml_str(a['question'])}",
                f"lang = {_toml_str(a['lang'])}",
                f"style = {_toml_str(a['style'])}",
                f"author = {_toml_str(a['author'])}",
                f"labeler = {_toml_str(lab['labeler'])}",
                f"label = {_toml_str(lab['label'])}",
                f"text = {_toml_str(a['text'])}",
                "",
            ]
        (folder / f"{name}.toml").write_text("\n".join(lines), encoding="utf-8")
        print(f"{name}: {len(ids)} answers")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tests/data/quiz_eval")))
