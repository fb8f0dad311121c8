"""The CLI's own lines follow --lang (#16): broken specs in `grade status` and `grade check`,
the no-gradebook error, quiz validate's problems; JSON keeps the contract's English."""

from __future__ import annotations

import json

import pytest

from grader.cli.app import cli

BROKEN = 'id = "t.ex2"\nnotebook = "02_bad.ipynb"\n\n[[checks]]\nid = "a"\nkind = "nope"\npoints = 1\n'


@pytest.fixture
def broken_course(tiny_course):
    (tiny_course / "exercises" / "specs" / "02_bad.toml").write_text(BROKEN, encoding="utf-8")
    return tiny_course


@pytest.mark.parametrize(
    "lang, said, absent",
    [
        ("ko", "'a' 검사: 알 수 없는 검사 종류 'nope'입니다", "unknown check kind"),
        ("en", "unknown check kind 'nope'", "검사"),
    ],
)
def test_status_says_a_broken_spec_in_the_readers_language(runner, broken_course, tmp_path, lang, said, absent):
    args = ["status", "--course", str(broken_course), "--gradebook", str(tmp_path / "g.db"), "--lang", lang]
    r = runner.invoke(cli, args)
    assert r.exit_code == 0
    line = next(ln for ln in r.stdout.splitlines() if "02_bad.toml" in ln)
    assert said in line and absent not in line
    r = runner.invoke(cli, [*args, "--json"])
    warning = next(ln for ln in r.stderr.splitlines() if "02_bad.toml" in ln)
    assert warning.startswith("grade: warning: ") and said in warning


@pytest.mark.parametrize(
    "lang, said", [("ko", "알 수 없는 검사 종류 'nope'입니다"), ("en", "unknown check kind 'nope'")]
)
def test_check_says_a_broken_spec_in_the_readers_language(runner, broken_course, lang, said):
    r = runner.invoke(cli, ["check", "--specs-only", "--course", str(broken_course), "--lang", lang, "--json"])
    assert r.exit_code == 1
    error = next(ln for ln in r.stderr.splitlines() if "02_bad.toml" in ln)
    assert error.startswith("grade: error: ") and said in error
    [broken] = json.loads(r.stdout)["specs"]["broken"]
    assert "unknown check kind 'nope'" in broken["error"]  # the document keeps its English


@pytest.mark.parametrize("lang, said", [("ko", "여기에는 성적부가 없습니다"), ("en", "no gradebook here")])
def test_export_without_a_gradebook_follows_the_language(runner, tmp_path, lang, said):
    r = runner.invoke(cli, ["export", "--gradebook", str(tmp_path / "nope.db"), "--lang", lang])
    assert r.exit_code == 1 and said in r.stderr and not (tmp_path / "nope.db").exists()
