"""`grade selfcheck-pack`: write (or check) the practice pack a self-check needs without references.

Registered by grader/cli/app.py. The pack is described in grader/selfcheck/pack.py
and docs/selfcheck.md; this module parses, calls and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader.cli.common import COURSE, find_course, json_doc
from grader.textsafe import inert


@click.command("selfcheck-pack")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the pack (default: inside the installed grader package, "
    "grader/selfcheck/packs/<course id>/, so that pip installs carry it).",
)
@click.option(
    "--with-quiz",
    is_flag=True,
    help="Also copy the quiz bank, so that self-checks score the quiz (it holds the rubric).",
)
@click.option("--check", is_flag=True, help="Write nothing; fail when the pack is missing or out of date.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written (or found) as JSON.")
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
