"""`grade export`: the gradebook as CSV or JSON rows, or whole as a gradebook file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader.cli.base import command
from grader.cli.common import COURSE, GRADEBOOK, find_course, json_flag
from grader.errors import GradeError
from grader.textsafe import inert, json_inert


@command("export", help="help.export.about")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="help.export.format",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="help.export.output"
)
@click.option("--excel", is_flag=True, help="help.export.excel")
@json_flag("help.export.json")
@click.option(
    "--gradebook-file", type=click.Path(dir_okay=False, path_type=Path), default=None, help="help.export.gradebook_file"
)
@GRADEBOOK
@COURSE
@click.pass_context
def export_cmd(
    ctx: click.Context,
    fmt: str,
    output: Path | None,
    excel: bool,
    as_json: bool,
    gradebook_file: Path | None,
    gradebook: str | None,
    course_dir: str | None,
) -> None:
    """The gradebook as one row per member and exercise: best score, max, attempts, last graded and
    last handed in (ISO 8601 with the course's time-zone offset); roster aliases merged; reviewed
    figures, marked in the `reviewed` column."""
    import datetime as dt
    import os

    if gradebook_file is not None:
        given = [
            name
            for name, on in (
                ("--output", output is not None),
                ("--excel", excel),
                ("--json", as_json),
                ("--format", ctx.get_parameter_source("fmt") is click.core.ParameterSource.COMMANDLINE),
            )
            if on
        ]
        if given:
            from grader.cli.conventions import mode_of
            from grader.i18n import text as said

            raise click.UsageError(said("cli.export.gradebook_file_alone", mode_of(ctx)[1], options=", ".join(given)))

    from grader.batch.members import load_roster
    from grader.errors import GradebookError
    from grader.results.export import export, write_text
    from grader.results.gradebook import Gradebook
    from grader.results.location import resolve_location

    if as_json:
        fmt = "json"
    # The course gives the default gradebook, the time zone and the roster; an explicit
    # gradebook can be exported without one (UTC, names as recorded).
    explicit = gradebook or os.environ.get("GRADE_GRADEBOOK")
    try:
        course = find_course(course_dir)
    except GradeError:
        if not explicit or course_dir:
            raise
        course = None
    loc = resolve_location(explicit, None if explicit else course.default_gradebook if course else None)
    if "://" not in loc and not Path(loc).expanduser().is_file():
        raise GradebookError.told("cli.gradebook.none_here", loc)
    roster = load_roster(course) if course is not None else None
    tz = course.tz if course is not None else dt.UTC
    book = Gradebook(loc, create=False)
    try:
        if gradebook_file is not None:
            from grader.results.transfer import dump, write_dump

            if str(gradebook_file) == "-":
                click.echo(dump(book), nl=False)
            else:
                write_dump(book, gradebook_file)
            return
        text = export(book, fmt, excel=excel, roster=roster, tz=tz)
    finally:
        book.close()
    if output is None:
        if fmt == "json":
            text = json_inert(text)  # the same data, escaped: harmless on a terminal
        elif sys.stdout.isatty():
            # CSV has no escapes: keep the exact names for files and pipes, not for a screen.
            text = inert(text, newlines=True)
        click.echo(text, nl=False)
    else:
        write_text(text, output)
