"""When each notebook was handed in (grader/batch/submitted.py)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from grader.batch.submitted import SubmittedAt, parse_time
from grader.errors import GradeError

KST = dt.timezone(dt.timedelta(hours=9))


def test_parse_time_reads_naive_times_in_the_course_zone():
    from zoneinfo import ZoneInfo

    seoul = ZoneInfo("Asia/Seoul")
    assert parse_time("2021-11-21T23:10", seoul) == dt.datetime(2021, 11, 21, 23, 10, tzinfo=KST)
    assert parse_time("2021-11-21T14:10Z", seoul) == dt.datetime(2021, 11, 21, 23, 10, tzinfo=KST)
    assert parse_time("2021-11-21 23:10+09:00", dt.UTC) == dt.datetime(2021, 11, 21, 14, 10, tzinfo=dt.UTC)
    with pytest.raises(GradeError, match="not an ISO 8601 time"):
        parse_time("sunday night", seoul)


def test_the_modified_time_and_the_explicit_time(tmp_path):
    nb = tmp_path / "04.ipynb"
    nb.write_text("{}", encoding="utf-8")
    sunday = dt.datetime(2021, 11, 21, 23, 10, tzinfo=KST)
    os.utime(nb, (sunday.timestamp(), sunday.timestamp()))
    assert SubmittedAt([nb]).of(nb, nb.read_bytes()) == (sunday, "mtime")
    assert SubmittedAt([nb], explicit=sunday + dt.timedelta(days=1)).of(nb, b"{}") == (
        sunday + dt.timedelta(days=1),
        "flag",
    )
    assert SubmittedAt([]).of(tmp_path / "gone.ipynb", None) == (None, "")


def _git(repo: Path, *args: str, when: str | None = None) -> None:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="sora",
        GIT_AUTHOR_EMAIL="s@example.org",
        GIT_COMMITTER_NAME="rec",
        GIT_COMMITTER_EMAIL="r@example.org",
        GIT_COMMITTER_DATE="2021-11-23T19:00:00+09:00",
    )
    if when:
        env["GIT_AUTHOR_DATE"] = when
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_committed_unchanged_notebook_counts_from_its_commit(tmp_path):
    repo = tmp_path / "subs"
    (repo / "sora").mkdir(parents=True)
    (repo / "jiho").mkdir()
    _git(repo, "init", "-q")
    a, b, c = repo / "sora" / "04.ipynb", repo / "jiho" / "04.ipynb", repo / "jiho" / "05.ipynb"
    a.write_text('{"a": 1}', encoding="utf-8")
    b.write_text('{"b": 1}', encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "sora and jiho", when="2021-11-21T23:10:00+09:00")
    b.write_text('{"b": 2}', encoding="utf-8")
    _git(repo, "commit", "-qam", "jiho again", when="2021-11-22T08:00:00+09:00")
    b.write_text('{"b": 3}', encoding="utf-8")  # changed since: the commit says nothing about it
    c.write_text('{"c": 1}', encoding="utf-8")  # never committed
    when = SubmittedAt([a, b, c])
    assert when.of(a, a.read_bytes()) == (dt.datetime(2021, 11, 21, 23, 10, tzinfo=KST), "git")
    assert when.of(b, b.read_bytes())[1] == "mtime" and when.of(c, c.read_bytes())[1] == "mtime"
    # The author time, not the committer's (a rebase by the recorder moves that one).
    _git(repo, "checkout", "-q", "--", "jiho/04.ipynb")
    again = SubmittedAt([b])
    assert again.of(b, b.read_bytes()) == (dt.datetime(2021, 11, 22, 8, 0, tzinfo=KST), "git")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_repository_cannot_run_code_through_its_config(tmp_path):
    repo = tmp_path / "subs"
    repo.mkdir()
    _git(repo, "init", "-q")
    nb = repo / "04.ipynb"
    nb.write_text("{}", encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "x", when="2021-11-21T23:10:00+09:00")
    pwned = tmp_path / "pwned"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {pwned}\n", encoding="utf-8")
    hook.chmod(0o755)
    _git(repo, "config", "core.fsmonitor", str(hook))
    _git(repo, "config", "core.pager", str(hook))
    assert SubmittedAt([nb]).of(nb, nb.read_bytes())[1] == "git"
    assert not pwned.exists()
