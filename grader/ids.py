"""Member ids: what may name a member in the gradebook, the roster and every view.

A member id comes from a flag, a folder name, a file name or notebook metadata, i.e.
from students and their file managers. It is shown in terminals, web pages, Markdown
minutes and spreadsheets, and it keys the gradebook, so it must read the same
everywhere: letters of any script (지민, sora), digits, marks, and `. _ - @` and spaces
inside. Refused: control, bidi and zero-width characters (`textsafe.is_invisible`:
"jiho" and "jiho\u200b" must not be two look-alike members), markup characters
(`[/]` is rich markup, `<`, `&`, `|`, `*` and backquotes are HTML or Markdown), path
separators, and a leading `=`, `+`, `-` or `@` (a spreadsheet formula, a command-line
option). Text is NFC-normalised first: macOS writes folder names decomposed (소라 as
four separate jamo), and "소라" from a Mac must be the same member as "소라" typed elsewhere.
"""

from __future__ import annotations

import unicodedata

from grader.errors import GradeError, Phrase
from grader.textsafe import is_invisible, visible

MAX_LENGTH = 64
_ALLOWED_PUNCTUATION = frozenset("._-@ ")
_BAD_START = frozenset("=+-@")


def normalize(text: str) -> str:
    """The id as stored: NFC, without surrounding spaces."""
    return unicodedata.normalize("NFC", text).strip()


def problem(text: str) -> str | None:
    """Why `text` (already normalised) cannot be a member id, in English, or None when it can."""
    why = reason(text)
    return why.said("en") if why else None


def reason(text: str) -> Phrase | None:
    """Why `text` (already normalised) cannot be a member id, as a catalog phrase, or None."""
    if not text:
        return Phrase("errors.ids.why.empty")
    if len(text) > MAX_LENGTH:
        return Phrase("errors.ids.why.too_long", {"limit": MAX_LENGTH})
    bad = sorted({ch for ch in text if is_invisible(ch) or not _allowed(ch)})
    if bad:
        shown = ", ".join(visible(ch) if is_invisible(ch) else repr(ch) for ch in bad)
        return Phrase("errors.ids.why.bad_characters", {"shown": shown})
    if text[0] in _BAD_START:
        return Phrase("errors.ids.why.bad_start", {"first": text[0]})
    if "  " in text:
        return Phrase("errors.ids.why.two_spaces")
    return None


def _allowed(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN" or ch in _ALLOWED_PUNCTUATION


def member_id(text: str, where: str | Phrase, path: str | None = None) -> str:
    """`text` as a member id (normalised); GradeError naming `where` it came from (an option
    such as "--member", or a phrase: "the folder") and the file `path` if unusable."""
    value = normalize(text)
    why = reason(value)
    if why:
        raise GradeError.told("errors.ids.not_a_member_id", path, where=where, value=visible(value), why=why)
    return value
