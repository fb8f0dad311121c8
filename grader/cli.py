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

from . import __version__
from .errors import GradeError

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
            click.echo(f"grade: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=GradeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grade")
def cli() -> None:
    """Grade chapter-15 notebooks safely, in Korean and English."""


def _course(course_dir: str | None, near: Path | None = None):  # noqa: ANN202
    from .course import find_course

    return find_course(course_dir, near=near)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--member", default=None, help="Who submits (default: notebook metadata, then the OS user).")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON (DESIGN section 4).")
@click.option("--seed", type=int, default=None, help="Grader seed (default: a fresh random one; for regrades).")
@click.option("--no-record", is_flag=True, help="Do not write the attempt to the gradebook.")
@GRADEBOOK
@COURSE
@LANG
def submit(paths: tuple[Path, ...], member: str | None, as_json: bool, seed: int | None, no_record: bool,
           gradebook: str | None, course_dir: str | None, lang: str) -> None:
    """Run notebooks in the sandbox, check them, print scores and record the attempts."""
    from rich.console import Console

    from .gradebook import Gradebook, resolve_location
    from .grading import grade_file
    from .views import render_result, run_progress

    course = _course(course_dir, near=paths[0])
    book = None if no_record else Gradebook(resolve_location(gradebook, course.default_gradebook))
    console = Console(stderr=as_json)
    results = []
    for path in paths:
        with run_progress(console, path.name) as progress:
            result, sub = grade_file(course, path, member=member, seed=seed, lang=lang, progress=progress)
        if book is not None and sub is not None:
            result.attempt_id = book.record(result.to_dict(), sub.data)
        results.append(result)
        if not as_json:
            render_result(console, result, lang)
    if as_json:
        docs = [r.to_dict() for r in results]
        click.echo(json.dumps(docs if len(docs) > 1 else docs[0], ensure_ascii=False, indent=2))
    if any(r.status == "invalid" for r in results):
        if not as_json:
            pass  # the one-line reason was printed by render_result
        sys.exit(1)


@cli.command()
@click.option("--member", default=None, help="Only this member.")
@GRADEBOOK
@COURSE
@LANG
def status(member: str | None, gradebook: str | None, course_dir: str | None, lang: str) -> None:
    """Best score of every member on every exercise."""
    from rich.console import Console

    from .gradebook import Gradebook, resolve_location
    from .views import render_status

    course = _course(course_dir)
    book = Gradebook(resolve_location(gradebook, course.default_gradebook))
    best = {k: v for k, v in book.best().items() if member is None or k[0] == member}
    exercises = sorted(set(course.specs) | {e for _, e in best})
    console = Console()
    if not best:
        console.print("no attempts yet" if lang == "en" else "아직 제출이 없습니다")
        return
    render_status(console, best, exercises, lang)


@cli.command()
@click.option("--check", is_flag=True, help="Only compare; exit 1 if exercises/ drifted from solutions/.")
@COURSE
def starters(check: bool, course_dir: str | None) -> None:
    """Derive exercises/*.ipynb from solutions/*.ipynb by removing solution regions."""
    from .starters import sync_starters

    states = sync_starters(_course(course_dir), check=check)
    for s in states:
        click.echo(f"{s.state:8} {s.name}")
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

    from .instructor import run_checks
    from .views import render_instructor

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
        click.echo(json.dumps({"notebooks": [v.to_dict() for v in verdicts],
                               "starters": [{"name": s.name, "state": s.state} for s in starters_]},
                              ensure_ascii=False, indent=2))
    else:
        render_instructor(console, verdicts, starters_)
    if drift or not all(v.ok for v in verdicts):
        sys.exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(as_json: bool) -> None:
    """Which sandbox protections the student's kernel gets on this machine."""
    from .doctor import diagnose, render

    rep = diagnose()
    click.echo(json.dumps(rep.to_dict(), ensure_ascii=False, indent=2) if as_json else render(rep))


def _attach_subcommands() -> None:
    """Commands that live with their subpackages (quiz, report)."""
    try:
        from .quiz.commands import quiz
    except ImportError:  # the quiz scorer is optional; without it `grade quiz` is absent
        pass
    else:
        cli.add_command(quiz)
    from .report.commands import minutes, site

    cli.add_command(minutes)
    cli.add_command(site)


_attach_subcommands()


def main() -> None:
    cli(prog_name="grade")


if __name__ == "__main__":
    main()
