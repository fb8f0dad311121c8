"""Terminal rendering with rich: one result, `grade status` and `grade check` tables, a run's
progress (a batch's progress and summary: `views_batch`).

Everything a student or a gradebook row can influence (member names, file names,
messages, outputs) reaches rich as a `Text` built from `textsafe`: never as a str,
which rich would parse as markup (a member called "[/]" crashed `grade status`),
and never with escape sequences or invisible characters left in. Names go through
`visible` (look-alikes stay distinguishable), other text through `inert`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from grader.cli.term import fmt_score, live_ok
from grader.i18n import status_word, text, text_n
from grader.results.attempt import Attempt
from grader.textsafe import inert, visible

STATUS_STYLE = {"graded": "green", "error": "yellow", "timeout": "red", "crashed": "red", "invalid": "red"}


def name_text(name: object, style: str = "") -> Text:
    """A member or file name for the terminal: invisible characters shown as ⟨U+…⟩."""
    return Text(visible(name), style=style)


def safe_text(text: object, style: str = "", *, newlines: bool = False) -> Text:
    """Student-influenced text for the terminal: inert, and never read as markup."""
    return Text(inert(text, newlines=newlines), style=style)


def render_result(console: Console, result: Attempt, lang: str = "ko", *, verbose: bool = False) -> None:
    """One attempt: a row per check (mark, title, points) with its message on its own line
    below, so that the message has the table's whole width at 80 or 60 columns; then the
    score and what the run left to say. `verbose`: also every traceback in full."""
    if result.status == "invalid":
        # Not a result: an error about the file, on stderr like every other error.
        from grader.cli.conventions import report_error

        report_error(result.message)
        return
    title = Text.assemble(safe_text(result.exercise), " · ", name_text(result.member))
    table = Table(title=title, show_lines=False, expand=True, pad_edge=False)
    table.add_column("", width=1, no_wrap=True)
    table.add_column(text("cli.result.check", lang), ratio=1, overflow="fold")
    table.add_column(text("cli.result.points", lang), justify="right", no_wrap=True)
    for i, c in enumerate(result.checks):
        mark = (
            Text("✓", style="green")
            if c.passed
            else (Text("½", style="yellow") if c.points > 0 else Text("✗", style="red"))
        )
        last = i == len(result.checks) - 1
        # Text objects: titles and messages contain shapes like [batch, 7] that rich would read as markup.
        table.add_row(
            mark,
            safe_text(c.title or c.id, "bold"),
            fmt_score(c.points, c.max_points),
            end_section=not c.message and not last,
        )
        if c.message:
            table.add_row("", safe_text(c.message, newlines=True), "", end_section=not last)
    console.print(table)
    style = STATUS_STYLE.get(result.status, "white")
    status = safe_text(status_word(result.status, lang), f"bold {style}")
    header = Text.assemble(
        text("cli.result.score", lang),
        " ",
        (fmt_score(result.score, result.max_score), "bold"),
        "  ·  ",
        status,
        "  ·  ",
        text("cli.check.seconds", lang, seconds=f"{result.duration_s:.1f}"),
    )
    console.print(header)
    for line in result.message.splitlines():
        # An indented line (a cell error under its heading) keeps its indent when it wraps.
        indent = len(line) - len(line.lstrip(" "))
        console.print(Padding(safe_text(line.strip(), style), (0, 0, 0, indent)) if indent else safe_text(line, style))
    if verbose:
        render_details(console, result, lang)


def render_details(console: Console, result: Attempt, lang: str = "ko") -> None:
    """The full text behind the one-line summaries: each failing cell's traceback and each
    check's probe errors as the notebook raised them."""
    for e in result.cell_errors:
        head = text("cli.details.code_cell", lang, n=e.code_cell)
        if e.execution_count is not None:
            head += f" · In [{e.execution_count}]"
        console.print(Text(head, style="bold"))
        console.print(safe_text(e.traceback or e.summary, newlines=True), highlight=False)
    for c in result.checks:
        errors = c.details.get("errors") if isinstance(c.details, dict) else None
        if isinstance(errors, dict) and errors:
            console.print(Text.assemble((c.title or c.id, "bold"), f" · {text('cli.details.probe_errors', lang)}"))
            for request, said in errors.items():
                console.print(safe_text(f"{request}: {said}", newlines=True), highlight=False)


def error_console(console: Console) -> Console:
    """`console` if it writes to stderr already, else a console on stderr."""
    return console if console.stderr else Console(stderr=True)


class _Count(ProgressColumn):
    """ "3/12" once the number of cells is known; nothing before (never "0/None")."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        return Text(f"{int(task.completed)}/{int(task.total)}")


@contextmanager
def run_progress(
    console: Console, label: str, lang: str = "ko", *, live: bool | None = None
) -> Iterator[Callable[[str, int, int], None]]:
    """Progress while the kernel runs; yields a callback for the runner.

    A live bar only where it redraws in place (`term.live_ok`; `live` decides instead when
    given); in a pipe, a CI log or a notebook cell, two plain lines on stderr (the cells
    start, the checks start)."""
    label = visible(label)  # a file name; the column below does not read markup either
    if not (live_ok(console.file) if live is None else live):
        said: set[str] = set()

        def line(stage: str, done: int, total: int) -> None:
            key = "cell" if stage == "cell" else "checks"
            if key in said:
                return
            said.add(key)
            if key == "cell":
                said_text = text_n(
                    "cli.progress.running_cells",
                    total,
                    lang,
                    label=label,
                    n=total,
                )
            else:
                said_text = text("cli.progress.checking", lang, label=label)
            error_console(console).print(Text(said_text), highlight=False, soft_wrap=True)

        yield line
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        _Count(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as prog:
        task = prog.add_task(label, total=None)

        def update(stage: str, done: int, total: int) -> None:
            what = text("cli.progress.cell" if stage == "cell" else "cli.progress.checks", lang)
            prog.update(task, description=f"{label}: {what}", completed=done, total=total)

        yield update


_NAME_WIDTH = 28


def local_time(when: Any, tz: Any) -> str:  # noqa: ANN401
    """A time as the group reads it: 21.11.21 23:10 in the course's time zone ("-" if unknown)."""
    if when is None:
        return "-"
    return when.astimezone(tz).strftime("%y.%m.%d %H:%M")


def render_status(
    console: Console,
    best: Mapping[tuple[str, str], Attempt],
    exercises: list[str],
    lang: str = "ko",
    names: dict[str, str] | None = None,
) -> None:
    """Best score per member and exercise; `names`: roster id -> the name shown beside it."""
    members = sorted({m for m, _ in best})
    # A name longer than its column wraps; lines between the rows then keep its second
    # line from reading as a row of its own ("14/14" under the member column).
    long_names = any(len(visible(m)) > _NAME_WIDTH for m in members)
    table = Table(title=text("cli.status.title", lang), show_lines=long_names)
    table.add_column(text("cli.status.member", lang), style="bold", overflow="fold", max_width=_NAME_WIDTH)
    if names:
        table.add_column(text("cli.status.name", lang), overflow="fold", max_width=_NAME_WIDTH)
    for ex in exercises:
        table.add_column(safe_text(ex.split(".")[-1]), justify="right")
    for m in members:
        row: list[Text] = [name_text(m)]
        if names:
            row.append(name_text(names.get(m, "")))
        for ex in exercises:
            a = best.get((m, ex))
            if a is None:
                row.append(Text("·"))
            else:
                style = "green" if a.score >= a.max_score > 0 else ("yellow" if a.score > 0 else "red")
                mark = "*" if getattr(a, "reviewed", False) else ""
                row.append(Text(fmt_score(a.score, a.max_score) + mark, style=style))
        table.add_row(*row)
    if any(getattr(a, "reviewed", False) for a in best.values()):
        table.caption = (
            "* reviewed by a person (grade review history)"
            if lang == "en"
            else "* 사람이 검토해 고친 점수 (grade review history)"
        )
    console.print(table)


def render_instructor(console: Console, verdicts: list, starters: list, lang: str = "ko") -> None:
    """`grade check`'s table: one row per solution and starter, then the starters' drift."""
    from grader.cli.instructor import state_word

    table = Table(title=text("cli.check.title", lang))
    for key, kw in (
        ("cli.check.exercise", {}),
        ("cli.check.notebook", {}),
        ("cli.batch.status", {}),
        ("cli.result.score", {"justify": "right"}),
        ("cli.check.code_points", {"justify": "right"}),
        ("cli.batch.time", {"justify": "right"}),
        ("", {}),
        ("cli.check.problem", {"overflow": "fold", "ratio": 1}),
    ):
        table.add_column(text(key, lang) if key else "", **kw)
    for v in sorted(verdicts, key=lambda v: (v.exercise, v.role)):
        mark = Text("✓", style="green") if v.ok else Text("✗", style="red")
        table.add_row(
            safe_text(v.exercise),
            text("cli.check.solution" if v.role == "solution" else "cli.check.starter", lang),
            safe_text(status_word(v.status, lang)),
            fmt_score(v.score, v.max_score),
            fmt_score(v.code_score, v.code_max),
            text("cli.check.seconds", lang, seconds=f"{v.duration_s:.0f}"),
            mark,
            safe_text(v.problem, newlines=True),
        )
    console.print(table)
    bad = [s for s in starters if s.problem]
    for s in bad:
        console.print(
            Text.assemble(
                "✗ ",
                Text(inert(text("cli.check.starter_drift", lang, name=s.name, state=state_word(s.state, lang)))),
                style="red",
            )
        )
    if not bad:
        console.print(
            Text(
                text_n(
                    "cli.check.starters_match",
                    len(starters),
                    lang,
                    n=len(starters),
                ),
                style="green",
            )
        )
    ok = sum(v.ok for v in verdicts)
    style = "green" if ok == len(verdicts) and not bad else "red"
    console.print(Text(text("cli.check.as_expected", lang, ok=ok, n=len(verdicts)), style=f"bold {style}"))
