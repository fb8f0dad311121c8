"""Terminal rendering with rich: results, status tables, progress."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .result import Result

STATUS_STYLE = {"graded": "green", "error": "yellow", "timeout": "red", "crashed": "red", "invalid": "red"}


def render_result(console: Console, result: Result, lang: str = "ko") -> None:
    if result.status == "invalid":
        console.print(Text(f"✗ {result.message}", style="red"))
        return
    title = Text(f"{result.exercise} · {result.member}")
    table = Table(title=title, show_lines=False, expand=True)
    table.add_column("", width=2)
    table.add_column("check" if lang == "en" else "검사", style="bold", no_wrap=True)
    table.add_column("points" if lang == "en" else "점수", justify="right", no_wrap=True)
    table.add_column("message" if lang == "en" else "설명", overflow="fold", ratio=1)
    for c in result.checks:
        mark = Text("✓", style="green") if c.passed else (Text("½", style="yellow") if c.points > 0
                                                          else Text("✗", style="red"))
        # Text objects: titles and messages contain shapes like [batch, 7] that rich would read as markup.
        table.add_row(mark, Text(c.title or c.id, style="bold"), f"{c.points:g}/{c.max_points:g}", Text(c.message))
    console.print(table)
    style = STATUS_STYLE.get(result.status, "white")
    status = Text(result.status, style=f"bold {style}")
    line = Text.assemble(("score " if lang == "en" else "점수 "), (f"{result.score:g}/{result.max_score:g}", "bold"),
                         "  ·  ", status, f"  ·  {result.duration_s:.1f} s")
    console.print(line)
    if result.message:
        console.print(Text(result.message, style=style))


@contextmanager
def run_progress(console: Console, label: str) -> Iterator[object]:
    """A progress display while the kernel runs; yields a callback for the runner."""
    if not console.is_terminal:
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True) as prog:
        task = prog.add_task(label, total=None)

        def update(stage: str, done: int, total: int) -> None:
            desc = f"{label}: {'cell' if stage == 'cell' else 'checks'}"
            prog.update(task, description=desc, completed=done, total=total)

        yield update


def render_status(console: Console, best: dict[tuple[str, str], object], exercises: list[str],
                  lang: str = "ko") -> None:
    members = sorted({m for m, _ in best})
    table = Table(title="best scores" if lang == "en" else "최고 점수")
    table.add_column("member" if lang == "en" else "멤버", style="bold")
    for ex in exercises:
        table.add_column(ex.split(".")[-1], justify="right")
    for m in members:
        row = [m]
        for ex in exercises:
            a = best.get((m, ex))
            if a is None:
                row.append("·")
            else:
                style = "green" if a.score >= a.max_score > 0 else ("yellow" if a.score > 0 else "red")
                row.append(f"[{style}]{a.score:g}/{a.max_score:g}[/{style}]")
        table.add_row(*row)
    console.print(table)


def render_instructor(console: Console, verdicts: list, starters: list) -> None:
    table = Table(title="instructor check")
    for col, kw in (("exercise", {}), ("notebook", {}), ("status", {}), ("score", {"justify": "right"}),
                    ("code points", {"justify": "right"}), ("time", {"justify": "right"}), ("", {}),
                    ("problem", {"overflow": "fold", "ratio": 1})):
        table.add_column(col, **kw)
    for v in sorted(verdicts, key=lambda v: (v.exercise, v.role)):
        mark = Text("✓", style="green") if v.ok else Text("✗", style="red")
        table.add_row(v.exercise, v.role, v.status, f"{v.score:g}/{v.max_score:g}",
                      f"{v.code_score:g}/{v.code_max:g}", f"{v.duration_s:.0f} s", mark, Text(v.problem))
    console.print(table)
    bad = [s for s in starters if s.problem]
    if bad:
        for s in bad:
            console.print(Text(f"✗ starter {s.name}: {s.state} (run 'grade starters')", style="red"))
    else:
        console.print(Text(f"✓ {len(starters)} starters match their solutions", style="green"))
    ok = sum(v.ok for v in verdicts)
    style = "green" if ok == len(verdicts) and not bad else "red"
    console.print(Text(f"{ok}/{len(verdicts)} notebooks as expected", style=f"bold {style}"))
