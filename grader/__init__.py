"""grade: a sandboxed, bilingual notebook grader for chapter 15 of Hands-On ML."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:  # noqa: ANN401
    # `import grader` stays free of numpy and the checks (students import it in their kernel);
    # `grader.selfcheck` loads the self-check's kernel side only when first asked for.
    if name == "selfcheck":
        import importlib

        return importlib.import_module("grader.selfcheck")
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
