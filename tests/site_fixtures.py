"""Test data for the report tests: a small course with a roster, two meetings and a gradebook.

`make_course(tmp_path)` writes everything and returns a `DemoCourse`; `record(...)`
writes one attempt the way `grade submit` would (`Gradebook.record`); `check(...)` is one
check of it as the gradebook stores it, `check_result(...)` one as a check kind returns it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.results.attempt import Attempt, CheckResult
from grader.results.gradebook import Gradebook

ROOT = Path(__file__).resolve().parent.parent
KST = dt.timezone(dt.timedelta(hours=9))

EVIL_NAME = "<script>alert(1)</script>"
EVIL_ANSWER = '<img src=x onerror="alert(2)"><b>bold</b> 답: 상태는 <i>h(t)</i>'
EVIL_MESSAGE = "<script>alert(3)</script> shape was [3, 5]"

ROSTER = """\
[group]
name = { ko = "시퀀스 스터디", en = "Sequence study group" }
course = "Hands-On ML ch.15"
timezone = "Asia/Seoul"
exercises = ["ch15.ex1", "ch15.ex2", "ch15.ex3", "ch15.ex4"]

[[members]]
id = "sora"
name = { ko = "한소라", en = "Sora Han" }
aliases = ["sora.han"]

[[members]]
id = "jiho"
name = { ko = "박지호", en = "Jiho Park" }

[[members]]
id = "minseo"
name = { ko = "김민서", en = "Minseo Kim" }
aliases = ["mkim"]

[[members]]
id = "evil"
name = "<script>alert(1)</script>"
"""

MEETING_1 = """\
date = 2021-11-20
recorder = "jiho"
topic = { ko = "순환 신경망 (RNN)", en = "Recurrent neural networks" }
chapter = "15장"
start = "20:30"
end = "22:30"
place = { ko = "Zoom 미팅", en = "Zoom meeting" }

[attendance]
start = ["sora", "jiho", "minseo", "evil"]
end = ["sora", "jiho", "minseo"]

[[sections]]
number = "15.1"
title = "순환 뉴런과 순환 층"
notes = ["매 스텝 x(t)와 y(t-1)을 받는다.", "<b>not bold</b> & co"]

[[sections]]
number = "15.2"
title = "RNN 훈련하기"
status = "postponed"

[[assignments]]
section = "16.1"
member = "minseo"

[[assignments]]
section = "16.2"
member = "evil"
"""

MEETING_2 = """\
date = 2021-11-27
recorder = "sora"
topic = "자연어 처리"
start = "20:30"
end = "22:00"
place = "Zoom"
remarks = ["다음 주는 쉽니다."]

[attendance]
start = ["sora", "jiho", "minseo"]
end = ["sora", "jiho"]
"""


@dataclass
class DemoCourse:
    root: Path
    gradebook: Path

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def meeting1(self) -> Path:
        return self.site / "meetings" / "2021-11-20.toml"

    @property
    def meeting2(self) -> Path:
        return self.site / "meetings" / "2021-11-27.toml"


def check(
    cid: str,
    passed: bool,
    points: float,
    max_points: float,
    message: str = "",
    *,
    kind: str = "output_shape",
    title: str = "",
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": cid,
        "kind": kind,
        "passed": passed,
        "points": points,
        "max_points": max_points,
        "message": message,
        "title": title or cid,
        "details": details or {},
    }


def check_result(
    cid: str, kind: str, points: float, max_points: float, message: str = "", **fields: Any
) -> CheckResult:
    """A graded check, passed when it earned every point; `fields` the optional ones (title,
    details, hint_level, ...)."""
    return CheckResult(
        id=cid,
        kind=kind,
        passed=points >= max_points,
        points=points,
        max_points=max_points,
        message=message,
        **fields,
    )


def quiz(
    qid: str,
    points: float,
    max_points: float,
    *,
    missing: list[Any] = (),
    matched: list[Any] = (),
    misconceptions: list[Any] = (),
    feedback: str = "",
) -> dict[str, Any]:
    return check(
        f"quiz:{qid}",
        points >= max_points,
        points,
        max_points,
        feedback,
        kind="quiz",
        title=f"퀴즈 {qid}",
        details={
            "question": qid,
            "matched": list(matched),
            "missing": list(missing),
            "misconceptions": list(misconceptions),
            "feedback": feedback,
        },
    )


def record(
    book: Gradebook,
    exercise: str,
    member: str,
    when: dt.datetime,
    checks: list[dict[str, Any]],
    *,
    status: str = "graded",
    answers: dict[str, str] | None = None,
    message: str = "",
) -> int:
    score = sum(c["points"] for c in checks)
    max_score = sum(c["max_points"] for c in checks) or 10.0
    # Each attempt its own notebook (graded once each), the same bytes in every gradebook filled.
    return book.record(
        Attempt.from_dict(
            {
                "exercise": exercise,
                "member": member,
                "status": status,
                "score": score,
                "max_score": max_score,
                "checks": checks,
                "duration_s": 12.5,
                "path": f"exercises/{exercise}.ipynb",
                "seed": 7,
                "message": message,
                "grader_version": "test",
                "answers": answers or {},
                "graded_at": when,
            }
        ),
        json.dumps([exercise, member, str(when), status, checks, message], sort_keys=True).encode(),
    )


def at(day: int, hour: int = 12, month: int = 11) -> dt.datetime:
    """A Korean wall-clock time, as UTC (what `grade submit` records)."""
    return dt.datetime(2021, month, day, hour, 0, tzinfo=KST).astimezone(dt.UTC)


def fill_gradebook(path: Path) -> None:
    """Attempts before the first meeting, between the meetings, and after the second."""
    with Gradebook(str(path)) as book:
        # before meeting 1 (21.11.20 22:30)
        record(
            book,
            "ch15.ex1",
            "sora.han",
            at(15),
            [
                check("windows", True, 2, 2),
                check("any_length", False, 0, 2, "출력 모양이 [3, 1]입니다. [3, 7]이어야 합니다."),
                quiz(
                    "ch15.ex1",
                    1,
                    3,
                    missing=["가중치 공유", "역전파"],
                    matched=["순환"],
                    feedback="가중치를 모든 타임 스텝이 공유한다는 점을 설명하세요.",
                ),
            ],
            answers={"ch15.ex1": "RNN은 순환한다"},
        )
        record(
            book,
            "ch15.ex1",
            "sora",
            at(18),
            [
                check("windows", True, 2, 2),
                check("any_length", True, 2, 2),
                quiz("ch15.ex1", 3, 3, matched=["가중치 공유", "역전파", "순환"], feedback="좋습니다."),
            ],
        )
        record(
            book,
            "ch15.ex1",
            "jiho",
            at(19),
            [
                check("windows", False, 0, 2, "make_windows가 None을 반환했습니다."),
                check("any_length", False, 0, 2, "출력 모양이 [3, 1]입니다. [3, 7]이어야 합니다."),
                quiz(
                    "ch15.ex1",
                    0,
                    3,
                    missing=["가중치 공유", "역전파", "순환"],
                    misconceptions=[{"id": "cnn", "label": {"ko": "RNN을 CNN과 혼동", "en": "confuses RNN with CNN"}}],
                    feedback="가중치 공유와 BPTT를 다시 읽어 보세요.",
                ),
            ],
            answers={"ch15.ex1": EVIL_ANSWER},
            message=EVIL_MESSAGE,
        )
        record(book, "ch15.ex1", EVIL_NAME, at(19, 13), [check("windows", False, 0, 2, EVIL_MESSAGE)])
        # between the meetings
        record(
            book,
            "ch15.ex2",
            "mkim",
            at(22),
            [check("quality", False, 1, 4, "MSE 0.02 > 기준"), check("shape", True, 2, 2)],
        )
        record(book, "ch15.ex2", "mkim", at(24), [check("quality", True, 4, 4), check("shape", True, 2, 2)])
        record(book, "ch15.ex4", "jiho", at(25), [], status="timeout", message="셀 3이 120초를 넘었습니다.")
        record(
            book,
            "ch15.ex1",
            "jiho",
            at(26),
            [
                check("windows", True, 2, 2),
                check("any_length", False, 0, 2, "출력 모양이 [3, 1]입니다."),
                quiz(
                    "ch15.ex1",
                    2,
                    3,
                    missing=["역전파"],
                    matched=["가중치 공유", "순환"],
                    feedback="BPTT(시간에 따른 역전파)를 언급하세요.",
                ),
            ],
        )
        # after meeting 2 (21.11.27 22:00)
        record(book, "ch15.ex3", "sora", at(29), [check("stack", True, 3, 3)])


def make_course(tmp_path: Path, *, with_repo_specs: bool = True) -> DemoCourse:
    root = tmp_path / "course"
    (root / "site" / "meetings").mkdir(parents=True)
    (root / "course.toml").write_text(
        textwrap.dedent("""\
        [course]
        id = "ch15"
        title = "test"
        gradebook = ".grade/gradebook.db"
        """),
        encoding="utf-8",
    )
    if with_repo_specs and (ROOT / "exercises" / "specs").is_dir():
        shutil.copytree(ROOT / "exercises" / "specs", root / "exercises" / "specs")
        if (ROOT / "exercises" / "refs").is_dir():
            shutil.copytree(ROOT / "exercises" / "refs", root / "exercises" / "refs")
    (root / "site" / "roster.toml").write_text(ROSTER, encoding="utf-8")
    (root / "site" / "meetings" / "2021-11-20.toml").write_text(MEETING_1, encoding="utf-8")
    (root / "site" / "meetings" / "2021-11-27.toml").write_text(MEETING_2, encoding="utf-8")
    gb = tmp_path / "gradebook.db"
    fill_gradebook(gb)
    return DemoCourse(root, gb)
