"""Errors that mean "the user gave us something we cannot use".

The CLI turns these into one clear line and a non-zero exit code; anything else
is a bug in the grader and keeps its traceback.
"""

from __future__ import annotations


class GradeError(Exception):
    """A user-facing problem: bad file, unknown exercise, bad configuration."""

    exit_code = 1

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class InvalidNotebook(GradeError):
    """The file is not a notebook we can grade."""


class UnknownExercise(GradeError):
    """The notebook does not name an exercise of this course."""


class SpecError(GradeError):
    """A course data file (spec, bank, course.toml) is malformed."""


class GradebookError(GradeError):
    """The gradebook cannot be opened or written safely."""
