"""What a reference returned, as JSON plus arrays, and a digest of the arguments it was called with.

A practice pack stores every recorded result this way (`encode` to write, `decode` to
replay), and a replay or a memo knows a call by the `fingerprint` of its arguments.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np


class Unstorable(TypeError):
    """A reference returned a value the pack has no form for."""


def encode(value: Any, arrays: dict[str, np.ndarray], prefix: str) -> Any:  # noqa: ANN401
    """JSON data for `value`; arrays go into `arrays` under keys starting with `prefix`."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if np.isfinite(f) else {"__float__": repr(f)}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise Unstorable("an array of Python objects")
        key = f"{prefix}{len(arrays)}"
        arrays[key] = value
        return {"__nd__": key}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, arrays, prefix) for v in value]}
    if isinstance(value, list):
        return [encode(v, arrays, prefix) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise Unstorable("a dict with keys that are not strings")
        if any(k.startswith("__") for k in value):
            raise Unstorable("a dict whose keys look like the pack's own markers")
        return {k: encode(v, arrays, prefix) for k, v in value.items()}
    raise Unstorable(f"a {type(value).__name__}")


def decode(obj: Any, arrays: Any) -> Any:  # noqa: ANN401
    """The value `encode` stored; every array is a fresh copy (kinds may change what they get)."""
    if isinstance(obj, list):
        return [decode(v, arrays) for v in obj]
    if isinstance(obj, dict):
        if "__nd__" in obj:
            return np.array(arrays[obj["__nd__"]], copy=True)
        if "__tuple__" in obj:
            return tuple(decode(v, arrays) for v in obj["__tuple__"])
        if "__float__" in obj:
            return float(obj["__float__"])
        return {k: decode(v, arrays) for k, v in obj.items()}
    return obj


def fingerprint(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """A digest of a reference call's arguments (arrays by bytes, generators by state)."""
    h = hashlib.sha256()

    def feed(v: Any) -> None:  # noqa: ANN401
        if isinstance(v, np.ndarray):
            h.update(f"nd{v.dtype.str}{v.shape}".encode())
            h.update(np.ascontiguousarray(v).tobytes())
        elif isinstance(v, np.random.Generator):
            h.update(b"rng" + json.dumps(v.bit_generator.state, sort_keys=True, default=str).encode())
        elif isinstance(v, dict):
            h.update(b"{")
            for k in sorted(v, key=str):
                h.update(repr(k).encode())
                feed(v[k])
            h.update(b"}")
        elif isinstance(v, (list, tuple)):
            h.update(b"[" if isinstance(v, list) else b"(")
            for x in v:
                feed(x)
            h.update(b"]")
        else:
            h.update(f"{type(v).__name__}:{v!r}".encode())

    feed(list(args))
    feed(kwargs)
    return h.hexdigest()[:32]
