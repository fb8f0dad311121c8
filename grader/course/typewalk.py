"""Following a pydantic error's location through the model's types: the location without the
union tags pydantic puts in it, the types at its end, and the keys a table there takes."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel


def dotted(loc: tuple[str | int, ...]) -> str:
    """('expect', 1, 'class') as "expect[1].class"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def members(tp: Any) -> list[Any]:  # noqa: ANN401
    """A type with Annotated and Optional peeled off, as the list of its union members."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return members(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in members(a) if m is not type(None)]
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
    for m in members(tp):
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
    tagged = [m for m in members(tp) if getattr(m, "__name__", None) == part or _tag(m) == part]
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
        for m in members(tp):
            if isinstance(m, type) and issubclass(m, BaseModel):
                keys += [f.alias or n for n, f in m.model_fields.items() if (f.alias or n) not in keys]
    return keys
