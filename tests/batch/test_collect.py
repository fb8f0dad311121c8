"""Which files a batch grades (grader/batch/collect.py)."""

from __future__ import annotations

import pytest

from grader.batch.collect import Found, collect
from grader.errors import GradeError


def test_collect_recurses_sorts_skips_hidden_and_dedupes(tmp_path):
    subs = tmp_path / "subs"
    for rel in (
        "bob/01_tiny.ipynb",
        "alice/01_tiny.ipynb",
        "alice/w2/02_x.ipynb",
        "bob/.ipynb_checkpoints/01_tiny-checkpoint.ipynb",
        ".git/x.ipynb",
        "carol/._01_tiny.ipynb",
        "carol/notes.txt",
    ):
        (subs / rel).parent.mkdir(parents=True, exist_ok=True)
        (subs / rel).write_text("{}", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    found, warnings = collect([subs / "bob" / "01_tiny.ipynb", subs, tmp_path / "empty", tmp_path / "missing.ipynb"])
    rels = [f.path.relative_to(tmp_path).as_posix() for f in found]
    assert rels == ["subs/bob/01_tiny.ipynb", "subs/alice/01_tiny.ipynb", "subs/alice/w2/02_x.ipynb", "missing.ipynb"]
    assert found[0].root is None and found[1].root == subs
    assert [f.below_root for f in found] == [(), ("alice",), ("alice", "w2"), ()]
    assert [f.shown for f in found][1:3] == ["alice/01_tiny.ipynb", "alice/w2/02_x.ipynb"]
    assert len(warnings) == 1 and "empty" in str(warnings[0])
    assert warnings[0].said("ko") == f"{tmp_path / 'empty'}: 이 폴더에는 노트북(`*.ipynb`)이 없습니다"
    with pytest.raises(GradeError, match="nothing to grade") as info:
        collect([tmp_path / "empty"])
    assert info.value.said("ko") == f"채점할 노트북이 없습니다: {tmp_path / 'empty'}에 노트북(`*.ipynb`)이 없습니다"


def test_a_symlinked_folder_is_not_followed(tmp_path):
    (tmp_path / "real" / "sora").mkdir(parents=True)
    (tmp_path / "real" / "sora" / "01_tiny.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "subs" / "own.ipynb").write_text("{}", encoding="utf-8")
    found, _ = collect([tmp_path / "subs"])
    assert [f.path.name for f in found] == ["own.ipynb"]
    assert Found(tmp_path / "x.ipynb").shown == str(tmp_path / "x.ipynb")
