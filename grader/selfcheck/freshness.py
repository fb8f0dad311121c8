"""The saved notebook file against what this kernel ran: runs after the last save, cells edited
after they ran, a file saved by another kernel session.

Kernel side: the standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# A cell that only imports or calls the self-check: not the student's work.
_SELFCHECK_LINE = re.compile(
    r"^\s*(?:from\s+grader\s+import\s+selfcheck|import\s+grader(?:\.selfcheck)?"
    r"|from\s+grader\.selfcheck\s+import\s+\w+|(?:grader\.)?selfcheck(?:\.run)?\(.*\))\s*(?:#.*)?$"
)


@dataclass
class Freshness:
    """How the saved notebook compares with what this kernel ran."""

    unsaved: list[int] = field(default_factory=list)  # In [n] run after the file was last saved
    edited: list[int] = field(default_factory=list)  # In [n] whose saved text differs from what ran
    other_session: bool = False  # the file's counts come from another kernel
    saved_at: float | None = None  # the file's modification time


def _sources(nb: dict[str, Any]) -> list[tuple[int | None, str]]:
    out = []
    for cell in nb.get("cells") or []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        count = cell.get("execution_count")
        out.append((count if isinstance(count, int) else None, src))
    return out


def only_selfcheck(source: str) -> bool:
    """Whether a cell does nothing but import or call the self-check."""
    lines = [ln for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return bool(lines) and all(_SELFCHECK_LINE.match(ln) for ln in lines)


def freshness(nb: dict[str, Any], history: list[str], current: int, saved_at: float | None = None) -> Freshness:
    """Compare the saved file's code cells with the kernel's input history.

    `history[n]` is the source of In [n]; `current` is the running cell's count. A run after
    the last save has a count above every count in the file; a saved cell whose count this
    kernel has run with other text was edited after it ran (or comes from another session)."""
    cells = _sources(nb)
    counts = [c for c, _ in cells if c is not None]
    top = max(counts, default=0)
    fresh = Freshness(saved_at=saved_at)
    if top >= current:
        fresh.other_session = True
        return fresh
    fresh.unsaved = [
        n for n in range(top + 1, current) if n < len(history) and history[n].strip() and not only_selfcheck(history[n])
    ]
    for count, src in cells:
        if count is not None and 0 < count < len(history) and history[count].rstrip() != src.rstrip():
            fresh.edited.append(count)
    return fresh
