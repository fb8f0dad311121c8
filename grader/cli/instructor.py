"""The instructor's commands: `grade starters`, `grade check` (specs, solutions and starters)
and `grade doctor` (what the sandbox gives a kernel on this machine)."""

from __future__ import annotations

import sys
from typing import Any

import click

from grader.cli.base import command
from grader.cli.common import COURSE, LANG, find_course, json_doc, json_flag
from grader.errors import GradeError
from grader.i18n import text, text_n
from grader.textsafe import inert

# A starter's state as the terminal says it (JSON keeps the contract's English word).
_STATE = {
    "ok": "cli.starters.state.ok",
    "written": "cli.starters.state.written",
    "drifted": "cli.starters.state.drifted",
    "missing": "cli.starters.state.missing",
    "orphan": "cli.starters.state.orphan",
}


def state_word(state: str, lang: str) -> str:
    """A starter state ("drifted", ...) in the reader's language."""
    key = _STATE.get(state)
    return text(key, lang) if key else state


@command(help="help.starters.about")
@click.option("--check", is_flag=True, help="help.starters.check")
@json_flag("help.starters.json")
@COURSE
@LANG
def starters(check: bool, as_json: bool, course_dir: str | None, lang: str) -> None:
    """Derive exercises/*.ipynb from solutions/*.ipynb by removing solution regions."""
    from grader.cli.conventions import report_error
    from grader.cli.helptext import cell_width
    from grader.course.starters import sync_starters

    states = sync_starters(find_course(course_dir), check=check)
    if as_json:
        click.echo(json_doc([{"name": s.name, "state": s.state} for s in states]))
    else:
        words = {s.state: state_word(s.state, lang) for s in states}
        wide = max((cell_width(w) for w in words.values()), default=0)
        for s in states:
            word = words[s.state]
            click.echo(f"{word}{' ' * (wide - cell_width(word))}  {inert(s.name)}")
    if check and any(s.problem for s in states):
        report_error(text("cli.starters.out_of_date", lang))  # stdout already has the JSON list
        sys.exit(1)


@command(help="help.check.about")
@click.argument("exercises", nargs=-1)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="help.check.workers")
@click.option("--seed", type=int, default=None, help="help.check.seed")
@json_flag("help.check.json")
@click.option("--specs-only", is_flag=True, help="help.check.specs_only")
@COURSE
@LANG
def check(
    exercises: tuple[str, ...],
    workers: int,
    seed: int | None,
    as_json: bool,
    specs_only: bool,
    course_dir: str | None,
    lang: str,
) -> None:
    """Instructor check: every spec is valid, solutions earn full marks, starters earn no code points.

    The specs are validated first (types, unknown keys, references, quiz questions); a
    broken one stops the check before any notebook runs."""
    from rich.console import Console

    from grader.cli.term import live_ok
    from grader.cli.views import render_instructor
    from grader.course.instructor import run_checks

    console = Console(stderr=as_json)
    course = find_course(course_dir)
    if not _check_specs(course, list(exercises), as_json=as_json, specs_only=specs_only, lang=lang):
        sys.exit(1)
    if specs_only:
        return
    if live_ok(console.file):
        with console.status(text("cli.check.grading", lang)) as st:
            done = []

            def tick(v: object) -> None:
                done.append(v)
                st.update(text_n("cli.check.graded_so_far", len(done), lang, n=len(done)))

            verdicts, starters_ = run_checks(
                course, list(exercises) or None, workers=workers, seed=seed, on_done=tick, lang=lang
            )
    else:  # a log, a pipe, a notebook cell: one plain line per notebook, on stderr

        def line(v: Any) -> None:  # noqa: ANN401
            mark = text("cli.check.ok" if v.ok else "cli.check.fail", lang)
            role = text("cli.check.solution" if v.role == "solution" else "cli.check.starter", lang)
            click.echo(f"{mark} {role} {inert(v.exercise)}", err=True)

        verdicts, starters_ = run_checks(
            course, list(exercises) or None, workers=workers, seed=seed, on_done=line, lang=lang
        )
    drift = [s for s in starters_ if s.problem]
    if as_json:
        click.echo(
            json_doc(
                {
                    "notebooks": [v.to_dict() for v in verdicts],
                    "starters": [{"name": s.name, "state": s.state} for s in starters_],
                }
            )
        )
    else:
        render_instructor(console, verdicts, starters_, lang)
    if drift or not all(v.ok for v in verdicts):
        sys.exit(1)


def _check_specs(course: Any, exercises: list[str], *, as_json: bool, specs_only: bool, lang: str) -> bool:  # noqa: ANN401
    """Validate every spec (the first use of `course.specs` does it) and say how it went:
    each broken spec as an error line, then a summary with the time it took. True if all
    are valid. A name in `exercises` that is no exercise is refused (SpecError) before
    anything is printed, with `--specs-only` too."""
    import time

    from grader.course.instructor import select

    t0 = time.perf_counter()
    found = course.spec_set
    elapsed = time.perf_counter() - t0
    if not found.problems:  # with a broken spec, its name would wrongly read as unknown
        select(course, exercises)
    for p in found.problems:
        click.echo(f"grade: error: {inert(p.said(lang))}", err=True)
    n, bad = len(found.specs) + len(found.problems), len(found.problems)
    summary = text("cli.check.specs_summary", lang, valid=n - bad, n=n, seconds=f"{elapsed:.2f}")
    if as_json and (specs_only or bad):
        click.echo(
            json_doc(
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
        click.echo(summary + (text("cli.check.none_run", lang) if bad else ""), err=True)
    return not bad


@command(help="help.doctor.about")
@json_flag("help.doctor.json")
def doctor(as_json: bool) -> None:
    """Which sandbox protections the student's kernel gets on this machine (measured in a sandbox).

    Exits 1 when the kernel would be privileged (root, or holding capabilities, while
    grade runs as root) or could see the course.
    """
    from grader.execution.doctor import diagnose, render

    try:
        course_root = find_course(None).root  # kept out of the kernel's reach: checked too
    except GradeError:
        course_root = None
    rep = diagnose(course_root=course_root)
    click.echo(json_doc(rep.to_dict()) if as_json else render(rep))
    if rep.failures:
        if as_json:
            for failure in rep.failures:
                click.echo(f"grade: doctor: FAIL: {failure}", err=True)
        sys.exit(1)
