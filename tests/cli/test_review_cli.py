"""`grade review …`, `grade import` and `grade export --gradebook-file` as a script uses them:
exit codes, one-line errors (JSON in JSON mode), the reviewed figures in status and export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from grader.cli.app import cli
from grader.results.attempt import Attempt, CheckResult
from grader.results.gradebook import Gradebook

T0 = dt.datetime(2021, 11, 20, 11, 0, tzinfo=dt.UTC)


def _attempt(member: str, quiz: float, hours: int = 0, **extra: object) -> Attempt:
    return Attempt(
        "ch15.ex4",
        member,
        "graded",
        [
            CheckResult("windows", "value_matches", True, 3.0, 3.0, ""),
            CheckResult("quiz:ch15.ex4", "quiz", False, quiz, 2.0, "", details={"needs_review": True}),
        ],
        1.0,
        graded_at=T0 + dt.timedelta(hours=hours),
        **extra,
    )


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "gb.db"
    with Gradebook(str(path)) as gb:
        gb.record(_attempt("root", 1.0, member_source="os-user", member_note="member from the OS user (root)"), b"a")
        gb.record(_attempt("sora", 0.5, 1), b"b")
    return path


def _run(runner, *args: str):  # noqa: ANN202
    return runner.invoke(cli, list(args))


def test_review_lists_and_fixes_and_status_and_export_show_it(runner, book, repo_root):
    r = _run(runner, "review", "--json", "--gradebook", str(book))
    assert r.exit_code == 0, r.output
    items = json.loads(r.stdout)
    assert [(i["attempt_id"], i["kind"]) for i in items] == [(1, "quiz"), (1, "member"), (2, "quiz")]
    r = runner.invoke(cli, ["review", "--gradebook", str(book), "--lang", "ko"], env={"COLUMNS": "200"})
    assert (
        r.exit_code == 0 and "멤버 이름을 OS 사용자 이름으로 정했습니다: root" in r.output and "퀴즈 검토" in r.output
    )

    r = _run(
        runner,
        "review",
        "set-band",
        "1",
        "ch15.ex4",
        "full",
        "--reason",
        "설명이 맞습니다",
        "--by",
        "지민",
        "--json",
        "--gradebook",
        str(book),
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["review"]["old_value"] == "partial (1/2)" and doc["review"]["new_value"] == "full (2/2)"
    assert doc["review"]["reviewer"] == "지민" and doc["attempt"] == {
        "attempt_id": 1,
        "member": "root",
        "exercise": "ch15.ex4",
        "score": 5.0,
        "max_score": 5.0,
        "excluded": False,
        "reviewed": True,
    }
    r = _run(
        runner, "review", "reassign", "1", "jiho", "--reason", "지호의 노트북", "--gradebook", str(book), "--lang", "ko"
    )
    assert r.exit_code == 0, r.output
    assert r.output.startswith("시도 1 (jiho, ch15.ex4): 멤버 root → jiho, 점수 5/5.") and "검토자:" in r.output
    r = _run(runner, "review", "exclude", "2", "--reason", "두 번 냄", "--gradebook", str(book), "--lang", "en")
    assert r.exit_code == 0 and "counting counted → excluded" in r.output

    r = _run(runner, "status", "--json", "--gradebook", str(book), "--course", str(repo_root))
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [(x["member"], x["score"], x["reviewed"]) for x in rows] == [("jiho", 5.0, True)]
    r = _run(runner, "status", "--gradebook", str(book), "--course", str(repo_root), "--lang", "en")
    assert "5/5*" in r.output and "* reviewed by a person" in r.output
    r = _run(runner, "export", "--gradebook", str(book))
    assert r.exit_code == 0, r.output
    table = list(csv.reader(io.StringIO(r.stdout)))
    assert table[0][-1] == "reviewed" and [row[:3] + row[-1:] for row in table[1:]] == [
        ["jiho", "ch15.ex4", "5", "yes"]
    ]
    r = _run(runner, "review", "history", "--json", "--gradebook", str(book))
    assert [x["action"] for x in json.loads(r.stdout)] == ["band", "member", "exclude"]
    r = _run(runner, "review", "history", "--gradebook", str(book), "--course", str(repo_root), "--lang", "en")
    first = r.output.splitlines()[0]
    assert first.startswith("#1 ") and "+09:00 지민: attempt 1 quiz:ch15.ex4 band" in first  # the group's time
    assert first.endswith("partial (1/2) → full (2/2) — 설명이 맞습니다")
    r = _run(runner, "review", "history", "--gradebook", str(book), "--course", str(repo_root), "--lang", "ko")
    last = r.output.splitlines()[-1]
    assert "시도 2 제외: 포함 → 제외 — 두 번 냄" in last, last  # the action, then what it changed
    r = _run(runner, "review", "--json", "--gradebook", str(book))
    assert json.loads(r.stdout) == []


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["review", "set-points", "9", "windows", "1", "--reason", "x"], 1, "no attempt 9 in this gradebook"),
        (["review", "set-points", "1", "nope", "1", "--reason", "x"], 1, "attempt 1 has no check 'nope'"),
        (["review", "set-points", "1", "windows", "7", "--reason", "x"], 1, "points must be between 0 and 3"),
        (["review", "set-band", "1", "ch15.ex4", "full", "--reason", " "], 1, "a review needs a reason"),
        (["review", "restore", "1", "--reason", "x"], 1, "attempt 1 is not excluded"),
        (["review", "reassign", "1", "a\u202eb", "--reason", "x"], 1, "cannot be a member id"),
        (["review", "set-band", "1", "ch15.ex4", "full"], 2, "Missing option '--reason'"),
        (["review", "set-band", "1", "ch15.ex4", "most", "--reason", "x"], 2, "Invalid value"),
        (["review", "set-points", "x", "windows", "1", "--reason", "x"], 2, "Invalid value"),
    ],
)
def test_bad_review_commands_are_one_line(runner, book, args, code, message):
    r = _run(runner, *args, "--gradebook", str(book), "--lang", "en")
    assert r.exit_code == code and message in r.output and "Traceback" not in r.output, r.output
    if code == 1:
        [line] = r.stderr.splitlines()
        assert line.startswith("grade: error: ")
        j = _run(runner, *args, "--gradebook", str(book), "--json")
        assert j.exit_code == 1 and message in json.loads(j.stdout)["error"]
    r = _run(runner, "review", "history", "--json", "--gradebook", str(book))
    assert json.loads(r.stdout) == []  # nothing was written


@pytest.mark.parametrize(
    "lang, said", [("en", "no gradebook here (nothing graded yet?)"), ("ko", "여기에는 성적부가 없습니다")]
)
def test_review_of_a_missing_gradebook_creates_nothing(runner, tmp_path, lang, said):
    r = _run(runner, "review", "--gradebook", str(tmp_path / "none.db"), "--lang", lang)
    assert r.exit_code == 1 and said in r.output and not (tmp_path / "none.db").exists()


def test_export_then_import_on_the_command_line(runner, book, tmp_path):
    _run(runner, "review", "set-points", "2", "windows", "1", "--reason", "부분", "--gradebook", str(book))
    out = tmp_path / "laptop.jsonl"
    r = _run(runner, "export", "--gradebook-file", str(out), "--gradebook", str(book))
    assert r.exit_code == 0 and r.stdout == "" and out.is_file()
    r = _run(runner, "export", "--gradebook-file", "-", "--gradebook", str(book))
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["format"] == "grade-gradebook"
    r = _run(runner, "export", "--gradebook-file", str(out), "--excel", "--gradebook", str(book), "--lang", "en")
    assert r.exit_code == 2 and "does not combine with --excel" in r.output
    r = _run(runner, "export", "--gradebook-file", str(out), "--excel", "--json", "--gradebook", str(book))
    assert r.exit_code == 2 and "함께 쓸 수 없습니다: --excel, --json" in r.stderr

    recorder = tmp_path / "recorder.db"
    r = _run(runner, "import", str(out), "--gradebook", str(recorder), "--lang", "en")
    assert r.exit_code == 0, r.output
    assert r.stdout == (
        f"{out}: attempts 2 added, 0 skipped (already there), 0 conflicting; "
        "reviews 1 added, 0 skipped, 0 conflicting\n"
    )
    r = _run(runner, "import", str(out), "--gradebook", str(recorder), "--lang", "ko")
    assert r.stdout == f"{out}: 시도 0개 추가, 2개 건너뜀(이미 있음), 0개 충돌. 검토 0개 추가, 1개 건너뜀, 0개 충돌\n"
    r = _run(runner, "import", str(out), "--json", "--gradebook", str(recorder))
    assert r.exit_code == 0 and json.loads(r.stdout) == [
        {
            "file": str(out),
            "attempts": {"added": 0, "skipped": 2, "conflicting": 0},
            "reviews": {"added": 0, "skipped": 1, "conflicting": 0},
            "conflicts": [],
        }
    ]
    r = _run(runner, "import", str(out), "--gradebook", str(recorder), "--lang", "ko")
    assert r.stdout == (f"{out}: 시도 0개 추가, 2개 건너뜀(이미 있음), 0개 충돌. 검토 0개 추가, 1개 건너뜀, 0개 충돌\n")
    with Gradebook(str(recorder)) as gb:
        assert {a.attempt_id: a.score for a in gb.attempts()} == {1: 4.0, 2: 1.5}

    # Another laptop graded sora's notebook with other figures: reported, ours kept, exit 1.
    other = tmp_path / "other.db"
    with Gradebook(str(other)) as gb:
        gb.record(_attempt("sora", 2.0, 1), b"b")
    r = _run(runner, "export", "--gradebook-file", str(tmp_path / "other.jsonl"), "--gradebook", str(other))
    r = _run(runner, "import", str(tmp_path / "other.jsonl"), "--gradebook", str(recorder), "--lang", "en")
    assert r.exit_code == 1
    assert f"grade: warning: {tmp_path / 'other.jsonl'}:3: conflict: sora ch15.ex4" in r.stderr
    assert "0 added, 0 skipped (already there), 1 conflicting" in r.stdout
    r = _run(runner, "import", str(tmp_path / "other.jsonl"), "--gradebook", str(recorder), "--json", "--lang", "ko")
    [conflict] = json.loads(r.stdout)[0]["conflicts"]
    assert (conflict["what"], conflict["code"]) == ("attempt", "other_figures")
    assert conflict["detail"].startswith("sora ch15.ex4: 이 성적부의 시도 2번과 같은 노트북인데 결과가 다릅니다 (점수:")
    r = _run(runner, "import", str(tmp_path / "other.jsonl"), "--gradebook", str(recorder), "--lang", "ko")
    assert f"grade: warning: {tmp_path / 'other.jsonl'}:3: 충돌: sora ch15.ex4: " in r.stderr
    assert "시도 0개 추가, 0개 건너뜀(이미 있음), 1개 충돌" in r.stdout


def test_import_of_a_bad_file_names_the_line_and_creates_no_gradebook(runner, tmp_path, monkeypatch):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "grade-gradebook", "version": 1}\n{"type": "attempt", "attempt": 3}\n', encoding="utf-8")
    monkeypatch.setenv("GRADE_LANG", "en")
    r = _run(runner, "import", str(bad), "--gradebook", str(tmp_path / "gb.db"))
    assert (
        r.exit_code == 1
        and r.stderr
        == f'grade: error: {bad}: line 2: not a valid attempt record (its "attempt" is not a JSON object)\n'
    )
    monkeypatch.setenv("GRADE_LANG", "ko")
    r = _run(runner, "import", str(bad), "--gradebook", str(tmp_path / "gb.db"))
    assert (
        r.stderr
        == f'grade: error: {bad}: 2번째 줄: 올바른 `attempt` 레코드가 아닙니다 ("attempt" 값이 JSON 객체가 아닙니다)\n'
    )
    assert not (tmp_path / "gb.db").exists()
    monkeypatch.setenv("GRADE_LANG", "en")
    r = _run(runner, "import", str(tmp_path / "missing.jsonl"), "--gradebook", str(tmp_path / "gb.db"))
    assert r.exit_code == 1 and "cannot read it" in r.output and "Traceback" not in r.output


def test_options_before_the_subcommand_count_for_it(runner, book, tmp_path):
    r = _run(
        runner,
        "review",
        "--gradebook",
        str(book),
        "--json",
        "--lang",
        "en",
        "set-points",
        "2",
        "windows",
        "1",
        "--reason",
        "부분 점수",
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["attempt"]["score"] == 1.5
    r = _run(runner, "review", "--gradebook", str(book), "history", "2", "--lang", "en")
    assert r.exit_code == 0 and "attempt 2 windows points 3 → 1 — 부분 점수" in r.output
