"""`grade submit`: its options and what they mean together; the run and its output are in
grader/cli/submit_run.py (one notebook with live progress, or many as a batch).

Registered by grader/cli/app.py. The work is in `grading.grade_file` (one notebook) and
`batch.run_batch` (many).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from grader.cli.base import command
from grader.cli.common import COURSE, GRADEBOOK, LANG, QUIZ_LANG, find_course, json_flag
from grader.cli.usage import BadValue
from grader.errors import GradeError
from grader.i18n import text

if TYPE_CHECKING:
    from grader.checks.hints import HintsOption


def _member(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    from grader import ids

    try:
        return ids.member_id(value, "--member")
    except GradeError as exc:
        raise BadValue(exc, "--member") from None


def _member_from(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:  # noqa: ANN401
    if value is None:
        return None
    from grader.batch.members import compile_member_pattern

    try:
        return compile_member_pattern(value)
    except GradeError as exc:
        raise BadValue(exc, "--member-from") from None


@command(help="help.submit.about")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--member",
    default=None,
    callback=_member,
    help="help.submit.member",
)
@click.option(
    "--member-from",
    "member_from",
    default=None,
    callback=_member_from,
    metavar="TEMPLATE",
    help="help.submit.member_from",
)
@json_flag("help.submit.json")
@click.option("--seed", type=int, default=None, help="help.submit.seed")
@click.option("--no-record", is_flag=True, help="help.submit.no_record")
@click.option(
    "--dry-run",
    "dry_run",
    is_flag=True,
    help="help.submit.dry_run",
)
@click.option(
    "--regrade",
    is_flag=True,
    help="help.submit.regrade",
)
@click.option(
    "--submitted-at",
    "submitted_at",
    default=None,
    metavar="ISO-TIME",
    help="help.submit.submitted_at",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="help.submit.workers",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HOST:PORT",
    help="help.submit.scheduler",
)
@click.option("--cold", is_flag=True, help="help.submit.cold")
@click.option(
    "--exercise",
    "exercise_name",
    default=None,
    metavar="ID",
    help="help.submit.exercise",
)
@click.option("--verbose", "-v", is_flag=True, help="help.submit.verbose")
@click.option(
    "--hints",
    "hints",
    type=click.Choice(["brief", "full"]),
    default="brief",
    show_default=True,
    help="help.submit.hints",
)
@GRADEBOOK
@COURSE
@LANG
@QUIZ_LANG
def submit(
    paths: tuple[Path, ...],
    member: str | None,
    member_from: Any,
    as_json: bool,  # noqa: ANN401
    seed: int | None,
    no_record: bool,
    dry_run: bool,
    regrade: bool,
    submitted_at: str | None,
    workers: int,
    scheduler: str | None,
    cold: bool,
    exercise_name: str | None,
    verbose: bool,
    hints: HintsOption,  # click checked the choice
    gradebook: str | None,
    course_dir: str | None,
    lang: str,
    quiz_lang: str,
) -> None:
    """Run notebooks in the sandbox, check them, print scores and record the attempts.

    PATHS are notebooks or folders (searched for *.ipynb, e.g. submissions/<member>/04_forecast7.ipynb).
    A notebook graded before for the same exercise and member is skipped (see --regrade).
    """
    from grader.batch.members import MemberRules, load_roster
    from grader.batch.submitted import SubmittedAt, parse_time
    from grader.cli.submit_run import dry_run_note, submit_batch, submit_one
    from grader.results.gradebook import Gradebook
    from grader.results.location import resolve_location

    if scheduler and workers > 1:
        raise click.UsageError(text("cli.submit.workers_and_scheduler", lang))
    course = find_course(course_dir, near=paths[0])
    when = parse_time(submitted_at, course.tz) if submitted_at else None
    rules = MemberRules.for_course(course, member=member, pattern=member_from, roster=load_roster(course))
    book = None if no_record or dry_run else Gradebook(resolve_location(gradebook, course.default_gradebook))
    if dry_run:
        # Said last, after the result (also when it ends in an error exit): nothing was recorded.
        click.get_current_context().call_on_close(lambda: dry_run_note(lang, as_json))
    single_file = len(paths) == 1 and not paths[0].is_dir()
    one = single_file and workers == 1 and not scheduler and member_from is None
    if exercise_name is not None:
        if not one:
            raise click.UsageError(text("cli.submit.exercise_of_one", lang))
        from grader.grading import exercise_named

        exercise_named(course, exercise_name)  # an unknown name fails here, before anything runs
    if one:
        submit_one(
            course,
            paths[0],
            book,
            rules=rules,
            submitted=SubmittedAt(paths, explicit=when),
            regrade=regrade,
            seed=seed,
            lang=lang,
            as_json=as_json,
            exercise_name=exercise_name,
            verbose=verbose,
            hints=hints,
            quiz_lang=quiz_lang,
        )
        return
    submit_batch(
        course,
        paths,
        book,
        single_file=single_file,
        rules=rules,
        when=when,
        regrade=regrade,
        seed=seed,
        lang=lang,
        as_json=as_json,
        workers=workers,
        scheduler=scheduler,
        warm=not cold,
        verbose=verbose,
        hints=hints,
        quiz_lang=quiz_lang,
    )
