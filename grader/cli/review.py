"""`grade review …` and `grade import`: what needs a human, the recorder's corrections, and
combining gradebooks. Thin click layer over grader/results/review.py and transfer.py."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from grader.cli.base import command, group
from grader.cli.common import COURSE, GRADEBOOK, LANG, json_doc, json_flag
from grader.cli.term import fmt_score
from grader.i18n import text
from grader.textsafe import inert

if TYPE_CHECKING:
    from grader.results.gradebook import Gradebook
    from grader.results.reviews import Review

REASON = click.option("--reason", required=True, help="help.review.reason")
BY = click.option("--by", default=None, help="help.review.by")
_KIND = {"quiz": "cli.review.kind.quiz", "error": "cli.review.kind.error", "member": "cli.review.kind.member"}
_BAND = {"full": "cli.review.band.full", "partial": "cli.review.band.partial", "none": "cli.review.band.none"}
_COUNTING = {"counted": "cli.review.counted", "excluded": "cli.review.excluded"}
# What a change is of, and the change itself, as the terminal says them.
_WHAT = {
    "band": "cli.review.what.band",
    "points": "cli.review.what.points",
    "member": "cli.review.what.member",
    "exclude": "cli.review.what.counting",
    "restore": "cli.review.what.counting",
}
_ACTION = {
    "band": "cli.review.action.band",
    "points": "cli.review.action.points",
    "member": "cli.review.action.member",
    "exclude": "cli.review.action.exclude",
    "restore": "cli.review.action.restore",
}


def _said(keys: dict[str, str], value: str, lang: str) -> str:
    key = keys.get(value)
    return text(key, lang) if key else value


def open_book(gradebook: str | None, course_dir: str | None, *, create: bool) -> Gradebook:
    """The gradebook: --gradebook, $GRADE_GRADEBOOK or the course's; an explicit one needs no
    course. Without `create` a missing file is an error rather than a new empty gradebook."""
    import os

    from grader.cli.common import find_course
    from grader.errors import GradebookError, GradeError
    from grader.results.gradebook import Gradebook, resolve_location

    explicit = gradebook or os.environ.get("GRADE_GRADEBOOK")
    course = None
    if not explicit or course_dir:
        try:
            course = find_course(course_dir)
        except GradeError:
            if not explicit:
                raise
    loc = resolve_location(explicit, course.default_gradebook if course is not None else None)
    if not create and "://" not in loc and not Path(loc).expanduser().is_file():
        raise GradebookError.told("cli.gradebook.none_here", loc)
    return Gradebook(loc, create=create)


def _inherited(gradebook: str | None, course_dir: str | None, lang: str) -> tuple[str | None, str | None, str]:
    """A subcommand's --gradebook, --course and --lang, else what was given before its name
    (`grade review --gradebook X set-band …` must not fall back to the default gradebook)."""
    ctx = click.get_current_context()
    parent = ctx.parent.params if ctx.parent is not None else {}
    if ctx.get_parameter_source("lang") is click.core.ParameterSource.DEFAULT:
        lang = parent.get("lang") or lang
    return gradebook or parent.get("gradebook"), course_dir or parent.get("course_dir"), lang


def _parent_json() -> bool:
    """`grade review --json SUBCOMMAND …`: the group's --json counts for the subcommand."""
    parent = click.get_current_context().parent
    return bool(parent is not None and parent.params.get("as_json"))


def _attempt_line(book: Gradebook, attempt_id: int) -> dict[str, Any]:
    from grader.results import queries

    with book.engine.connect() as conn:
        a = queries.read_by_id(conn, [attempt_id])[attempt_id]
    return {
        "attempt_id": a.attempt_id,
        "member": a.member,
        "exercise": a.exercise,
        "score": a.score,
        "max_score": a.max_score,
        "excluded": a.excluded,
        "reviewed": a.reviewed,
    }


def _value(review: Review, value: str, lang: str) -> str:
    """An old or new value of a change as the reader reads it ("full 2" -> "전체 인정 2")."""
    if review.action == "band":
        band, _, rest = value.partition(" ")
        return f"{_said(_BAND, band, lang)} {rest}".strip()
    if review.action in ("exclude", "restore"):
        return _said(_COUNTING, value, lang)
    return value


def _done(book: Gradebook, review: Review, as_json: bool, lang: str) -> None:
    after = _attempt_line(book, review.attempt_id)
    if as_json or _parent_json():
        click.echo(json_doc({"review": review.to_dict(), "attempt": after}))
        return
    target = f"{review.target} " if review.target else ""
    what = _said(_WHAT, review.action, lang)
    change = f"{target}{what} {_value(review, review.old_value, lang)} → {_value(review, review.new_value, lang)}"
    line = text(
        "cli.review.done",
        lang,
        attempt=review.attempt_id,
        member=after["member"],
        exercise=after["exercise"],
        change=change,
        score=fmt_score(after["score"], after["max_score"]),
        id=review.id,
        reviewer=review.reviewer,
    )
    click.echo(inert(line))


@group(help="help.review.about", invoke_without_command=True)
@click.option("--all", "show_all", is_flag=True, help="help.review.all")
@json_flag("help.review.json")
@GRADEBOOK
@COURSE
@LANG
@click.pass_context
def review(
    ctx: click.Context, show_all: bool, as_json: bool, gradebook: str | None, course_dir: str | None, lang: str
) -> None:
    """What needs a human: quiz answers marked for review, attempts with errors, members taken from
    the OS user. The subcommands correct an attempt; each change is a new row with its reason."""
    if ctx.invoked_subcommand is not None:
        return
    from grader.results.review import pending

    with open_book(gradebook, course_dir, create=False) as book:
        items = pending(book, include_resolved=show_all)
    if as_json:
        click.echo(json_doc([i.to_dict() for i in items]))
        return
    if not items:
        click.echo(text("cli.review.nothing", lang))
        return
    from rich.console import Console
    from rich.table import Table

    from grader.cli.views import name_text, safe_text

    table = Table(title=text("cli.review.title", lang))
    for key in (
        "cli.review.column.attempt",
        "cli.review.column.member",
        "cli.review.column.exercise",
        "cli.review.column.kind",
        "cli.review.column.check",
        "cli.review.column.detail",
    ):
        table.add_column(text(key, lang), overflow="fold")
    for i in items:
        kind = _said(_KIND, i.kind, lang) + (text("cli.review.settled", lang) if i.resolved else "")
        table.add_row(
            str(i.attempt_id),
            name_text(i.member),
            safe_text(i.exercise),
            kind,
            safe_text(i.target),
            safe_text(i.detail[lang]),
        )
    Console().print(table)


def change_command(name: str, help_key: str, *arguments: Callable[..., Any]) -> Callable[..., Any]:
    """A `grade review` subcommand that records one change: its `arguments`, then the options
    every change takes (--reason, --by, --json, --gradebook, --course, --lang)."""

    def make(f: Callable[..., Any]) -> Any:  # noqa: ANN401
        stack = [
            review.command(name, help=help_key),
            *arguments,
            REASON,
            BY,
            click.option("--json", "as_json", is_flag=True, help="help.review.change_json"),
            GRADEBOOK,
            COURSE,
            LANG,
        ]
        for decorate in reversed(stack):
            f = decorate(f)
        return f

    return make


def _apply(
    change: Callable[..., Review],
    *args: Any,  # noqa: ANN401
    reason: str,
    by: str | None,
    as_json: bool,
    gradebook: str | None,
    course_dir: str | None,
    lang: str,
) -> None:
    """The body of every change: the gradebook the command line names, the change recorded
    with its reason, and the attempt after it (or its JSON)."""
    gradebook, course_dir, lang = _inherited(gradebook, course_dir, lang)
    with open_book(gradebook, course_dir, create=False) as book:
        _done(book, change(book, *args, reason=reason, by=by), as_json, lang)


@change_command(
    "set-band",
    "help.review.set_band.about",
    click.argument("attempt_id", type=int),
    click.argument("question"),
    click.argument("band", type=click.Choice(["full", "partial", "none"])),
)
def set_band_cmd(attempt_id: int, question: str, band: str, **common: Any) -> None:  # noqa: ANN401
    """Put a quiz answer (QUESTION: ch15.q03 or quiz:ch15.q03) in a band: points already in it stay,
    otherwise full gives the maximum, partial half, none 0."""
    from grader.results.review import set_band

    _apply(set_band, attempt_id, question, band, **common)


@change_command(
    "set-points",
    "help.review.set_points.about",
    click.argument("attempt_id", type=int),
    click.argument("check_id"),
    click.argument("points", type=float),
)
def set_points_cmd(attempt_id: int, check_id: str, points: float, **common: Any) -> None:  # noqa: ANN401
    """Give one check of an attempt these points (0 to the check's maximum)."""
    from grader.results.review import set_points

    _apply(set_points, attempt_id, check_id, points, **common)


@change_command(
    "reassign", "help.review.reassign.about", click.argument("attempt_id", type=int), click.argument("member")
)
def reassign_cmd(attempt_id: int, member: str, **common: Any) -> None:  # noqa: ANN401
    """Count an attempt for another member (its own member confirms it)."""
    from grader.results.review import reassign

    _apply(reassign, attempt_id, member, **common)


@change_command("exclude", "help.review.exclude.about", click.argument("attempt_id", type=int))
def exclude_cmd(attempt_id: int, **common: Any) -> None:  # noqa: ANN401
    """Make an attempt count nowhere (status, export, minutes, best attempt)."""
    from grader.results.review import exclude

    _apply(exclude, attempt_id, **common)


@change_command("restore", "help.review.restore.about", click.argument("attempt_id", type=int))
def restore_cmd(attempt_id: int, **common: Any) -> None:  # noqa: ANN401
    """Count an excluded attempt again."""
    from grader.results.review import restore

    _apply(restore, attempt_id, **common)


def _group_tz(course_dir: str | None) -> dt.tzinfo:
    """The course's time zone for times on the terminal; UTC outside a course."""
    from grader.cli.common import find_course
    from grader.errors import GradeError

    try:
        return find_course(course_dir).tz
    except GradeError:
        return dt.UTC


@review.command("history", help="help.review.history.about")
@click.argument("attempt_id", type=int, required=False)
@json_flag("help.review.history.json")
@GRADEBOOK
@COURSE
@LANG
def history_cmd(
    attempt_id: int | None, as_json: bool, gradebook: str | None, course_dir: str | None, lang: str
) -> None:
    """Every review (of one attempt), oldest first: who, when, why, old and new value."""
    from grader.results.export import iso_local

    gradebook, course_dir, lang = _inherited(gradebook, course_dir, lang)
    from grader.results.review import history

    with open_book(gradebook, course_dir, create=False) as book:
        rows = history(book, attempt_id)
    if as_json or _parent_json():
        click.echo(json_doc([r.to_dict() for r in rows]))
        return
    if not rows:
        click.echo(text("cli.review.no_history", lang))
        return
    tz = _group_tz(course_dir)
    for r in rows:
        line = text(
            "cli.review.history_line",
            lang,
            id=r.id,
            when=iso_local(r.created_at, tz),
            reviewer=r.reviewer,
            attempt=r.attempt_id,
            target=f" {r.target}" if r.target else "",
            action=_said(_ACTION, r.action, lang),
            old=_value(r, r.old_value, lang),
            new=_value(r, r.new_value, lang),
            reason=r.reason,
        )
        click.echo(inert(line))


@command("import", help="help.import.about")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_flag("help.import.json")
@GRADEBOOK
@COURSE
@LANG
def import_cmd(
    files: tuple[Path, ...], as_json: bool, gradebook: str | None, course_dir: str | None, lang: str
) -> None:
    """Combine gradebooks exported with `grade export --gradebook-file` into this one. Importing
    the same file again adds nothing; an attempt that is here with other figures is reported as
    a conflict and left as it is (exit 1)."""
    from grader.results.transfer import import_parsed, read_file

    parsed = [read_file(f) for f in files]  # every file is checked before the gradebook is opened
    with open_book(gradebook, course_dir, create=True) as book:
        done = import_parsed(book, parsed)
    if as_json:
        click.echo(json_doc([d.to_dict(lang) for d in done]))
    else:
        for d in done:
            for c in d.conflicts:
                said = text("results.transfer.conflict.line", lang, detail=c.detail(lang))
                click.echo(inert(f"grade: warning: {d.file}:{c.line}: {said}"), err=True)
            click.echo(inert(d.summary(lang)))
    if any(d.conflicting or d.reviews_conflicting for d in done):
        sys.exit(1)
