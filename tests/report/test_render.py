"""The minutes page and the site as HTML: structure, languages, escaping, the commands."""

from __future__ import annotations

import re
import threading
import urllib.request
from pathlib import Path

import pytest
from site_fixtures import EVIL_ANSWER, EVIL_MESSAGE, EVIL_NAME, MEETING_1, make_course

from grader.cli.report import minutes as minutes_cmd
from grader.cli.report import site as site_cmd
from grader.course.loader import load_course
from grader.report.common import pick
from grader.report.minutes import build_minutes, course_specs
from grader.report.serve import make_server
from grader.report.site import build_site

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("report-render"))


@pytest.fixture(scope="module")
def specs(demo):
    return course_specs(load_course(demo.root))  # the repository's specs, copied: titles


@pytest.fixture(scope="module")
def built(demo, specs, tmp_path_factory):
    return build_site(
        tmp_path_factory.mktemp("site") / "out", site_dir=demo.site, gradebook=str(demo.gradebook), specs=specs
    )


def _text(html: str) -> str:
    """Visible text, roughly: tags out, entities left as they are."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_example_minutes_header(tmp_path):
    html = build_minutes(
        ROOT / "site" / "meetings" / "2021-11-20.toml", site_dir=ROOT / "site", gradebook=str(tmp_path / "empty.db")
    )
    text = _text(html)
    for label in (
        "서기 일자",
        "서기",
        "주제",
        "시간",
        "장소",
        "스터디 인원",
        "배운 내용",
        "과제 할당",
        "특이사항",
        "비고",
    ):
        assert label in text
    assert 'data-field="date">21.11.20<' in html
    assert "20:30 – 22:30" in text and "Zoom 미팅" in text
    assert "15.1 순환 뉴런과 순환 층" in text and "다음 시간으로 연기" in text
    assert "16.6" in text
    assert "이 시점까지 채점된 제출이 없습니다" in text  # empty gradebook: says so
    # self-contained: CSS inline, nothing fetched, A4 print rules
    assert "<style>" in html and "@page { size: A4" in html
    # nothing fetched: no remote source (a note's link is only followed when clicked)
    assert not re.search(r'src="(https?:)?//', html)
    assert 'src="data:image/svg+xml;base64,' in html  # the figure beside the meeting file, embedded
    assert "<script" not in html and "<link" not in html


def test_minutes_in_english(demo):
    html = build_minutes(demo.meeting1, site_dir=demo.site, gradebook=str(demo.gradebook), lang="en")
    text = _text(html)
    for label in (
        "Recorder",
        "Topic",
        "Place",
        "Attendance",
        "What we learned",
        "Assignments",
        "Remarks",
        "Grading progress",
        "Where people are stuck",
        "Checks not finished",
        "Checks answered wrong",
    ):
        assert label in text
    assert '<html lang="en">' in html
    assert "Zoom meeting" in text and "Sora Han" in text
    assert "21.11.20" in text  # the group's date format in both languages


def test_minutes_progress(demo):
    html = build_minutes(demo.meeting2, site_dir=demo.site, gradebook=str(demo.gradebook))
    text = _text(html)
    assert "지난 모임 이후 제출" in text
    assert "21.11.20 22:30 이후 ~ 21.11.27 22:00" in text
    cell = re.search(r'data-member="jiho" data-exercise="ch15.ex4">(.*?)</td>', html, re.S).group(1)
    assert "시간 초과" in cell
    assert "BPTT(시간에 따른 역전파)를 언급하세요." in text  # quiz feedback text
    assert "출력 모양이 [3, 1]입니다." in text  # a check's message


def test_untrusted_text_is_escaped_everywhere(demo, built):
    pages = [demo.meeting1, demo.meeting2]
    htmls = [build_minutes(p, site_dir=demo.site, gradebook=str(demo.gradebook)) for p in pages]
    htmls += [p.read_text(encoding="utf-8") for p in built.pages]
    for html in htmls:
        assert "<script" not in html.lower()
        assert "<img" not in html.lower()
        assert "<b>not bold</b>" not in html
    allhtml = "\n".join(htmls)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in allhtml
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; co" in allhtml
    jiho = (built.root / "members" / "jiho.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;&lt;b&gt;bold&lt;/b&gt;" in jiho  # the quiz answer
    assert "&lt;script&gt;alert(3)&lt;/script&gt; shape was [3, 5]" in jiho  # the check message
    assert EVIL_ANSWER not in jiho and EVIL_MESSAGE not in jiho and EVIL_NAME not in allhtml


def test_site_pages_and_links(built):
    names = sorted(str(p.relative_to(built.root)) for p in built.pages)
    assert "index.html" in names
    assert {"meetings/2021-11-20.html", "meetings/2021-11-27.html"} <= set(names)
    assert {"members/sora.html", "members/jiho.html", "members/minseo.html", "members/evil.html"} <= set(names)
    assert {"exercises/ch15.ex1.html", "exercises/ch15.ex4.html"} <= set(names)
    assert any(n.startswith("members/u-") for n in names)  # the unlisted gradebook name, slugged safely
    index = built.index.read_text(encoding="utf-8")
    # newest meeting first
    assert index.index("meetings/2021-11-27.html") < index.index("meetings/2021-11-20.html")
    # every relative link resolves to a built page (the site works from file://)
    for page in built.pages:
        for href in re.findall(r'href="([^"#]+)', page.read_text(encoding="utf-8")):
            assert (page.parent / href).resolve().is_file(), (page, href)


def test_member_page_has_trend_chart_and_history(built):
    html = (built.root / "members" / "jiho.html").read_text(encoding="utf-8")
    assert "<svg" in html and "<polyline" in html
    assert html.count('class="attempt"') == 3
    assert "퀴즈 답안" in html


def test_exercise_page_has_distribution_and_failures(built, specs):
    html = (built.root / "exercises" / "ch15.ex1.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "<rect" in html
    assert "자주 실패한 검사" in html and "windows" in html
    for eid, spec in specs.items():  # titles come from the specs where they exist, else the id
        page = (built.root / "exercises" / f"{eid}.html").read_text(encoding="utf-8")
        assert f"<h1>{pick(spec.title, 'ko')}</h1>" in page


def test_rebuild_replaces_site_and_refuses_foreign_folders(demo, tmp_path):
    out = tmp_path / "out"
    build_site(out, site_dir=demo.site, gradebook=str(demo.gradebook))
    (out / "stale.html").write_text("old", encoding="utf-8")
    build_site(out, site_dir=demo.site, gradebook=str(demo.gradebook))
    assert not (out / "stale.html").exists() and (out / "index.html").is_file()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me", encoding="utf-8")
    with pytest.raises(Exception, match="not a site this command built"):
        build_site(foreign, site_dir=demo.site, gradebook=str(demo.gradebook))
    assert (foreign / "thesis.tex").read_text(encoding="utf-8") == "keep me"


# --- the click commands -------------------------------------------------------------


def test_minutes_command_writes_the_page(runner, demo, tmp_path):
    out = tmp_path / "m.html"
    r = runner.invoke(
        minutes_cmd,
        [str(demo.meeting1), "--out", str(out), "--course", str(demo.root), "--gradebook", str(demo.gradebook)],
    )
    assert r.exit_code == 0, r.output
    assert "서기 일자" in out.read_text(encoding="utf-8")
    r = runner.invoke(
        minutes_cmd,
        [
            str(demo.meeting1),
            "--out",
            "-",
            "--lang",
            "en",
            "--course",
            str(demo.root),
            "--gradebook",
            str(demo.gradebook),
        ],
    )
    assert r.exit_code == 0 and "Recorder" in r.output


def test_minutes_command_default_out_and_env_gradebook(runner, demo, monkeypatch):
    monkeypatch.setenv("GRADE_GRADEBOOK", str(demo.gradebook))
    r = runner.invoke(minutes_cmd, [str(demo.meeting2), "--course", str(demo.root)])
    assert r.exit_code == 0, r.output
    target = demo.site / "_build" / "minutes-2021-11-27.html"
    assert r.output.strip() == str(target)
    assert "박지호" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "content, expect",
    [
        (None, "no such meeting file"),
        ('date = 2021-11-20\ntopic = "x\n', "bad.toml:2: not valid TOML"),
        (MEETING_1.replace('recorder = "jiho"', 'recorder = "ghost"'), "bad.toml:2: recorder: unknown member 'ghost'"),
        ("date = 2021-11-20\n", "missing string key 'recorder' (and 5 more problems in this table)"),
    ],
)
def test_minutes_command_bad_input_is_one_line(runner, demo, tmp_path, content, expect):
    bad = tmp_path / "bad.toml"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    # a roster next to the meeting file is found first
    (tmp_path / "roster.toml").write_text((demo.site / "roster.toml").read_text(encoding="utf-8"), encoding="utf-8")
    r = runner.invoke(
        minutes_cmd, [str(bad), "--course", str(demo.root), "--gradebook", str(demo.gradebook), "--lang", "en"]
    )
    assert r.exit_code == 1
    assert expect in r.output and str(bad) in r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1


def test_site_build_command(runner, demo, tmp_path):
    out = tmp_path / "site"
    r = runner.invoke(
        site_cmd,
        ["build", "--out", str(out), "--lang", "en", "--course", str(demo.root), "--gradebook", str(demo.gradebook)],
    )
    assert r.exit_code == 0, r.output
    assert "pages" in r.output and (out / "index.html").is_file()
    assert "Meetings" in (out / "index.html").read_text(encoding="utf-8")


def test_site_build_reports_a_bad_meeting(runner, demo, tmp_path):
    bad = demo.site / "meetings" / "2021-12-04.toml"
    bad.write_text(
        'date = 2021-12-04\nrecorder = "sora"\ntopic = "t"\nplace = "p"\nstart = "20:00"\n'
        'end = "21:00"\n[attendance]\nstart = ["sora", "ghost"]\n',
        encoding="utf-8",
    )
    try:
        r = runner.invoke(
            site_cmd,
            ["build", "--out", str(tmp_path / "o"), "--course", str(demo.root), "--gradebook", str(demo.gradebook)],
        )
    finally:
        bad.unlink()
    assert r.exit_code == 1
    assert "2021-12-04.toml:8:" in r.output and "'ghost'" in r.output
    assert not (tmp_path / "o").exists()


def test_serve_serves_the_built_site_on_loopback(built):
    server = make_server(built.root, 0)
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/meetings/2021-11-20.html", timeout=5) as resp:
            assert resp.status == 200
            assert "charset=utf-8" in resp.headers["Content-Type"]
            assert "서기 일자" in resp.read().decode("utf-8")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_serve_command_without_a_built_site(runner, demo, tmp_path):
    r = runner.invoke(
        site_cmd,
        [
            "serve",
            "--no-build",
            "--out",
            str(tmp_path / "none"),
            "--course",
            str(demo.root),
            "--gradebook",
            str(demo.gradebook),
            "--lang",
            "en",
        ],
    )
    assert r.exit_code == 1 and "run 'grade site build' first" in r.output


def test_commands_plug_into_the_grade_cli(runner, demo, tmp_path):
    import click

    from grader.cli.app import cli

    group = click.Group(commands={**cli.commands})  # a copy: the real registration is grader/cli/app.py's
    group.add_command(minutes_cmd)
    group.add_command(site_cmd)
    r = runner.invoke(group, ["site", "--help"])
    assert r.exit_code == 0 and "build" in r.output and "serve" in r.output
    r = runner.invoke(
        group,
        [
            "minutes",
            str(demo.meeting1),
            "--out",
            str(tmp_path / "x.html"),
            "--course",
            str(demo.root),
            "--gradebook",
            str(demo.gradebook),
        ],
    )
    assert r.exit_code == 0, r.output
