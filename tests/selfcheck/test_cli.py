"""`grade submit --dry-run` and `grade selfcheck-pack` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.cli.app import cli
from grader.selfcheck import pack as packs
from grader.selfcheck.packwrite import pack_problems

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.kernel
def test_dry_run_grades_and_records_nothing(runner, tiny_course, tmp_path):
    book = tmp_path / "gb.db"
    solution = str(tiny_course / "solutions" / "01_tiny.ipynb")
    r = runner.invoke(
        cli, ["submit", solution, "--dry-run", "--course", str(tiny_course), "--gradebook", str(book), "--lang", "en"]
    )
    assert r.exit_code == 0, r.output
    assert "5/5" in r.stdout and r.stdout.rstrip().splitlines()[-1].startswith("dry run: graded exactly like")
    assert not book.exists() and not (tiny_course / ".grade").exists()
    # JSON stays one document on stdout; the note goes to stderr. Twice: nothing was recorded to skip.
    for _ in range(2):
        r = runner.invoke(
            cli, ["submit", solution, "--dry-run", "--json", "--course", str(tiny_course), "--gradebook", str(book)]
        )
        assert r.exit_code == 0, r.output
        doc = json.loads(r.stdout)
        assert doc["score"] == 5 and doc.get("attempt_id") is None and not doc.get("skipped")
        assert "연습 채점(--dry-run)" in r.stderr
    assert not book.exists()


def test_selfcheck_pack_writes_and_checks(runner, tiny_course, tmp_path):
    out = tmp_path / "pack"
    r = runner.invoke(cli, ["selfcheck-pack", "--course", str(tiny_course), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["seed"] >= 2**31 and doc["exercises"][0]["kept"] == ["double", "summer"]
    r = runner.invoke(
        cli, ["selfcheck-pack", "--course", str(tiny_course), "--out", str(out), "--check", "--lang", "en"]
    )
    assert r.exit_code == 0 and "up to date" in r.stdout
    r = runner.invoke(
        cli, ["selfcheck-pack", "--course", str(tiny_course), "--out", str(out), "--check", "--lang", "ko"]
    )
    assert r.exit_code == 0 and "최신 상태입니다" in r.stdout
    (tiny_course / "exercises" / "specs" / "01_tiny.toml").write_text(
        (tiny_course / "exercises" / "specs" / "01_tiny.toml")
        .read_text(encoding="utf-8")
        .replace('hint = "Return 2 * x."', 'hint = "Return twice x."'),
        encoding="utf-8",
    )
    check = ["selfcheck-pack", "--course", str(tiny_course), "--out", str(out), "--check"]
    r = runner.invoke(cli, [*check, "--lang", "en"])
    assert r.exit_code == 1 and "out of date" in r.stderr and "Traceback" not in r.output
    r = runner.invoke(cli, [*check, "--lang", "ko"])
    assert r.exit_code == 1 and "grade: error:" in r.stderr and "맞지 않습니다" in r.stderr
    r = runner.invoke(cli, [*check, "--json", "--lang", "ko"])  # JSON keeps the English of the contract
    assert r.exit_code == 1 and "out of date" in json.loads(r.stdout)["problems"][0]


def test_selfcheck_pack_counts_its_checks_in_both_languages(runner, tiny_course, tmp_path):
    """ "1 check", "2 checks"; Korean counts with 개 and names why a check was left out."""
    spec = tiny_course / "exercises" / "specs" / "01_tiny.toml"
    write = ["selfcheck-pack", "--course", str(tiny_course), "--out", str(tmp_path / "pack")]
    r = runner.invoke(cli, [*write, "--lang", "en"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("practice pack for t (seed 2147483663) written to ")
    assert lines[1] == "  t.ex1: 2 checks", lines
    r = runner.invoke(cli, [*write, "--lang", "ko"])
    assert r.stdout.splitlines()[1] == "  t.ex1: 검사 2개", r.stdout
    assert "연습용 자료를" in r.stdout.splitlines()[0] and "시드 2147483663" in r.stdout
    # Only one check left: the singular, in English.
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text[: text.index("[[checks]]", text.index("[[checks]]") + 1)], encoding="utf-8")
    r = runner.invoke(cli, [*write, "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1] == "  t.ex1: 1 check", r.stdout


def test_the_installed_pack_is_up_to_date():
    """The pack Colab installs is the course's: run `grade selfcheck-pack --with-quiz` after changing
    a spec, a reference or the quiz bank."""
    from grader.course.loader import load_course

    assert pack_problems(load_course(ROOT), packs.INSTALLED / "ch15") == []
