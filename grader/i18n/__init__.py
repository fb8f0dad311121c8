"""All user-visible text: one catalog in Korean and English, Korean particles by the word.

`text(key, lang, **fields)` renders an entry of grader/i18n/catalog/*.toml, `text_n(key, n,
lang, **fields)` the one of `key.one` and `key.many` that fits the count `n` (`counted(key,
n)` names it, for callers that take a key);
`default_lang()` is the user's choice from `GRADE_LANG` (Korean otherwise);
`status_word` shows an attempt status in the reader's language (JSON keeps the
English values of the contract).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from grader.i18n.catalog import LANGS, both, counted, entries, has, text, text_n
from grader.i18n.particles import attach, particle

if TYPE_CHECKING:
    from grader.errors import Phrase

__all__ = [
    "LANGS",
    "attach",
    "both",
    "counted",
    "default_lang",
    "entries",
    "join_and",
    "join_or",
    "particle",
    "status_phrase",
    "status_word",
    "text",
    "text_n",
]

LANG_ENV = "GRADE_LANG"


def default_lang() -> str:
    """The language when no --lang is given: $GRADE_LANG if it is ko or en, else Korean."""
    value = os.environ.get(LANG_ENV, "").strip().lower()
    return value if value in LANGS else "ko"


def _status_key(status: object) -> tuple[str, str]:
    value = str(getattr(status, "value", status))
    return f"status.{value}", value


def status_word(status: object, lang: str) -> str:
    """An attempt status ("graded", "error", ...) as the reader's language says it."""
    key, value = _status_key(status)
    return text(key, lang) if has(key) else value


def status_phrase(status: object) -> Phrase:
    """An attempt status as a message field, said in the reader's language when told."""
    from grader.errors import Phrase

    return Phrase(_status_key(status)[0])


def join_or(items: list[str], lang: str) -> str:
    """The items with "or" between them: LSTM or GRU, LSTM 또는 GRU."""
    return text("common.or", lang).join(items)


def join_and(items: list[str], lang: str) -> str:
    """The items joined by "and": h and c; in Korean h와 c, 과/와 chosen by the word before it."""
    items = [str(i) for i in items]
    if len(items) < 2:
        return "".join(items)
    if lang == "ko":
        return attach(", ".join(items[:-1]), "과/와") + " " + items[-1]
    return ", ".join(items[:-1]) + " and " + items[-1]
