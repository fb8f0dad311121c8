"""Pydantic's validation errors as one spec line: file, line, what is wrong, what to write.

`first_problem` turns the first error of a `ValidationError` into the path of the
offending key in the TOML document (for its line) and a sentence: the key and the
type it needs, or for an unknown key the nearest key the table takes.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from grader.checks.params import PATTERN_WORDS, ParamError
from grader.course.tomlpos import Path, Positions

_TYPE_WORDS = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "int_parsing": "an integer",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "tuple_type": "a list",
    "dataclass_type": "a table",
    "finite_number": "a finite number",
}


@dataclass
class Problem:
    path: Path  # in the document, for the line
    message: str
    more: int = 0  # further errors in the same table


def nearest(word: str, choices: list[str]) -> str | None:
    """The closest of `choices` to a misspelt `word`, if any is close enough to suggest."""
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not found:
        lowered = {c.lower(): c for c in choices}
        found = [lowered[m] for m in difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)]
    return found[0] if found else None


def suggestion(word: str, choices: list[str], what: str = "keys") -> str:
    """ "(did you mean 'atol'?)" or, with nothing close, the valid choices."""
    near = nearest(word, choices)
    if near:
        return f"(did you mean {near!r}?)"
    return f"(valid {what}: {', '.join(map(repr, sorted(choices)))})" if choices else ""


def shown(value: Any, limit: int = 40) -> str:  # noqa: ANN401
    if isinstance(value, str):
        text = repr(value)
        kind = "the string "
    elif isinstance(value, bool):
        text, kind = str(value).lower(), ""
    elif isinstance(value, dict):
        return "a table"
    elif isinstance(value, list):
        text, kind = repr(value), "the list "
    else:
        text, kind = repr(value), ""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return kind + text


def dotted(loc: tuple[str | int, ...]) -> str:
    """('expect', 1, 'class') as "expect[1].class"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --- following a location through the model's types ------------------------------------


def _members(tp: Any) -> list[Any]:  # noqa: ANN401
    """A type with Annotated and Optional peeled off, as the list of its union members."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _members(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _members(a) if m is not type(None)]
    return [tp]


def _field(model: type[BaseModel], key: str) -> Any:  # noqa: ANN401
    for name, f in model.model_fields.items():
        if (f.alias or name) == key:
            return f.annotation
    return None


def _step(tp: Any, part: str | int) -> tuple[list[Any], bool]:  # noqa: ANN401
    """The types `part` leads to from `tp`, and whether `part` was a real key or index
    (False: a union member's tag that pydantic puts in the location)."""
    out: list[Any] = []
    for m in _members(tp):
        origin = typing.get_origin(m)
        if isinstance(part, int) and origin in (list, tuple):
            out.append(typing.get_args(m)[0] if typing.get_args(m) else Any)
        elif isinstance(part, str) and isinstance(m, type) and issubclass(m, BaseModel):
            inner = _field(m, part)
            if inner is not None:
                out.append(inner)
        elif isinstance(part, str) and origin is dict:
            out.append(typing.get_args(m)[1] if typing.get_args(m) else Any)
    if out:
        return out, True
    # A tag such as 'list[Cond]' or 'Cond': stay on the member it names.
    tagged = [m for m in _members(tp) if getattr(m, "__name__", None) == part or _tag(m) == part]
    return (tagged or [tp]), False


def _tag(tp: Any) -> str:  # noqa: ANN401
    origin = typing.get_origin(tp)
    if origin is list:
        (arg,) = typing.get_args(tp) or (Any,)
        return f"list[{_tag(arg)}]"
    return getattr(tp, "__name__", str(tp))


def walk(model: type[BaseModel], loc: tuple[str | int, ...]) -> tuple[tuple[str | int, ...], list[Any]]:
    """The location without union tags, and the types at its end."""
    current: list[Any] = [model]
    real: list[str | int] = []
    for part in loc:
        nxt: list[Any] = []
        was_real = False
        for tp in current:
            found, ok = _step(tp, part)
            if ok:
                nxt.extend(found)
                was_real = True
        if was_real:
            real.append(part)
            current = nxt
        else:
            current = [t for tp in current for t in _step(tp, part)[0]]
    return tuple(real), current


def keys_of(types_: list[Any]) -> list[str]:  # noqa: ANN401
    keys: list[str] = []
    for tp in types_:
        for m in _members(tp):
            if isinstance(m, type) and issubclass(m, BaseModel):
                keys += [f.alias or n for n, f in m.model_fields.items() if (f.alias or n) not in keys]
    return keys


# --- one error as one sentence -----------------------------------------------------------


def first_problem(
    exc: ValidationError,
    model: type[BaseModel],
    *,
    extra_keys: list[str] | None = None,
    where: str = "",
    missing_owner: str = "",
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
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        # The unknown key is no field, so it is not in the walked location: add it back.
        key = err["loc"][-1]
        parent_loc, parent = walk(model, tuple(err["loc"][:-1]))
        loc = (*parent_loc, key)
        choices = keys_of(parent) + (list(extra_keys or []) if not parent_loc else [])
        if where:
            table = f" in {where}" + (f", {dotted(parent_loc)}" if parent_loc else "")
        else:
            table = f" in [{dotted(parent_loc)}]" if parent_loc else " at the top level"
        message = f"unknown key {key!r}{table} {suggestion(str(key), choices)}".rstrip()
    elif kind == "missing":
        word = _expected(at, "string_type")
        owner = missing_owner or (where or "")
        if owner:
            message = f"{where + ': ' if where and where != owner else ''}{owner} needs {label} ({word})"
        else:
            message = f"missing {word.removeprefix('an ').removeprefix('a ')} key {label!r}"
    elif kind == "value_error":
        cause = (err.get("ctx") or {}).get("error")
        text = cause.message if isinstance(cause, ParamError) else str(cause or err["msg"])
        if isinstance(cause, ParamError) and cause.key:
            loc = (*loc, *cause.key)
        elif label and label not in text:
            text = f"{label}: {text}"
        message = f"{where}: {text}" if where else text
    elif kind == "literal_error":
        choices = [
            str(a)
            for tp in at
            for m in _members(tp)
            if typing.get_origin(m) is typing.Literal
            for a in typing.get_args(m)
        ]
        expected = (err.get("ctx") or {}).get("expected", "")
        value = err.get("input")
        near = nearest(str(value), choices) if choices else None
        what = key if isinstance(key, str) else "value"
        hint = f"; did you mean {near!r}?" if near else ""
        message = f"{_subject(loc, where)} must be {expected} (unknown {what} {value!r}{hint})"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter((err.get("ctx") or {}).values()), "?")
        message = f"{_subject(loc, where)} must be a number {op} {bound} (got {shown(err.get('input'))})"
    elif kind in ("too_short", "too_long"):
        ctx = err.get("ctx") or {}
        if kind == "too_short" and ctx.get("min_length") == 1:
            message = f"{_subject(loc, where)} must be a non-empty list"
        else:
            need = f"at least {ctx.get('min_length')}" if kind == "too_short" else f"at most {ctx.get('max_length')}"
            message = f"{_subject(loc, where)} must have {need} item(s)"
    elif kind == "string_pattern_mismatch":
        form = PATTERN_WORDS.get((err.get("ctx") or {}).get("pattern", ""), "have the right form")
        message = f"{_subject(loc, where)} must {form} (got {shown(err.get('input'))})"
    elif kind in _TYPE_WORDS:
        message = f"{_subject(loc, where)} must be {_expected(at, kind)} (got {shown(err.get('input'))})"
    else:
        message = f"{_subject(loc, where)}: {err['msg']}"
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
    return Problem(path=loc, message=message, more=len(others))


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


def _subject(loc: tuple[str | int, ...], where: str) -> str:
    """The key a message is about: "check 'quality': 'threshold'", "expect[0]: 'on'",
    "[limits] 'memory_mb'"."""
    if not loc:
        return where or "the table"
    key, parent = loc[-1], loc[:-1]
    if isinstance(key, int):  # an item of a list: name it whole
        key_txt, parent = repr(dotted(loc)), ()
    else:
        key_txt = repr(key)
    if where:
        return f"{where}: " + (f"{dotted(parent)}: " if parent else "") + key_txt
    return (f"[{dotted(parent)}] " if parent else "") + key_txt


def _expected(at: list[Any], kind: str) -> str:  # noqa: ANN401
    """What the key takes, from its declared type (unions too), else from the error type."""
    words: list[str] = []
    for tp in at:
        for m in _members(tp):
            word = type_word(m)
            if word and word not in words:
                words.append(word)
    return " or ".join(words) if words else _TYPE_WORDS[kind]


def type_word(tp: Any) -> str:  # noqa: ANN401
    """A type in the words of the spec reference ("a number", "a list of strings")."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return type_word(typing.get_args(tp)[0])
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(w for w in (type_word(a) for a in typing.get_args(tp) if a is not type(None)) if w)
    if origin in (list, tuple):
        args = typing.get_args(tp)
        inner = type_word(args[0]) if args else "values"
        return f"a list of {_plural(inner)}"
    if origin is dict:
        args = typing.get_args(tp)
        inner = type_word(args[1]) if len(args) == 2 else "values"
        return f"a table of {_plural(inner)}"
    if tp is float:
        return "a number"
    if tp is int:
        return "an integer"
    if tp is bool:
        return "true or false"
    if tp is str:
        return "a string"
    if tp is Any:
        return "any value"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "a table"
    return ""


def _plural(word: str) -> str:
    for article in ("an ", "a "):
        if word.startswith(article):
            noun = word[len(article) :]
            if noun == "true or false":
                return "booleans"
            if noun.startswith(("list", "table")):
                return noun.replace("list", "lists", 1).replace("table", "tables", 1)
            return noun + "s" if " " not in noun else noun
    if word.startswith("one of"):
        return f"values ({word})"
    return word


def raise_problem(problem: Problem, file: str, positions: Positions, base: Path = ()) -> typing.NoReturn:
    from grader.errors import SpecError

    line = positions.line((*base, *problem.path))
    more = f" (and {problem.more} more problem{'s' if problem.more > 1 else ''} in this table)" if problem.more else ""
    raise SpecError(problem.message + more, f"{file}:{line}" if line else file)


__all__ = [
    "Problem",
    "ValidationError",
    "dotted",
    "first_problem",
    "nearest",
    "raise_problem",
    "suggestion",
    "type_word",
    "walk",
]
