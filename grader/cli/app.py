"""The `grade` command line: parse, call a function, render. Nothing else.

Heavy modules (numpy, nbclient, TensorFlow in the kernel) are imported inside
the commands so that `grade --help` and the quiz commands start fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from grader import __version__
from grader.cli.common import COURSE, GRADEBOOK, LANG, find_course, json_doc
from grader.cli.conventions import ConventionGroup
from grader.errors import GradeError
from grader.i18n import text
from grader.textsafe import inert, json_inert


class GradeGroup(ConventionGroup):
    """Errors as one `grade: error:` line on stderr (and JSON with --json), Ctrl-C as exit 130:
    grader/cli/conventions.py."""


@click.group(cls=GradeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grade")
def cli() -> None:
    """Grade chapter-15 notebooks safely, in Korean and English."""


def _json(doc: Any) -> str:  # noqa: ANN401
    return json_doc(doc)


def _course(course_dir: str | None, near: Path | None = None):  # noqa: ANN202
    return find_course(course_dir, near=near)


@cli.command()
@click.option("--member", default=None, help="Only this member (a roster id or any of its aliases).")
@click.option(
    "--until",
    default=None,
    metavar="ISO-TIME",
    help="Only attempts handed in by then, e.g. a deadline 2021-11-21T23:59 (the course's time "
    "zone unless an offset is given).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the best attempts as a JSON list (member, exercise, score, max_score, attempt_id, …).",
)
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

    course = _course(course_dir)
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
        click.echo(_json([_best_row(m, e, a) for (m, e), a in sorted(best.items())]))
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
            said = text("cli.status.broken_spec_warning", lang, name=inert(name), message=inert(p.message))
            click.echo(f"grade: warning: {said}", err=True)
        else:
            console.print(
                text("cli.status.broken_spec", lang, name=inert(name), message=inert(p.message)),
                markup=False,
                highlight=False,
            )


def _best_row(member: str, exercise: str, a: Any) -> dict[str, Any]:  # noqa: ANN401
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


@cli.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="csv: for a learning-management system; json: a list of the same rows.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file (default: standard output).",
)
@click.option(
    "--excel",
    is_flag=True,
    help="CSV for Excel: UTF-8 byte-order mark (Korean names stay readable) and no formula cells.",
)
@click.option("--json", "as_json", is_flag=True, help="The same as --format json (as every command's --json).")
@click.option(
    "--gradebook-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Instead: the whole gradebook (attempts as graded, notebooks, seeds, times, reviews) as "
    "JSON Lines, for `grade import` on another machine.",
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
            raise click.UsageError(
                f"--gradebook-file writes the whole gradebook; it does not combine with {', '.join(given)}"
            )

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
        course = _course(course_dir)
    except GradeError:
        if not explicit or course_dir:
            raise
        course = None
    loc = resolve_location(explicit, None if explicit else course.default_gradebook if course else None)
    if "://" not in loc and not Path(loc).expanduser().is_file():
        raise GradebookError("no gradebook here (nothing graded yet?)", loc)
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


@cli.command()
@click.option("--check", is_flag=True, help="Only compare; exit 1 if exercises/ drifted from solutions/.")
@click.option("--json", "as_json", is_flag=True, help="Print each starter's name and state as JSON.")
@COURSE
def starters(check: bool, as_json: bool, course_dir: str | None) -> None:
    """Derive exercises/*.ipynb from solutions/*.ipynb by removing solution regions."""
    from grader.cli.conventions import report_error
    from grader.course.starters import sync_starters

    states = sync_starters(_course(course_dir), check=check)
    if as_json:
        click.echo(_json([{"name": s.name, "state": s.state} for s in states]))
    else:
        for s in states:
            click.echo(f"{s.state:8} {inert(s.name)}")
    if check and any(s.problem for s in states):
        report_error("starters are out of date; run 'grade starters' and commit")
        sys.exit(1)


@cli.command()
@click.argument("exercises", nargs=-1)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Grade this many notebooks in parallel processes.",
)
@click.option("--seed", type=int, default=None, help="Grader seed for every run (default: fresh).")
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
@click.option("--specs-only", is_flag=True, help="Only validate the specs (run no notebook).")
@COURSE
def check(
    exercises: tuple[str, ...], workers: int, seed: int | None, as_json: bool, specs_only: bool, course_dir: str | None
) -> None:
    """Instructor check: every spec is valid, solutions earn full marks, starters earn no code points.

    The specs are validated first (types, unknown keys, references, quiz questions); a
    broken one stops the check before any notebook runs."""
    from rich.console import Console

    from grader.cli.term import live_ok
    from grader.cli.views import render_instructor
    from grader.course.instructor import run_checks

    console = Console(stderr=as_json)
    course = _course(course_dir)
    if not _check_specs(course, as_json=as_json, specs_only=specs_only):
        sys.exit(1)
    if specs_only:
        return
    if live_ok(console.file):
        with console.status("grading solutions and starters…") as st:
            done = []

            def tick(v: object) -> None:
                done.append(v)
                st.update(f"graded {len(done)} notebooks…")

            verdicts, starters_ = run_checks(course, list(exercises) or None, workers=workers, seed=seed, on_done=tick)
    else:  # a log, a pipe, a notebook cell: one plain line per notebook, on stderr

        def line(v: Any) -> None:  # noqa: ANN401
            click.echo(f"{'ok  ' if v.ok else 'FAIL'} {v.role:8} {inert(v.exercise)}", err=True)

        verdicts, starters_ = run_checks(course, list(exercises) or None, workers=workers, seed=seed, on_done=line)
    drift = [s for s in starters_ if s.problem]
    if as_json:
        click.echo(
            _json(
                {
                    "notebooks": [v.to_dict() for v in verdicts],
                    "starters": [{"name": s.name, "state": s.state} for s in starters_],
                }
            )
        )
    else:
        render_instructor(console, verdicts, starters_)
    if drift or not all(v.ok for v in verdicts):
        sys.exit(1)


def _check_specs(course: Any, *, as_json: bool, specs_only: bool) -> bool:  # noqa: ANN401
    """Validate every spec (the first use of `course.specs` does it) and say how it went:
    each broken spec as an error line, then a summary with the time it took. True if all
    are valid."""
    import time

    t0 = time.perf_counter()
    found = course.spec_set
    elapsed = time.perf_counter() - t0
    for p in found.problems:
        click.echo(f"grade: error: {inert(p.message)}", err=True)
    n, bad = len(found.specs) + len(found.problems), len(found.problems)
    summary = f"specs: {n - bad} of {n} valid ({elapsed:.2f} s)"
    if as_json and (specs_only or bad):
        click.echo(
            _json(
                {
                    "specs": {
                        "valid": sorted(found.specs),
                        "seconds": round(elapsed, 3),
                        "broken": [
                            {"file": str(p.path), "exercise": p.exercise, "error": p.message} for p in found.problems
                        ],
                    }
                }
            )
        )
    elif specs_only:
        click.echo(summary)
    else:
        click.echo(summary + ("; no notebook was run" if bad else ""), err=True)
    return not bad


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(as_json: bool) -> None:
    """Which sandbox protections the student's kernel gets on this machine (measured in a sandbox).

    Exits 1 when the kernel would be privileged (root, or holding capabilities, while
    grade runs as root) or could see the course.
    """
    from grader.execution.doctor import diagnose, render

    try:
        course_root = _course(None).root  # kept out of the kernel's reach: checked too
    except GradeError:
        course_root = None
    rep = diagnose(course_root=course_root)
    click.echo(_json(rep.to_dict()) if as_json else render(rep))
    if rep.failures:
        if as_json:
            for failure in rep.failures:
                click.echo(f"grade: doctor: FAIL: {failure}", err=True)
        sys.exit(1)


def _attach_subcommands() -> None:
    """Commands that live in modules of their own (submit, quiz, report)."""
    from grader.cli.quiz import quiz
    from grader.cli.report import minutes, site
    from grader.cli.review import import_cmd, review
    from grader.cli.selfcheck import selfcheck_pack
    from grader.cli.submit import submit

    cli.add_command(submit)
    cli.add_command(quiz)
    cli.add_command(minutes)
    cli.add_command(site)
    cli.add_command(selfcheck_pack)
    cli.add_command(review)
    cli.add_command(import_cmd)


_attach_subcommands()


def main() -> None:
    cli(prog_name="grade")


if __name__ == "__main__":
    main()
