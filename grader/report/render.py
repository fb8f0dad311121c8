"""The Jinja2 environment (autoescape always on), UI strings in Korean and English, filters.

Member names, quiz answers, check messages and notebook output are untrusted:
they only ever reach a page through `{{ … }}` in an autoescaping template. The
only `Markup` we make ourselves is our own CSS and our own SVG charts (whose
text parts are rendered through the same autoescaping templates).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from grader.report import notes
from grader.report.common import pick, yymmdd
from grader.report.progress import reviewed

HERE = Path(__file__).resolve().parent

STRINGS: dict[str, dict[str, str]] = {
    "ko": {
        "minutes": "서기",
        "minutes_of": "스터디 서기",
        "header": "서기 내용",
        "date": "서기 일자",
        "recorder": "서기",
        "topic": "주제",
        "time": "시간",
        "place": "장소",
        "attendance": "스터디 인원",
        "at_start": "시작",
        "at_end": "종료",
        "left_early": "중간에 나감",
        "joined_late": "늦게 참여",
        "learned": "배운 내용",
        "presenter": "발표",
        "postponed": "다음 시간으로 연기",
        "assignments": "과제 할당",
        "section": "절",
        "member": "담당",
        "name": "이름",
        "presenter_col": "발표자",
        "guests": "게스트",
        "next_meeting": "다음 모임",
        "unfinished": "끝내지 못한 검사",
        "unfinished_help": "제출하지 않았거나, 노트북이 멈췄거나, 아직 작성하지 않아 검사를 실행하지 못한 경우",
        "wrong": "틀린 검사",
        "wrong_help": "검사는 실행됐지만 결과가 맞지 않은 경우",
        "not_submitted": "미제출",
        "show_more": "나머지 {n}개 더 보기",
        "got_message": "{n}명이 받은 메시지",
        "reviewed": "검토됨",
        "reviewed_help": "강사가 검토해 고친 점수",
        "chart_data": "차트 데이터",
        "value": "값",
        "range": "구간",
        "people_n": "{n}명",
        "remarks": "특이사항",
        "notes": "비고",
        "none": "없음",
        "progress": "채점 진행 상황",
        "progress_asof": "{until}까지의 제출 기준 (최고 점수)",
        "progress_now": "지금까지의 제출 기준 (최고 점수)",
        "no_attempts": "이 시점까지 채점된 제출이 없습니다. 이후의 제출은 다음 회의록에 나옵니다.",
        "no_attempts_now": "아직 채점된 제출이 없습니다.",
        "exercise": "연습문제",
        "total": "합계",
        "since_last": "지난 회의 이후 제출",
        "since_first": "이번 회의까지의 제출",
        "window": "{since} 이후 ~ {until}",
        "nobody_submitted": "이 기간에 제출한 사람이 없습니다.",
        "quiet": "제출 없음",
        "attempts_n": "{n}회",
        "best": "최고 점수",
        "missed_checks": "막힌 곳",
        "missed_concepts": "퀴즈에서 많이 빠진 개념",
        "nothing_missed": "모두 통과했습니다.",
        "people_failing": "{n}/{of}명",
        "feedback": "피드백",
        "check": "검사",
        "concept": "개념",
        "misconception": "오개념",
        "unlisted": "명단 외",
        "state_full": "만점",
        "state_partial": "부분 점수",
        "state_zero": "0점",
        "state_none": "미제출",
        "state_timeout": "시간 초과",
        "state_crashed": "비정상 종료",
        "state_error": "오류",
        "state_invalid": "채점 불가",
        "site_title": "스터디 진행 현황",
        "meetings": "회의록",
        "members": "멤버",
        "exercises": "연습문제",
        "home": "처음",
        "no_meetings": "아직 회의 파일이 없습니다 (site/meetings/*.toml).",
        "attendees_n": "{n}명 참석",
        "history": "제출 기록",
        "trend": "점수 추이",
        "when": "일시",
        "graded": "채점",
        "status": "상태",
        "score": "점수",
        "duration": "소요",
        "message": "메시지",
        "failed_checks": "통과하지 못한 검사",
        "answers": "퀴즈 답안",
        "distribution": "점수 분포",
        "dist_best": "사람별 최고 점수",
        "dist_all": "모든 제출",
        "common_failures": "자주 실패한 검사",
        "people": "명",
        "tried_by": "{n}명 제출 · 제출 {a}회",
        "generated": "생성",
        "chart_empty": "아직 기록이 없습니다.",
        "count": "횟수",
        "print": "인쇄",
        "aliases": "다른 이름",
        "chart_trend_label": "{name}의 연습문제별 점수 추이 (%)",
        "chart_hist_label": "{title}: 점수 분포",
        "assigned": "다음 발표",
        "back_to_top": "맨 위로",
    },
    "en": {
        "minutes": "Minutes",
        "minutes_of": "Study-group minutes",
        "header": "Meeting",
        "date": "Date",
        "recorder": "Recorder",
        "topic": "Topic",
        "time": "Time",
        "place": "Place",
        "attendance": "Attendance",
        "at_start": "start",
        "at_end": "end",
        "left_early": "left early",
        "joined_late": "joined late",
        "learned": "What we learned",
        "presenter": "Presenter",
        "postponed": "Postponed to next meeting",
        "assignments": "Assignments",
        "section": "Section",
        "member": "Member",
        "name": "Name",
        "presenter_col": "Presenter",
        "guests": "Guests",
        "next_meeting": "Next meeting",
        "unfinished": "Checks not finished",
        "unfinished_help": "not submitted, or the check could not run "
        "(the notebook stopped, or the code is not written yet)",
        "wrong": "Checks answered wrong",
        "wrong_help": "the check ran, but the result was off",
        "not_submitted": "Not submitted",
        "show_more": "Show {n} more",
        "got_message": "{n} of them got this",
        "reviewed": "reviewed",
        "reviewed_help": "score corrected by a teacher's review",
        "chart_data": "Chart data",
        "value": "Value",
        "range": "Range",
        "people_n": "{n} people",
        "remarks": "Remarks",
        "notes": "Notes",
        "none": "None",
        "progress": "Grading progress",
        "progress_asof": "Best scores of attempts up to {until}",
        "progress_now": "Best scores of all attempts so far",
        "no_attempts": "No graded attempts up to this meeting. Later attempts appear in the next meeting's minutes.",
        "no_attempts_now": "No graded attempts yet.",
        "exercise": "Exercise",
        "total": "Total",
        "since_last": "Submitted since the last meeting",
        "since_first": "Submitted up to this meeting",
        "window": "after {since} until {until}",
        "nobody_submitted": "Nobody submitted in this period.",
        "quiet": "No submissions",
        "attempts_n": "{n}×",
        "best": "Best score",
        "missed_checks": "Where people are stuck",
        "missed_concepts": "Quiz concepts most often missing",
        "nothing_missed": "Everything passed.",
        "people_failing": "{n}/{of} people",
        "feedback": "Feedback",
        "check": "Check",
        "concept": "Concept",
        "misconception": "misconception",
        "unlisted": "not on roster",
        "state_full": "full marks",
        "state_partial": "partial",
        "state_zero": "zero",
        "state_none": "not submitted",
        "state_timeout": "timeout",
        "state_crashed": "crashed",
        "state_error": "error",
        "state_invalid": "invalid",
        "site_title": "Study-group progress",
        "meetings": "Meetings",
        "members": "Members",
        "exercises": "Exercises",
        "home": "Home",
        "no_meetings": "No meeting files yet (site/meetings/*.toml).",
        "attendees_n": "{n} attended",
        "history": "Attempt history",
        "trend": "Score trend",
        "when": "When",
        "graded": "Graded",
        "status": "Status",
        "score": "Score",
        "duration": "Time",
        "message": "Message",
        "failed_checks": "Failed checks",
        "answers": "Quiz answers",
        "distribution": "Score distribution",
        "dist_best": "Best score per person",
        "dist_all": "All attempts",
        "common_failures": "Most common failures",
        "people": "people",
        "tried_by": "{n} people · {a} attempts",
        "generated": "Generated",
        "chart_empty": "Nothing recorded yet.",
        "count": "count",
        "print": "Print",
        "aliases": "aliases",
        "chart_trend_label": "Score trend of {name} per exercise (%)",
        "chart_hist_label": "{title}: score distribution",
        "assigned": "Presents next",
        "back_to_top": "Back to top",
    },
}

LANGS = tuple(STRINGS)


class Strings:
    """`t.recorder` in templates; `t.fmt('window', since=…, until=…)` for the ones with fields."""

    def __init__(self, lang: str) -> None:
        if lang not in STRINGS:
            raise ValueError(f"unknown language {lang!r}")
        self.lang = lang
        self._s = STRINGS[lang]

    def __getattr__(self, key: str) -> str:
        try:
            return self._s[key]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> str:
        return self._s[key]

    def keys(self) -> list[str]:
        return list(self._s)

    def fmt(self, key: str, **fields: Any) -> str:
        return self._s[key].format(**fields)


_WEEKDAYS = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def weekday(day: Any, lang: str) -> str:  # noqa: ANN401 - a date or datetime
    """The day of the week, short: 토 / Sat."""
    return _WEEKDAYS["ko" if lang == "ko" else "en"][day.weekday()]


def markdown(text: str, images: notes.ImageSink | None = None, inline: bool = False) -> Markup:
    """A note's Markdown as sanitized HTML (grader/report/notes.py)."""
    return notes.render(text, images, inline=inline)


def fmt_score(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:.1f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


@lru_cache(maxsize=1)
def css() -> Markup:
    """Our own stylesheet, inlined into every page (pages work offline and from file://)."""
    return Markup((HERE / "static" / "report.css").read_text(encoding="utf-8") + "\n" + notes.code_css())


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates"), encoding="utf-8"),
        autoescape=True,  # everywhere, whatever the template's name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["yymmdd"] = yymmdd
    env.filters["score"] = fmt_score
    env.filters["pick"] = pick
    env.filters["markdown"] = markdown
    env.filters["weekday"] = weekday
    env.globals["reviewed"] = reviewed
    return env


def render(template: str, **ctx: Any) -> str:
    return environment().get_template(template).render(css=css(), **ctx)
