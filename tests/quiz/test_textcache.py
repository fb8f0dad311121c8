"""The disk cache of the bank's analysed text (grader/quiz/textcache.py): the same scores with
and without it, only the bank's text in it, and files it must not trust ignored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.quiz import textcache

ROOT = Path(__file__).resolve().parents[2]

ANSWERS = [
    ("ch15.q01", "LSTM은 장기 기억을 위해 셀 상태를 씁니다"),
    ("ch15.ex3", "seq2seq에서는 모든 순환 층에 return_sequences=True를 설정합니다."),
    ("ch15.ex2", "The input is 3D: batch size, time steps and features."),
]

SCORE = f"""
import json, sys
from pathlib import Path
from grader.quiz import load_bank, score_answer
bank = load_bank(Path({str(ROOT / "quizzes")!r}))
out = [score_answer(bank[q], t).to_dict() for q, t in {ANSWERS!r}]
print(json.dumps(out, ensure_ascii=False))
"""


def _score_in_fresh_process(cache_home: Path) -> list[dict]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SCORE], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_scores_are_the_same_without_with_and_after_the_cache(tmp_path: Path) -> None:
    home = tmp_path / "cache"
    first = _score_in_fresh_process(home)  # empty cache: analysed, then written
    files = list((home / "grade" / "quiz-analysis").glob("*.json"))
    assert len(files) == 1
    assert _score_in_fresh_process(home) == first  # every bank text read back from the file
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    assert _score_in_fresh_process(blocked) == first  # cannot write: no cache, same scores

    data = json.loads(files[0].read_text(encoding="utf-8"))
    assert data["entries"]
    # only the bank's own text is kept, never an answer
    assert not any(t in data["entries"] for _, t in ANSWERS)
    assert not any(any(t[:12] in text for _, t in ANSWERS) for text in data["entries"])
    if hasattr(os, "getuid"):
        assert files[0].stat().st_uid == os.getuid()
        assert (files[0].parent.stat().st_mode & 0o077) == 0


def _write(path: Path, signature: str, entries: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"signature": signature, "entries": entries}), encoding="utf-8")


def test_a_file_it_cannot_trust_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    good = {"셀 상태": [["셀", "NNG", 0, 1], ["상태", "NNG", 2, 2]]}
    path = textcache.cache_dir() / "sig.json"
    _write(path, "sig", good)
    os.chmod(path, 0o600)
    assert textcache._read(path, "sig") == {"셀 상태": [("셀", "NNG", 0, 1), ("상태", "NNG", 2, 2)]}
    assert textcache._read(path, "another analyser") == {}  # made by another analyser or options
    os.chmod(path, 0o666)
    if hasattr(os, "getuid"):
        assert textcache._read(path, "sig") == {}  # anyone could have written it
    os.chmod(path, 0o600)
    path.write_text("{not json", encoding="utf-8")
    assert textcache._read(path, "sig") == {}
    _write(path, "sig", {"셀": [["셀", "NNG", "0", 1]], "상태": "NNG"})
    assert textcache._read(path, "sig") == {}  # malformed entries are dropped, not trusted


def test_only_text_analysed_inside_bank_text_is_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(textcache, "_STORE", None)
    assert textcache.store("sig") is None  # an answer: never kept
    with textcache.bank_text():
        kept = textcache.store("sig")
        assert kept is not None
        kept.put("셀 상태", [("셀", "NNG", 0, 1), ("상태", "NNG", 2, 2)])
        with textcache.bank_text():  # nested: written once, when the outermost block ends
            pass
        assert not (textcache.cache_dir() / "sig.json").exists()
    written = json.loads((textcache.cache_dir() / "sig.json").read_text(encoding="utf-8"))
    assert written == {"signature": "sig", "entries": {"셀 상태": [["셀", "NNG", 0, 1], ["상태", "NNG", 2, 2]]}}
