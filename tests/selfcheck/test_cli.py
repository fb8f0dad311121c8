"""`grade submit --dry-run` and `grade selfcheck-pack` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.cli.app import cli
from grader.selfcheck import pack as packs

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
    r = runner.invoke(cli, ["selfcheck-pack", "--course", str(tiny_course), "--out", str(out), "--check"])
    assert r.exit_code == 0 and "up to date" in r.stdout
    (tiny_course / "exercises" / "specs" / "01_tiny.toml").write_text(
        (tiny_course / "exercises" / "specs" / "01_tiny.toml")
        .read_text(encoding="utf-8")
        .replace('hint = "Return 2 * x."', 'hint = "Return twice x."'),
        encoding="utf-8",
    )
    r = runner.invoke(cli, ["selfcheck-pack", "--course", str(tiny_course), "--out", str(out), "--check"])
    assert r.exit_code == 1 and "out of date" in r.stderr and "Traceback" not in r.output


def test_the_installed_pack_is_up_to_date():
    """The pack Colab installs is the course's: run `grade selfcheck-pack --with-quiz` after changing
    a spec, a reference or the quiz bank."""
    from grader.course.loader import load_course

    assert packs.pack_problems(load_course(ROOT), packs.INSTALLED / "ch15") == []
