"""click's own errors follow --lang (grader/cli/usage.py): each message click can give a
`grade` user is made by click itself here and must come out in Korean, not fall back to
click's English (which it would if a click release reworded it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from grader.cli.app import cli
from grader.cli.base import command


@command(help="help.grade.about")
@click.argument("paths", nargs=-1, required=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, help="help.check.workers")
@click.option("--ratio", type=float, default=None, help="help.check.seed")
@click.option("--count", type=int, default=None, help="help.check.seed")
@click.option("--mode", type=click.Choice(["html", "md"]), default="html", help="help.check.seed")
@click.option("--one", type=click.Choice(["only"]), default=None, help="help.check.seed")
@click.option("--pair", nargs=2, default=None, help="help.check.seed")
@click.option("--flag", is_flag=True, help="help.check.seed")
@click.option("--folder", type=click.Path(file_okay=False, exists=True), default=None, help="help.check.seed")
@click.option("--file", "file_", type=click.Path(dir_okay=False, exists=True), default=None, help="help.check.seed")
@click.option("--need", type=click.Choice(["a", "b"]), required=True, help="help.check.seed")
def sample(**_: object) -> None:
    """A command with one of every kind of parameter `grade` uses."""


def _error_line(args: list[str]) -> tuple[int, str]:
    r = CliRunner().invoke(sample, args, prog_name="grade")
    return r.exit_code, r.stderr.splitlines()[-1]


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "f.txt").write_text("x", encoding="utf-8")
    return {"file": str(tmp_path / "f.txt"), "dir": str(tmp_path), "none": str(tmp_path / "nope")}


CASES = [
    # (arguments after `p --need a`, Korean line, English line)
    (["--bogus"], "'--bogus'라는 옵션은 없습니다.", "No such option '--bogus'."),
    (
        ["--workerz"],
        "'--workerz'라는 옵션은 없습니다. '--workers'를 쓰려던 것인가요?",
        "No such option '--workerz'. Did you mean '--workers'?",
    ),
    (["--fla"], "'--fla'라는 옵션은 없습니다. (다음 중 하나를 쓰려던 것인가요? '--file', '--flag', '--lang')", None),
    (["--workers", "99"], "'--workers'의 값이 잘못되었습니다: 99는 범위 1<=x<=64에 들지 않습니다.", None),
    (["--workers", "x"], "'--workers'의 값이 잘못되었습니다: 'x'는 정수가 아닙니다.", None),
    (["--count", "x"], "'--count'의 값이 잘못되었습니다: 'x'는 정수가 아닙니다.", None),
    (["--ratio", "x"], "'--ratio'의 값이 잘못되었습니다: 'x'는 수가 아닙니다.", None),
    (["--mode", "pdf"], "'--mode'의 값이 잘못되었습니다: 'pdf'는 'html', 'md' 중 하나가 아닙니다.", None),
    (["--one", "x"], "'--one'의 값이 잘못되었습니다: 'x'는 'only'가 아닙니다.", None),
    (["--pair", "a"], "'--pair' 옵션에는 값이 2개 필요합니다.", "Option '--pair' requires 2 arguments."),
    (["--workers"], "'--workers' 옵션에는 값이 필요합니다.", "Option '--workers' requires an argument."),
    (["--flag=1"], "'--flag' 옵션은 값을 받지 않습니다.", "Option '--flag' does not take a value."),
    (["--folder", "{none}"], "'--folder'의 값이 잘못되었습니다: 폴더 '{none}'가 없습니다.", None),
    (["--folder", "{file}"], "'--folder'의 값이 잘못되었습니다: 폴더 '{file}'는 폴더가 아니라 파일입니다.", None),
    (["--file", "{dir}"], None, "Invalid value for '--file': File '{dir}' is a directory."),
]


@pytest.mark.parametrize("extra, ko, en", CASES)
def test_clicks_errors_are_said_in_the_readers_language(extra, ko, en, paths):
    extra = [a.format(**paths) for a in extra]
    for lang, expected in (("ko", ko), ("en", en)):
        code, line = _error_line(["--lang", lang, "p", "--need", "a", *extra])
        assert code == 2
        assert line.startswith("grade: error: ")
        said = line.removeprefix("grade: error: ")
        if expected is not None:
            assert said == expected.format(**paths)
        if lang == "ko":  # nothing of click's English is left
            assert not re.search(r"Invalid|value|such|Missing|not |requires|Did you", said), said


def test_a_missing_argument_option_and_choice(paths):
    assert _error_line(["--need", "a", "--lang", "ko"])[1] == "grade: error: 인자 'PATHS...'가 빠졌습니다."
    assert _error_line(["--need", "a", "--lang", "en"])[1] == "grade: error: Missing argument 'PATHS...'."
    # click's "Choose from:" list spans lines; here it stays on the one error line
    assert (
        _error_line(["p", "--lang", "ko"])[1] == "grade: error: 옵션 '--need'가 빠졌습니다. 다음 중에서 고르세요: a, b."
    )
    assert _error_line(["p", "--lang", "en"])[1] == "grade: error: Missing option '--need'. Choose from: a, b."


def test_commands_and_extra_arguments_of_the_grade_group():
    runner = CliRunner()
    r = runner.invoke(cli, ["nosuch", "--lang", "ko"], prog_name="grade")
    assert r.exit_code == 2 and r.stderr.splitlines()[-1] == "grade: error: 'nosuch'라는 명령은 없습니다."
    r = runner.invoke(cli, ["sumbit", "--lang", "ko"], prog_name="grade")
    assert r.stderr.splitlines()[-1] == (
        "grade: error: 'sumbit'이라는 명령은 없습니다. (다음 중 하나를 쓰려던 것인가요? 'site', 'submit')"
    )
    r = runner.invoke(cli, ["status", "extra", "--lang", "ko"], prog_name="grade")
    assert r.stderr.splitlines()[-1] == "grade: error: 받지 않는 인자가 더 있습니다 (extra)"
    r = runner.invoke(cli, ["quiz", "--lang", "ko"], prog_name="grade")
    assert r.stderr.splitlines()[-1] == "grade: error: 명령이 빠졌습니다."
    r = runner.invoke(cli, ["quiz", "--lang", "en"], prog_name="grade")
    assert r.stderr.splitlines()[-1] == "grade: error: Missing command."


def test_an_option_from_the_environment_is_named_in_the_readers_language(monkeypatch):
    monkeypatch.setenv("GRADE_LANG", "ko")
    r = CliRunner().invoke(cli, ["status", "--lang", "fr"], prog_name="grade")
    assert r.stderr.splitlines()[-1] == (
        "grade: error: '--lang' (환경 변수 'GRADE_LANG')의 값이 잘못되었습니다: 'fr'은 'ko', 'en' 중 하나가 아닙니다."
    )


def test_json_keeps_the_english_message():
    r = CliRunner().invoke(cli, ["status", "--json", "--bogus", "--lang", "ko"], prog_name="grade")
    assert r.exit_code == 2
    assert json.loads(r.stdout)["error"] == "No such option '--bogus'. Did you mean '--course'?"
    assert r.stderr.splitlines()[-1] == "grade: error: '--bogus'라는 옵션은 없습니다. '--course'를 쓰려던 것인가요?"


def test_a_message_click_does_not_know_is_kept():
    from grader.cli.usage import words_said

    assert words_said("something new from click", "ko") == "something new from click"


def test_an_option_value_the_grader_refuses_is_said_in_the_readers_language(tiny_course):
    args = ["submit", str(tiny_course), "--course", str(tiny_course), "--member", "a|b"]
    r = CliRunner().invoke(cli, [*args, "--lang", "ko"], prog_name="grade")
    assert r.exit_code == 2
    assert r.stderr.splitlines()[-1].startswith("grade: error: '--member'의 값이 잘못되었습니다: 'a|b'는 멤버 ID로")
    r = CliRunner().invoke(cli, [*args, "--lang", "en", "--json"], prog_name="grade")
    assert r.exit_code == 2 and "'a|b' cannot be a member id" in json.loads(r.stdout)["error"]
