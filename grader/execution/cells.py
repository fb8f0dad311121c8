"""The notebook's cells before and after they run: install lines left out (the sandbox has no
network), and what a failing cell raised, told in one line with the student's line number
and the grader limit it hit, if any."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from grader import errortext
from grader.results.attempt import CellError

if TYPE_CHECKING:  # annotations only: probe_io's reader imports this module in the self-check's worker
    from nbclient.exceptions import CellExecutionError

    from grader.execution.sandbox import Sandbox

# Keras 3 colours its messages; a terminal escape in a gradebook row or an HTML
# report is noise.
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def error_line(exc: CellExecutionError) -> str:
    ename = getattr(exc, "ename", "") or "Error"
    evalue = ANSI.sub("", getattr(exc, "evalue", "") or "").strip().splitlines()
    return f"{ename}: {evalue[0][:300]}" if evalue else ename


def _limit_hit(ename: str, evalue: str, sandbox: Sandbox) -> str:
    """Which grader limit a student's error came from ("memory", "processes", "file_size",
    "disk"), or "" when it is none of them."""
    if ename == "MemoryError":
        return "memory"
    if (
        ename in ("BlockingIOError", "OSError", "RuntimeError")
        and ("Resource temporarily unavailable" in evalue or "can't start new thread" in evalue)
        and sandbox.hit_process_limit()
    ):
        return "processes"
    if "File too large" in evalue:
        return "file_size"
    if "No space left on device" in evalue and sandbox.quota:
        return "disk"
    return ""


# Lines that install packages: pip, conda or apt as a shell escape or magic, also
# `!python -m pip` and `!{sys.executable} -m pip`. The sandbox has no network, so they
# could only wait for a timeout; they are not run, and the result says so.
_INSTALL = re.compile(
    r"^(?P<indent>[ \t]*)[!%]\s*(?:sudo\s+)?"
    r"(?:pip3?|conda|mamba|micromamba|apt(?:-get)?|uv\s+pip"
    r"|(?:python3?|\{sys\.executable\}|\$\{?sys\.executable\}?)\s+-m\s+pip)(?:\s|$)"
)
COLAB = re.compile(r"\bgoogle\.colab\b|\bfrom\s+google\s+import\s+colab\b")
MAX_TRACEBACK_CHARS = 20_000


def without_installs(source: str) -> tuple[str, list[str]]:
    """`source` with each package-installing line replaced by `pass` (its continuation lines
    by blank ones, so that line numbers stay the student's), and the lines replaced."""
    lines = source.split("\n")
    skipped: list[str] = []
    i = 0
    while i < len(lines):
        m = _INSTALL.match(lines[i])
        if not m:
            i += 1
            continue
        skipped.append(lines[i].strip())
        continued = lines[i].rstrip().endswith("\\")
        lines[i] = f"{m.group('indent')}pass  # grade: not run, the sandbox has no network"
        i += 1
        while continued and i < len(lines):  # `!pip install a \` goes on in the next line
            continued = lines[i].rstrip().endswith("\\")
            lines[i] = ""
            i += 1
    return "\n".join(lines), skipped


def cell_error(
    reply: dict[str, Any],
    code_cell: int,
    index: int,
    cell: Any,  # noqa: ANN401 - a notebook cell
    sandbox: Sandbox,
    lang: str = "en",
) -> CellError:
    """What a failing cell raised, from its execute_reply (present even when the cell's
    outputs were dropped at the output limit); its summary in `lang`."""
    ename = str(reply.get("ename") or "Error")
    evalue = str(reply.get("evalue") or "")
    tb = errortext.full_text([str(t) for t in reply.get("traceback") or []])
    count = cell.get("execution_count") or reply.get("execution_count")
    return CellError(
        code_cell=code_cell,
        execution_count=int(count) if isinstance(count, int) else None,
        cell=index + 1,
        ename=ename,
        summary=errortext.summary(ename, evalue, lang=lang),
        line=_student_line(tb),
        traceback=tb[:MAX_TRACEBACK_CHARS],
        limit=_limit_hit(ename, evalue, sandbox),
    )


def _student_line(traceback: str) -> int | None:
    """The line in the student's cell where the error happened, from the traceback text."""
    tb = ANSI.sub("", traceback or "")
    for m in re.finditer(r"Cell In\[\d+\], line (\d+)", tb):
        return int(m.group(1))
    for m in re.finditer(r"^-*> ?(\d+)", tb, flags=re.M):
        return int(m.group(1))
    return None
