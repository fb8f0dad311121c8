"""Terminal rendering with rich: results, status tables, progress."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from rich.console import Console
from rich.progress import (BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.table import Table
from rich.text import Text

from grader.results.attempt import Result

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


# --- batches -------------------------------------------------------------------------

@contextmanager
def batch_progress(console: Console, total: int, lang: str = "ko") -> Iterator[Callable[[Any], None]]:
    """Progress of a batch on `console` (stderr): done/total, failures, elapsed, ETA.

    Yields a callback taking each finished `BatchItem`. Without a terminal (CI logs,
    pipes) there is no live bar: one line per finished submission instead.
    """
    state = {"done": 0, "failed": 0}
    en = lang == "en"

    def is_failure(item: Any) -> bool:
        return (item.result or {}).get("status") != "graded" or item.problem

    if not console.is_terminal:
        width = len(str(total))

        def line(item: Any) -> None:
            state["done"] += 1
            r = item.result or {}
            score = f"{r.get('score', 0):g}/{r.get('max_score', 0):g}" if r.get("status") != "invalid" else "-"
            console.print(Text(f"[{state['done']:>{width}}/{total}] {r.get('status', '?'):8} {score:>9}  "
                               f"{item.member or '?'}  {item.path}"), highlight=False, soft_wrap=True)

        yield line
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"),
                  TextColumn("[red]{task.fields[failed]}[/red]"),
                  TimeElapsedColumn(), TextColumn("ETA" if en else "남은 시간"), TimeRemainingColumn(),
                  console=console, transient=False) as prog:
        task = prog.add_task("grading" if en else "채점 중", total=total, failed="")

        def advance(item: Any) -> None:
            state["done"] += 1
            if is_failure(item):
                state["failed"] += 1
            failed = (f"{state['failed']} failed" if en else f"실패 {state['failed']}") if state["failed"] else ""
            prog.update(task, advance=1, failed=failed)

        yield advance


def _shown_path(item: Any) -> str:
    """Below its directory argument when it was found in one (the member folder leads)."""
    found = item.found
    return found.path.relative_to(found.root).as_posix() if found.root is not None else str(found.path)


def render_batch_summary(console: Console, items: Sequence[Any], lang: str = "ko",
                         wall_s: float | None = None) -> None:
    """One row per submission (member, exercise, status, score, time) and the totals."""
    from grader.batch import summary_counts

    en = lang == "en"
    table = Table(title="submissions" if en else "제출 결과", expand=False)
    for col, kw in (("#", {"justify": "right"}), ("member" if en else "멤버", {"style": "bold"}),
                    ("exercise" if en else "문제", {}), ("status" if en else "상태", {}),
                    ("score" if en else "점수", {"justify": "right"}),
                    ("time" if en else "시간", {"justify": "right"}),
                    ("file" if en else "파일", {"overflow": "fold"}),
                    ("note" if en else "비고", {"overflow": "fold", "max_width": 60})):
        table.add_column(col, **kw)
    for item in items:
        r = item.result or {}
        status = r.get("status", "error")
        style = STATUS_STYLE.get(status, "white")
        score = "-" if status == "invalid" else f"{r.get('score', 0):g}/{r.get('max_score', 0):g}"
        # Why it was not graded or not recorded ("not recorded: …" is part of the message).
        note = r.get("message", "") if status != "graded" or item.record_error else ""
        note = note.removeprefix(f"{item.path}: ")  # the file has its own column
        table.add_row(str(item.index + 1), Text(item.member or "?"), Text(r.get("exercise") or "-"),
                      Text(status, style=style), score, f"{r.get('duration_s', 0):.1f} s",
                      Text(_shown_path(item)), Text(note, style=style if note else ""))
    console.print(table)
    counts = summary_counts(items)
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    graded = [it.result for it in items if it.result and it.result.get("status") != "invalid"]
    line = (f"{len(items)} submissions: " if en else f"제출 {len(items)}개: ") + ", ".join(parts)
    if graded:
        mean = sum(r["score"] / r["max_score"] for r in graded if r["max_score"]) / max(1, len(graded))
        line += f" · {'mean' if en else '평균'} {100 * mean:.0f}%"
    if wall_s is not None and wall_s > 0:
        line += f" · {wall_s:.1f} s · {60 * len(items) / wall_s:.1f} {'per minute' if en else '개/분'}"
    console.print(Text(line, style="bold"))
    bad = [it for it in items if it.problem]
    if bad:
        msg = (f"✗ {len(bad)} could not be graded or recorded (see note); exit code 1" if en else
               f"✗ {len(bad)}개는 채점 또는 기록되지 않았습니다 (비고 참조); 종료 코드 1")
        console.print(Text(msg, style="bold red"))
