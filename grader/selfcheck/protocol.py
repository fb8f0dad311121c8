"""What the kernel side and the worker both name: the settings passed along with each request,
and the form of a refusal (`{"ok": false, "error": {"en": ..., "ko": ...}}`)."""

from __future__ import annotations

from typing import Any

from grader.errors import GradeError
from grader.i18n import text

# Settings a notebook may change after the worker started; each request carries the kernel's.
PASSED_ENV = ("GRADE_COURSE", "GRADE_SELFCHECK_PACK", "GRADE_LANG", "XDG_CACHE_HOME")


class Refused(Exception):
    """A request the worker cannot serve; the message is for the student (both languages)."""

    def __init__(self, en: str, ko: str) -> None:
        super().__init__(en)
        self.en, self.ko = en, ko

    @classmethod
    def told(cls, key: str, /, **fields: Any) -> Refused:  # noqa: ANN401
        """The catalog entry `key` (grader/i18n/catalog/selfcheck.toml) in both languages; a
        grader error among the fields is told in each language too."""

        def said(lang: str) -> dict[str, Any]:
            return {k: said_in(v, lang) if isinstance(v, GradeError) else v for k, v in fields.items()}

        return cls(text(key, "en", **said("en")), text(key, "ko", **said("ko")))

    @classmethod
    def of(cls, exc: GradeError) -> Refused:
        """A grader error (a broken spec, a course.toml it cannot read), in both languages."""
        return cls(said_in(exc, "en"), said_in(exc, "ko"))

    def reply(self) -> dict[str, Any]:
        return {"ok": False, "error": {"en": self.en, "ko": self.ko}}


def said_in(exc: GradeError, lang: str) -> str:
    """A grader error's message in `lang`, after its file as `str(exc)` has it."""
    return f"{exc.path}: {exc.said(lang)}" if exc.path else exc.said(lang)


def plain(value: Any) -> Any:  # noqa: ANN401
    """JSON's fallback for a reply: NumPy scalars in check details as JSON numbers."""
    return value.item() if hasattr(value, "item") else str(value)
