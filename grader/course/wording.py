"""How spec errors quote the file: a value as messages show it, and the nearest valid key (or
function, kind, id) to a misspelt one."""

from __future__ import annotations

import difflib
from typing import Any

from grader.errors import Phrase


def nearest(word: str, choices: list[str]) -> str | None:
    """The closest of `choices` to a misspelt `word`, if any is close enough to suggest."""
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not found:
        lowered = {c.lower(): c for c in choices}
        found = [lowered[m] for m in difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)]
    return found[0] if found else None


_VALID = {
    "keys": "errors.spec.valid.keys",
    "functions": "errors.spec.valid.functions",
    "kinds": "errors.spec.valid.kinds",
    "check ids": "errors.spec.valid.check_ids",
    "question ids": "errors.spec.valid.question_ids",
}


def suggest(word: str, choices: list[str], what: str = "keys") -> Phrase:
    """ "(did you mean 'atol'?)" or, with nothing close, the valid choices, as a catalog phrase
    said in the reader's language; `what` is one of `_VALID`'s names. With no choices at all it
    says there are none."""
    near = nearest(word, choices)
    if near:
        return Phrase("errors.spec.did_you_mean", {"near": near})
    if not choices:
        return Phrase("errors.spec.no_choices")
    return Phrase(_VALID[what], {"choices": ", ".join(map(repr, sorted(choices)))})


def shown_phrase(value: Any, limit: int = 40) -> Phrase:  # noqa: ANN401
    """A value of the file as messages quote it: "the string 'x'", "true", "a table"."""
    if isinstance(value, dict):
        return Phrase("errors.spec.shown.table")
    if isinstance(value, bool):
        return Phrase("errors.spec.shown.value", {"text": str(value).lower()})
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if isinstance(value, str):
        return Phrase("errors.spec.shown.string", {"text": text})
    if isinstance(value, list):
        return Phrase("errors.spec.shown.list", {"text": text})
    return Phrase("errors.spec.shown.value", {"text": text})
