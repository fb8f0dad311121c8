"""Which files a batch grades: file arguments as given, folders searched for notebooks."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GradeError, Phrase


@dataclass
class Found:
    """One file to grade, and the directory argument it was found under (None: named directly)."""

    path: Path
    root: Path | None = None

    @property
    def below_root(self) -> tuple[str, ...]:
        """The folders between the directory argument and the file (empty when named directly)."""
        if self.root is None:
            return ()
        return self.path.relative_to(self.root).parts[:-1]

    @property
    def shown(self) -> str:
        """The path as the summary shows it: below its directory argument, else as given."""
        return self.path.relative_to(self.root).as_posix() if self.root is not None else str(self.path)


def hidden(name: str) -> bool:
    """.ipynb_checkpoints, .git, .venv, macOS ._ files: never submissions."""
    return name.startswith(".")


def collect(paths: Sequence[Path]) -> tuple[list[Found], list[Phrase]]:
    """Files to grade from file and directory arguments, and warnings (said by the caller
    in the reader's language).

    A directory is searched recursively for *.ipynb (hidden folders and files,
    such as .ipynb_checkpoints, skipped; symlinked folders not followed), sorted
    by path. Files named directly are kept whatever their name (grading says
    why one is not a notebook). Argument order is kept; a file reached twice is
    graded once.
    """
    found: list[Found] = []
    warnings: list[Phrase] = []
    empty: list[str] = []
    seen: set[Path] = set()

    def add(f: Found) -> None:
        key = f.path.resolve() if f.path.exists() else f.path.absolute()
        if key not in seen:
            seen.add(key)
            found.append(f)

    for arg in paths:
        if not arg.is_dir():
            add(Found(arg))
            continue
        inside: list[Path] = []
        for folder, dirs, files in os.walk(arg):
            dirs[:] = [d for d in dirs if not hidden(d)]
            inside += [Path(folder) / f for f in files if f.endswith(".ipynb") and not hidden(f)]
        if not inside:
            empty.append(str(arg))
            warnings.append(Phrase("batch.collect.no_notebooks", {"folder": str(arg)}))
        for p in sorted(inside, key=lambda p: p.relative_to(arg).as_posix()):
            add(Found(p, root=arg))
    if not found:
        raise GradeError.told("errors.batch.nothing_to_grade", folders=", ".join(empty))
    return found, warnings
