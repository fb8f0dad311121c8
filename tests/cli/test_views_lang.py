"""The terminal views follow --lang: headings, progress lines and status words (issue 16,
item 3); JSON keeps the contract's English values."""

from __future__ import annotations

import io

from rich.console import Console
from site_fixtures import check_result

from grader.cli.views import render_result, run_progress
from grader.results.attempt import Attempt, Status


def _attempt(status: Status = Status.GRADED) -> Attempt:
    check = check_result("shape", "output_shape", 1.0, 2.0, "`model`이 아직 None입니다.", title="출력 크기")
    return Attempt(exercise="ch15.ex2", member="sora", status=status, checks=[check], duration_s=1.25)


def _render(lang: str, status: Status = Status.GRADED) -> str:
    out = io.StringIO()
    render_result(Console(file=out, width=80, color_system=None), _attempt(status), lang)
    return out.getvalue()


def test_korean_output_translates_the_status_and_headings() -> None:
    ko = _render("ko")
    assert "채점 완료" in ko and "graded" not in ko
    assert "검사" in ko and "점수" in ko and "check" not in ko and "points" not in ko
    assert "시간 초과" in _render("ko", Status.TIMEOUT)
    assert "1.2초" in ko and "1.2 s" not in ko and "1.2 s" in _render("en")


def test_english_output_keeps_english_words() -> None:
    en = _render("en")
    assert "graded" in en and "채점 완료" not in en and "score" in en


def test_json_keeps_the_contract_values() -> None:
    assert _attempt().to_dict()["status"] == "graded"


def test_plain_progress_lines_follow_lang() -> None:
    for lang, said in (("ko", "코드 셀 3개 실행 중"), ("en", "running 3 code cells")):
        out = io.StringIO()
        console = Console(file=out, stderr=True, width=80, color_system=None)
        with run_progress(console, "04_forecast7.ipynb", lang, live=False) as progress:
            progress("cell", 0, 3)
            progress("checks", 0, 1)
        assert said in out.getvalue()


def test_lines_said_outside_a_command_follow_its_lang(monkeypatch) -> None:  # noqa: ANN001
    from grader.cli.conventions import lang_of

    monkeypatch.delenv("GRADE_LANG", raising=False)
    assert lang_of(["submit", "a.ipynb", "--lang", "en"]) == "en"
    assert lang_of(["status", "--lang=EN"]) == "en"
    assert lang_of(["status"]) == "ko"
    assert lang_of(["quiz", "score", "x", "--answer", "--", "--lang", "en"]) == "ko"
    monkeypatch.setenv("GRADE_LANG", "en")
    assert lang_of(["status"]) == "en"
    assert lang_of(["status", "--lang", "ko"]) == "ko"


def test_the_batch_summary_gives_each_run_time_in_the_readers_language() -> None:
    from pathlib import Path

    from grader.batch.collect import Found
    from grader.batch.run import BatchItem
    from grader.cli.views_batch import render_batch_summary

    item = BatchItem(index=0, found=Found(Path("02_rnn_shapes.ipynb"), root=None), member="sora", result=_attempt())

    def shown(lang: str) -> str:
        out = io.StringIO()
        render_batch_summary(Console(file=out, width=80, color_system=None), [item], lang)
        return out.getvalue()

    assert "1.2초" in shown("ko") and "1.2 s" not in shown("ko")
    assert "1.2 s" in shown("en")
