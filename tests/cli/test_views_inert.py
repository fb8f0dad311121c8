"""What reaches the teacher's terminal is inert: hostile member names, file names and
messages can neither crash rich (markup) nor drive the terminal (escape sequences)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console
from site_fixtures import at, record

from grader.cli.app import cli
from grader.results.gradebook import Gradebook

ROOT = Path(__file__).resolve().parents[2]

FAKE_ROW = "mina\x1b[1A\x1b[2K\r│ jiho │ 14/14 │"  # moves up, erases the line, draws a row
HOSTILE_MEMBERS = [
    "[/]",  # closing tag with nothing to close: MarkupError
    "[bold red]teacher[/bold red]",  # markup that would style itself
    FAKE_ROW,
    "x\x1b]0;all graded\x07\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\",  # title, hyperlink
    "\x1b[?1049h\x1b[2J\x1bc",  # alternate screen, clear, reset
    "ji\u202eoh",  # right-to-left override
    "jiho\u200b",  # zero-width look-alike of "jiho"
    "\u3164",  # Hangul filler: a blank-looking name
    "x\x9b2Jy",  # 8-bit CSI
]

# rich's own colours are SGR sequences (ESC [ ... m); anything else came from the data.
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _foreign_sequences(text: str) -> list[str]:
    rest = _SGR.sub("", text)
    return [m.group(0) for m in re.finditer(r"[\x1b\x9b\x9d\r\x07\b].{0,8}", rest, re.S)]


def _record(book: Gradebook, member: str, score: float, message: str = "") -> None:
    record(
        book,
        "ch15.ex2",
        member,
        at(20),
        [
            {
                "id": "c",
                "kind": "output_shape",
                "passed": False,
                "points": score,
                "max_points": 14.0,
                "message": message,
                "title": "c",
                "details": {},
            }
        ],
        message=message,
    )


@pytest.fixture
def hostile_book(tmp_path: Path) -> Path:
    path = tmp_path / "gb.sqlite"
    with Gradebook(str(path)) as book:
        for i, m in enumerate(HOSTILE_MEMBERS):
            _record(book, m, i % 3, message="cell 2: ValueError: \x1b[31mred\x1b[0m\x1b[1A\x1b[2K")
        _record(book, "jiho", 3)
    return path


def test_render_status_survives_markup_and_escapes_in_member_names(hostile_book):
    from grader.cli.views import render_status

    with Gradebook(str(hostile_book)) as book:
        best = book.best()
    # A real terminal with colours: the only escape sequences left must be rich's own SGR.
    out = io.StringIO()
    render_status(Console(file=out, force_terminal=True, color_system="truecolor", width=160), best, ["ch15.ex2"], "en")
    text = out.getvalue()
    assert _foreign_sequences(text) == []
    plain = _SGR.sub("", text)
    assert "[/]" in plain and "[bold red]teacher[/bold red]" in plain  # shown literally, not parsed
    # One scored line per member: the forged "jiho 14/14" is text inside one name's cell,
    # and the long name's second line is boxed in with its row (lines between the rows).
    lines = plain.splitlines()
    scored = [ln for ln in lines if re.search(r"│\s+\d+(\.\d+)?/14\s+│", ln)]
    assert len(scored) == len(HOSTILE_MEMBERS) + 1  # the members and the real jiho
    assert not any(re.search(r"│\s+14/14\s+│", ln) for ln in lines)  # nobody has 14/14
    assert sum(1 for ln in scored if re.match(r"│ jiho\s+│", ln)) == 1  # the real one only
    assert sum(1 for ln in lines if ln.startswith("├")) == len(HOSTILE_MEMBERS)
    # The look-alike and the override are visibly different from the real "jiho".
    assert "jiho⟨U+200B⟩" in plain and "ji⟨U+202E⟩oh" in plain and "⟨U+3164⟩" in plain


def test_grade_status_with_hostile_names(runner, hostile_book):
    res = runner.invoke(cli, ["status", "--gradebook", str(hostile_book), "--course", str(ROOT), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "[/]" in res.output
    assert _foreign_sequences(res.output) == []
    assert "\x1b" not in res.output


def test_error_lines_and_json_are_inert(runner, tmp_path):
    name = "evil\x1b[2J\x1b]0;pwned\x07\u202e.ipynb"
    bad = tmp_path / name
    bad.write_text("{not json", encoding="utf-8")
    res = runner.invoke(cli, ["submit", "--no-record", "--course", str(ROOT), "--lang", "en", str(bad)])
    assert res.exit_code == 1
    assert "\x1b" not in res.output and "\u202e" not in res.output and "\x07" not in res.output
    assert "not JSON" in " ".join(res.output.split())
    # A forged table row is no member id: refused before anything runs, and said inertly.
    res = runner.invoke(cli, ["submit", "--json", "--no-record", "--course", str(ROOT), "--member", FAKE_ROW, str(bad)])
    assert res.exit_code == 2 and "cannot be a member id" in res.output and "\x1b" not in res.output
    res = runner.invoke(cli, ["submit", "--json", "--no-record", "--course", str(ROOT), str(bad)])
    assert "\x1b" not in res.stdout and "\u202e" not in res.stdout
    doc = json.loads(res.stdout)
    assert doc["path"] == str(bad)  # the exact data, only escaped
    assert "\\u202e" in res.stdout


def test_batch_summary_with_hostile_file_names(runner, tmp_path):
    folder = tmp_path / "class"
    for member in ("[/]", "mina\x1b[1A\x1b[2K", "ji\u202eoh"):
        (folder / member).mkdir(parents=True)
        (folder / member / "02_rnn_shapes.ipynb").write_text("{", encoding="utf-8")
    res = runner.invoke(cli, ["submit", "--no-record", "--course", str(ROOT), "--lang", "en", str(folder)])
    assert res.exit_code == 1, res.output  # three invalid files
    assert "Traceback" not in res.output
    assert "\x1b" not in res.output and "\u202e" not in res.output
    assert "[/]" in res.output and "ji⟨U+202E⟩oh" in res.output


def test_quiz_feedback_and_bank_text_print_as_text(runner):
    res = runner.invoke(
        cli,
        [
            "quiz",
            "score",
            "ch15.ex2",
            "--course",
            str(ROOT),
            "--answer",
            "[/] \x1b[2J\x1b]0;x\x07 상태 벡터 [batch, 7]",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output
    res = runner.invoke(cli, ["quiz", "list", "--course", str(ROOT)])
    assert res.exit_code == 0, res.output


def test_export_json_is_escaped_and_the_progress_label_is_not_markup(runner, hostile_book, tmp_path):
    res = runner.invoke(cli, ["export", "--format", "json", "--gradebook", str(hostile_book)])
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output and "\u202e" not in res.output and "\u200b" not in res.output
    assert {row["member"] for row in json.loads(res.output)} >= {"[/]", FAKE_ROW, "ji\u202eoh"}  # exact data

    from grader.cli.views import run_progress

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with run_progress(console, "[/]evil\x1b]0;t\x07\u202e.ipynb", live=True) as update:  # a file name is a label
        update("cell", 1, 3)
    assert "[/]evil⟨U+001B⟩]0;t⟨U+0007⟩⟨U+202E⟩.ipynb" in out.getvalue()  # shown, not parsed
    assert "\x1b]0;t" not in out.getvalue() and "\u202e" not in out.getvalue()
