"""Key lines of a TOML document: every path of the parsed document gets the line it is on."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from grader.course.tomlpos import positions

ROOT = Path(__file__).resolve().parents[2]

TRICKY = '''\
# a comment with [[checks]] and key = 1 in it
id = "x"   # trailing [comment]
"quoted key" = 'lit'
dotted.key = 3
text = """
[[checks]]
fake = "not a key"
"""
lines = \'\'\'
id = "nope"\'\'\'

[limits]
cell_timeout_s = 60

[[checks]]
id = "a"
cases = [
  { input = [3, 7], expect = [3, 2] },   # first
  # a comment between items
  { input = [5, 20], expect = [5, 2] },
]
when = 1979-05-27 07:32:00

[[checks.expect]]
key = "k1"

[[checks.expect]]
key = "k2"
any = [{ key = "a", value = "]" }, { key = "b", value = 0 }]

[[checks]]
id = "b"
'''


def line_of(text: str, needle: str, nth: int = 1) -> int:
    seen = 0
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return i
    raise AssertionError(needle)


def test_tricky_document():
    pos = positions(TRICKY)
    tomllib.loads(TRICKY)  # the scanner is meant for valid TOML only
    assert pos.line(("id",)) == 2
    assert pos.line(("quoted key",)) == 3
    assert pos.line(("dotted", "key")) == 4
    assert pos.line(("text",)) == 5 and pos.line(("lines",)) == 9
    assert not pos.has(("fake",)) and not pos.has(("checks", 0, "fake"))  # inside a string
    assert pos.line(("limits", "cell_timeout_s")) == 13
    assert pos.line(("checks", 0)) == 15 and pos.line(("checks", 0, "id")) == 16
    assert pos.line(("checks", 0, "cases", 0, "expect")) == 18
    assert pos.line(("checks", 0, "cases", 1, "input")) == 20
    assert pos.line(("checks", 0, "when")) == 22
    assert pos.line(("checks", 0, "expect", 0, "key")) == 25
    assert pos.line(("checks", 0, "expect", 1, "any", 1, "value")) == 29
    assert pos.line(("checks", 1, "id")) == 32
    # an unknown path: the nearest enclosing one that has a line
    assert pos.line(("checks", 0, "cases", 1, "nope")) == 20
    assert pos.line(("nowhere",)) is None


@pytest.mark.parametrize("path", sorted((ROOT / "exercises" / "specs").glob("*.toml")), ids=lambda p: p.name)
def test_every_key_of_the_real_specs_has_its_line(path):
    text = path.read_text(encoding="utf-8")
    pos = positions(text)
    lines = text.splitlines()
    missing: list[tuple] = []

    def walk(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                here = (*where, key)
                n = pos.lines.get(here)
                if n is None or key not in lines[n - 1]:
                    missing.append(here)
                walk(item, here)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if (*where, i) not in pos.lines:
                    missing.append((*where, i))
                walk(item, (*where, i))

    walk(tomllib.loads(text), ())
    assert not missing


def test_a_scan_that_trips_keeps_what_it_found():
    pos = positions("a = 1\nb = [1, 2\n")  # not TOML: the scanner gives up at the end
    assert pos.line(("a",)) == 1 and pos.line(("b",)) == 2
