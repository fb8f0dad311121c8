"""`grade review …` and `grade import`: what needs a human, the recorder's corrections, and
combining gradebooks. Thin click layer over grader/results/review.py and transfer.py."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from grader.cli.common import COURSE, GRADEBOOK, LANG, json_doc
from grader.textsafe import inert

if TYPE_CHECKING:
    from grader.results.gradebook import Gradebook
    from grader.results.reviews import Review

REASON = click.option("--reason", required=True, help="Why (required; kept with the change).")
BY = click.option("--by", default=None, help="Who makes the change (default: the OS user).")
JSON = click.option("--json", "as_json", is_flag=True, help="Print the change as JSON.")
_KIND = {
    "quiz": {"ko": "퀴즈 검토", "en": "quiz review"},
    "error": {"ko": "실행 오류", "en": "error"},
    "member": {"ko": "멤버 확인", "en": "member"},
}
_BAND_KO = {"full": "전체 인정", "partial": "부분 인정", "none": "불인정"}


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
        raise GradebookError("no gradebook here (nothing graded yet?)", loc)
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


def _value(review: Review, text: str, lang: str) -> str:
    if lang == "ko" and review.action == "band":
        band, _, rest = text.partition(" ")
        return f"{_BAND_KO.get(band, band)} {rest}".strip()
    if lang == "ko" and review.action in ("exclude", "restore"):
        return {"counted": "반영", "excluded": "제외"}.get(text, text)
    return text


def _done(book: Gradebook, review: Review, as_json: bool, lang: str) -> None:
    after = _attempt_line(book, review.attempt_id)
    if as_json or _parent_json():
        click.echo(json_doc({"review": review.to_dict(), "attempt": after}))
        return
    what = {
        "band": {"ko": "등급", "en": "band"},
        "points": {"ko": "점수", "en": "points"},
        "member": {"ko": "멤버", "en": "member"},
        "exclude": {"ko": "집계", "en": "counting"},
        "restore": {"ko": "집계", "en": "counting"},
    }[review.action][lang]
    target = f"{review.target} " if review.target else ""
    change = f"{target}{what} {_value(review, review.old_value, lang)} → {_value(review, review.new_value, lang)}"
    score = f"{after['score']:g}/{after['max_score']:g}"
    if lang == "en":
        line = (
            f"attempt {review.attempt_id} ({after['member']}, {after['exercise']}): {change}; score {score}. "
            f"Recorded as review #{review.id} by {review.reviewer}."
        )
    else:
        line = (
            f"시도 {review.attempt_id} ({after['member']}, {after['exercise']}): {change}, 점수 {score}. "
            f"검토 기록 #{review.id}, 검토자: {review.reviewer}"
        )
    click.echo(inert(line))


@click.group(invoke_without_command=True)
@click.option("--all", "show_all", is_flag=True, help="Also list what a review has settled (and excluded attempts).")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
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
        click.echo("nothing needs review" if lang == "en" else "검토할 것이 없습니다")
        return
    from rich.console import Console
    from rich.table import Table

    from grader.cli.views import name_text, safe_text

    ko = lang == "ko"
    table = Table(title="검토할 것" if ko else "needs review")
    for col in (
        ("시도", "attempt"),
        ("멤버", "member"),
        ("연습 문제", "exercise"),
        ("종류", "kind"),
        ("검사", "check"),
        ("내용", "detail"),
    ):
        table.add_column(col[0] if ko else col[1], overflow="fold")
    for i in items:
        kind = _KIND[i.kind][lang] + ((" (해결됨)" if ko else " (settled)") if i.resolved else "")
        table.add_row(
            str(i.attempt_id),
            name_text(i.member),
            safe_text(i.exercise),
            kind,
            safe_text(i.target),
            safe_text(i.detail[lang]),
        )
    Console().print(table)


@review.command("set-band")
@click.argument("attempt_id", type=int)
@click.argument("question")
@click.argument("band", type=click.Choice(["full", "partial", "none"]))
@REASON
@BY
@JSON
@GRADEBOOK
@COURSE
@LANG
def set_band_cmd(
    attempt_id: int,
    question: str,
    band: str,
    reason: str,
    by: str | None,
    as_json: bool,
    gradebook: str | None,
    course_dir: str | None,
    lang: str,
) -> None:
    """Put a quiz answer (QUESTION: ch15.q03 or quiz:ch15.q03) in a band: points already in it stay,
    otherwise full gives the maximum, partial half, none 0."""
    gradebook, course_dir, lang = _inherited(gradebook, course_dir, lang)
    from grader.results.review import set_band

    with open_book(gradebook, course_dir, create=False) as book:
        _done(book, set_band(book, attempt_id, question, band, reason=reason, by=by), as_json, lang)


@review.command("set-points")
@click.argument("attempt_id", type=int)
@click.argument("check_id")
@click.argument("points", type=float)
@REASON
@BY
@JSON
@GRADEBOOK
@COURSE
@LANG
def set_points_cmd(
    attempt_id: int,
    check_id: str,
    points: float,
    reason: str,
    by: str | None,
    as_json: bool,
    gradebook: str | None,
    course_dir: str | None,
    lang: str,
) -> None:
    """Give one check of an attempt these points (0 to the check's maximum)."""
    gradebook, course_dir, lang = _inherited(gradebook, course_dir, lang)
    from grader.results.review import set_points

    with open_book(gradebook, course_dir, create=False) as book:
        _done(book, set_points(book, attempt_id, check_id, points, reason=reason, by=by), as_json, lang)


@review.command("reassign")
@click.argument("attempt_id", type=int)
@click.argument("member")
@REASON
@BY
@JSON
@GRADEBOOK
@COURSE
@LANG
def reassign_cmd(
    attempt_id: int,
    member: str,
    reason: str,
    by: str | None,
    as_json: bool,
    gradebook: str | None,
    course_dir: str | None,
    lang: str,
) -> None:
    """Count an attempt for another member (its own member confirms it)."""
    gradebook, course_dir, lang = _inherited(gradebook, course_dir, lang)
    from grader.results.review import reassign

    with open_book(gradebook, course_dir, create=False) as book:
        _done(book, reassign(book, attempt_id, member, reason=reason, by=by), as_json, lang)


@review.command("exclude")
@click.argument("attempt_id", type=int)
@REASON
@BY
@JSON
@GRADEBOOK
@COURSE
@LANG
def exclude_cmd(
    attempt_id: int,
    reason: str,
    by: str | None,
    as_json: bool,
    gradebook: str | None,
    course_dir: str | None,
    lang: str,
) -> None:
    """Make an attempt count nowhere (status, export, minutes, best attempt)."""
    gradebook, course_dir, lang = _inherited(gradebook, course_dir, lang)
    from grader.results.review import exclude

    with open_book(gradebook, course_dir, create=False) as book:
        _done(book, exclude(book, attempt_id, reason=reason, by=by), as_json, lang)


@review.command("restore")
@click.argument("attempt_id", type=int)
@REASON
@BY
@JSON
@GRADEBOOK
@COURSE
@LANG
def restore_cmd(
    attempt_id: int,
    reason: str,
    by: str | None,
    as_json: bool,
    gradebook: str | None,
    course_dir: str | None,
    lang: str,
) -> None:
    """Count an excluded attempt again."""
    gradebook, course_dir, lang = _inherited(gradebook, course_dir, lang)
    from grader.results.review import restore

    with open_book(gradebook, course_dir, create=False) as book:
        _done(book, restore(book, attempt_id, reason=reason, by=by), as_json, lang)


def _group_tz(course_dir: str | None) -> dt.tzinfo:
    """The course's time zone for times on the terminal; UTC outside a course."""
    from grader.cli.common import find_course
    from grader.errors import GradeError

    try:
        return find_course(course_dir).tz
    except GradeError:
        return dt.UTC


@review.command("history")
@click.argument("attempt_id", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the reviews as JSON.")
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
        click.echo("no reviews yet" if lang == "en" else "아직 검토 기록이 없습니다")
        return
    tz = _group_tz(course_dir)
    for r in rows:
        target = f" {r.target}" if r.target else ""
        click.echo(
            inert(
                f"#{r.id} {iso_local(r.created_at, tz)} {r.reviewer}: "
                f"{'attempt' if lang == 'en' else '시도'} {r.attempt_id}{target} {r.action} "
                f"{_value(r, r.old_value, lang)} → {_value(r, r.new_value, lang)} — {r.reason}"
            )
        )


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print what each file added, skipped and conflicted as JSON.")
@GRADEBOOK
@COURSE
def import_cmd(files: tuple[Path, ...], as_json: bool, gradebook: str | None, course_dir: str | None) -> None:
    """Combine gradebooks exported with `grade export --gradebook-file` into this one. Importing
    the same file again adds nothing; an attempt that is here with other figures is reported as
    a conflict and left as it is (exit 1)."""
    from grader.results.transfer import import_parsed, read_file

    parsed = [read_file(f) for f in files]  # every file is checked before the gradebook is opened
    with open_book(gradebook, course_dir, create=True) as book:
        done = import_parsed(book, parsed)
    if as_json:
        click.echo(json_doc([d.to_dict() for d in done]))
    else:
        for d in done:
            for c in d.conflicts:
                click.echo(inert(f"grade: warning: {d.file}:{c.line}: conflict: {c.detail}"), err=True)
            click.echo(inert(d.summary()))
    if any(d.conflicting or d.reviews_conflicting for d in done):
        sys.exit(1)
