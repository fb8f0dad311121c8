"""Bounded and fast (issue #18 item 7): a long line costs what its length costs, the analyser
started in the background scores alike, and the bank's cache is checked entry by entry."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.quiz import load_bank, score_answer, scorer, textcache
from grader.quiz.normalize import _LABEL

ROOT = Path(__file__).resolve().parents[2]
BANK = load_bank(ROOT / "quizzes")


@pytest.mark.parametrize(
    "text",
    [
        ("삭제게이트는장기상태에서지울정보를정하고" * 200)[: scorer.MAX_CHARS - 10],
        "LSTM:" + "가" * (scorer.MAX_CHARS - 20),
        ("a" * 50 + " ") * 70,
        ("LSTM 셀 상태 게이트 " * 250)[: scorer.MAX_CHARS],
    ],
    ids=["unspaced-hangul", "label-then-run", "long-latin-words", "many-words"],
)
def test_one_long_line_under_the_cap_is_scored_within_the_budget(text: str) -> None:
    # one unspaced line of 4,000 syllables took minutes (the label pattern backtracked in n³);
    # the budget is checked between steps, so no step may be that slow
    q = BANK["ch15.ex6"]
    score_answer(q, "x")  # the rubric analysed first: the time below is the answer's own
    t0 = time.process_time()
    r = score_answer(q, text, budget_s=None)
    assert time.process_time() - t0 < scorer.TIME_BUDGET_S
    assert "time_budget" not in r.flags


def test_the_label_pattern_reads_labels_as_before() -> None:
    # the pattern it replaced, on strings short enough for it to finish
    before = re.compile(r"^\s*((?:[^\s:：.?!]+\s*){1,3}?)\s*[:：]\s*\S")
    rng = random.Random(18)
    pieces = ["가", "게이트", "a", "LSTM", " ", "  ", ":", "：", ".", "?", "\t", "x1"]
    for _ in range(20_000):
        s = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        old, new = before.match(s), _LABEL.match(s)
        assert (old is None) == (new is None), s
        if old and new:
            assert (old.group(1), old.end()) == (new.group(1), new.end()), s
    assert _LABEL.match("LSTM: 게이트가 세 개").group(1) == "LSTM"  # type: ignore[union-attr]
    assert _LABEL.match("순환 신경망 구조 설명: 입력") is None  # four words: a sentence, not a label


SCORE = f"""
import json, sys
from pathlib import Path
from grader.quiz import korean, load_bank, score_answer
from grader.quiz.bank import load_lexicon
if sys.argv[1] == "background":
    korean.start(load_lexicon(Path({str(ROOT / "quizzes" / "lexicon.toml")!r})).nouns)
bank = load_bank(Path({str(ROOT / "quizzes")!r}))
answers = [
    ("ch15.q01", "LSTM은 장기 기억을 위해 셀 상태를 씁니다"),
    ("ch15.ex6", "삭제 게이트는 장기 상태에서 지울 것을 정하고, 입력 게이트는 더할 것을 정한다."),
    ("ch15.ex2", "The input is 3D: batch size, time steps and features."),
]
print(json.dumps([score_answer(bank[q], t).to_dict() for q, t in answers], ensure_ascii=False))
"""


def test_the_analyser_started_in_the_background_scores_alike(tmp_path: Path) -> None:
    def run(mode: str, cache: Path) -> list[dict]:
        env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", SCORE, mode], capture_output=True, text=True, timeout=300, env=env)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    plain = run("plain", tmp_path / "a")
    # the background start with an empty cache (every pattern analysed while it starts)
    # and with a full one (nothing analysed before the first answer)
    assert run("background", tmp_path / "b") == plain
    assert run("background", tmp_path / "b") == plain


def test_the_cache_checks_each_entry_when_it_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    store_path = textcache.cache_dir() / ("s" * 40 + ".json")
    store_path.parent.mkdir(parents=True)
    entries = {"셀 상태": [["셀", "NNG", 0, 1], ["상태", "NNG", 2, 2]], "셀": [["셀", "NNG", "0", 1]], "상태": "NNG"}
    store_path.write_text(json.dumps({"signature": "s" * 40, "entries": entries}), encoding="utf-8")
    os.chmod(store_path, 0o600)
    store = textcache._Store("s" * 40)
    assert store.get("셀 상태") == [("셀", "NNG", 0, 1), ("상태", "NNG", 2, 2)]
    assert store.get("셀") is None and store.get("상태") is None  # malformed: analysed again, not trusted
    store.put("게이트", [("게이트", "NNG", 0, 3)])
    store.save()
    kept = json.loads(store_path.read_text(encoding="utf-8"))["entries"]
    assert set(kept) == {"셀 상태", "게이트"}  # what was malformed is not written back


def test_a_text_with_no_variant_is_left_as_the_variants_would_leave_it() -> None:
    import tomllib

    from grader.quiz.compiled import compiled
    from grader.quiz.normalize import Normalizer

    norm = compiled(BANK["ch15.ex6"]).norm
    assert norm._any_variant is not None
    slow = Normalizer(BANK["ch15.ex6"].variants)
    slow._any_variant = None  # every substitution, one by one
    dev = tomllib.loads((ROOT / "tests" / "data" / "quiz_eval" / "dev.toml").read_text(encoding="utf-8"))
    texts = [a["text"] for a in dev["answer"]]
    assert any(norm._any_variant.search(t) is None for t in texts)
    assert any(norm._any_variant.search(t) is not None for t in texts)
    assert all(norm.canonical(t) == slow.canonical(t) for t in texts)
    # a back-reference counts groups: joined with other spellings it would mean something else
    assert Normalizer({"aa": [r"(a)\1"], "b": ["(b)"]})._any_variant is None
    assert Normalizer({"x": ["(?i)x", "y"]}).canonical("Y") == " x "  # cannot be joined: each applied
