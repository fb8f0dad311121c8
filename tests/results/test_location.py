"""Where a gradebook is (grader/results/location.py): URLs go through psycopg 3, paths stay SQLite,
and a password is never shown."""

from __future__ import annotations

import pytest

from grader.errors import GradebookError
from grader.results.gradebook import Gradebook
from grader.results.location import display_location, engine_url, resolve_location


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u:p%40ss@h/db?sslmode=require", "postgresql+psycopg://u:p%40ss@h/db?sslmode=require"),
    ],
)
def test_postgres_urls_use_psycopg3(given, expected):
    url, path = engine_url(given)
    assert url == expected and path is None


def test_paths_stay_sqlite(tmp_path):
    url, path = engine_url(str(tmp_path / "gb.db"))
    assert url == f"sqlite:///{tmp_path / 'gb.db'}" and path == tmp_path / "gb.db"


def test_display_location_hides_the_password():
    assert display_location("postgresql://u:s3cret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert display_location("postgres://u@h/db") == "postgres://u@h/db"
    assert "s3cret" not in display_location("postgresql://u:s3cret@h:notaport/db")
    assert display_location("/some/path.db") == "/some/path.db"


def test_resolve_location_takes_a_url_from_the_environment(monkeypatch):
    monkeypatch.setenv("GRADE_GRADEBOOK", "postgresql://u@h/db")
    assert resolve_location(None, "course.db") == "postgresql://u@h/db"
    assert resolve_location("postgres://x@y/z", "course.db") == "postgres://x@y/z"


def test_bad_url_is_one_line_without_password():
    with pytest.raises(GradebookError) as info:
        Gradebook("postgresql://u:s3cret@127.0.0.1:port/db")
    msg = str(info.value)
    assert "s3cret" not in msg and "\n" not in msg and "not a database URL" in msg
