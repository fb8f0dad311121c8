"""Where people are stuck (unfinished vs wrong, every row, the most common message) and the
chat summary of `grade minutes --format md|txt`."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from site_fixtures import at, check, make_course, record

from grader.cli.report import minutes as minutes_cmd
from grader.report.meeting import load_meeting
from grader.report.minutes import build_minutes, load_sources, meeting_progress
from grader.report.summary import TXT_WIDTH, width
from grader.results.gradebook import Gradebook

MANY = 12  # failing checks of one exercise: more than a page shows before folding


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    demo = make_course(tmp_path_factory.mktemp("summary"), with_repo_specs=False)
    book_path = demo.root / "stuck.db"
    with Gradebook(str(book_path)) as book:
        shape = "출력 모양이 [3, 1]입니다. [3, 7]이어야 합니다."
        record(
            book,
            "ch15.ex1",
            "sora",
            at(18),
            [
                check("windows", False, 0, 2, shape),
                check(
                    "any_length",
                    False,
                    0,
                    2,
                    "확인하지 못함: 검사가 실행되지 않았습니다.",
                    details={"not_run": "probe"},
                ),
                check(
                    "stack",
                    False,
                    0,
                    2,
                    "확인하지 않음: ‘windows’ 항목을 통과하지 못했습니다.",
                    details={"not_checked_after": ["windows"]},
                ),
            ],
        )
        record(
            book,
            "ch15.ex1",
            "jiho",
            at(18, 13),
            [check("windows", False, 0, 2, shape), check("any_length", True, 2, 2), check("stack", True, 2, 2)],
        )
        record(
            book,
            "ch15.ex1",
            "mkim",
            at(19),
            [
                check("windows", False, 1, 2, "값이 조금 다릅니다."),
                check("any_length", True, 2, 2),
                check("stack", True, 2, 2),
            ],
        )
        record(
            book,
            "ch15.ex4",
            "jiho",
            at(19, 14),
            [
                check(
                    "forecast",
                    False,
                    0,
                    4,
                    "확인하지 못함: 노트북 실행이 끝나지 않았습니다 (timeout).",
                    details={"not_run": "run"},
                )
            ],
            status="timeout",
            message="셀 3이 120초를 넘었습니다.",
        )
        record(
            book,
            "ch15.ex2",
            "sora",
            at(19, 15),
            [check(f"c{i:02d}", False, 0, 1, f"검사 {i} 실패") for i in range(MANY)],
        )
    demo.stuck = book_path
    return demo


@pytest.fixture(scope="module")
def progress(demo):
    src = load_sources(site_dir=demo.site, gradebook=str(demo.stuck), meeting_path=demo.meeting1)
    meeting = load_meeting(demo.meeting1, src.roster)
    ctx = src.context("ko")
    return meeting_progress(meeting, ctx, None)


def test_missed_checks_split_into_unfinished_and_wrong(progress):
    wrong = {(m.exercise.id, m.check_id): m for m in progress.wrong}
    unfinished = {(m.exercise.id, m.check_id): m for m in progress.unfinished}
    assert ("ch15.ex1", "windows") in wrong and ("ch15.ex1", "windows") not in unfinished
    assert ("ch15.ex1", "any_length") in unfinished  # the probe could not run
    assert ("ch15.ex1", "stack") in unfinished  # not checked after a check it depends on
    run = unfinished[("ch15.ex4", "@timeout")]  # the notebook did not finish
    assert run.run_status == "timeout" and run.message == "셀 3이 120초를 넘었습니다."
    assert [w.key for w in run.people] == ["jiho"]
    assert ("ch15.ex4", "forecast") not in unfinished  # "did not finish" is said once, by the run's row
    # roster members who have not handed in an exercise someone else has
    missing = {u.exercise.id: [w.key for w in u.people] for u in progress.unsubmitted}
    assert missing["ch15.ex1"] == ["evil"] and missing["ch15.ex4"] == ["sora", "minseo", "evil"]


def test_each_row_names_people_and_the_most_common_message(progress):
    windows = next(m for m in progress.wrong if m.check_id == "windows")
    assert [w.key for w in windows.people] == ["sora", "jiho", "minseo"]  # roster order; mkim is minseo
    assert (windows.members, windows.of_members) == (3, 3)
    # two of three got the shape message; the latest message alone ("값이 조금 다릅니다.") is not it
    assert windows.message == "출력 모양이 [3, 1]입니다. [3, 7]이어야 합니다." and windows.message_people == 2


def test_no_row_is_cut(demo, progress):
    assert len([m for m in progress.wrong if m.exercise.id == "ch15.ex2"]) == MANY
    html = build_minutes(demo.meeting1, site_dir=demo.site, gradebook=str(demo.stuck))
    wrong = html[html.index('id="wrong"') :]
    for i in range(MANY):
        assert f"검사 {i} 실패" in html
    # past eight rows the rest is folded, and says how many it holds
    assert '<details class="more">' in wrong and re.search(r"나머지 \d+개 더 보기", wrong)
    for fmt in ("md", "txt"):
        text = build_minutes(demo.meeting1, site_dir=demo.site, gradebook=str(demo.stuck), fmt=fmt)
        assert all(f"검사 {i} 실패" in text for i in range(MANY)), fmt


def _summary(demo, fmt: str, lang: str = "ko") -> str:
    return build_minutes(demo.meeting1, site_dir=demo.site, gradebook=str(demo.stuck), fmt=fmt, lang=lang)


def test_markdown_summary_shape(demo):
    md = _summary(demo, "md")
    lines = md.splitlines()
    assert lines[0] == "## [시퀀스 스터디] 21.11.20 (토) 서기"
    headings = [ln for ln in lines if ln.startswith("#")]
    assert headings[1:] == [
        "### 배운 내용",
        "### 이번 모임까지의 제출",
        "### 최고 점수",
        "### 막힌 곳",
        "#### 끝내지 못한 검사",
        "#### 틀린 검사",
        "#### 퀴즈에서 많이 빠진 개념",
        "### 과제 할당",
    ]
    assert "- **주제**: 순환 신경망 (RNN)" in lines
    assert "- **한소라**: ch15.ex1 0/6, ch15.ex2 0/12 (합계 0/18)" in lines
    # untrusted names and messages cannot format: the roster's "<script>" name is literal text
    assert "\\<script\\>alert(1)\\</script\\>" in md and "<script>" not in md
    assert "\\[3, 1\\]" in md  # a message's brackets do not become a link
    assert "- 16.1 — **김민서**" in lines


def test_text_summary_has_no_markdown_and_short_lines(demo):
    txt = _summary(demo, "txt")
    lines = txt.splitlines()
    assert lines[0] == "[시퀀스 스터디] 21.11.20 (토) 서기"
    assert "■ 막힌 곳" in lines and "[끝내지 못한 검사]" in lines and "[틀린 검사]" in lines
    for ln in lines:
        assert not re.match(r"\s*([-*+] |#|\d+\. |>)", ln), ln
        assert "**" not in ln and "\\" not in ln and "](" not in ln and "`" not in ln, ln
        # short lines; only a single word longer than a line may stand alone
        assert width(ln) <= TXT_WIDTH or len(ln.split()) <= 2, ln
    assert "· ch15.ex4 시간 초과 — 1/1명" in lines
    assert "  “셀 3이 120초를 넘었습니다.”" in lines


def test_summary_in_english_and_next_meeting(demo, tmp_path):
    text = demo.meeting1.read_text(encoding="utf-8") + (
        '\n[next_meeting]\ndate = 2021-11-27\nstart = "20:30"\nplace = { ko = "강남역 스터디룸", en = "Gangnam" }\n'
    )
    meeting = tmp_path / "site" / "meetings" / "2021-11-20.toml"
    meeting.parent.mkdir(parents=True)
    meeting.write_text(text, encoding="utf-8")
    (tmp_path / "site" / "roster.toml").write_text(
        (demo.site / "roster.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    ko = build_minutes(meeting, site_dir=tmp_path / "site", gradebook=str(demo.stuck), fmt="txt")
    assert ko.rstrip().endswith("■ 다음 모임\n· 21.11.27 (토) 20:30 · 강남역 스터디룸")
    en = build_minutes(meeting, site_dir=tmp_path / "site", gradebook=str(demo.stuck), fmt="md", lang="en")
    assert "### Next meeting\n\n- **21.11.27 (Sat) 20:30 · Gangnam**" in en
    assert "#### Checks not finished" in en and "#### Checks answered wrong" in en
    html = build_minutes(meeting, site_dir=tmp_path / "site", gradebook=str(demo.stuck))
    assert 'data-field="next-meeting"' in html and "21.11.27 (토)" in html


@pytest.mark.parametrize("fmt", ["md", "txt"])
def test_command_prints_the_summary_or_writes_it(demo, tmp_path, fmt):
    runner = CliRunner()
    args = [str(demo.meeting1), "--format", fmt, "--course", str(demo.root), "--gradebook", str(demo.stuck)]
    r = runner.invoke(minutes_cmd, args)
    assert r.exit_code == 0, r.output
    assert r.output == _summary(demo, fmt)  # stdout by default: ready to paste
    out = tmp_path / f"minutes.{fmt}"
    r = runner.invoke(minutes_cmd, [*args, "--out", str(out)])
    assert r.exit_code == 0 and r.output.strip() == str(out)
    assert out.read_text(encoding="utf-8") == _summary(demo, fmt)


def test_command_refuses_an_unknown_format(demo):
    r = CliRunner().invoke(
        minutes_cmd, [str(demo.meeting1), "--format", "pdf", "--course", str(demo.root), "--lang", "en"]
    )
    assert r.exit_code == 2 and "'pdf' is not one of 'html', 'md', 'txt'" in r.output


def test_reviewed_scores_carry_a_mark(demo):
    from grader.results.gradebook import Gradebook
    from grader.results.review import set_points

    # A teacher corrects one of jiho's checks: the figures the report shows are marked.
    with Gradebook(str(demo.stuck)) as book:
        mine = next(a for a in book.attempts() if a.member == "jiho" and a.checks)
        check = mine.checks[0]
        set_points(book, mine.attempt_id, check.id, check.max_points, reason="checked by hand", by="teacher")
    html = build_minutes(demo.meeting1, site_dir=demo.site, gradebook=str(demo.stuck))
    assert html.count('class="tag reviewed"') >= 1 and "검토됨" in html
    txt = _summary(demo, "txt")
    assert "(검토됨)" in txt and all("(검토됨)" not in ln for ln in txt.splitlines() if ln.startswith("· 한소라"))


def test_subtitle_is_the_meetings_chapter(demo, tmp_path):
    page = build_minutes(demo.meeting1, site_dir=demo.site, gradebook=str(demo.stuck))
    assert '<p class="kicker">시퀀스 스터디 · 15장</p>' in page
    other = tmp_path / "2021-12-04.toml"
    other.write_text(
        demo.meeting1.read_text(encoding="utf-8").replace('chapter = "15장"', 'chapter = "16장 자연어 처리"'),
        encoding="utf-8",
    )
    (tmp_path / "roster.toml").write_text((demo.site / "roster.toml").read_text(encoding="utf-8"), encoding="utf-8")
    page = build_minutes(other, site_dir=demo.site, gradebook=str(demo.stuck))
    assert '<p class="kicker">시퀀스 스터디 · 16장 자연어 처리</p>' in page and "15장" not in page


def test_labels_read_clearly(demo):
    page = build_minutes(demo.meeting1, site_dir=demo.site, gradebook=str(demo.stuck))
    assert '<th scope="col" class="sticky">이름</th>' in page and '<th scope="col">발표자</th>' in page
    assert ">담당<" not in page and ">최고<" not in page


def test_member_pages_show_when_a_notebook_was_handed_in(tmp_path):
    import datetime as dt

    from grader.report.site import build_site
    from grader.results.attempt import Attempt

    demo = make_course(tmp_path, with_repo_specs=False)
    handed = dt.datetime(2021, 11, 14, 21, 5, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    with Gradebook(str(demo.gradebook)) as book:
        book.record(
            Attempt(
                exercise="ch15.ex3",
                member="minseo",
                status="graded",
                checks=[],
                duration_s=1,
                score=3,
                max_score=3,
                submitted_at=handed,
            ),
            b"minseo-ex3",
        )
    built = build_site(tmp_path / "out", site_dir=demo.site, gradebook=str(demo.gradebook))
    page = (built.root / "members" / "minseo.html").read_text(encoding="utf-8")
    assert f'<time datetime="{handed.astimezone(dt.UTC).isoformat()}"' in page
    assert ">21.11.14 21:05</time>" in page


def test_summary_before_anything_was_graded_says_so(demo, tmp_path):
    txt = build_minutes(demo.meeting1, site_dir=demo.site, gradebook=str(tmp_path / "none.db"), fmt="txt")
    stuck = txt[txt.index("■ 막힌 곳") : txt.index("■ 과제 할당")]
    assert "아직 채점된 제출이 없습니다." in stuck and "모두 통과했습니다" not in stuck
