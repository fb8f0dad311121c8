"""Help in both languages (grader/cli/helptext.py, grader/i18n/catalog/help.toml): every
command and option has an entry, `--help` shows it in the language of the command line, and
it reads whole at 80 and 60 columns."""

from __future__ import annotations

import click
import pytest

from grader.cli.app import cli
from grader.cli.helptext import cell_width, first_sentence, help_keys, said, wrap
from grader.i18n import entries


def _paths(command: click.Command, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            out += _paths(sub, (*prefix, name))
    return out


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None
        command = found
    return command


PATHS = _paths(cli)
WHOLE = " ".join  # the text with its line breaks undone: a broken word would not match


def _flat(s: str) -> str:
    return WHOLE(s.split())


def test_the_walk_finds_every_command():
    assert len(PATHS) >= 20 and ("review", "set-band") in PATHS and ("site", "serve") in PATHS


def test_every_command_and_option_has_a_help_entry_in_both_languages():
    found = list(help_keys(cli))
    assert len(found) > 100
    missing = [f"{where} {what}: {value!r}" for where, what, value in found if value not in entries()]
    assert not missing, "\n".join(missing)
    for _, _, value in found:
        assert entries()[value]["ko"] != entries()[value]["en"] or value == "help.click.usage"


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "grade")
def test_help_shows_every_text_in_the_language_of_the_command_line(runner, path, lang):
    r = runner.invoke(cli, [*path, "--help", "--lang", lang], prog_name="grade", terminal_width=80)
    assert r.exit_code == 0, r.output
    shown = _flat(r.output)
    command = _command(path)
    assert _flat(said(command.help, lang)) in shown
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert _flat(said(param.help, lang)) in shown, (param.opts, said(param.help, lang))
    heading = {"ko": "옵션:", "en": "Options:"}[lang]
    usage = {"ko": "사용법: grade", "en": "Usage: grade"}[lang]
    assert heading in r.output.splitlines() and r.output.startswith(usage)
    other = "en" if lang == "ko" else "ko"
    assert _flat(said(command.help, other)) not in shown


def test_the_language_comes_from_the_command_line_then_grade_lang_then_korean(runner, monkeypatch):
    monkeypatch.delenv("GRADE_LANG", raising=False)
    assert runner.invoke(cli, ["--help"]).output.startswith("사용법:")
    assert runner.invoke(cli, ["--help", "--lang", "en"]).output.startswith("Usage:")
    assert runner.invoke(cli, ["--lang", "en", "--help"]).output.startswith("Usage:")
    assert runner.invoke(cli, ["submit", "--help", "--lang=en"]).output.startswith("Usage:")
    # resolved when the help is rendered, not when the module was imported
    monkeypatch.setenv("GRADE_LANG", "en")
    assert runner.invoke(cli, ["status", "--help"]).output.startswith("Usage:")
    assert runner.invoke(cli, ["submit", "--help", "--lang", "ko"]).output.startswith("사용법:")


def test_the_group_lists_each_command_by_its_first_sentence(runner):
    r = runner.invoke(cli, ["--help", "--lang", "en"], terminal_width=200)
    line = next(x for x in r.output.splitlines() if x.strip().startswith("check "))
    assert line.split(None, 1)[1] == (
        "Instructor check: every spec is valid, solutions earn full marks, starters earn no code points."
    )
    assert first_sentence("Give e.g. this. Then that.") == "Give e.g. this."
    ko = runner.invoke(cli, ["review", "--help", "--lang", "ko"], terminal_width=200).output
    assert "set-band" in ko and "퀴즈 답안" in ko


def test_click_words_defaults_and_environment_in_the_reader_language(runner):
    ko = _flat(runner.invoke(cli, ["submit", "--help", "--lang", "ko"]).output)
    assert "[환경 변수: GRADE_LANG; 기본값: ko]" in ko and "[기본값: 1; 1<=x<=256]" in ko
    assert "이 도움말을 보여 주고 끝냅니다." in ko and "Show this" not in ko
    en = _flat(runner.invoke(cli, ["review", "set-points", "--help", "--lang", "en"]).output)
    assert "Why (kept with the change). [required]" in en


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_help_fits_the_width_without_breaking_a_word(runner, width, lang):
    for path in PATHS:
        r = runner.invoke(cli, [*path, "--help", "--lang", lang], prog_name="grade", terminal_width=width)
        assert r.exit_code == 0, r.output
        too_wide = [line for line in r.output.splitlines() if cell_width(line) > width]
        assert not too_wide, (path, too_wide)
        shown = _flat(r.output)
        command = _command(path)
        texts = [said(command.help, lang)] + [
            said(p.help, lang) for p in command.params if isinstance(p, click.Option) and not p.hidden
        ]
        for t in texts:
            assert _flat(t) in shown, (path, t)


def test_wrapping_counts_hangul_as_two_columns_and_keeps_words_whole():
    assert cell_width("채점") == 4 and cell_width("ab") == 2 and cell_width("e\u0301") == 1
    lines = wrap("노트북을 샌드박스에서 실행하고 검사해 점수를 보여 줍니다", 20)
    assert all(cell_width(line) <= 20 for line in lines)
    assert " ".join(lines).split() == ["노트북을", "샌드박스에서", "실행하고", "검사해", "점수를", "보여", "줍니다"]
    long = "submissions/<member>/04_forecast7.ipynb"
    assert wrap(f"see {long} here", 20) == ["see", long, "here"]  # too long: alone, never cut
    assert wrap("a b", 10, "  ", "    ") == ["  a b"]


def test_a_language_before_the_command_is_the_command_s_too(runner, tiny_course, monkeypatch):
    monkeypatch.setenv("GRADE_LANG", "ko")
    r = runner.invoke(cli, ["--lang", "en", "starters", "--course", str(tiny_course)])
    assert r.exit_code == 0 and r.output.split() == ["written", "01_tiny.ipynb"]
    r = runner.invoke(cli, ["--lang", "en", "starters", "--lang", "ko", "--course", str(tiny_course)])
    assert r.exit_code == 0 and r.output.split() == ["일치", "01_tiny.ipynb"]
