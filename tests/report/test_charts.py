"""Charts read without hovering: a label for each day that fits, values printed by the
marks, and the numbers again as a table for screen readers."""

from __future__ import annotations

import datetime as dt

from grader.report import charts
from grader.report.figures import Exercise
from grader.report.render import Strings, environment
from grader.results.attempt import Attempt

KST = dt.timezone(dt.timedelta(hours=9))


def _attempt(day: int, score: float, exercise: str = "ch15.ex1") -> Attempt:
    when = dt.datetime(2021, 11, day, 20, tzinfo=KST)
    return Attempt(
        exercise=exercise,
        member="sora",
        status="graded",
        checks=[],
        duration_s=1,
        score=score,
        max_score=10,
        graded_at=when + dt.timedelta(days=2),
        submitted_at=when,
    )


EXERCISES = [Exercise("ch15.ex1", "창", "ch15.ex1"), Exercise("ch15.ex2", "예측", "ch15.ex2")]


def test_a_label_for_each_day_that_fits():
    attempts = [_attempt(d, 5) for d in (1, 2, 3, 8, 15, 29)]
    c = charts.trend(attempts, EXERCISES, KST, "trend")
    labels = [tk.label for tk in c.xticks]
    assert labels[0] == "21.11.01" and labels[-1] == "21.11.29"  # by hand-in time, not grading time
    assert len(labels) >= 4  # not only start, middle and end
    assert all(b.pos - a.pos >= 50 for a, b in zip(c.xticks, c.xticks[1:], strict=False))
    assert c.xticks[0].anchor == "start" and c.xticks[-1].anchor == "end"


def test_one_day_has_one_label():
    c = charts.trend([_attempt(3, 5), _attempt(3, 7)], EXERCISES, KST, "trend")
    assert [tk.label for tk in c.xticks] == ["21.11.03"]


def test_values_are_printed_by_the_marks_without_overlapping():
    attempts = [_attempt(1, 3), _attempt(10, 6), _attempt(20, 10), _attempt(20, 10, "ch15.ex2")]
    c = charts.trend(attempts, EXERCISES, KST, "trend")
    pts = [p for s in c.series for p in s.points]
    printed = [p for p in pts if p.value]
    assert {p.value for p in printed} >= {"30", "60", "100"}
    spots = [(p.x, p.vy) for p in printed]
    assert all(abs(a[0] - b[0]) >= 20 or abs(a[1] - b[1]) >= 11 for i, a in enumerate(spots) for b in spots[i + 1 :])
    assert c.rows[0].cells == ("21.11.01 20:00", "ch15.ex1", "30%")
    assert len(c.rows) == len(attempts)  # the table has every value, also those not printed


def test_the_svg_carries_values_and_a_data_table():
    env = environment()
    macros = env.get_template("charts.html.j2").make_module({"t": Strings("ko")})
    html = str(macros.trend(charts.trend([_attempt(1, 3), _attempt(9, 8)], EXERCISES, KST, "소라의 추이"), {}))
    assert "<text x=" in html and ">30</text>" in html and ">80</text>" in html
    assert (
        '<div class="sr-only"><table class="chart-data">' in html
        and "<caption>차트 데이터: 소라의 추이</caption>" in html
    )
    assert "<td>21.11.09 20:00</td><td>ch15.ex1</td><td>80%</td>" in html
    hist = str(macros.histogram(charts.histogram([5, 55, 100], "분포"), "분포"))
    assert "<td>50–59%</td><td>1</td>" in hist and "<td>90–100%</td><td>1</td>" in hist
