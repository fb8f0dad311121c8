"""Regenerate docs/screenshot-minutes.png: the example meeting (site/meetings/2021-11-20.toml)
with a small invented gradebook, rendered by `grade minutes` and photographed in Chromium.

    .venv/bin/python tools/screenshot_minutes.py [--out docs/screenshot-minutes.png]

Needs /usr/bin/chromium and Playwright for Python (tools/install-browser-deps.sh). The
attempts are made up for the picture; nothing here touches a real gradebook.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from grader.report.minutes import build_minutes
from grader.results.attempt import Attempt, CheckResult
from grader.results.gradebook import Gradebook

ROOT = Path(__file__).resolve().parent.parent
KST = dt.timezone(dt.timedelta(hours=9))

# (member, exercise, day in November 2021, [(check id, kind, points, max, message)], status)
ATTEMPTS = [
    (
        "sora",
        "ch15.ex1",
        16,
        [
            ("windows", "calls", 4, 4, ""),
            ("params", "structure", 0, 4, "파라미터 수가 22입니다. 입력 가중치, 순환 가중치, 편향을 모두 세어 보세요."),
        ],
        "graded",
    ),
    ("sora", "ch15.ex4", 18, [("any_length", "calls", 4, 4, ""), ("quality", "metric", 4, 4, "")], "graded"),
    (
        "jiho",
        "ch15.ex1",
        17,
        [
            ("windows", "calls", 4, 4, ""),
            ("params", "structure", 0, 4, "파라미터 수가 20입니다. 편향을 빠뜨리지 않았는지 확인하세요."),
        ],
        "graded",
    ),
    (
        "jiho",
        "ch15.ex2",
        19,
        [("shape", "calls", 0, 10, "확인하지 못함: 노트북 실행이 끝나지 않았습니다 (timeout).")],
        "timeout",
    ),
    ("minseo", "ch15.ex1", 15, [("windows", "calls", 4, 4, ""), ("params", "structure", 4, 4, "")], "graded"),
    ("yerin", "ch15.ex2", 18, [("shape", "calls", 5, 5, "")], "graded"),
    (
        "yerin",
        "ch15.ex4",
        19,
        [
            ("any_length", "calls", 0, 4, "길이 30인 입력에서 출력 모양이 [5, 1]입니다. [5, 7]이어야 합니다."),
            ("quality", "metric", 2, 4, "검증 MSE 0.024: 순진한 예측(0.025)과 비슷합니다."),
        ],
        "graded",
    ),
]


def fill(path: Path) -> None:
    with Gradebook(str(path)) as book:
        for i, (member, exercise, day, checks, status) in enumerate(ATTEMPTS):
            when = dt.datetime(2021, 11, day, 21, 0, tzinfo=KST)
            # what a check says when the notebook stopped before it (grader/checks/base.py)
            not_run = {"not_run": "run"} if status != "graded" else {}
            results = [
                CheckResult(id=c, kind=k, passed=p >= m, points=p, max_points=m, message=msg, details=not_run)
                for c, k, p, m, msg in checks
            ]
            attempt = Attempt(
                exercise=exercise,
                member=member,
                status=status,
                checks=results,
                duration_s=30,
                graded_at=when,
                submitted_at=when,
                message="셀 5가 120초를 넘었습니다." if status == "timeout" else "",
            )
            book.record(attempt, f"screenshot-{i}".encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot-minutes.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from grader.course.loader import load_course
    from grader.report.minutes import course_specs

    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "gradebook.db"
        fill(book)
        page_file = Path(tmp) / "minutes.html"
        page_file.write_text(
            build_minutes(
                ROOT / "site" / "meetings" / "2021-11-20.toml",
                site_dir=ROOT / "site",
                gradebook=str(book),
                specs=course_specs(load_course(ROOT)),
            ),
            encoding="utf-8",
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 720, "height": 1000})
            page.goto(page_file.as_uri())
            page.screenshot(path=str(args.out), full_page=True)
            browser.close()
    print(args.out)


if __name__ == "__main__":
    main()
