"""Errors that mean "the user gave us something we cannot use".

The CLI turns these into one clear line and a non-zero exit code; anything else
is a bug in the grader and keeps its traceback.
"""

from __future__ import annotations

from typing import Any


class GradeError(Exception):
    """A user-facing problem: bad file, unknown exercise, bad configuration.

    Made with `told(key, path, **fields)`, the message is a catalog entry
    (grader/i18n/catalog/errors.toml): `str()` is its English, `said(lang)` the reader's."""

    exit_code = 1

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        self.key: str | None = None
        self.fields: dict[str, Any] = {}
        super().__init__(f"{path}: {message}" if path else message)

    @classmethod
    def told(cls, key: str, path: str | None = None, /, **fields: Any) -> GradeError:  # noqa: ANN401
        from grader.i18n import text

        error = cls(text(key, "en", **fields), path)
        error.key, error.fields = key, fields
        return error

    def said(self, lang: str) -> str:
        """The message in `lang`, without the file (English when it is not a catalog entry)."""
        text = str(self)
        if self.path and text.startswith(f"{self.path}: "):
            text = text[len(self.path) + 2 :]
        if self.key is None:
            return text
        from grader.i18n import text as catalog_text

        return catalog_text(self.key, lang, **self.fields)


class InvalidNotebook(GradeError):
    """The file is not a notebook we can grade."""


class UnknownExercise(GradeError):
    """The notebook does not name an exercise of this course."""


class SpecError(GradeError):
    """A course data file (spec, bank, course.toml) is malformed."""


class GradebookError(GradeError):
    """The gradebook cannot be opened or written safely."""
