"""The analyser's tokens of the bank's own text, kept on disk between runs.

A command that scores one answer spent about half its time analysing the bank's
patterns, prompts and model answers before it read the answer. Those tokens are
kept in `$XDG_CACHE_HOME/grade/quiz-analysis/` (default `~/.cache`): only text
the bank holds, never an answer. An entry is keyed by the text itself and a file
by everything the tokens depend on (kiwipiepy's version, the analyser's options,
the nouns registered from the lexicon; see `korean.signature`), so an edited
bank only adds entries and a changed analyser starts a new file; scores are the
same with or without the cache. The file is JSON, never code, and read only when
this user owns it and no one else may write it. A file that cannot be read,
parsed or written is ignored: the cache only saves time.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_ENTRIES = 50_000  # a file past this starts again from what this process used
MAX_FILES = 8  # signatures kept side by side (courses with different lexicons)

Tokens = list[tuple[str, str, int, int]]  # (form, tag, start, length) of each token

_BANK_TEXT: contextvars.ContextVar[bool] = contextvars.ContextVar("quiz_bank_text", default=False)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "grade" / "quiz-analysis"


class _Store:
    """The entries of one signature: as read from disk, plus what this process added."""

    def __init__(self, signature: str) -> None:
        self.signature = signature
        self.path = cache_dir() / f"{signature[:40]}.json"
        # entries as the file holds them; each is checked on first use (a command that scores
        # one answer uses a few hundred of them, and checking all cost more than reading)
        self.entries: dict[str, Any] = _read_unchecked(self.path, signature)
        self.checked: dict[str, Tokens] = {}
        self.added: dict[str, Tokens] = {}

    def get(self, text: str) -> Tokens | None:
        tokens = self.checked.get(text)
        if tokens is None:
            raw = self.entries.get(text)
            if raw is None or not _well_formed(raw):
                return None
            tokens = self.checked[text] = [tuple(t) for t in raw]
        return tokens

    def put(self, text: str, tokens: Tokens) -> None:
        self.entries[text] = self.checked[text] = self.added[text] = tokens

    def save(self) -> None:
        if not self.added:
            return
        try:
            # another process may have written entries since this one read the file
            merged = _read(self.path, self.signature)
            merged.update(self.added)
            if len(merged) > MAX_ENTRIES:
                merged = dict(self.added)
            folder = self.path.parent
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump({"signature": self.signature, "entries": merged}, f, ensure_ascii=False)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            self.entries, self.added = dict(merged), {}
            _prune(folder, keep=self.path)
        except OSError:
            self.added = {}  # a read-only or full disk: go on without the cache


def _read(path: Path, signature: str) -> dict[str, Tokens]:
    """The well-formed entries of the file (for a store, `_read_unchecked` and `_Store.get`)."""
    return {t: [tuple(x) for x in v] for t, v in _read_unchecked(path, signature).items() if _well_formed(v)}


def _read_unchecked(path: Path, signature: str) -> dict[str, Any]:
    try:
        st = path.stat()
        if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
            return {}  # someone else could have written it
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("signature") != signature or not isinstance(data.get("entries"), dict):
        return {}
    entries: dict[str, Any] = data["entries"]  # JSON keys are always strings
    return entries


def _well_formed(tokens: Any) -> bool:  # noqa: ANN401
    return isinstance(tokens, list) and all(
        isinstance(t, list)
        and len(t) == 4
        and isinstance(t[0], str)
        and isinstance(t[1], str)
        and type(t[2]) is int
        and type(t[3]) is int
        for t in tokens
    )


def _prune(folder: Path, keep: Path) -> None:
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[MAX_FILES:]:
        if old != keep:
            with contextlib.suppress(OSError):
                old.unlink()


_STORE: _Store | None = None


def active() -> bool:
    """Whether the text being analysed now is the bank's (inside `bank_text`)."""
    return _BANK_TEXT.get()


def store(signature: str) -> _Store | None:
    """The store to use for the text being analysed now: None unless it is the bank's."""
    global _STORE
    if not _BANK_TEXT.get():
        return None
    if _STORE is None or _STORE.signature != signature:
        if _STORE is not None:
            _STORE.save()
        _STORE = _Store(signature)
    return _STORE


@contextlib.contextmanager
def bank_text() -> Iterator[None]:
    """Inside it, what is analysed is the bank's own text: its tokens come from and go to
    the cache, which is written when the outermost such block ends."""
    if _BANK_TEXT.get():
        yield
        return
    token = _BANK_TEXT.set(True)
    try:
        yield
    finally:
        _BANK_TEXT.reset(token)
        if _STORE is not None:
            _STORE.save()
