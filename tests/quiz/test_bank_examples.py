"""Rubrics that carry their own examples, and the bank's new keys (issue 18, items 3 and 6)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli.app import cli
from grader.errors import SpecError
from grader.quiz import load_bank
from grader.quiz.normalize import answer_language
from grader.quiz.validate import check_question

from .bank_ctx import BANK, ROOT, bank_dir

QUESTION = textwrap.dedent("""
    [[question]]
    id = "x.q1"
    points = 2
    edition = "2"
    prompt = { ko = "삭제 게이트는 무엇을 하나요?", en = "What does the forget gate do?" }
    answer = { ko = "삭제 게이트는 장기 상태에서 지울 부분을 정하고, 입력 게이트는 새로 더할 부분을 정한다.", en = "The forget gate decides what to erase from the long-term state, and the input gate what to add." }

    [[question.concept]]
    id = "forget-role"
    label = { ko = "삭제 게이트가 하는 일", en = "what the forget gate does" }
    match = ["삭제 게이트|forget gate => 지우|erase"]
    feedback = { ko = "삭제 게이트가 하는 일이 빠졌습니다. 그 게이트는 무엇을 다루나요?", en = "What the forget gate does is missing: what does it deal with?" }
    must_match = ["삭제 게이트는 오래된 정보를 지운다.", "The forget gate erases old information."]
    must_not_match = ["입력 게이트는 정보를 지운다.", "The input gate erases information."]

    [[question.concept]]
    id = "input-role"
    label = { ko = "입력 게이트가 하는 일", en = "what the input gate does" }
    match = ["입력 게이트|input gate => 더하|add"]
    feedback = { ko = "입력 게이트가 하는 일이 빠졌습니다.", en = "What the input gate does is missing." }
    must_match = ["입력 게이트는 새 정보를 더한다.", "The input gate adds new information."]
    must_not_match = ["삭제 게이트는 새 정보를 더한다."]

    [[question.misconception]]
    id = "swapped"
    penalty = 0.3
    swap = ["forget-role", "input-role"]
    label = { ko = "두 게이트의 역할을 뒤바꿈", en = "the two gates swapped" }
    feedback = { ko = "두 게이트의 역할이 바뀌었습니다. 이름을 다시 보세요.", en = "The two roles are swapped: look at the names again." }
    must_match = ["입력 게이트는 정보를 지우고 삭제 게이트는 정보를 더한다.", "The input gate erases and the forget gate adds."]
    must_not_match = ["삭제 게이트는 정보를 지우고 입력 게이트는 정보를 더한다."]
""")


def test_a_bank_with_examples_edition_and_model_answer_validates(tmp_path: Path) -> None:
    q = load_bank(bank_dir(tmp_path, QUESTION))["x.q1"]
    assert q.edition == "2" and q.answer["en"].startswith("The forget gate")
    assert check_question(q) == []


def test_a_rubric_that_no_longer_matches_its_example_fails_with_file_and_line(tmp_path: Path) -> None:
    broken = QUESTION.replace(
        'match = ["삭제 게이트|forget gate => 지우|erase"]', 'match = ["삭제 게이트|forget gate => 버리|discard"]'
    )
    q = load_bank(bank_dir(tmp_path, broken))["x.q1"]
    problems = check_question(q)
    lines = broken.splitlines()
    example_line = next(i for i, line in enumerate(lines, 1) if "삭제 게이트는 오래된 정보를 지운다" in line)
    assert any(
        p.where == f"{tmp_path / 'q.toml'}:{example_line}" and "does not find its example" in p.message
        for p in problems
    ), problems


def test_a_hint_that_gives_the_answer_away_fails(tmp_path: Path) -> None:
    leaky = QUESTION.replace(
        "삭제 게이트가 하는 일이 빠졌습니다. 그 게이트는 무엇을 다루나요?",
        "삭제 게이트는 장기 상태에서 지울 정보를 정합니다.",
    )
    problems = check_question(load_bank(bank_dir(tmp_path, leaky))["x.q1"])
    assert any("feedback (ko) earns the concept" in p.message for p in problems), problems


def test_every_item_needs_examples_in_both_languages_and_a_counter_example(tmp_path: Path) -> None:
    bare = QUESTION.replace('must_not_match = ["삭제 게이트는 새 정보를 더한다."]\n', "").replace(
        '"입력 게이트는 새 정보를 더한다.", "The input gate adds new information."', '"입력 게이트는 새 정보를 더한다."'
    )
    problems = [p.message for p in check_question(load_bank(bank_dir(tmp_path, bare))["x.q1"])]
    assert any("input-role: no must_match example in English" in m for m in problems), problems
    assert any("input-role: no must_not_match example" in m for m in problems), problems


def test_cli_validate_lists_each_problem_and_fails(tmp_path: Path) -> None:
    course = tmp_path / "c"
    (course / "quizzes").mkdir(parents=True)
    (course / "course.toml").write_text('[course]\nid = "c"\ntitle = "c"\n', encoding="utf-8")
    broken = QUESTION.replace(
        'match = ["입력 게이트|input gate => 더하|add"]', 'match = ["입력 게이트|input gate => 쓰|write"]'
    )
    (course / "quizzes" / "q.toml").write_text(broken, encoding="utf-8")
    r = CliRunner().invoke(cli, ["quiz", "validate", "--course", str(course), "--lang", "en"])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "q.toml:" in r.output and "input-role does not find its example" in r.output
    # in Korean, each problem too (not only the summary line)
    r = CliRunner().invoke(cli, ["quiz", "validate", "--course", str(course), "--lang", "ko"])
    assert r.exit_code == 1
    assert "x.q1 개념 input-role이 자기 예시 '입력 게이트는" in r.stderr and "does not find" not in r.stderr
    r = CliRunner().invoke(cli, ["quiz", "validate", "--course", str(course), "--lang", "ko", "--json"])
    assert any("input-role does not find its example" in p["message"] for p in json.loads(r.stdout)["problems"])


@pytest.mark.parametrize(
    "bad, message",
    [
        ('swap = ["forget-role", "nope"]', "'swap' names 'nope'"),
        ('swap = ["forget-role"]', "'swap' must name two concepts"),
    ],
)
def test_a_bad_swap_is_rejected_with_file_and_line(tmp_path: Path, bad: str, message: str) -> None:
    text = QUESTION.replace('swap = ["forget-role", "input-role"]', bad)
    with pytest.raises(SpecError, match=message) as err:
        load_bank(bank_dir(tmp_path, text))
    assert "q.toml:" in str(err.value)


def test_an_unknown_word_family_is_rejected(tmp_path: Path) -> None:
    text = QUESTION.replace("=> 지우|erase", "=> @nosuchfamily")
    with pytest.raises(SpecError, match="unknown word family '@nosuchfamily'"):
        load_bank(bank_dir(tmp_path, text))


def test_the_course_bank_carries_examples_for_every_item() -> None:
    for q in BANK.values():
        assert q.edition == "2" and set(q.answer) == {"ko", "en"}, q.id
        for item in [*q.concepts, *q.misconceptions]:
            langs = {answer_language(e.text) for e in item.examples if e.expect}
            assert langs == {"ko", "en"} and any(not e.expect for e in item.examples), (q.id, item.id)


def test_quiz_list_shows_the_edition() -> None:
    r = CliRunner().invoke(cli, ["quiz", "list", "--json", "--course", str(ROOT)])
    assert r.exit_code == 0
    assert {q["edition"] for q in json.loads(r.output)} == {"2"}
    table = CliRunner().invoke(cli, ["quiz", "list", "--lang", "en", "--course", str(ROOT)])
    assert "edition" in table.output
