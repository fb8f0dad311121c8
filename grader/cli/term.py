"""What the terminal the grader writes to can do, and how figures look on it.

A spinner or a live bar redraws itself with cursor movements. On a real terminal
that is progress; in a pipe, a CI log or a Jupyter cell running `!grade submit …`
every frame stays behind as a line of its own. Jupyter and Colab run `!` commands
on a pseudo-terminal and set FORCE_COLOR, so "is it a TTY?" says yes there:
`live_ok` also asks whether this process is a notebook kernel's child.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import IO

# Set for the processes a Jupyter kernel starts (jupyter_client's launcher, ipykernel)
# and by Colab; none of them is a terminal that redraws.
_NOTEBOOK_ENV = ("JPY_PARENT_PID", "JPY_SESSION_NAME", "COLAB_RELEASE_TAG", "COLAB_GPU")


def in_notebook(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process runs under a notebook kernel (a `!` command in Jupyter or Colab)."""
    env = os.environ if environ is None else environ
    return any(env.get(name) for name in _NOTEBOOK_ENV)


def live_ok(stream: IO[str] | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Whether a spinner or a live progress bar may be drawn on `stream` (stderr by default):
    a real, non-dumb terminal, not a notebook cell, and TTY_INTERACTIVE not 0."""
    env = os.environ if environ is None else environ
    stream = sys.stderr if stream is None else stream
    if env.get("TTY_INTERACTIVE") == "0" or env.get("TERM", "").lower() in ("dumb", "unknown"):
        return False
    if in_notebook(env):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def fmt_points(value: float) -> str:
    """A score as people read it: at most two decimals, no trailing zeros (9.33, 10, 0.5)."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_score(score: float, max_score: float) -> str:
    """ "9.33/10"."""
    return f"{fmt_points(score)}/{fmt_points(max_score)}"
