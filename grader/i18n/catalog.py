"""The string catalog: every user-visible text, in Korean and English, by key.

The entries live in TOML files beside this module, one per area (`checks.toml`,
`quiz.toml`, `cli.toml`, ...); a key is the file's name and the entry's table path,
e.g. `checks.values.still_none`. An entry is a table with `ko` and `en`.

Templates use `str.format` fields with two additions:

- a particle after the field, `{target:이/가}`, chosen by what the field renders to
  (grader/i18n/particles.py), also after a number format: `{n:,:을/를}`;
- the conversion `!c`, which writes the value as code in backquotes: `{target!c:을/를}`
  gives "`model`을"; `!q` puts it in single quotes ('x'가).
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from grader.i18n.particles import PAIRS, attach

LANGS = ("ko", "en")
CATALOG_DIR = Path(__file__).with_name("catalog")


class CatalogError(Exception):
    """A catalog file or entry is malformed (a bug of the grader, not of its user)."""


def split_spec(spec: str) -> tuple[str, str | None]:
    """(number format, particle pair or None) of a field's format spec."""
    if spec in PAIRS:
        return "", spec
    head, sep, tail = spec.rpartition(":")
    if sep and tail in PAIRS:
        return head, tail
    return spec, None


class _Formatter(string.Formatter):
    def convert_field(self, value: Any, conversion: str | None) -> Any:  # noqa: ANN401
        if conversion == "c":
            return f"`{value}`"
        if conversion == "q":
            return f"'{value}'"
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:  # noqa: ANN401
        number_format, pair = split_spec(format_spec)
        shown = format(value, number_format)
        return attach(shown, pair) if pair else shown


_FORMATTER = _Formatter()


def _flatten(table: dict[str, Any], prefix: str, into: dict[str, dict[str, str]], source: Path) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}"
        if not isinstance(value, dict):
            raise CatalogError(f"{source.name}: {key} is not a table")
        if any(lang in value for lang in LANGS) or not value:
            extra = set(value) - set(LANGS)
            if extra:
                raise CatalogError(f"{source.name}: {key} has keys other than ko and en: {', '.join(sorted(extra))}")
            for lang in LANGS:
                if not isinstance(value.get(lang), str) or not value[lang]:
                    raise CatalogError(f"{source.name}: {key} has no {lang} text")
            into[key] = {lang: value[lang] for lang in LANGS}
        else:
            _flatten(value, key, into, source)


def load_file(path: Path) -> dict[str, dict[str, str]]:
    """The entries of one catalog file: key -> {"ko": template, "en": template}.
    CatalogError when an entry lacks a language or its two templates fill in different fields."""
    found: dict[str, dict[str, str]] = {}
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path.name}: {exc}") from None
    _flatten(data, path.stem, found, path)
    for key, entry in found.items():
        ko, en = fields_of(entry["ko"]), fields_of(entry["en"])
        if ko != en:
            raise CatalogError(f"{key}: the Korean text fills in {sorted(ko)}, the English {sorted(en)}")
    return found


def load_dir(folder: Path) -> dict[str, dict[str, str]]:
    """The entries of every `*.toml` in `folder`."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.toml")):
        found.update(load_file(path))
    return found


@cache
def _area(name: str) -> dict[str, dict[str, str]]:
    # One file per area, read when a text of it is first asked for: the quiz reads quiz.toml
    # only, not the checks' hundreds of messages.
    path = CATALOG_DIR / f"{name}.toml"
    return load_file(path) if path.is_file() else {}


@cache
def entries() -> dict[str, dict[str, str]]:
    """Every entry of the catalog."""
    return load_dir(CATALOG_DIR)


def fields_of(template: str) -> set[str]:
    """The names of the fields a template fills in."""
    return {
        name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name is not None
    }


def has(key: str) -> bool:
    """Whether the catalog has an entry `key`."""
    return key in _area(key.partition(".")[0])


def template(key: str, lang: str) -> str:
    try:
        entry = _area(key.partition(".")[0])[key]
    except KeyError:
        raise KeyError(f"no catalog entry {key!r}") from None
    return entry["ko" if lang == "ko" else "en"]


def text(key: str, lang: str, /, **fields: Any) -> str:  # noqa: ANN401
    """The entry `key` in `lang` ("ko"; anything else is English), its fields filled in."""
    return _FORMATTER.vformat(template(key, lang), (), fields)


def counted(key: str, n: object) -> str:
    """The entry of `key` that fits a count: `key.one` for exactly one thing, `key.many` for
    any other number (English says "1 layer" but "0 layers"; Korean needs no second form, so
    its two texts may be the same)."""
    return f"{key}.one" if n == 1 else f"{key}.many"


def text_n(key: str, n: int, lang: str, /, **fields: Any) -> str:  # noqa: ANN401
    """`text` of the entry of `key` that fits the count `n` (`counted`)."""
    return text(counted(key, n), lang, **fields)


def both(key: str, /, **fields: Any) -> dict[str, str]:  # noqa: ANN401
    """The entry in both languages, e.g. for a title stored as {"ko": ..., "en": ...}."""
    return {lang: text(key, lang, **fields) for lang in LANGS}
