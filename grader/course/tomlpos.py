"""Line numbers of the keys in a TOML file, which `tomllib` does not report.

A spec error should point at the line to edit ("04_forecast7.toml:23"). `positions`
scans a text that `tomllib` has already accepted and records the line of every key,
table header and array element under its path in the parsed document:
`("checks", 3, "atol")` is the `atol` of the fourth `[[checks]]` table,
`("checks", 0, "cases", 1, "input")` the `input` of the second inline table in its
`cases` array. It is a scanner for valid TOML only; on anything else it stops and
keeps what it found, and `line` answers with the nearest enclosing path it knows.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

Path = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass
class Positions:
    """Where each path of a TOML document starts (1-based lines)."""

    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Path) -> int | None:
        """The line of `path`, else of its longest prefix that has one (None: not even that)."""
        for n in range(len(path), 0, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None

    def has(self, path: Path) -> bool:
        return path in self.lines


class _Scanner:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.out: dict[Path, int] = {}
        self.table: Path = ()
        # How many [[x]] tables each array-of-tables path has had so far.
        self.aot: dict[Path, int] = {}

    # --- low level -----------------------------------------------------------------

    def line_no(self) -> int:
        return self.s.count("\n", 0, self.i) + 1

    def peek(self, n: int = 1) -> str:
        return self.s[self.i : self.i + n]

    def skip_ws(self, newlines: bool) -> None:
        """Spaces, tabs, comments and (if `newlines`) line breaks."""
        while self.i < len(self.s):
            ch = self.s[self.i]
            if ch in " \t" or (newlines and ch in "\r\n"):
                self.i += 1
            elif ch == "#":
                end = self.s.find("\n", self.i)
                self.i = len(self.s) if end < 0 else end
            else:
                return

    def string(self) -> str:
        """A basic or literal string, single- or multi-line; returns its (unescaped) text
        well enough for a key, and moves past it."""
        quote = self.s[self.i]
        if self.s.startswith(quote * 3, self.i):
            end = self.s.find(quote * 3, self.i + 3)
            while quote == '"' and end > 0 and _escaped(self.s, end):
                end = self.s.find(quote * 3, end + 1)
            end = len(self.s) if end < 0 else end
            # A closing delimiter may carry up to two more quotes of content ("""a"""").
            stop = end + 3
            while stop < len(self.s) and self.s[stop] == quote and stop - end < 5:
                stop += 1
            text = self.s[self.i + 3 : stop - 3]
            self.i = stop
            return text
        j = self.i + 1
        while j < len(self.s) and self.s[j] != quote and self.s[j] != "\n":
            j += 2 if quote == '"' and self.s[j] == "\\" else 1
        text = self.s[self.i + 1 : j]
        self.i = j + 1
        return text

    def key(self) -> list[str]:
        """A dotted key: bare or quoted parts separated by dots."""
        parts: list[str] = []
        while True:
            self.skip_ws(False)
            if self.peek() in ('"', "'"):
                parts.append(self.string())
            else:
                m = _BARE.match(self.s, self.i)
                if not m:
                    raise ValueError("not a key")
                parts.append(m.group())
                self.i = m.end()
            self.skip_ws(False)
            if self.peek() != ".":
                return parts
            self.i += 1

    # --- values ----------------------------------------------------------------------

    def value(self, path: Path) -> None:
        ch = self.peek()
        if ch in ('"', "'"):
            self.string()
        elif ch == "[":
            self.array(path)
        elif ch == "{":
            self.inline_table(path)
        else:  # numbers, booleans, dates: up to the next separator
            m = re.compile(r"[^,\]}\s#]+(?: [0-9][^,\]}\s#]*)?").match(self.s, self.i)
            self.i = m.end() if m else self.i + 1

    def array(self, path: Path) -> None:
        self.i += 1
        n = 0
        while True:
            self.skip_ws(True)
            if self.peek() == "]":
                self.i += 1
                return
            if self.i >= len(self.s):
                raise ValueError("unterminated array")
            self.out.setdefault((*path, n), self.line_no())
            self.value((*path, n))
            n += 1
            self.skip_ws(True)
            if self.peek() == ",":
                self.i += 1

    def inline_table(self, path: Path) -> None:
        self.i += 1
        while True:
            self.skip_ws(True)
            if self.peek() == "}":
                self.i += 1
                return
            if self.i >= len(self.s):
                raise ValueError("unterminated inline table")
            self.key_value(path)
            self.skip_ws(True)
            if self.peek() == ",":
                self.i += 1

    def key_value(self, base: Path) -> None:
        line = self.line_no()
        parts = self.key()
        path: Path = base
        for part in parts:
            path = (*path, part)
            self.out.setdefault(path, line)
        self.skip_ws(False)
        if self.peek() != "=":
            raise ValueError("expected '='")
        self.i += 1
        self.skip_ws(False)
        self.value(path)

    # --- tables ----------------------------------------------------------------------

    def resolve(self, parts: list[str]) -> Path:
        """A header's key path in document terms: each array of tables it passes through
        stands for its latest element."""
        path: Path = ()
        for part in parts:
            path = (*path, part)
            if path in self.aot:
                path = (*path, self.aot[path] - 1)
        return path

    def header(self) -> None:
        line = self.line_no()
        double = self.s.startswith("[[", self.i)
        self.i += 2 if double else 1
        parts = self.key()
        self.skip_ws(False)
        self.i += 2 if double else 1
        if double:
            parent = self.resolve(parts[:-1])
            array: Path = (*parent, parts[-1])
            index = self.aot.get(array, 0)
            self.aot[array] = index + 1
            self.out.setdefault(array, line)
            self.table = (*array, index)
        else:
            self.table = self.resolve(parts)
        self.out.setdefault(self.table, line)

    def run(self) -> None:
        while True:
            self.skip_ws(True)
            if self.i >= len(self.s):
                return
            if self.peek() == "[":
                self.header()
            else:
                self.key_value(self.table)


def _escaped(text: str, i: int) -> bool:
    """Whether the character at `i` is preceded by an odd number of backslashes."""
    n = 0
    while i - n - 1 >= 0 and text[i - n - 1] == "\\":
        n += 1
    return n % 2 == 1


def positions(text: str) -> Positions:
    """The line of every key path in `text` (valid TOML); a partial map if the scan trips."""
    scanner = _Scanner(text)
    with contextlib.suppress(ValueError, IndexError):  # keep what was found: an approximate line beats none
        scanner.run()
    return Positions(scanner.out)
