"""What the roster, meeting and page modules share: bilingual text, the group's date format,
and reading a TOML file into (data, line positions) with errors that name file and line."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from grader.course.tomlpos import Positions, positions
from grader.course.validation import first_problem, raise_problem
from grader.errors import SpecError

Text = dict[str, str]  # language -> text

DEFAULT_TZ = "Asia/Seoul"
LANGS = ("ko", "en")

M = TypeVar("M", bound=BaseModel)


def pick(text: Text | None, lang: str) -> str:
    """The text in `lang`, else Korean, else English, else any."""
    if not text:
        return ""
    return text.get(lang) or text.get("ko") or text.get("en") or next(iter(text.values()), "")


def yymmdd(day: dt.date | dt.datetime) -> str:
    """The group's date format: 21.11.20."""
    return day.strftime("%y.%m.%d")


class Strict(BaseModel):
    """A table of a roster or meeting file: a key it does not declare is an error (a typo
    would otherwise drop a field without a word)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LangText(Strict):
    """`{ ko = "…", en = "…" }`: the same text in the group's two languages."""

    ko: str | None = None
    en: str | None = None


TextValue = str | LangText


def as_text(value: TextValue | None) -> Text:
    """A file's text value as {language: text}; a plain string serves both languages."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"ko": value, "en": value} if value.strip() else {}
    return {k: v for k, v in (("ko", value.ko), ("en", value.en)) if v}


def as_texts(value: TextValue | list[TextValue] | None) -> list[Text]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [t for t in (as_text(v) for v in items) if t]


class Source:
    """A loaded TOML file: its data and the line of every key, for errors."""

    def __init__(self, path: Path, text: str, data: dict[str, Any]) -> None:
        self.path = path
        self.text = text
        self.data = data
        self.pos: Positions = positions(text)

    def error(self, key: str, /, *where: str | int, **fields: Any) -> SpecError:  # noqa: ANN401
        """The catalog's error `key` at the line of the key path `where` (or its nearest
        enclosing table)."""
        line = self.pos.line(tuple(where)) if where else None
        return SpecError.told(key, f"{self.path}:{line}" if line else str(self.path), **fields)

    def validate(self, model: type[M]) -> M:
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            raise_problem(first_problem(exc, model), str(self.path), self.pos)


# The errors of a file the recorder gives, by what it is (catalog entries, report.toml).
_READ_ERRORS = {
    "meeting": ("report.read.meeting.missing", "report.read.meeting.folder", "report.read.meeting.unreadable"),
    "roster": ("report.read.roster.missing", "report.read.roster.folder", "report.read.roster.unreadable"),
}


def read_toml(path: Path, what: str) -> Source:
    """The TOML file `path`, a "meeting" or "roster" file; SpecError (told in the reader's
    language) when it is missing, a folder, unreadable or not TOML."""
    missing, folder, unreadable = _READ_ERRORS[what]
    if not path.exists():
        raise SpecError.told(missing, str(path))
    if path.is_dir():
        raise SpecError.told(folder, str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError.told("report.read.not_utf8", str(path), byte=exc.start) from None
    except OSError as exc:
        raise SpecError.told(unreadable, str(path), reason=exc.strerror) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "... (at line 7, column 3)": keep the line, it is the useful part.
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)) or "invalid TOML"
        where = f"{path}:{m.group(1)}" if m else str(path)
        raise SpecError.told("report.read.bad_toml", where, reason=msg) from None
    return Source(path, text, data)
