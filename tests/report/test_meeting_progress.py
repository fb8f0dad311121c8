"""Roster and meeting files: the example in site/, validation errors with file and line,
and the progress aggregated from the gradebook."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from site_fixtures import EVIL_NAME, MEETING_1, ROSTER, at, check_result, make_course

from grader.errors import GradeError, SpecError
from grader.report import charts
from grader.report.common import yymmdd
from grader.report.meeting import load_meeting, load_meetings
from grader.report.progress import Context
from grader.report.records import load_attempts, load_records
from grader.report.roster import load_roster

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("report-model"), with_repo_specs=False)


def test_example_roster_and_meeting_load():
    roster = load_roster(ROOT / "site" / "roster.toml")
    assert len(roster.members) == 4
    meeting = load_meeting(ROOT / "site" / "meetings" / "2021-11-20.toml", roster)
    assert yymmdd(meeting.date) == "21.11.20"
    assert meeting.place["ko"] == "Zoom 미팅"
    assert (meeting.start, meeting.end) == (dt.time(20, 30), dt.time(22, 30))
    assert len(meeting.attendance_start) == len(meeting.attendance_end) == 4
    assert meeting.recorder in meeting.attendance_start
    assert [s.number for s in meeting.sections] == ["15.1", "15.2", "15.3", "15.4"]
    assert meeting.sections[1].status == "postponed"
    assert [a.section for a in meeting.assignments] == [f"16.{i}" for i in range(1, 7)]
    assert meeting.remarks == [] and meeting.notes == []
    assert meeting.ends_at.utcoffset() == dt.timedelta(hours=9)


def test_aliases_match_gradebook_names_case_insensitively(demo):
    roster = load_roster(demo.site / "roster.toml")
    assert roster.match("Sora.Han").id == "sora"
    assert roster.match("MKIM").id == "minseo"
    assert roster.match("nobody") is None


def _meeting_error(tmp_path: Path, text: str) -> str:
    roster_path = tmp_path / "roster.toml"
    roster_path.write_text(ROSTER, encoding="utf-8")
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_meeting(path, load_roster(roster_path))
    return str(err.value)


def test_unknown_member_in_attendance_names_file_line_and_member(tmp_path):
    text = MEETING_1.replace('end = ["sora", "jiho", "minseo"]', 'end = ["sora", "nobody"]')
    msg = _meeting_error(tmp_path, text)
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if '"nobody"' in ln)
    assert f"m.toml:{line}:" in msg
    assert "attendance.end" in msg and "'nobody'" in msg


def test_malformed_toml_points_at_the_line(tmp_path):
    msg = _meeting_error(tmp_path, 'date = 2021-11-20\nrecorder = "jiho"\ntopic = "x\n')
    assert "m.toml:3:" in msg and "not valid TOML" in msg


@pytest.mark.parametrize(
    "change, expect",
    [
        (('start = "20:30"', 'start = "8pm"'), "'start' must be a time"),
        (('recorder = "jiho"', 'recorder = "ghost"'), "unknown member 'ghost'"),
        (("date = 2021-11-20", 'date = "yesterday"'), "'date' must be a date"),
        (
            ('status = "postponed"', 'status = "later"'),
            "'status' must be 'done' or 'postponed' (unknown status 'later')",
        ),
        (('place = { ko = "Zoom 미팅", en = "Zoom meeting" }', ""), "key 'place'"),
    ],
)
def test_meeting_validation(tmp_path, change, expect):
    assert expect in _meeting_error(tmp_path, MEETING_1.replace(*change))


def test_missing_meeting_file_is_a_user_error(tmp_path, demo):
    roster = load_roster(demo.site / "roster.toml")
    with pytest.raises(GradeError, match="no such meeting file"):
        load_meeting(tmp_path / "nope.toml", roster)


def test_roster_validation(tmp_path):
    p = tmp_path / "roster.toml"
    p.write_text(ROSTER.replace('aliases = ["mkim"]', 'aliases = ["sora.han"]'), encoding="utf-8")
    with pytest.raises(SpecError, match="used by both 'sora' and 'minseo'"):
        load_roster(p)
    p.write_text('[group]\ntimezone = "Mars/Base"\n[[members]]\nid = "a"\nname = "A"\n', encoding="utf-8")
    with pytest.raises(SpecError, match=r"roster\.toml:2: unknown timezone"):
        load_roster(p)
    p.write_text("[group]\n", encoding="utf-8")
    with pytest.raises(SpecError, match="at least one"):
        load_roster(p)


def test_meetings_sorted_oldest_first(demo):
    roster = load_roster(demo.site / "roster.toml")
    assert [m.slug for m in load_meetings(demo.site / "meetings", roster)] == ["2021-11-20", "2021-11-27"]


def test_missing_gradebook_is_empty_and_not_created(tmp_path):
    path = tmp_path / "none.db"
    assert load_attempts(str(path)) == []
    assert not path.exists()


@pytest.fixture(scope="module")
def ctx(demo):
    roster = load_roster(demo.site / "roster.toml")
    return Context(roster, load_records(str(demo.gradebook)), {}, "ko")


def test_progress_best_scores_up_to_a_meeting(ctx, demo):
    m1, m2 = load_meetings(demo.site / "meetings", ctx.roster)
    p = ctx.progress(until=m1.ends_at)
    sora, jiho = ctx.member("sora"), ctx.member("jiho")
    ex1 = ctx.exercises["ch15.ex1"]
    cell = p.cell(sora, ex1)  # two attempts recorded under "sora.han" and "sora"
    assert (cell.best.score, cell.best.max_score, cell.attempts, cell.state) == (7, 7, 2, "full")
    assert p.cell(jiho, ex1).state == "zero"
    assert p.cell(ctx.member("minseo"), ctx.exercises["ch15.ex2"]).state == "none"  # submitted after m1
    assert p.since is None
    # The unlisted gradebook name shows up as its own row, marked.
    unlisted = [w for w in p.people if not w.listed]
    assert [w.name for w in unlisted] == [EVIL_NAME]

    p2 = ctx.progress(until=m2.ends_at, since=m1.ends_at)
    assert p2.cell(jiho, ex1).best.score == 4
    assert p2.cell(jiho, ctx.exercises["ch15.ex4"]).state == "timeout"
    assert p2.cell(sora, ctx.exercises["ch15.ex3"]).state == "none"  # after m2
    recent = {r.who.key: [(e.id, n, a.score) for e, n, a in r.items] for r in p2.recent}
    assert recent == {"jiho": [("ch15.ex1", 1, 4.0), ("ch15.ex4", 1, 0.0)], "minseo": [("ch15.ex2", 2, 6.0)]}
    assert [w.key for w in p2.quiet] == ["sora", "evil"]


def test_exercise_order_follows_roster_then_natural(ctx):
    assert list(ctx.exercises)[:4] == ["ch15.ex1", "ch15.ex2", "ch15.ex3", "ch15.ex4"]


def test_most_missed_checks_and_concepts(ctx, demo):
    m1 = load_meetings(demo.site / "meetings", ctx.roster)[0]
    p = ctx.progress(until=m1.ends_at)
    top = p.missed[0]
    assert (top.exercise.id, top.check_id, top.members, top.of_members) == ("ch15.ex1", "windows", 2, 3)
    assert {m.check_id for m in p.missed} == {"windows", "any_length"}
    q = p.concepts[0]
    assert q.question == "ch15.ex1" and q.of_members == 2
    labels = {c.label: (c.kind, c.members) for c in q.items}
    assert labels["역전파"] == ("missing", 1)
    assert labels["RNN을 CNN과 혼동"] == ("misconception", 1)  # a table item, label picked by language
    assert q.feedback == "가중치 공유와 BPTT를 다시 읽어 보세요."


def test_concept_labels_in_english(demo):
    roster = load_roster(demo.site / "roster.toml")
    en = Context(roster, load_records(str(demo.gradebook)), {}, "en")
    labels = {c.label for q in en.concepts(en.attempts) for c in q.items}
    assert "confuses RNN with CNN" in labels
    assert en.member("sora").name == "Sora Han"


def test_trend_chart_geometry_stays_in_the_plot(ctx):
    mine = [a for a in ctx.attempts if ctx.who(a.member).key == "jiho"]
    c = charts.trend(mine, list(ctx.exercises.values()), ctx.roster.tz, "x")
    x0, y0, x1, y1 = c.plot
    pts = [p for s in c.series for p in s.points]
    assert len(pts) == len(mine)
    assert all(x0 <= p.x <= x1 and y0 <= p.y <= y1 for p in pts)
    assert [s.name for s in c.series] == ["ch15.ex1", "ch15.ex4"]
    assert c.xticks[0].label == "21.11.19"
    assert charts.trend([], [], ctx.roster.tz, "x").empty


def test_histogram_bins():
    h = charts.histogram([0, 9.9, 10, 55, 100, 100], "x")
    assert [b.count for b in h.bars] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert h.total == 6 and not h.empty
    assert charts.histogram([], "x").empty


def test_attempt_times_are_shown_in_the_group_timezone(ctx):
    a = next(a for a in ctx.attempts if a.exercise == "ch15.ex3")
    assert a.graded_at == at(29)
    assert a.graded_at.astimezone(ctx.roster.tz).hour == 12


def test_the_group_pages_quote_the_brief_hint_never_the_recipe_or_model_answer(ctx):
    from grader.results.attempt import Attempt

    brief = "`windows`의 마지막 축 크기가 틀렸습니다."
    code = check_result(
        "windows",
        "output_shape",
        0.0,
        2.0,
        f"{brief}\n자세한 풀이: Y[:, t, k] = series[:, t + k + 1] (이전 시도에서 2번 통과하지 못해 보여 줍니다)",
        hint_level="full",
    )
    quiz = check_result(
        "quiz:ch15.ex1",
        "quiz",
        0.5,
        2.0,
        details={
            "question": "ch15.ex1",
            "missing": [{"id": "bptt", "label": {"ko": "역전파", "en": "backpropagation"}}],
            "feedback": "더할 것:\n- 시간에 따라 펼친다는 점\n모범 답안: 시간 축으로 펼친 뒤 역전파합니다.",
        },
    )
    a = Attempt(exercise="ch15.ex1", member="sora", status="graded", checks=[code, quiz], duration_s=1.0)
    (missed,) = [m for m in ctx.missed([a]) if m.check_id == "windows"]
    assert missed.message == brief
    (concept,) = ctx.concepts([a])
    assert "모범 답안" not in concept.feedback and "시간에 따라 펼친다는 점" in concept.feedback
