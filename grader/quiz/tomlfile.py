"""Reading one bank file: TOML with the line numbers messages point to."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from grader.errors import SpecError


class Lines:
    """Line numbers for messages: tomllib reports none for well-formed but wrong data."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self._headers: dict[str, list[int]] = {}
        for no, line in enumerate(self.lines, start=1):
            s = line.strip()
            if s.startswith("[["):
                self._headers.setdefault(s.replace(" ", ""), []).append(no)

    def header(self, name: str, index: int, after: int = 0) -> int:
        later = [no for no in self._headers.get(f"[[{name}]]", []) if no > after]
        return later[index] if index < len(later) else after + 1

    def key(self, key: str, start: int) -> int:
        for no, line in enumerate(self.lines[start - 1 :], start=start):
            if no > start and line.lstrip().startswith("["):
                break
            if re.match(rf"\s*{re.escape(key)}\s*[=.]", line):
                return no
        return start

    def text(self, value: str, start: int) -> int:
        """The line, at or after `start`, where a string value is written."""
        probe = re.split(r'["\\\n]', value, maxsplit=1)[0][:40]
        for no, line in enumerate(self.lines[start - 1 :], start=start):
            if probe and probe in line:
                return no
        return start


def read_toml(path: Path) -> tuple[dict[str, Any], Lines]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecError.told("quiz.bank.file.not_utf8", str(path)) from None
    except OSError as exc:
        raise SpecError.told("quiz.bank.file.cannot_read", str(path), why=exc.strerror) from None
    try:
        return tomllib.loads(text), Lines(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise SpecError.told("quiz.bank.file.not_toml", f"{path}:{m.group(1)}" if m else str(path), why=exc) from None
