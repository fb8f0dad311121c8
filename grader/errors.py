"""Errors that mean "the user gave us something we cannot use".

The CLI turns these into one clear line and a non-zero exit code; anything else
is a bug in the grader and keeps its traceback.
"""

from __future__ import annotations

import errno
from typing import Any, NamedTuple, Self


class Phrase(NamedTuple):
    """A part of a message that is a catalog entry itself (why a member id is refused, which
    name it was): a field of `GradeError.told` given as a Phrase is said in the reader's
    language too, not frozen in English."""

    key: str
    fields: dict[str, Any] = {}  # noqa: RUF012 - a NamedTuple default, never changed

    @classmethod
    def of(cls, key: str, /, **fields: Any) -> Phrase:  # noqa: ANN401
        """A phrase with its fields given as keywords, the way `GradeError.told` takes them."""
        return cls(key, fields)

    def said(self, lang: str) -> str:
        from grader.i18n import text

        return text(self.key, lang, **_spoken(self.fields, lang))

    def __str__(self) -> str:
        # Where a phrase ends up in plain text (a log line, an f-string), it reads as English
        # rather than as the tuple it is.
        return self.said("en")


def _spoken(fields: dict[str, Any], lang: str) -> dict[str, Any]:
    """The fields with each Phrase said, and each GradeError told whole, in `lang`."""

    def say(value: Any) -> Any:  # noqa: ANN401
        if isinstance(value, Phrase):
            return value.said(lang)
        if isinstance(value, GradeError):
            return value.line(lang)
        return value

    return {name: say(value) for name, value in fields.items()}


class GradeError(Exception):
    """A user-facing problem: bad file, unknown exercise, bad configuration.

    Made with `told(key, path, **fields)`, the message is a catalog entry
    (grader/i18n/catalog/errors.toml): `str()` is its English, `said(lang)` the reader's.
    A field may be a `Phrase` or another GradeError (the cause), said in the same language."""

    exit_code = 1

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        self.key: str | None = None
        self.fields: dict[str, Any] = {}
        super().__init__(f"{path}: {message}" if path else message)

    @classmethod
    def told(cls, key: str, path: str | None = None, /, **fields: Any) -> Self:  # noqa: ANN401
        from grader.i18n import text

        error = cls(text(key, "en", **_spoken(fields, "en")), path)
        error.key, error.fields = key, fields
        return error

    def line(self, lang: str) -> str:
        """The whole message in `lang`: the file, then what is wrong."""
        said = self.said(lang)
        return f"{self.path}: {said}" if self.path else said

    def said(self, lang: str) -> str:
        """The message in `lang`, without the file (English when it is not a catalog entry)."""
        text = str(self)
        if self.path and text.startswith(f"{self.path}: "):
            text = text[len(self.path) + 2 :]
        if self.key is None:
            return text
        from grader.i18n import text as catalog_text

        return catalog_text(self.key, lang, **_spoken(self.fields, lang))


class InvalidNotebook(GradeError):
    """The file is not a notebook we can grade."""


class UnknownExercise(GradeError):
    """The notebook does not name an exercise of this course."""


class SpecError(GradeError):
    """A course data file (spec, bank, course.toml) is malformed."""


class GradebookError(GradeError):
    """The gradebook cannot be opened or written safely."""


# The OS errors a user meets with the files they name, said by the catalog (common.toml);
# any other keeps the system's own words.
_OS_REASONS = {
    "ENOENT": "common.os.no_such_file",
    "EACCES": "common.os.permission_denied",
    "EPERM": "common.os.permission_denied",
    "EISDIR": "common.os.is_a_folder",
    "ENOTDIR": "common.os.not_a_folder",
    "ENOSPC": "common.os.disk_full",
    "EROFS": "common.os.read_only",
    "EEXIST": "common.os.exists",
}


def os_reason(exc: OSError) -> Phrase | str:
    """Why an OS call failed, as a field of `GradeError.told`: a Phrase in the reader's
    language for the common causes, else the system's message."""
    key = _OS_REASONS.get(errno.errorcode.get(exc.errno or 0, ""))
    return Phrase(key) if key else (exc.strerror or str(exc))
