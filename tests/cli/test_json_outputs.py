"""`--json` on the commands that print data (#16): `grade quiz validate`, `grade quiz list`,
`grade minutes`, `grade site build`; one document on stdout, errors as JSON too."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from site_fixtures import make_course

from grader.cli.app import cli

BANK = textwrap.dedent("""
    [[question]]
    id = "x.q1"
    points = 2
    edition = "2"
    prompt = { ko = "삭제 게이트는 무엇을 하나요? PROMPT_TAIL", en = "What does the forget gate do?" }
    answer = { ko = "삭제 게이트는 장기 상태에서 지울 부분을 정한다.", en = "The forget gate decides what to erase from the long-term state." }

    [[question.concept]]
    id = "forget-role"
    label = { ko = "삭제 게이트가 하는 일", en = "what the forget gate does" }
    match = ["삭제 게이트|forget gate => 지우|erase"]
    feedback = { ko = "삭제 게이트가 하는 일이 빠졌습니다.", en = "What the forget gate does is missing." }
    must_match = ["삭제 게이트는 오래된 정보를 지운다.", "The forget gate erases old information."]
    must_not_match = ["입력 게이트는 정보를 더한다.", "The input gate adds information."]
""")


def _quiz_course(tmp_path: Path, bank: str = BANK, tail: str = "") -> Path:
    course = tmp_path / "c"
    (course / "quizzes").mkdir(parents=True)
    (course / "course.toml").write_text('[course]\nid = "c"\ntitle = "c"\n', encoding="utf-8")
    (course / "quizzes" / "q.toml").write_text(bank.replace("PROMPT_TAIL", tail), encoding="utf-8")
    return course


def test_quiz_validate_json_counts_what_it_checked(runner, tmp_path):
    course = _quiz_course(tmp_path)
    r = runner.invoke(cli, ["quiz", "validate", "--json", "--course", str(course)])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc == {
        "folder": str(course / "quizzes"),
        "questions": 1,
        "concepts": 1,
        "misconceptions": 0,
        "examples": 4,
        "ok": True,
        "problems": [],
    }
    text = runner.invoke(cli, ["quiz", "validate", "--course", str(course), "--lang", "en"])
    assert text.stdout.strip().endswith("1 question, 1 concept, 0 misconceptions, 4 examples: ok")
    ko = runner.invoke(cli, ["quiz", "validate", "--course", str(course), "--lang", "ko"])
    assert "문항 1개, 개념 1개, 오개념 0개, 예시 4개 모두 이상 없음" in ko.stdout


def test_quiz_validate_json_with_a_problem_is_one_document_and_exit_1(runner, tmp_path):
    course = _quiz_course(tmp_path, BANK.replace("=> 지우|erase", "=> 버리|discard"))
    r = runner.invoke(cli, ["quiz", "validate", "--json", "--course", str(course), "--lang", "en"])
    assert r.exit_code == 1
    doc = json.loads(r.stdout)  # one document: the problems are in it
    assert doc["ok"] is False and doc["problems"]
    assert all(p["where"].startswith(str(course / "quizzes" / "q.toml") + ":") for p in doc["problems"])
    assert any("does not find its example" in p["message"] for p in doc["problems"])
    assert r.stderr.strip().splitlines()[-1] == f"grade: error: {len(doc['problems'])} problems in {course / 'quizzes'}"


def test_quiz_validate_json_error_when_the_course_has_no_bank(runner, tmp_path):
    course = tmp_path / "empty"
    course.mkdir()
    (course / "course.toml").write_text('[course]\nid = "c"\ntitle = "c"\n', encoding="utf-8")
    r = runner.invoke(cli, ["quiz", "validate", "--json", "--course", str(course)])
    assert r.exit_code == 1
    assert set(json.loads(r.stdout)) == {"error", "file", "exit_code"}


@pytest.mark.parametrize("hostile", ["\x1b[2J", "\u202e", "\u200b", "\x07"])
def test_quiz_list_json_escapes_control_bidi_and_zero_width_characters(runner, tmp_path, hostile):
    course = _quiz_course(tmp_path, tail=hostile.encode("unicode_escape").decode().replace("\\x", "\\u00"))
    r = runner.invoke(cli, ["quiz", "list", "--json", "--course", str(course)])
    assert r.exit_code == 0, r.output
    assert hostile not in r.stdout
    (question,) = json.loads(r.stdout)
    assert question["prompt"]["ko"].endswith(hostile)  # the same data, only escaped
    assert question["prompt"]["en"] == "What does the forget gate do?"
    assert "삭제 게이트" in r.stdout  # Korean stays readable, not \\u escapes


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("cli-json"))


def test_minutes_json_says_what_it_wrote(runner, demo, tmp_path):
    out = tmp_path / "m.html"
    args = ["minutes", str(demo.meeting1), "--course", str(demo.root), "--gradebook", str(demo.gradebook)]
    r = runner.invoke(cli, [*args, "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc == {"meeting": str(demo.meeting1), "format": "html", "lang": "ko", "file": str(out), "text": None}
    assert out.is_file()
    r = runner.invoke(cli, [*args, "--format", "txt", "--json", "--lang", "en"])
    doc = json.loads(r.stdout)
    assert doc["file"] is None and doc["format"] == "txt" and doc["lang"] == "en" and doc["text"].strip()


def test_minutes_json_error_is_a_document(runner, demo, tmp_path):
    r = runner.invoke(cli, ["minutes", str(tmp_path / "nope.toml"), "--json", "--course", str(demo.root)])
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert set(doc) == {"error", "file", "exit_code"} and doc["exit_code"] == 1
    assert r.stderr.startswith("grade: error: ")


def test_site_build_json_lists_the_pages(runner, demo, tmp_path):
    out = tmp_path / "site"
    args = ["site", "build", "--out", str(out), "--course", str(demo.root), "--gradebook", str(demo.gradebook)]
    r = runner.invoke(cli, [*args, "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["out"] == str(out) and doc["index"] == str(out / "index.html") and doc["lang"] == "ko"
    assert doc["pages"] and all(Path(p).is_file() for p in doc["pages"])
    text = runner.invoke(cli, [*args, "--lang", "en"])
    assert text.stdout.strip() == f"{len(doc['pages'])} pages → {out / 'index.html'}"


def test_site_serve_json_error_without_a_built_site(runner, demo, tmp_path):
    r = runner.invoke(
        cli, ["site", "serve", "--no-build", "--out", str(tmp_path / "none"), "--json", "--course", str(demo.root)]
    )
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["file"] == str(tmp_path / "none") and "grade site build" in doc["error"]
    assert "grade site build" in r.stderr and "만들어 둔 사이트가 없습니다" in r.stderr


def test_an_unknown_question_is_one_error_line_in_the_reader_language(runner, tmp_path):
    course = _quiz_course(tmp_path)
    args = ["quiz", "score", "x.q9", "--answer", "x", "--course", str(course)]
    en = runner.invoke(cli, [*args, "--lang", "en"])
    assert en.exit_code == 1 and en.stderr.strip() == "grade: error: no question 'x.q9' in the bank (some ids: x.q1)"
    ko = runner.invoke(cli, args)
    assert ko.stderr.strip() == "grade: error: 문항 은행에 'x.q9'라는 문항이 없습니다 (있는 ID 몇 가지: x.q1)"
    js = runner.invoke(cli, [*args, "--json"])
    assert json.loads(js.stdout)["error"] == "no question 'x.q9' in the bank (some ids: x.q1)"
