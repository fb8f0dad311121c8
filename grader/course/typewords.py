"""What a spec key takes, in the catalog's type words ("a number", "a list of strings"), from its
declared type or, when that says nothing, from the kind of pydantic error."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

from grader.course.typewalk import members
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
TYPE_KEYS = {
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


def expected_type(at: list[Any], kind: str, form: str) -> Phrase:  # noqa: ANN401
    """What the key takes, from its declared type (unions too), else from the error type;
    `form` "a" ("a number"), "bare" ("number") or "plural" ("numbers")."""
    words: list[Phrase] = []
    for tp in at:
        for m in members(tp):
            word = type_phrase(m, form)
            if word is not None and word not in words:
                words.append(word)
    if not words:
        return Phrase(TYPE_KEYS[kind][form])
    return either(words)


def either(words: list[Phrase]) -> Phrase:
    """The words as one phrase: "a or b or c"."""
    out = words[0]
    for word in words[1:]:
        out = Phrase.of("errors.spec.type.either", a=out, b=word)
    return out


def type_phrase(tp: Any, form: str = "a") -> Phrase | None:  # noqa: ANN401
    """A type in catalog words, in `form` ("a" a number, "bare" number, "plural" numbers), said in
    either language; None for a type that has no words."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return type_phrase(typing.get_args(tp)[0], form)
    if origin is typing.Literal:
        choices = ", ".join(repr(a) for a in typing.get_args(tp))
        return Phrase.of(_FORMS["one_of"][form], choices=choices)
    if origin in (typing.Union, types.UnionType):
        words = [w for w in (type_phrase(a, form) for a in typing.get_args(tp) if a is not type(None)) if w]
        return either(words) if words else None
    if origin in (list, tuple, dict):
        args = typing.get_args(tp)
        inner_tp = (args[0] if args else None) if origin is not dict else (args[1] if len(args) == 2 else None)
        inner = type_phrase(inner_tp, "plural") if inner_tp is not None else None
        return Phrase.of(
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
