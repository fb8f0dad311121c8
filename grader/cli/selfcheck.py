"""`grade selfcheck-pack`: write (or check) the practice pack a self-check needs without references.

Registered by grader/cli/app.py. The pack is described in grader/selfcheck/pack.py
and docs/selfcheck.md; this module parses, calls and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader.cli.base import command
from grader.cli.common import COURSE, find_course, json_doc, json_flag
from grader.textsafe import inert


@command("selfcheck-pack", help="help.selfcheck_pack.about")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="help.selfcheck_pack.out"
)
@click.option("--with-quiz", is_flag=True, help="help.selfcheck_pack.with_quiz")
@click.option("--check", is_flag=True, help="help.selfcheck_pack.check")
@json_flag("help.selfcheck_pack.json")
@COURSE
def selfcheck_pack(out_dir: Path | None, with_quiz: bool, check: bool, as_json: bool, course_dir: str | None) -> None:
    """Record the course's references for the practice seed, for self-checks without references.

    The pack holds the specs and, per exercise, what each check's references return for the
    practice seed (never a graded seed). Checks whose answer is the same for every seed are
    left out, since their record would be the graded answer. Without --with-quiz the quiz
    rubric stays out too, and self-checks say that the quiz cannot be checked.
    """
    from grader.selfcheck import pack as packs

    course = find_course(course_dir, near=Path.cwd())
    out = out_dir or packs.INSTALLED / course.id
    if check:
        problems = packs.pack_problems(course, out)
        if as_json:
            click.echo(json_doc({"pack": str(out), "problems": problems}))
        for p in problems:
            click.echo(f"grade: error: {inert(p)}", err=True)
        if problems:
            sys.exit(1)
        if not as_json:
            click.echo(f"{out}: up to date")
        return
    manifest = packs.write_pack(course, out, with_quiz=with_quiz)
    summary = []
    for ex in manifest["exercises"]:
        doc, _ = packs.open_pack(out).practice(ex) or ({}, None)  # type: ignore[union-attr]
        summary.append(
            {
                "exercise": ex,
                "kept": sorted(doc.get("checks", {})),
                "left_out": {cid: v["reason"] for cid, v in doc.get("left_out", {}).items()},
            }
        )
    if as_json:
        click.echo(json_doc({"pack": str(out), "seed": manifest["seed"], "quiz": with_quiz, "exercises": summary}))
        return
    click.echo(f"practice pack for {course.id} (seed {manifest['seed']}) written to {out}")
    for row in summary:
        left = ", ".join(f"{cid} ({why})" for cid, why in row["left_out"].items())
        click.echo(f"  {row['exercise']}: {len(row['kept'])} checks" + (f"; left out: {left}" if left else ""))
