"""Pydantic's validation errors as one spec line: file, line, what is wrong, what to write.

`first_problem` turns the first error of a `ValidationError` into the path of the
offending key in the TOML document (for its line) and a sentence: the key and the
type it needs, or for an unknown key the nearest key the table takes. The pieces it uses:
`typewalk` follows the location through the model's types, `typewords` says what a key takes,
`wording` quotes values and finds the nearest key.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from grader.checks.params import IDENTIFIER, PATTERN_WORDS, REF_PATTERN, ParamError
from grader.course.tables import CHECK_ID, NOTEBOOK
from grader.course.tomlpos import Path, Positions
from grader.course.typewalk import dotted, keys_of, members, walk
from grader.course.typewords import TYPE_KEYS, expected_type
from grader.course.wording import nearest, shown_phrase, suggest
from grader.errors import Phrase
from grader.i18n import counted

# The forms the spec's patterns ask for (grader/course/tables.py, grader/checks/params.py);
# any other pattern is said by its PATTERN_WORDS entry.
_PATTERN_KEYS = {
    CHECK_ID: "errors.spec.pattern.check_id",
    NOTEBOOK: "errors.spec.pattern.notebook",
    REF_PATTERN: "errors.spec.pattern.reference",
    IDENTIFIER: "errors.spec.pattern.identifier",
}


@dataclass
class Problem:
    path: Path  # in the document, for the line
    phrase: Phrase  # what is wrong, said in the reader's language
    more: int = 0  # further errors in the same table

    @property
    def message(self) -> str:
        """What is wrong, in English."""
        return self.phrase.said("en")


def first_problem(
    exc: ValidationError,
    model: type[BaseModel],
    *,
    extra_keys: list[str] | None = None,
    where: str | Phrase = "",
    missing_owner: str | Phrase = "",
) -> Problem:
    """The first error of `exc` (from validating `model`) as a Problem.

    `where` names the table in messages ("check 'quality'"; empty: the top level);
    `extra_keys` are keys of the same table validated by another model (a check's id,
    kind, points …), offered as suggestions too; `missing_owner` says who needs a
    missing key ("check kind 'causal'")."""
    errors = _ranked(exc.errors(include_url=False), model)
    err = errors[0]
    loc, at = walk(model, tuple(err["loc"]))
    kind = err["type"]
    key = loc[-1] if loc else ""
    label = dotted(loc)
    message: Phrase
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        # The unknown key is no field, so it is not in the walked location: add it back.
        key = err["loc"][-1]
        parent_loc, parent = walk(model, tuple(err["loc"][:-1]))
        loc = (*parent_loc, key)
        choices = keys_of(parent) + (list(extra_keys or []) if not parent_loc else [])
        near = suggest(str(key), choices)
        if where and parent_loc:
            message = Phrase.of(
                "errors.spec.unknown_key.in_check_at", key=key, where=where, at=dotted(parent_loc), near=near
            )
        elif where:
            message = Phrase.of("errors.spec.unknown_key.in_check", key=key, where=where, near=near)
        elif parent_loc:
            message = Phrase.of("errors.spec.unknown_key.in_table", key=key, table=dotted(parent_loc), near=near)
        else:
            message = Phrase.of("errors.spec.unknown_key.top", key=key, near=near)
    elif kind == "missing":
        owner = missing_owner or where
        if owner and where and where != owner:
            word = expected_type(at, "string_type", "a")
            message = Phrase.of("errors.spec.missing.in_owner", where=where, owner=owner, key=label, word=word)
        elif owner:
            message = Phrase.of(
                "errors.spec.missing.owner", owner=owner, key=label, word=expected_type(at, "string_type", "a")
            )
        else:
            message = Phrase.of("errors.spec.missing.key", key=label, word=expected_type(at, "string_type", "bare"))
    elif kind == "value_error":
        cause = (err.get("ctx") or {}).get("error")
        text = cause.message if isinstance(cause, ParamError) else str(cause or err["msg"])
        if isinstance(cause, ParamError) and cause.key:
            loc = (*loc, *cause.key)
        elif label and label not in str(text):
            text = Phrase.of("errors.spec.value.in_check", where=label, text=text)
        message = (
            Phrase.of("errors.spec.value.in_check", where=where, text=text)
            if where
            else Phrase.of("errors.spec.value.plain", text=text)
        )
    elif kind == "literal_error":
        choices = [
            repr(a)
            for tp in at
            for m in members(tp)
            if typing.get_origin(m) is typing.Literal
            for a in typing.get_args(m)
        ]
        expected: str | Phrase = (err.get("ctx") or {}).get("expected", "")
        if len(choices) > 1:
            expected = Phrase.of("errors.spec.choices", head=", ".join(choices[:-1]), last=choices[-1])
        value = err.get("input")
        close = nearest(str(value), [c.strip("'") for c in choices]) if choices else None
        what = key if isinstance(key, str) else Phrase("errors.spec.value_word")
        subject = _subject(loc, where)
        if close:
            message = Phrase.of(
                "errors.spec.literal_near", subject=subject, expected=expected, what=what, value=value, near=close
            )
        else:
            message = Phrase.of("errors.spec.literal", subject=subject, expected=expected, what=what, value=value)
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter((err.get("ctx") or {}).values()), "?")
        message = Phrase.of(
            "errors.spec.bound", subject=_subject(loc, where), op=op, bound=bound, got=shown_phrase(err.get("input"))
        )
    elif kind in ("too_short", "too_long"):
        ctx = err.get("ctx") or {}
        if kind == "too_short" and ctx.get("min_length") == 1:
            message = Phrase.of("errors.spec.non_empty", subject=_subject(loc, where))
        elif kind == "too_short":
            n = ctx.get("min_length")
            entry = counted("errors.spec.at_least", n)
            message = Phrase.of(entry, subject=_subject(loc, where), n=n)
        else:
            n = ctx.get("max_length")
            entry = counted("errors.spec.at_most", n)
            message = Phrase.of(entry, subject=_subject(loc, where), n=n)
    elif kind == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        got = shown_phrase(err.get("input"))
        subject = _subject(loc, where)
        if pattern in _PATTERN_KEYS:
            message = Phrase.of(_PATTERN_KEYS[pattern], subject=subject, got=got)
        else:
            form = PATTERN_WORDS.get(pattern, Phrase("errors.spec.form.other"))
            message = Phrase.of("errors.spec.pattern.other", subject=subject, form=form, got=got)
    elif kind in TYPE_KEYS:
        word = expected_type(at, kind, "a")
        message = Phrase.of(
            "errors.spec.wrong_type", subject=_subject(loc, where), word=word, got=shown_phrase(err.get("input"))
        )
    else:
        message = Phrase.of("errors.spec.other", subject=_subject(loc, where), msg=err["msg"])
    extra = kind in ("extra_forbidden", "unexpected_keyword_argument")
    first = loc if extra else walk(model, tuple(err["loc"]))[0]
    others = {walk(model, tuple(e["loc"]))[0] for e in errors[1:]} - {first, first[:-1] if extra else first}
    if extra:
        # A misspelt key is also a missing one: that is the same problem.
        others = {
            o
            for o in others
            if not (
                o[:-1] == first[:-1]
                and any(e["type"] == "missing" and walk(model, tuple(e["loc"]))[0] == o for e in errors)
            )
        }
    return Problem(path=loc, phrase=message, more=len(others))


def _ranked(errors: list[Any], model: type[BaseModel]) -> list[Any]:  # noqa: ANN401
    """The most telling error first: an unknown key (a misspelt key also shows up as a
    missing one), then the deepest (a union of a string and a table fails as both; the
    table's own error says more)."""

    def rank(e: Any) -> tuple[int, int]:  # noqa: ANN401
        return (
            0 if e["type"] in ("extra_forbidden", "unexpected_keyword_argument") else 1,
            -len(walk(model, tuple(e["loc"]))[0]),
        )

    return sorted(errors, key=rank)


def _subject(loc: tuple[str | int, ...], where: str | Phrase) -> str | Phrase:
    """The key a message is about: "check 'quality': 'threshold'", "expect[0]: 'on'",
    "[limits] 'memory_mb'"."""
    if not loc:
        return where or Phrase("errors.spec.subject.table")
    key, parent = loc[-1], loc[:-1]
    if isinstance(key, int):  # an item of a list: name it whole
        key_txt, parent = repr(dotted(loc)), ()
    else:
        key_txt = repr(key)
    if where and parent:
        return Phrase.of("errors.spec.subject.in_check_at", where=where, at=dotted(parent), key=key_txt)
    if where:
        return Phrase.of("errors.spec.subject.in_check", where=where, key=key_txt)
    return f"[{dotted(parent)}] {key_txt}" if parent else key_txt


def raise_problem(problem: Problem, file: str, positions: Positions, base: Path = ()) -> typing.NoReturn:
    from grader.errors import SpecError

    line = positions.line((*base, *problem.path))
    where = f"{file}:{line}" if line else file
    if problem.more == 1:
        raise SpecError.told("errors.spec.one_more_problem", where, problem=problem.phrase)
    if problem.more:
        raise SpecError.told("errors.spec.more_problems", where, problem=problem.phrase, n=problem.more)
    raise SpecError.told(problem.phrase.key, where, **problem.phrase.fields)


__all__ = ["Problem", "ValidationError", "first_problem", "raise_problem"]
