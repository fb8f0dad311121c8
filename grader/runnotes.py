"""What an attempt says about its run besides the checks: how the run ended, the code cells
that raised (by the position Jupyter shows), the install lines not run, the Colab stand-in.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from grader import errortext
from grader.checks import GradeContext
from grader.i18n import counted
from grader.results.attempt import CellError

_LIMIT_TEXT = {
    "memory": "grading.limit.memory",
    "processes": "grading.limit.processes",
    "file_size": "grading.limit.file_size",
    "disk": "grading.limit.disk",
}
MAX_LISTED_ERRORS = 5


def cell_position(error: CellError, ctx: GradeContext) -> str:
    """Where a cell error is, as Jupyter shows it: "code cell 3 · In [3] · line 2"."""
    parts = [ctx.text("grading.cell_position.code_cell", code_cell=error.code_cell)]
    if error.execution_count is not None:
        parts.append(f"In [{error.execution_count}]")
    if error.line:
        parts.append(ctx.text("grading.cell_position.line", line=error.line))
    return " · ".join(parts)


def cell_error_text(error: CellError, ctx: GradeContext, limits: Any = None) -> str:  # noqa: ANN401
    """One cell error in one line: its position, then the exception's summary (and the limit)."""
    text = f"{cell_position(error, ctx)}: {error.summary}"
    if error.limit in _LIMIT_TEXT and limits is not None:
        figures = dataclasses.asdict(limits)
        text += f" ({ctx.text(_LIMIT_TEXT[error.limit], **figures)})"
    return text


def run_notes(outcome: Any, ctx: GradeContext, limits: Any = None) -> list[str]:  # noqa: ANN401
    """What the result says about the run besides the checks, one entry per line: how it
    ended (timeout, crash), the cells that raised, lines not run, the Colab stand-in."""
    said = outcome.said(ctx.lang)
    notes = [said] if said else []
    errors: list[CellError] = outcome.cell_errors
    if errors:
        total = outcome.code_cells
        if outcome.status == "error":
            notes.append(ctx.text("grading.run_notes.every_code_cell_raised", total=total))
        else:
            notes.append(ctx.text("grading.run_notes.code_cells_raised_error", len_errors=len(errors), total=total))
        notes += [f"  {cell_error_text(e, ctx, limits)}" for e in errors[:MAX_LISTED_ERRORS]]
        if len(errors) > MAX_LISTED_ERRORS:
            more = len(errors) - MAX_LISTED_ERRORS
            notes.append(ctx.text("grading.run_notes.more_all_them_grade", more=more))
    if outcome.skipped_installs:
        first_cell, first_line = outcome.skipped_installs[0]
        n = len(outcome.skipped_installs)
        shown = errortext.shorten(first_line, 60)
        notes.append(
            ctx.text(
                counted("grading.run_notes.not_run_packages", n),
                n=n,
                first_cell=first_cell,
                shown=shown,
            )
        )
    if outcome.uses_colab:
        notes.append(ctx.text("grading.run_notes.grader_has_no_google"))
    if outcome.output_truncated:
        notes.append(ctx.text("grading.run_notes.notebook_output_was_truncated"))
    return notes
