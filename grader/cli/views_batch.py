"""Terminal rendering of a batch (`grade submit` with many files): progress while it runs, then
one row per submission and the totals. Student-influenced text goes through `views`' `name_text`
and `safe_text`, as everywhere in the terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from grader.cli.term import fmt_score, live_ok
from grader.cli.views import STATUS_STYLE, local_time, name_text, safe_text
from grader.i18n import status_word, text, text_n
from grader.textsafe import inert


@contextmanager
def batch_progress(console: Console, total: int, lang: str = "ko") -> Iterator[Callable[[Any], None]]:
    """Progress of a batch on `console` (stderr): done/total, failures, elapsed, ETA.

    Yields a callback taking each finished `BatchItem`. Without a terminal (CI logs,
    pipes) there is no live bar: one line per finished submission instead.
    """
    state = {"done": 0, "failed": 0}

    def is_failure(item: Any) -> bool:
        return item.result is None or item.result.status != "graded" or item.problem

    if not live_ok(console.file):
        width = len(str(total))

        def line(item: Any) -> None:
            state["done"] += 1
            r = item.result  # every finished item has its attempt
            score = fmt_score(r.score, r.max_score) if r.status != "invalid" else "-"
            shown = status_word("skipped" if item.skipped else r.status, lang)
            console.print(
                Text.assemble(
                    f"[{state['done']:>{width}}/{total}] {inert(shown):8} {score:>9}  ",
                    name_text(item.member or "?"),
                    "  ",
                    name_text(item.path),
                ),
                highlight=False,
                soft_wrap=True,
            )

        yield line
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("[red]{task.fields[failed]}[/red]"),
        TimeElapsedColumn(),
        TextColumn(text("cli.progress.eta", lang)),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as prog:
        task = prog.add_task(text("cli.progress.grading", lang), total=total, failed="")

        def advance(item: Any) -> None:
            state["done"] += 1
            if is_failure(item) and not item.skipped:
                state["failed"] += 1
            failed = text("cli.progress.failed", lang, n=state["failed"]) if state["failed"] else ""
            prog.update(task, advance=1, failed=failed)

        yield advance


def _shown_path(item: Any) -> str:
    """Below its directory argument when it was found in one (the member folder leads)."""
    found = item.found
    return found.path.relative_to(found.root).as_posix() if found.root is not None else str(found.path)


def render_batch_summary(
    console: Console, items: Sequence[Any], lang: str = "ko", wall_s: float | None = None, tz: Any = None
) -> None:  # noqa: ANN401
    """One row per submission (member, exercise, status, score, handed in, time) and the
    totals; hand-in times in `tz` (the course's time zone; UTC when not given)."""
    import datetime as dt

    from grader.batch import summary_counts

    tz = tz or dt.UTC
    # Three narrow columns and a wide one: who, what and which file, then the note, wrap
    # inside the wide one, so the table reads at 80 and at 60 columns alike.
    table = Table(title=text("cli.batch.title", lang), expand=True, show_lines=True, pad_edge=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column(text("cli.batch.who", lang), ratio=1, overflow="fold")
    table.add_column(text("cli.batch.status", lang), no_wrap=True)
    table.add_column(text("cli.batch.time", lang), justify="right", no_wrap=True)
    for item in (it for it in items if not it.skipped):
        r = item.result
        status = r.status.value
        style = STATUS_STYLE.get(status, "white")
        score = "-" if status == "invalid" else fmt_score(r.score, r.max_score)
        # Why it was not graded or not recorded ("not recorded: …" is part of the message);
        # for a graded notebook, the first line of what its run left to say (cells that raised).
        note = r.message if status != "graded" or item.record_error else "\n".join(r.message.splitlines()[:2])
        note = note.removeprefix(f"{item.path}: ")  # the file is shown above it
        who = Text.assemble(
            name_text(item.member or "?", "bold"),
            " · ",
            safe_text(r.exercise or "-"),
            "\n",
            name_text(_shown_path(item)),
        )
        if r.submitted_at is not None:
            who.append(text("cli.batch.handed_in", lang, when=local_time(r.submitted_at, tz)))
        if note:
            who.append("\n")
            who.append_text(safe_text(note, style if status != "graded" else "", newlines=True))
        table.add_row(
            str(item.index + 1),
            who,
            Text.assemble((status_word(status, lang), style), "\n", score),
            text("cli.check.seconds", lang, seconds=f"{r.duration_s:.1f}"),
        )
    if table.row_count:  # notebooks graded before are counted below, not listed (`grade status` has them)
        console.print(table)
    counts = summary_counts(items)
    skipped = counts.pop("skipped", 0)
    parts = [text("cli.batch.count", lang, n=n, status=status_word(s, lang)) for s, n in counts.items() if n]
    if skipped:
        parts.append(text("cli.batch.skipped_before", lang, n=skipped))
    graded = [it.result for it in items if it.result and it.result.status != "invalid" and not it.skipped]
    line = text_n("cli.batch.total", len(items), lang, n=len(items), parts=", ".join(parts))
    if graded:
        mean = sum(r.score / r.max_score for r in graded if r.max_score) / max(1, len(graded))
        line += text("cli.batch.mean", lang, percent=f"{100 * mean:.0f}%")
    if wall_s is not None and wall_s > 0:
        line += text("cli.batch.rate", lang, seconds=f"{wall_s:.1f}", rate=f"{60 * len(items) / wall_s:.1f}")
    console.print(Text(line, style="bold"))
    bad = [it for it in items if it.problem]
    if bad:
        msg = text("cli.batch.problems", lang, n=len(bad))
        console.print(Text(msg, style="bold red"))
