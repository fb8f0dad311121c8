"""`grade submit`: one notebook with live progress, or many as a batch; each graded once.

Registered by grader/cli/app.py. The work is in `grading.grade_file` (one notebook) and
`batch.run_batch` (many); this module parses, decides what the command's flags mean for
them, and renders.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from grader.cli.common import COURSE, GRADEBOOK, LANG, QUIZ_LANG, find_course, json_doc
from grader.cli.conventions import result_doc
from grader.errors import GradeError
from grader.i18n import text
from grader.textsafe import inert

if TYPE_CHECKING:
    from grader.batch.members import MemberDecision, MemberRules
    from grader.batch.submitted import SubmittedAt
    from grader.checks.hints import HintsOption
    from grader.course.loader import Course
    from grader.results.attempt import Attempt
    from grader.results.gradebook import Gradebook


def _member(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    from grader import ids

    try:
        return ids.member_id(value, "--member")
    except GradeError as exc:
        raise click.BadParameter(str(exc).removeprefix("--member ")) from None


def _member_from(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:  # noqa: ANN401
    if value is None:
        return None
    from grader.batch.members import compile_member_pattern

    try:
        return compile_member_pattern(value)
    except GradeError as exc:
        raise click.BadParameter(str(exc).removeprefix("--member-from").lstrip(": ")) from None


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--member",
    default=None,
    callback=_member,
    help="Who submits (default: --member-from, notebook metadata, the member folder, the OS user).",
)
@click.option(
    "--member-from",
    "member_from",
    default=None,
    callback=_member_from,
    metavar="TEMPLATE",
    help="Take the member from the path: a template with one {member} and * wildcards, matched "
    "against the end of the path, e.g. '{member}/*.ipynb' or '{member}_*.ipynb'.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print results as JSON (the attempt's fields, plus member_source and skipped).",
)
@click.option("--seed", type=int, default=None, help="Grader seed (default: a fresh random one; for regrades).")
@click.option("--no-record", is_flag=True, help="Do not write the attempt to the gradebook.")
@click.option(
    "--dry-run",
    "dry_run",
    is_flag=True,
    help="Grade exactly like an attempt (the whole notebook, in the sandbox) but record nothing and "
    "open no gradebook; the output says so. Inside a notebook, selfcheck() is quicker.",
)
@click.option(
    "--regrade",
    is_flag=True,
    help="Grade notebooks the gradebook has graded before for the same exercise and member "
    "(recorded as a numbered regrade; without it they are skipped).",
)
@click.option(
    "--submitted-at",
    "submitted_at",
    default=None,
    metavar="ISO-TIME",
    help="When these notebooks were handed in, e.g. 2021-11-21T23:10 (the course's time zone "
    "unless an offset is given); default: the commit time in a git checkout, else the "
    "file's modified time.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Grade this many notebooks at once, in local processes.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HOST:PORT",
    help="Grade on a Dask cluster through this scheduler (see docs/scaling.md).",
)
@click.option(
    "--cold", is_flag=True, help="Start each kernel only when its notebook's turn comes, none ahead (less memory)."
)
@click.option(
    "--exercise",
    "exercise_name",
    default=None,
    metavar="ID",
    help="Which exercise the notebook is, whatever its name and metadata say: its id (ch15.ex4), "
    "its notebook's name (04_forecast7) or number (04). One notebook at a time.",
)
@click.option(
    "--verbose", "-v", is_flag=True, help="Also print each error in full (tracebacks), not only its one-line summary."
)
@click.option(
    "--hints",
    "hints",
    type=click.Choice(["brief", "full"]),
    default="brief",
    show_default=True,
    help="How much help a failed check gives: brief (what is wrong and where to look) or full (also "
    "the formula or code). A check failed in two earlier attempts gets the full help anyway.",
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
    from grader.results.gradebook import Gradebook
    from grader.results.location import resolve_location

    if scheduler and workers > 1:
        raise click.UsageError(
            "--workers is for local processes; with --scheduler the cluster's "
            "workers grade (start them with the thread count you want)"
        )
    course = find_course(course_dir, near=paths[0])
    when = parse_time(submitted_at, course.tz) if submitted_at else None
    rules = MemberRules.for_course(course, member=member, pattern=member_from, roster=load_roster(course))
    book = None if no_record or dry_run else Gradebook(resolve_location(gradebook, course.default_gradebook))
    if dry_run:
        # Said last, after the result (also when it ends in an error exit): nothing was recorded.
        click.get_current_context().call_on_close(lambda: _dry_run_note(lang, as_json))
    single_file = len(paths) == 1 and not paths[0].is_dir()
    one = single_file and workers == 1 and not scheduler and member_from is None
    if exercise_name is not None:
        if not one:
            raise click.UsageError(
                "--exercise names the exercise of one notebook (without --workers, --scheduler or --member-from)"
            )
        from grader.grading import exercise_named

        exercise_named(course, exercise_name)  # an unknown name fails here, before anything runs
    if one:
        _submit_one(
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
    _submit_batch(
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


def _dry_run_note(lang: str, as_json: bool) -> None:
    """The last line of a dry run (on stderr under --json, whose stdout is one document)."""
    click.echo(text("cli.submit.dry_run", lang), err=as_json)


def _warn(text: str) -> None:
    click.echo(f"grade: warning: {inert(text)}", err=True)


def _fallback_warning(path: Path, decision: MemberDecision, lang: str) -> None:
    _warn(text("cli.submit.fallback_member", lang, path=path, member=decision.member))


def _already(prior: Attempt, course: Course, *, lang: str, as_json: bool) -> None:
    """The attempt a re-submitted notebook already has, in place of grading it again."""
    if as_json:
        click.echo(json_doc(dict(prior.to_dict(), skipped=True)))
        return
    from grader.cli.term import fmt_score
    from grader.cli.views import local_time

    when = local_time(prior.submitted_at or prior.graded_at, course.tz)
    line = text(
        "cli.submit.already",
        lang,
        attempt=prior.attempt_id,
        member=prior.member,
        exercise=prior.exercise,
        score=fmt_score(prior.score, prior.max_score),
        when=when,
    )
    click.echo(inert(line))


def _submit_one(
    course: Course,
    path: Path,
    book: Gradebook | None,
    *,
    rules: MemberRules,
    submitted: SubmittedAt,
    regrade: bool,
    seed: int | None,
    lang: str,
    as_json: bool,
    exercise_name: str | None = None,
    verbose: bool = False,
    hints: HintsOption = "brief",
    quiz_lang: str = "lang",
) -> None:
    """One notebook in this process, with a live per-cell progress display."""
    from rich.console import Console

    from grader.batch.collect import Found
    from grader.batch.members import peek_notebook
    from grader.batch.run import exercise_of
    from grader.checks.hints import reveal
    from grader.cli.views import render_result, run_progress
    from grader.grading import exercise_named, grade_file, invalid_result
    from grader.notebook import read_bytes
    from grader.results.gradebook import AlreadyGraded
    from grader.results.record import record_attempt

    console = Console(stderr=as_json)
    try:
        data: bytes | None = read_bytes(path)
    except GradeError:
        data = None  # grading says why, as an invalid result
    decision = None
    if data is not None:
        try:
            decision = rules.decide(Found(path), data)
        except GradeError as exc:
            result = invalid_result(path, exc, lang=lang)
            if as_json:
                click.echo(json_doc(result_doc(result)))
            else:
                render_result(console, result, lang)
            sys.exit(1)
        if decision.fallback:
            _fallback_warning(path, decision, lang)
        exercise = (
            exercise_named(course, exercise_name).id
            if exercise_name
            else exercise_of(course, peek_notebook(data), path)
        )
        if book is not None and exercise and not regrade:
            prior = book.graded(hashlib.sha256(data).hexdigest(), exercise, decision.member)
            if prior is not None:
                _already(prior, course, lang=lang, as_json=as_json)
                return
    with run_progress(console, path.name, lang) as progress:
        result, sub = grade_file(
            course,
            path,
            member=decision.member if decision else None,
            seed=seed,
            lang=lang,
            progress=progress,
            data=data,
            exercise=exercise_name,
            quiz_lang=quiz_lang,
        )
    if decision is not None:
        result.member_source, result.member_note = decision.source, decision.note
    result.submitted_at, result.submitted_from = submitted.of(path, data)
    reveal(result, course, lang, hints, book)
    if book is not None and sub is not None:
        try:
            result.attempt_id = record_attempt(book, result, sub.data, regrade=regrade)
        except AlreadyGraded as exc:  # another `grade submit` of it finished first
            _already(exc.attempt, course, lang=lang, as_json=as_json)
            return
    if as_json:
        click.echo(json_doc(result_doc(result)))  # what was recorded
    else:
        render_result(console, result, lang, verbose=verbose)  # an invalid file: its error line
    if result.status == "invalid":
        sys.exit(1)


def _submit_batch(
    course: Course,
    paths: tuple[Path, ...],
    book: Gradebook | None,
    *,
    single_file: bool,
    rules: MemberRules,
    when: Any,
    regrade: bool,
    seed: int | None,
    lang: str,  # noqa: ANN401
    as_json: bool,
    workers: int,
    scheduler: str | None,
    warm: bool,
    verbose: bool = False,
    hints: HintsOption = "brief",
    quiz_lang: str = "lang",
) -> None:
    """Many notebooks: progress on stderr, then a summary table (or JSON) on stdout."""
    import time

    from rich.console import Console

    from grader.batch import collect, run_batch
    from grader.batch.submitted import SubmittedAt
    from grader.cli.views import batch_progress, render_batch_summary, render_result

    found, warnings = collect(paths)
    err = Console(stderr=True)
    for w in warnings:
        _warn(w)
    t0 = time.monotonic()
    done: list[Any] = []
    try:
        with batch_progress(err, len(found), lang) as tick:

            def on_done(item: Any) -> None:  # noqa: ANN401
                done.append(item)
                tick(item)

            items = run_batch(
                course,
                found,
                workers=workers,
                scheduler=scheduler,
                rules=rules,
                seed=seed,
                lang=lang,
                book=book,
                on_done=on_done,
                regrade=regrade,
                warm=warm,
                submitted=SubmittedAt([f.path for f in found], explicit=when),
                hints=hints,
                quiz_lang=quiz_lang,
            )
    except KeyboardInterrupt:
        before = sum(1 for it in done if it.skipped)
        kept = sum(1 for it in done if not it.skipped and it.result is not None and it.result.attempt_id is not None)
        said = text(
            "cli.submit.interrupted_skipped" if before else "cli.submit.interrupted",
            lang,
            done=len(done) - before,
            total=len(found) - before,
            kept=kept,
            skipped=before,
        )
        err.print(f"grade: {said}", highlight=False, markup=False)
        sys.exit(130)
    wall = time.monotonic() - t0
    for it in items:
        if it.decision is not None and it.decision.fallback and not it.skipped:
            _fallback_warning(it.path, it.decision, lang)
    skipped = sum(1 for it in items if it.skipped)
    if skipped:
        click.echo(f"grade: {text('cli.submit.skipped', lang, skipped=skipped, n=len(items))}", err=True)
    docs = [dict(result_doc(it.result), skipped=it.skipped) for it in items if it.result is not None]
    if as_json:
        click.echo(json_doc(docs[0] if single_file else docs))
    elif single_file and items[0].result is not None and not items[0].skipped:
        render_result(Console(), items[0].result, lang, verbose=verbose)
    else:
        render_batch_summary(Console(), items, lang, wall_s=wall, tz=course.tz)
    if any(it.problem for it in items):
        sys.exit(1)
