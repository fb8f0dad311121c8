"""The quiz evaluation split is fixed by the answer ids: the tool rebuilds exactly the files in
the repository, and a later round never moves an answer of the first round's split."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "tests" / "data" / "quiz_eval"
SPLITS = ("dev", "heldout", "dev2", "dev3", "dev4")


def _ids(path: Path) -> set[str]:
    return {a["id"] for a in tomllib.loads(path.read_text(encoding="utf-8"))["answer"]}


def test_the_tool_rebuilds_the_committed_splits(tmp_path):
    for f in EVAL.glob("*.toml"):
        if f.stem not in SPLITS:
            shutil.copy(f, tmp_path / f.name)
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "split_quiz_eval.py"), str(tmp_path)], check=True, capture_output=True
    )
    for name in SPLITS:
        assert (tmp_path / f"{name}.toml").read_bytes() == (EVAL / f"{name}.toml").read_bytes(), name


def test_later_rounds_are_tuning_only_and_apart():
    ids = {name: _ids(EVAL / f"{name}.toml") for name in SPLITS}
    assert all(i.split("-")[0] in {"k1", "e1", "x1"} for i in ids["dev"] | ids["heldout"])
    assert all(i.startswith(("k2-", "x2-")) for i in ids["dev2"])
    assert all(i.startswith(("k3-", "x3-")) for i in ids["dev3"])
    assert all(i.startswith(("k4-", "x4-")) for i in ids["dev4"])
    assert sum(len(v) for v in ids.values()) == len(set().union(*ids.values()))  # no answer twice
