"""The `grade` command line: parse, call a function, render. Nothing else.

Heavy modules (numpy, nbclient, TensorFlow in the kernel) are imported inside
the commands so that `grade --help` and the quiz commands start fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from grader import __version__
from grader.errors import GradeError
from grader.textsafe import inert, json_inert

LANG = click.option("--lang", type=click.Choice(["ko", "en"]), default="ko", show_default=True,
                    help="Language of messages and feedback.")
COURSE = click.option("--course", "course_dir", type=click.Path(file_okay=False), default=None,
                      help="Course folder (with course.toml); default: found from the current folder.")
GRADEBOOK = click.option("--gradebook", default=None,
                         help="Gradebook file or database URL (default: $GRADE_GRADEBOOK, then the course's).")


class GradeGroup(click.Group):
    """Turns user errors (`GradeError`) into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GradeError as exc:
            # File names and messages in errors come from students: inert on the terminal.
            click.echo(f"grade: error: {inert(exc)}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=GradeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grade")
def cli() -> None:
    """Grade chapter-15 notebooks safely, in Korean and English."""


def _json(doc: Any) -> str:
    """`--json` output: readable UTF-8, with control, bidi and zero-width characters as \\u escapes."""
    return json_inert(json.dumps(doc, ensure_ascii=False, indent=2))


def _course(course_dir: str | None, near: Path | None = None):  # noqa: ANN202
    from grader.course.loader import find_course

    return find_course(course_dir, near=near)


def _member_from(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    from grader.batch import compile_member_pattern

    try:
        return compile_member_pattern(value)
    except GradeError as exc:
        raise click.BadParameter(str(exc).removeprefix("--member-from").lstrip(": ")) from None


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--member", default=None,
              help="Who submits (default: --member-from, notebook metadata, the member folder, the OS user).")
@click.option("--member-from", "member_from", default=None, callback=_member_from, metavar="TEMPLATE",
              help="Take the member from the path: a template with one {member} and * wildcards, matched "
                   "against the end of the path, e.g. '{member}/*.ipynb'.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON (DESIGN section 4).")
@click.option("--seed", type=int, default=None, help="Grader seed (default: a fresh random one; for regrades).")
@click.option("--no-record", is_flag=True, help="Do not write the attempt to the gradebook.")
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Grade this many notebooks at once, in local processes.")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Grade on a Dask cluster through this scheduler (see docs/scaling.md).")
@GRADEBOOK
@COURSE
@LANG
def submit(paths: tuple[Path, ...], member: str | None, member_from: Any, as_json: bool, seed: int | None,
           no_record: bool, workers: int, scheduler: str | None, gradebook: str | None, course_dir: str | None,
           lang: str) -> None:
    """Run notebooks in the sandbox, check them, print scores and record the attempts.

    PATHS are notebooks or folders (searched for *.ipynb, e.g. submissions/<member>/04_forecast7.ipynb).
    """
    from grader.results.gradebook import Gradebook, resolve_location

    if scheduler and workers > 1:
        raise click.UsageError("--workers is for local processes; with --scheduler the cluster's "
                               "workers grade (start them with the thread count you want)")
    course = _course(course_dir, near=paths[0])
    single_file = len(paths) == 1 and not paths[0].is_dir()
    book = None if no_record else Gradebook(resolve_location(gradebook, course.default_gradebook))
    if single_file and workers == 1 and not scheduler and member_from is None:
        _submit_one(course, paths[0], book, member=member, seed=seed, lang=lang, as_json=as_json)
        return
    _submit_batch(course, paths, book, single_file=single_file, member=member, pattern=member_from, seed=seed,
                  lang=lang, as_json=as_json, workers=workers, scheduler=scheduler)


def _submit_one(course: Any, path: Path, book: Any, *, member: str | None, seed: int | None, lang: str,
                as_json: bool) -> None:
    """One notebook in this process, with a live per-cell progress display."""
    from rich.console import Console

    from grader.grading import grade_file
    from grader.cli.views import render_result, run_progress

    console = Console(stderr=as_json)
    with run_progress(console, path.name) as progress:
        result, sub = grade_file(course, path, member=member, seed=seed, lang=lang, progress=progress)
    if book is not None and sub is not None:
        result.attempt_id = book.record(result, sub.data)
    if as_json:
        click.echo(_json(result.to_dict()))
    else:
        render_result(console, result, lang)  # an invalid file: its one-line reason
    if result.status == "invalid":
        sys.exit(1)


def _submit_batch(course: Any, paths: tuple[Path, ...], book: Any, *, single_file: bool, member: str | None,
                  pattern: Any, seed: int | None, lang: str, as_json: bool, workers: int,
                  scheduler: str | None) -> None:
    """Many notebooks: progress on stderr, then a summary table (or JSON) on stdout."""
    import time

    from rich.console import Console

    from grader.batch import collect, run_batch
    from grader.cli.views import batch_progress, render_batch_summary, render_result

    found, warnings = collect(paths)
    err = Console(stderr=True)
    for w in warnings:
        err.print(f"grade: warning: {inert(w)}", highlight=False, markup=False)
    t0 = time.monotonic()
    done: list[Any] = []
    try:
        with batch_progress(err, len(found), lang) as tick:
            def on_done(item: Any) -> None:
                done.append(item)
                tick(item)

            items = run_batch(course, found, workers=workers, scheduler=scheduler, member=member,
                              pattern=pattern, seed=seed, lang=lang, book=book, on_done=on_done)
    except KeyboardInterrupt:
        kept = sum(1 for it in done if it.result is not None and it.result.attempt_id is not None)
        err.print(f"grade: interrupted: {len(done)} of {len(found)} graded, {kept} recorded; "
                  "submit the rest again", highlight=False, markup=False)
        sys.exit(130)
    wall = time.monotonic() - t0
    docs = [it.result.to_dict() for it in items if it.result is not None]
    if as_json:
        click.echo(_json(docs[0] if single_file else docs))
    elif single_file and items[0].result is not None:
        render_result(Console(), items[0].result, lang)
    else:
        render_batch_summary(Console(), items, lang, wall_s=wall)
    if any(it.problem for it in items):
        sys.exit(1)


@cli.command()
@click.option("--member", default=None, help="Only this member.")
@GRADEBOOK
@COURSE
@LANG
def status(member: str | None, gradebook: str | None, course_dir: str | None, lang: str) -> None:
    """Best score of every member on every exercise."""
    from rich.console import Console

    from grader.results.gradebook import Gradebook, resolve_location
    from grader.cli.views import render_status

    course = _course(course_dir)
    book = Gradebook(resolve_location(gradebook, course.default_gradebook))
    best = book.best(member=member)
    exercises = sorted(set(course.specs) | {e for _, e in best})
    console = Console()
    if not best:
        console.print("no attempts yet" if lang == "en" else "아직 제출이 없습니다")
        return
    render_status(console, best, exercises, lang)


@cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="csv: for a learning-management system; json: a list of the same rows.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: standard output).")
@click.option("--excel", is_flag=True,
              help="CSV for Excel: UTF-8 byte-order mark (Korean names stay readable) and no formula cells.")
@GRADEBOOK
@COURSE
def export_cmd(fmt: str, output: Path | None, excel: bool, gradebook: str | None, course_dir: str | None) -> None:
    """The gradebook as one row per member and exercise: best score, max, attempts, last attempt (UTC)."""
    import os

    from grader.errors import GradebookError
    from grader.results.export import export, write_text
    from grader.results.gradebook import Gradebook, resolve_location

    # The course is only needed for its default gradebook location.
    explicit = gradebook or os.environ.get("GRADE_GRADEBOOK")
    loc = resolve_location(explicit, None if explicit else _course(course_dir).default_gradebook)
    if "://" not in loc and not Path(loc).expanduser().is_file():
        raise GradebookError("no gradebook here (nothing graded yet?)", loc)
    book = Gradebook(loc, create=False)
    try:
        text = export(book, fmt, excel=excel)
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
@COURSE
def starters(check: bool, course_dir: str | None) -> None:
    """Derive exercises/*.ipynb from solutions/*.ipynb by removing solution regions."""
    from grader.course.starters import sync_starters

    states = sync_starters(_course(course_dir), check=check)
    for s in states:
        click.echo(f"{s.state:8} {inert(s.name)}")
    if check and any(s.problem for s in states):
        click.echo("grade: error: starters are out of date; run 'grade starters' and commit", err=True)
        sys.exit(1)


@cli.command()
@click.argument("exercises", nargs=-1)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Grade this many notebooks in parallel processes.")
@click.option("--seed", type=int, default=None, help="Grader seed for every run (default: fresh).")
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
@COURSE
def check(exercises: tuple[str, ...], workers: int, seed: int | None, as_json: bool, course_dir: str | None) -> None:
    """Instructor check: solutions earn full marks, starters earn no code points."""
    from rich.console import Console

    from grader.course.instructor import run_checks
    from grader.cli.views import render_instructor

    console = Console(stderr=as_json)
    course = _course(course_dir)
    with console.status("grading solutions and starters…") as st:
        done = []

        def tick(v: object) -> None:
            done.append(v)
            st.update(f"graded {len(done)} notebooks…")

        verdicts, starters_ = run_checks(course, list(exercises) or None, workers=workers, seed=seed,
                                         on_done=tick)
    drift = [s for s in starters_ if s.problem]
    if as_json:
        click.echo(_json({"notebooks": [v.to_dict() for v in verdicts],
                          "starters": [{"name": s.name, "state": s.state} for s in starters_]}))
    else:
        render_instructor(console, verdicts, starters_)
    if drift or not all(v.ok for v in verdicts):
        sys.exit(1)


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
    """Commands that live with their subpackages (quiz, report)."""
    from grader.cli.quiz import quiz
    from grader.cli.report import minutes, site

    cli.add_command(quiz)
    cli.add_command(minutes)
    cli.add_command(site)


_attach_subcommands()


def main() -> None:
    cli(prog_name="grade")


if __name__ == "__main__":
    main()
