"""Terminal rendering with rich: results, status tables, progress.

Everything a student or a gradebook row can influence (member names, file names,
messages, outputs) reaches rich as a `Text` built from `textsafe`: never as a str,
which rich would parse as markup (a member called "[/]" crashed `grade status`),
and never with escape sequences or invisible characters left in. Names go through
`visible` (look-alikes stay distinguishable), other text through `inert`.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from rich.console import Console
from rich.progress import (BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.table import Table
from rich.text import Text

from grader.results.attempt import Attempt
from grader.textsafe import inert, visible

STATUS_STYLE = {"graded": "green", "error": "yellow", "timeout": "red", "crashed": "red", "invalid": "red"}


def name_text(name: object, style: str = "") -> Text:
    """A member or file name for the terminal: invisible characters shown as ⟨U+…⟩."""
    return Text(visible(name), style=style)


def safe_text(text: object, style: str = "", *, newlines: bool = False) -> Text:
    """Student-influenced text for the terminal: inert, and never read as markup."""
    return Text(inert(text, newlines=newlines), style=style)


def render_result(console: Console, result: Attempt, lang: str = "ko") -> None:
    if result.status == "invalid":
        console.print(safe_text(f"✗ {result.message}", "red"))
        return
    title = Text.assemble(safe_text(result.exercise), " · ", name_text(result.member))
    table = Table(title=title, show_lines=False, expand=True)
    table.add_column("", width=2)
    table.add_column("check" if lang == "en" else "검사", style="bold", no_wrap=True)
    table.add_column("points" if lang == "en" else "점수", justify="right", no_wrap=True)
    table.add_column("message" if lang == "en" else "설명", overflow="fold", ratio=1)
    for c in result.checks:
        mark = Text("✓", style="green") if c.passed else (Text("½", style="yellow") if c.points > 0
                                                          else Text("✗", style="red"))
        # Text objects: titles and messages contain shapes like [batch, 7] that rich would read as markup.
        table.add_row(mark, safe_text(c.title or c.id, "bold"), f"{c.points:g}/{c.max_points:g}",
                      safe_text(c.message, newlines=True))
    console.print(table)
    style = STATUS_STYLE.get(result.status, "white")
    status = safe_text(result.status, f"bold {style}")
    line = Text.assemble(("score " if lang == "en" else "점수 "), (f"{result.score:g}/{result.max_score:g}", "bold"),
                         "  ·  ", status, f"  ·  {result.duration_s:.1f} s")
    console.print(line)
    if result.message:
        console.print(safe_text(result.message, style, newlines=True))


@contextmanager
def run_progress(console: Console, label: str) -> Iterator[object]:
    """A progress display while the kernel runs; yields a callback for the runner."""
    if not console.is_terminal:
        yield None
        return
    label = visible(label)  # a file name; the column below does not read markup either
    with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=console,
                  transient=True) as prog:
        task = prog.add_task(label, total=None)

        def update(stage: str, done: int, total: int) -> None:
            desc = f"{label}: {'cell' if stage == 'cell' else 'checks'}"
            prog.update(task, description=desc, completed=done, total=total)

        yield update


_NAME_WIDTH = 28


def render_status(console: Console, best: dict[tuple[str, str], object], exercises: list[str],
                  lang: str = "ko") -> None:
    members = sorted({m for m, _ in best})
    # A name longer than its column wraps; lines between the rows then keep its second
    # line from reading as a row of its own ("14/14" under the member column).
    long_names = any(len(visible(m)) > _NAME_WIDTH for m in members)
    table = Table(title="best scores" if lang == "en" else "최고 점수", show_lines=long_names)
    table.add_column("member" if lang == "en" else "멤버", style="bold", overflow="fold", max_width=_NAME_WIDTH)
    for ex in exercises:
        table.add_column(safe_text(ex.split(".")[-1]), justify="right")
    for m in members:
        row: list[Text] = [name_text(m)]
        for ex in exercises:
            a = best.get((m, ex))
            if a is None:
                row.append(Text("·"))
            else:
                style = "green" if a.score >= a.max_score > 0 else ("yellow" if a.score > 0 else "red")
                row.append(Text(f"{a.score:g}/{a.max_score:g}", style=style))
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
        table.add_row(safe_text(v.exercise), safe_text(v.role), safe_text(v.status), f"{v.score:g}/{v.max_score:g}",
                      f"{v.code_score:g}/{v.code_max:g}", f"{v.duration_s:.0f} s", mark,
                      safe_text(v.problem, newlines=True))
    console.print(table)
    bad = [s for s in starters if s.problem]
    if bad:
        for s in bad:
            console.print(Text.assemble("✗ starter ", name_text(s.name), f": {inert(s.state)} (run 'grade starters')",
                                        style="red"))
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
        return item.result is None or item.result.status != "graded" or item.problem

    if not console.is_terminal:
        width = len(str(total))

        def line(item: Any) -> None:
            state["done"] += 1
            r = item.result  # every finished item has its attempt
            score = f"{r.score:g}/{r.max_score:g}" if r.status != "invalid" else "-"
            console.print(Text.assemble(f"[{state['done']:>{width}}/{total}] {inert(r.status):8} "
                                        f"{score:>9}  ", name_text(item.member or "?"), "  ",
                                        name_text(item.path)), highlight=False, soft_wrap=True)

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
    long_names = any(len(visible(it.member or "?")) > _NAME_WIDTH for it in items)
    table = Table(title="submissions" if en else "제출 결과", expand=False, show_lines=long_names)
    for col, kw in (("#", {"justify": "right"}), ("member" if en else "멤버", {"style": "bold", "overflow": "fold", "max_width": _NAME_WIDTH}),
                    ("exercise" if en else "문제", {}), ("status" if en else "상태", {}),
                    ("score" if en else "점수", {"justify": "right"}),
                    ("time" if en else "시간", {"justify": "right"}),
                    ("file" if en else "파일", {"overflow": "fold"}),
                    ("note" if en else "비고", {"overflow": "fold", "max_width": 60})):
        table.add_column(col, **kw)
    for item in items:
        r = item.result
        status = r.status.value
        style = STATUS_STYLE.get(status, "white")
        score = "-" if status == "invalid" else f"{r.score:g}/{r.max_score:g}"
        # Why it was not graded or not recorded ("not recorded: …" is part of the message).
        note = r.message if status != "graded" or item.record_error else ""
        note = note.removeprefix(f"{item.path}: ")  # the file has its own column
        table.add_row(str(item.index + 1), name_text(item.member or "?"), safe_text(r.exercise or "-"),
                      safe_text(status, style), score, f"{r.duration_s:.1f} s",
                      name_text(_shown_path(item)), safe_text(note, style if note else "", newlines=True))
    console.print(table)
    counts = summary_counts(items)
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    graded = [it.result for it in items if it.result and it.result.status != "invalid"]
    line = (f"{len(items)} submissions: " if en else f"제출 {len(items)}개: ") + ", ".join(parts)
    if graded:
        mean = sum(r.score / r.max_score for r in graded if r.max_score) / max(1, len(graded))
        line += f" · {'mean' if en else '평균'} {100 * mean:.0f}%"
    if wall_s is not None and wall_s > 0:
        line += f" · {wall_s:.1f} s · {60 * len(items) / wall_s:.1f} {'per minute' if en else '개/분'}"
    console.print(Text(line, style="bold"))
    bad = [it for it in items if it.problem]
    if bad:
        msg = (f"✗ {len(bad)} could not be graded or recorded (see note); exit code 1" if en else
               f"✗ {len(bad)}개는 채점 또는 기록되지 않았습니다 (비고 참조); 종료 코드 1")
        console.print(Text(msg, style="bold red"))
