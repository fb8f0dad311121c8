"""`grade status`: every member's best score on every exercise, as a table or JSON."""

from __future__ import annotations

from typing import Any

import click

from grader.cli.base import command
from grader.cli.common import COURSE, GRADEBOOK, LANG, find_course, json_doc, json_flag
from grader.i18n import text
from grader.textsafe import inert


@command(help="help.status.about")
@click.option("--member", default=None, help="help.status.member")
@click.option("--until", default=None, metavar="ISO-TIME", help="help.status.until")
@json_flag("help.status.json")
@GRADEBOOK
@COURSE
@LANG
def status(
    member: str | None, until: str | None, as_json: bool, gradebook: str | None, course_dir: str | None, lang: str
) -> None:
    """Best score of every member on every exercise (by the time each notebook was handed in)."""
    from rich.console import Console

    from grader.batch.members import load_roster
    from grader.batch.submitted import parse_time
    from grader.cli.views import render_status
    from grader.results.gradebook import Gradebook
    from grader.results.location import resolve_location
    from grader.results.people import canonical, display_names, merge_best

    course = find_course(course_dir)
    roster = load_roster(course)
    deadline = parse_time(until, course.tz) if until else None
    book = Gradebook(resolve_location(gradebook, course.default_gradebook))
    best = merge_best(book.best(until=deadline), roster)
    if member is not None:
        who = canonical(roster, member.strip())
        best = {k: a for k, a in best.items() if k[0] == who}
    broken = course.spec_problems
    exercises = sorted(set(course.specs) | {e for _, e in best} | {p.exercise for p in broken if p.exercise})
    if as_json:
        click.echo(json_doc([best_row(m, e, a) for (m, e), a in sorted(best.items())]))
        _report_broken_specs(broken, None, lang)
        return
    console = Console()
    if not best:
        console.print(text("cli.status.no_attempts", lang))
    else:
        render_status(console, best, exercises, lang, names=display_names(roster, lang))
    _report_broken_specs(broken, console, lang)


def _report_broken_specs(broken: list[Any], console: Any, lang: str) -> None:  # noqa: ANN401
    """One line per spec that could not be loaded: the others were shown as usual. Without a
    console (JSON on stdout) the lines go to stderr as warnings."""
    for p in broken:
        name = p.exercise or p.path.name
        if console is None:
            said = text("cli.status.broken_spec_warning", lang, name=inert(name), message=inert(p.said(lang)))
            click.echo(f"grade: warning: {said}", err=True)
        else:
            console.print(
                text("cli.status.broken_spec", lang, name=inert(name), message=inert(p.said(lang))),
                markup=False,
                highlight=False,
            )


def best_row(member: str, exercise: str, a: Any) -> dict[str, Any]:  # noqa: ANN401
    """One `grade status --json` entry: a member's best attempt on an exercise."""

    def iso(when: Any) -> str | None:  # noqa: ANN401
        return when.isoformat() if when is not None else None

    return {
        "member": member,
        "exercise": exercise,
        "score": a.score,
        "max_score": a.max_score,
        "status": str(a.status),
        "attempt_id": a.attempt_id,
        "graded_at": iso(a.graded_at),
        "submitted_at": iso(getattr(a, "submitted_at", None)),
        "reviewed": bool(getattr(a, "reviewed", False)),
    }
