"""`grade submit`'s run and output: one notebook in this process with a live per-cell
display, or many through `batch.run_batch` with a progress line and a summary; the notes
(already graded, member taken from the OS user, dry run, interrupted) around them.

The command and its options are in grader/cli/submit.py.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from grader.cli.common import json_doc
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


def dry_run_note(lang: str, as_json: bool) -> None:
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


def submit_one(
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
        result.member_source, result.member_note = decision.source, decision.note(lang)
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


def submit_batch(
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
    from grader.cli.views import render_result
    from grader.cli.views_batch import batch_progress, render_batch_summary

    found, warnings = collect(paths)
    err = Console(stderr=True)
    for w in warnings:
        _warn(w.said(lang))
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
