"""Where the kernel is: inside a graded run or not, in Colab or not, and which notebook it runs.

Kernel side: the standard library only (IPython and ipykernel when the kernel has them).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grader

KERNEL_SITE = Path(grader.__file__).resolve().parent / "execution" / "kernel_site"


def in_graded_run() -> bool:
    """True inside the grader's own kernel: the sandbox puts its stand-in site on PYTHONPATH."""
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if entry:
            try:
                if Path(entry).resolve() == KERNEL_SITE:
                    return True
            except OSError:
                continue
    return False


def shell() -> Any:  # noqa: ANN401
    """The running IPython shell, or None; IPython is not imported when nothing did it before
    (the worker process imports the kernel side too)."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def in_colab() -> bool:
    """The real Colab: its kernel has google.colab loaded (the grader's stand-in says IN_GRADER)
    and COLAB_* variables set."""
    mod = sys.modules.get("google.colab")
    return (
        mod is not None
        and not getattr(mod, "IN_GRADER", False)
        and any(name.startswith("COLAB_") for name in os.environ)
    )


@dataclass
class Located:
    """The notebook the kernel belongs to, and how it was found."""

    path: Path | None = None
    how: str = ""  # session, env, connection, vscode, folder, argument, colab
    live: dict[str, Any] | None = None  # Colab: the notebook as the browser holds it
    candidates: list[str] = field(default_factory=list)  # several notebooks in the folder


def _colab_notebook() -> dict[str, Any] | None:
    try:
        from google.colab import _message

        reply = _message.blocking_request("get_ipynb", request="", timeout_sec=20)
    except Exception:  # noqa: BLE001 - no frontend answer: fall back to the file search
        return None
    nb = reply.get("ipynb") if isinstance(reply, dict) else None
    return nb if isinstance(nb, dict) else None


def _connection_session() -> str:
    """The notebook path Jupyter wrote into the kernel's connection file (jupyter_session)."""
    try:
        from ipykernel.connect import get_connection_file

        info = json.loads(Path(get_connection_file()).read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - not an ipykernel, or no file
        return ""
    value = info.get("jupyter_session") if isinstance(info, dict) else ""
    return value if isinstance(value, str) else ""


def _existing(value: Any) -> Path | None:  # noqa: ANN401
    if not isinstance(value, str) or not value.endswith(".ipynb"):
        return None
    p = Path(value)
    if not p.is_absolute():
        p = Path.cwd() / p
    return p if p.is_file() else None


def locate_notebook(ns: dict[str, Any], explicit: str | os.PathLike[str] | None = None) -> Located:
    """The kernel's notebook: an explicit path, Colab's live notebook, the path Jupyter gave the
    kernel (`__session__`, JPY_SESSION_NAME, the connection file; stale after a rename, so checked),
    VS Code's `__vsc_ipynb_file__`, else the one notebook of the current folder."""
    if explicit is not None:
        p = Path(explicit).expanduser()
        return Located(p.resolve() if p.exists() else p, "argument")
    if in_colab():
        live = _colab_notebook()
        if live is not None:
            return Located(None, "colab", live)
    for how, value in (
        ("session", ns.get("__session__")),
        ("env", os.environ.get("JPY_SESSION_NAME")),
        ("connection", _connection_session()),
        ("vscode", ns.get("__vsc_ipynb_file__")),
    ):
        found = _existing(value)
        if found is not None:
            return Located(found.resolve(), how)
    here = sorted(p for p in Path.cwd().glob("*.ipynb") if p.is_file() and not p.name.startswith("."))
    if len(here) == 1:
        return Located(here[0].resolve(), "folder")
    return Located(None, "folder" if here else "", candidates=[p.name for p in here])
