"""What the spec tests build on (tests/course, tests/checks): the two lines a spec starts with,
and a spec's text written to a file, then loaded or refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.course.spec import ExerciseSpec, load_spec
from grader.errors import SpecError


def header(exercise: str = "ch15.ex9", notebook: str = "09_x.ipynb") -> str:
    """A spec's first lines: its exercise and that exercise's notebook."""
    return f'id = "{exercise}"\nnotebook = "{notebook}"\n'


def write_spec(folder: Path, text: str, name: str = "09_x.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def load_written(folder: Path, text: str, name: str = "09_x.toml") -> tuple[Path, ExerciseSpec]:
    path = write_spec(folder, text, name)
    return path, load_spec(path)


def refused(folder: Path, text: str, name: str = "09_x.toml") -> tuple[Path, SpecError]:
    """The file written and the error loading it raised (the test fails if it loads)."""
    path = write_spec(folder, text, name)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return path, info.value


def line_with(text: str, needle: str) -> int:
    """The number (from 1) of the first line of `text` that holds `needle`."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)
