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

from grader.checks.params import IDENTIFIER, PATTERN_WORDS, REF_PATTERN, ParamError
from grader.course.tables import CHECK_ID, NOTEBOOK
from grader.course.tomlpos import Path, Positions
from grader.errors import Phrase

# Type words in three forms, "a number" / "number" / "numbers" (Korean has one), by key.
_BASE = {
    "number": {
        "a": "errors.spec.type.number.a",
        "bare": "errors.spec.type.number.bare",
        "plural": "errors.spec.type.number.plural",
    },
    "integer": {
        "a": "errors.spec.type.integer.a",
        "bare": "errors.spec.type.integer.bare",
        "plural": "errors.spec.type.integer.plural",
    },
    "string": {
        "a": "errors.spec.type.string.a",
        "bare": "errors.spec.type.string.bare",
        "plural": "errors.spec.type.string.plural",
    },
    "boolean": {
        "a": "errors.spec.type.boolean.a",
        "bare": "errors.spec.type.boolean.bare",
        "plural": "errors.spec.type.boolean.plural",
    },
    "table": {
        "a": "errors.spec.type.table.a",
        "bare": "errors.spec.type.table.bare",
        "plural": "errors.spec.type.table.plural",
    },
    "any": {
        "a": "errors.spec.type.any.a",
        "bare": "errors.spec.type.any.bare",
        "plural": "errors.spec.type.any.plural",
    },
    "list": {
        "a": "errors.spec.type.list.a",
        "bare": "errors.spec.type.list.bare",
        "plural": "errors.spec.type.list.plural",
    },
    "finite": {
        "a": "errors.spec.type.finite.a",
        "bare": "errors.spec.type.finite.bare",
        "plural": "errors.spec.type.finite.plural",
    },
}
_FORMS = {
    "list_of": {
        "a": "errors.spec.type.list_of.a",
        "bare": "errors.spec.type.list_of.bare",
        "plural": "errors.spec.type.list_of.plural",
    },
    "table_of": {
        "a": "errors.spec.type.table_of.a",
        "bare": "errors.spec.type.table_of.bare",
        "plural": "errors.spec.type.table_of.plural",
    },
    "one_of": {
        "a": "errors.spec.type.one_of.a",
        "bare": "errors.spec.type.one_of.bare",
        "plural": "errors.spec.type.one_of.plural",
    },
}

# What a pydantic type error says the key needs, when its declared type says nothing.
_TYPE_KEYS = {
    "float_type": _BASE["number"],
    "float_parsing": _BASE["number"],
    "int_type": _BASE["integer"],
    "int_from_float": _BASE["integer"],
    "int_parsing": _BASE["integer"],
    "string_type": _BASE["string"],
    "bool_type": _BASE["boolean"],
    "list_type": _BASE["list"],
    "dict_type": _BASE["table"],
    "model_type": _BASE["table"],
    "model_attributes_type": _BASE["table"],
    "tuple_type": _BASE["list"],
    "dataclass_type": _BASE["table"],
    "finite_number": _BASE["finite"],
}

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


_VALID = {
    "keys": "errors.spec.valid.keys",
    "functions": "errors.spec.valid.functions",
    "kinds": "errors.spec.valid.kinds",
    "check ids": "errors.spec.valid.check_ids",
    "question ids": "errors.spec.valid.question_ids",
}


def suggest(word: str, choices: list[str], what: str = "keys") -> Phrase:
    """`suggestion` as a catalog phrase, said in the reader's language; `what` is one of
    `_VALID`'s names. With no choices at all it says there are none."""
    near = nearest(word, choices)
    if near:
        return Phrase("errors.spec.did_you_mean", {"near": near})
    if not choices:
        return Phrase("errors.spec.no_choices")
    return Phrase(_VALID[what], {"choices": ", ".join(map(repr, sorted(choices)))})


def shown(value: Any, limit: int = 40) -> str:  # noqa: ANN401
    """A value of the file as an English phrase ("the string 'x'"); `shown_phrase` in either language."""
    return shown_phrase(value, limit).said("en")


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
            message = _p("errors.spec.unknown_key.in_check_at", key=key, where=where, at=dotted(parent_loc), near=near)
        elif where:
            message = _p("errors.spec.unknown_key.in_check", key=key, where=where, near=near)
        elif parent_loc:
            message = _p("errors.spec.unknown_key.in_table", key=key, table=dotted(parent_loc), near=near)
        else:
            message = _p("errors.spec.unknown_key.top", key=key, near=near)
    elif kind == "missing":
        owner = missing_owner or where
        if owner and where and where != owner:
            word = _expected(at, "string_type", "a")
            message = _p("errors.spec.missing.in_owner", where=where, owner=owner, key=label, word=word)
        elif owner:
            message = _p("errors.spec.missing.owner", owner=owner, key=label, word=_expected(at, "string_type", "a"))
        else:
            message = _p("errors.spec.missing.key", key=label, word=_expected(at, "string_type", "bare"))
    elif kind == "value_error":
        cause = (err.get("ctx") or {}).get("error")
        text = cause.message if isinstance(cause, ParamError) else str(cause or err["msg"])
        if isinstance(cause, ParamError) and cause.key:
            loc = (*loc, *cause.key)
        elif label and label not in text:
            text = f"{label}: {text}"
        message = (
            _p("errors.spec.value.in_check", where=where, text=text)
            if where
            else _p("errors.spec.value.plain", text=text)
        )
    elif kind == "literal_error":
        choices = [
            repr(a)
            for tp in at
            for m in _members(tp)
            if typing.get_origin(m) is typing.Literal
            for a in typing.get_args(m)
        ]
        expected: str | Phrase = (err.get("ctx") or {}).get("expected", "")
        if len(choices) > 1:
            expected = _p("errors.spec.choices", head=", ".join(choices[:-1]), last=choices[-1])
        value = err.get("input")
        close = nearest(str(value), [c.strip("'") for c in choices]) if choices else None
        what = key if isinstance(key, str) else Phrase("errors.spec.value_word")
        subject = _subject(loc, where)
        if close:
            message = _p(
                "errors.spec.literal_near", subject=subject, expected=expected, what=what, value=value, near=close
            )
        else:
            message = _p("errors.spec.literal", subject=subject, expected=expected, what=what, value=value)
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter((err.get("ctx") or {}).values()), "?")
        message = _p(
            "errors.spec.bound", subject=_subject(loc, where), op=op, bound=bound, got=shown_phrase(err.get("input"))
        )
    elif kind in ("too_short", "too_long"):
        ctx = err.get("ctx") or {}
        if kind == "too_short" and ctx.get("min_length") == 1:
            message = _p("errors.spec.non_empty", subject=_subject(loc, where))
        elif kind == "too_short":
            message = _p("errors.spec.at_least", subject=_subject(loc, where), n=ctx.get("min_length"))
        else:
            message = _p("errors.spec.at_most", subject=_subject(loc, where), n=ctx.get("max_length"))
    elif kind == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        got = shown_phrase(err.get("input"))
        subject = _subject(loc, where)
        if pattern in _PATTERN_KEYS:
            message = _p(_PATTERN_KEYS[pattern], subject=subject, got=got)
        else:
            form = PATTERN_WORDS.get(pattern, "have the right form")
            message = _p("errors.spec.pattern.other", subject=subject, form=form, got=got)
    elif kind in _TYPE_KEYS:
        word = _expected(at, kind, "a")
        message = _p(
            "errors.spec.wrong_type", subject=_subject(loc, where), word=word, got=shown_phrase(err.get("input"))
        )
    else:
        message = _p("errors.spec.other", subject=_subject(loc, where), msg=err["msg"])
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
        return _p("errors.spec.subject.in_check_at", where=where, at=dotted(parent), key=key_txt)
    if where:
        return _p("errors.spec.subject.in_check", where=where, key=key_txt)
    return f"[{dotted(parent)}] {key_txt}" if parent else key_txt


def _p(entry: str, /, **fields: Any) -> Phrase:  # noqa: ANN401
    return Phrase(entry, fields)


def _expected(at: list[Any], kind: str, form: str) -> Phrase:  # noqa: ANN401
    """What the key takes, from its declared type (unions too), else from the error type;
    `form` "a" ("a number"), "bare" ("number") or "plural" ("numbers")."""
    words: list[Phrase] = []
    for tp in at:
        for m in _members(tp):
            word = type_phrase(m, form)
            if word is not None and word not in words:
                words.append(word)
    if not words:
        return Phrase(_TYPE_KEYS[kind][form])
    return _either(words)


def _either(words: list[Phrase]) -> Phrase:
    out = words[0]
    for word in words[1:]:
        out = _p("errors.spec.type.either", a=out, b=word)
    return out


def type_phrase(tp: Any, form: str = "a") -> Phrase | None:  # noqa: ANN401
    """`type_word` as a catalog phrase in `form` ("a", "bare", "plural"), said in either language."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return type_phrase(typing.get_args(tp)[0], form)
    if origin is typing.Literal:
        choices = ", ".join(repr(a) for a in typing.get_args(tp))
        return _p(_FORMS["one_of"][form], choices=choices)
    if origin in (typing.Union, types.UnionType):
        words = [w for w in (type_phrase(a, form) for a in typing.get_args(tp) if a is not type(None)) if w]
        return _either(words) if words else None
    if origin in (list, tuple, dict):
        args = typing.get_args(tp)
        inner_tp = (args[0] if args else None) if origin is not dict else (args[1] if len(args) == 2 else None)
        inner = type_phrase(inner_tp, "plural") if inner_tp is not None else None
        return _p(
            _FORMS["list_of" if origin is not dict else "table_of"][form], inner=inner or Phrase(_BASE["any"]["plural"])
        )
    for base, name in ((bool, "boolean"), (float, "number"), (int, "integer"), (str, "string")):
        if tp is base:
            return Phrase(_BASE[name][form])
    if tp is Any:
        return Phrase(_BASE["any"][form])
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return Phrase(_BASE["table"][form])
    return None


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
    where = f"{file}:{line}" if line else file
    if problem.more == 1:
        raise SpecError.told("errors.spec.one_more_problem", where, problem=problem.phrase)
    if problem.more:
        raise SpecError.told("errors.spec.more_problems", where, problem=problem.phrase, n=problem.more)
    raise SpecError.told(problem.phrase.key, where, **problem.phrase.fields)


__all__ = [
    "Problem",
    "ValidationError",
    "dotted",
    "first_problem",
    "nearest",
    "raise_problem",
    "shown_phrase",
    "suggest",
    "suggestion",
    "type_phrase",
    "type_word",
    "walk",
]
