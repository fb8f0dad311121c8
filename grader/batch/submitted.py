"""When a notebook was handed in: `--submitted-at`, the commit, or the file's modified time.

Grading happens at the meeting; the notebook was finished days before. What counts for
a deadline is `submitted_at`, decided by the submitter for each file:

- `--submitted-at 2021-11-21T23:10` (a time without an offset is in the course's time
  zone), for everything in the command;
- else, when the file is in a git checkout and its bytes are the ones committed at HEAD,
  the author time of the last commit that changed it (when the member committed it; a
  rebase or merge by the recorder changes the committer time, not this one);
- else the file's modified time (downloads and `cp -p` keep it; a plain `cp` does not).

Git runs read-only commands only (`ls-tree`, `log`) with hooks, fsmonitor and signature
checks off: a submissions repository is the students', and its configuration must not
run anything. Bytes that differ from HEAD in any way (edited, or converted by a filter)
fall back to the modified time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GradeError

_GIT = ["git", "--no-pager", "-c", "core.fsmonitor=", "-c", "log.showSignature=false", "-c", "core.hooksPath=/dev/null"]
_GIT_TIMEOUT_S = 20


def parse_time(text: str, tz: dt.tzinfo) -> dt.datetime:
    """ISO 8601 text as an aware time; without an offset it is read in `tz`."""
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise GradeError.told("errors.batch.submitted_at_not_iso", text=text) from None
    return when.replace(tzinfo=tz) if when.tzinfo is None else when


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()  # noqa: S324 - git's own id


def _repo_root(path: Path) -> Path | None:
    for folder in path.resolve().parents:
        if (folder / ".git").exists():
            return folder
    return None


def _git(root: Path, *args: str) -> bytes | None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    try:
        out = subprocess.run(
            [*_GIT, "-C", str(root), *args],
            capture_output=True,
            env=env,
            timeout=_GIT_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


@dataclass
class _Repo:
    """What one git checkout says about the files a batch grades (two git calls per batch)."""

    root: Path
    blobs: dict[str, str] = field(default_factory=dict)  # path in repo -> blob at HEAD
    authored: dict[str, dt.datetime] = field(default_factory=dict)  # path -> last commit's author time

    @classmethod
    def read(cls, root: Path, rels: list[str]) -> _Repo:
        repo = cls(root)
        listing = _git(root, "ls-tree", "-r", "-z", "HEAD", "--", *rels)
        for entry in (listing or b"").split(b"\x00"):
            meta, _, raw_name = entry.partition(b"\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == b"blob":
                repo.blobs[os.fsdecode(raw_name)] = parts[2].decode()
        wanted = set(repo.blobs)
        if not wanted:
            return repo
        log = _git(root, "log", "-z", "--format=%x01%aI", "--name-only", "HEAD", "--", *sorted(wanted))
        when: dt.datetime | None = None
        for token in (log or b"").split(b"\x00"):
            token = token.strip(b"\n")
            if token.startswith(b"\x01"):
                head, _, first = token[1:].partition(b"\n")
                try:
                    when = dt.datetime.fromisoformat(head.decode())
                except ValueError:
                    when = None
                token = first
            name = os.fsdecode(token)
            if name and when is not None and name in wanted and name not in repo.authored:
                repo.authored[name] = when
        return repo


class SubmittedAt:
    """Decides `submitted_at` for the files of one batch (see the module docstring)."""

    def __init__(self, paths: Iterable[Path], *, explicit: dt.datetime | None = None, use_git: bool = True) -> None:
        self.explicit = explicit
        self._repos: dict[Path, _Repo] = {}
        self._where: dict[Path, tuple[Path, str]] = {}
        if explicit is not None or not use_git:
            return
        by_root: dict[Path, list[str]] = {}
        for p in paths:
            root = _repo_root(p)
            if root is None:
                continue
            try:
                rel = p.resolve().relative_to(root).as_posix()
            except ValueError:
                continue
            self._where[p] = (root, rel)
            by_root.setdefault(root, []).append(rel)
        for root, rels in by_root.items():
            self._repos[root] = _Repo.read(root, rels)

    def of(self, path: Path, data: bytes | None) -> tuple[dt.datetime | None, str]:
        """(time, how: "flag" | "git" | "mtime" | ""); the time is None when nothing says."""
        if self.explicit is not None:
            return self.explicit, "flag"
        where = self._where.get(path)
        if where is not None and data is not None:
            root, rel = where
            repo = self._repos.get(root)
            if repo and repo.blobs.get(rel) == _git_blob_id(data) and rel in repo.authored:
                return repo.authored[rel], "git"
        try:
            return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC), "mtime"
        except OSError:
            return None, ""
