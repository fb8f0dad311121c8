"""`grade selfcheck-pack`: write (or check) the practice pack a self-check needs without references.

Registered by grader/cli/app.py. The pack is described in grader/selfcheck/pack.py and
docs/selfcheck.md, written and checked by grader/selfcheck/packwrite.py; this module
parses, calls and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader.cli.base import command
from grader.cli.common import COURSE, LANG, find_course, json_doc, json_flag
from grader.textsafe import inert


@command("selfcheck-pack", help="help.selfcheck_pack.about")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="help.selfcheck_pack.out"
)
@click.option("--with-quiz", is_flag=True, help="help.selfcheck_pack.with_quiz")
@click.option("--check", is_flag=True, help="help.selfcheck_pack.check")
@json_flag("help.selfcheck_pack.json")
@COURSE
@LANG
def selfcheck_pack(
    out_dir: Path | None, with_quiz: bool, check: bool, as_json: bool, course_dir: str | None, lang: str
) -> None:
    """Record the course's references for the practice seed, for self-checks without references.

    The pack holds the specs and, per exercise, what each check's references return for the
    practice seed (never a graded seed). Checks whose answer is the same for every seed are
    left out, since their record would be the graded answer. Without --with-quiz the quiz
    rubric stays out too, and self-checks say that the quiz cannot be checked.
    """
    from grader.i18n import text
    from grader.selfcheck.pack import INSTALLED
    from grader.selfcheck.packwrite import pack_problem, problem_line, summary, summary_lines, write_pack

    lang = lang.lower()
    course = find_course(course_dir, near=Path.cwd())
    out = out_dir or INSTALLED / course.id
    if check:
        problem = pack_problem(course, out)
        if as_json:  # JSON keeps the contract's English
            problems = [problem_line(out, problem, "en")] if problem else []
            click.echo(json_doc({"pack": str(out), "problems": problems}))
        if problem:
            click.echo(f"grade: error: {inert(problem_line(out, problem, lang))}", err=True)
            sys.exit(1)
        if not as_json:
            click.echo(inert(text("selfcheck.pack.up_to_date", lang, out=str(out))))
        return
    manifest = write_pack(course, out, with_quiz=with_quiz)
    rows = summary(out)
    if as_json:
        click.echo(json_doc({"pack": str(out), "seed": manifest["seed"], "quiz": with_quiz, "exercises": rows}))
        return
    for line in summary_lines(course.id, manifest, rows, out, lang):
        click.echo(inert(line))
