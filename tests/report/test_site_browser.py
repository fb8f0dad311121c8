"""The report site in real headless Chromium, as a person would see it.

Uses Debian's /usr/bin/chromium through Playwright (never `playwright install`; run
tools/install-browser-deps.sh). Screenshots at desktop (1280) and phone (390) widths
go to test-artifacts/. Under CI=true a missing browser fails the run instead of skipping.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from site_fixtures import EVIL_ANSWER, EVIL_NAME, make_course

from grader.course.loader import load_course
from grader.report.minutes import course_specs
from grader.report.serve import make_server
from grader.report.site import build_site

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    demo = make_course(tmp_path_factory.mktemp("browser"))
    # Notes as the group writes them: a formula, code, and a note that tries to run something.
    demo.meeting1.write_text(demo.meeting1.read_text(encoding="utf-8") + NOTES_SECTION, encoding="utf-8")
    specs = course_specs(load_course(demo.root))
    out = tmp_path_factory.mktemp("browser-site")
    ko = build_site(out / "ko", site_dir=demo.site, gradebook=str(demo.gradebook), lang="ko", specs=specs)
    en = build_site(out / "en", site_dir=demo.site, gradebook=str(demo.gradebook), lang="en", specs=specs)
    ARTIFACTS.mkdir(exist_ok=True)
    return {"ko": ko.root, "en": en.root}


NOTES_SECTION = r"""
[[sections]]
number = "15.4"
title = "긴 시퀀스 다루기"
notes = [
  '$$\mathbf{Y}_{(t)} = \phi\left(\mathbf{X}_{(t)} \mathbf{W}_x + \mathbf{b}\right)$$',
  '''게이트 계산:

```python
model = keras.models.Sequential([keras.layers.LSTM(20)])
```''',
  '[누르면](javascript:alert(21)) <img src=x onerror="alert(22)"> <script>alert(23)</script>',
]
"""


class Watch:
    """Everything on a page that would mean a script ran or the page reached the network."""

    def __init__(self, page) -> None:  # noqa: ANN001
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def assert_clean(self, root: Path) -> None:
        assert self.dialogs == [], f"a dialog fired: {self.dialogs}"
        assert self.errors == []
        foreign = [u for u in self.requests if not (u.startswith("file://") or u.startswith("http://127.0.0.1"))]
        assert foreign == [], f"the page reached out: {foreign}"


def _new(browser, viewport):  # noqa: ANN001, ANN202
    page = browser.new_page(viewport=viewport)
    return page, Watch(page)


def _platform_fonts(page, selector: str) -> list[str]:  # noqa: ANN001
    """The fonts Chromium actually used to draw a node's text (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        doc = cdp.send("DOM.getDocument")
        node = cdp.send("DOM.querySelector", {"nodeId": doc["root"]["nodeId"], "selector": selector})
        used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
        return [f["familyName"] for f in used["fonts"]]
    finally:
        cdp.detach()


def _no_horizontal_overflow(page) -> None:  # noqa: ANN001
    sw, w = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sw <= w, f"page is {sw}px wide in a {w}px window: {page.url}"


def test_navigation_minutes_and_progress(browser, site):
    root = site["ko"]
    page, watch = _new(browser, DESKTOP)
    page.goto((root / "index.html").as_uri())
    links = page.locator("ul.meetings a")
    assert links.count() == 2
    assert links.first.inner_text().startswith("21.11.27")  # newest first
    page.get_by_role("link", name="21.11.20").click()
    page.wait_for_url("**/meetings/2021-11-20.html")

    def field(name: str) -> str:
        return page.locator(f'#minutes-header [data-field="{name}"]').inner_text().strip()

    assert field("date") == "21.11.20"
    assert field("recorder") == "박지호"
    assert field("topic") == "순환 신경망 (RNN)"
    assert field("time") == "20:30 – 22:30"
    assert field("place") == "Zoom 미팅"
    assert "한소라, 박지호, 김민서" in field("attendance-start")
    assert "4명" in field("attendance-start") and "3명" in field("attendance-end")
    for label in ("서기 일자", "주제", "시간", "장소", "스터디 인원"):
        assert page.locator("#minutes-header th", has_text=label).count() >= 1
    assert page.get_by_role("heading", name="배운 내용").is_visible()
    assert page.locator(".learned.postponed", has_text="다음 시간으로 연기").is_visible()

    # progress table: header row of exercises, a row per person, the best score in each cell
    table = page.locator("#progress table.grid")
    headers = table.locator("thead th").all_inner_texts()
    assert headers[0] == "이름" and any(h.startswith("ch15.ex1") for h in headers)
    sora = table.locator('td[data-member="sora"][data-exercise="ch15.ex1"]')
    assert "7/7" in sora.inner_text() and "만점" in sora.inner_text()
    assert "0/7" in table.locator('td[data-member="jiho"][data-exercise="ch15.ex1"]').inner_text()
    minseo = table.locator('td[data-member="minseo"][data-exercise="ch15.ex2"]')  # submitted after this meeting
    assert "st-none" in minseo.get_attribute("class")
    assert minseo.locator(".none").get_attribute("aria-label") == "미제출"
    assert page.locator("#recent li").count() == 3  # sora, jiho, and the unlisted name
    assert page.get_by_text("출력 모양이 [3, 1]입니다. [3, 7]이어야 합니다.").first.is_visible()
    # where people are stuck: two lists, each row with the people in it
    assert page.get_by_role("heading", name="끝내지 못한 검사").is_visible()
    assert page.locator("#wrong li", has_text="박지호").count() >= 1
    assert page.locator("#unfinished li[data-kind=not-submitted]", has_text="김민서").count() == 1

    # Markdown notes: MathML drawn by the browser, highlighted code, hostile markup as text
    formula = page.locator(".learned math[display=block]")
    assert formula.count() == 1 and formula.bounding_box()["width"] > 100
    assert page.locator(".learned pre.highlight code.language-python span").count() > 3
    assert page.get_by_text('<img src=x onerror="alert(22)">', exact=False).is_visible()
    assert page.locator(".learned a[href]", has_text="누르면").count() == 0  # a javascript: link stays text
    assert page.locator(".learned img, .learned script").count() == 0

    # Korean renders with a real Korean font (no tofu boxes), and nothing overflows
    fonts = _platform_fonts(page, "#minutes-header th")
    assert any("CJK" in f or "KR" in f for f in fonts), f"Korean text drawn with {fonts}"
    _no_horizontal_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "minutes-desktop.png"), full_page=True)

    # follow the recorder to the member page, then to an exercise
    page.locator('#minutes-header [data-field="recorder"] a').click()
    page.wait_for_url("**/members/jiho.html")
    assert page.locator("h1").inner_text().strip() == "박지호"
    chart = page.locator("figure.chart svg")
    assert chart.count() == 1 and chart.bounding_box()["width"] > 300
    assert page.locator("figure.chart circle").count() == 3
    assert page.locator("figure.chart text.pt").count() >= 2  # values printed by the marks
    assert page.locator("figure.chart table.chart-data tbody tr").count() == 3  # and read as a table
    assert page.locator("li.attempt").count() == 3
    page.screenshot(path=str(ARTIFACTS / "member-desktop.png"), full_page=True)
    page.locator("li.attempt .exid a", has_text="ch15.ex1").first.click()
    page.wait_for_url("**/exercises/ch15.ex1.html")
    assert page.locator("figure.chart svg").count() == 2
    assert page.get_by_role("heading", name="자주 실패한 검사").is_visible()
    page.screenshot(path=str(ARTIFACTS / "exercise-desktop.png"), full_page=True)
    page.locator("nav.site-nav a.brand").click()
    page.wait_for_url("**/index.html")
    watch.assert_clean(root)
    page.close()


@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "meetings/2021-11-20.html",
        "meetings/2021-11-27.html",
        "members/jiho.html",
        "exercises/ch15.ex1.html",
    ],
)
def test_phone_width_nothing_overflows(browser, site, path):
    page, watch = _new(browser, PHONE)
    page.goto((site["ko"] / path).as_uri())
    _no_horizontal_overflow(page)
    # wide tables scroll inside their own box instead of widening the page
    for box in page.locator(".scroll").all():
        assert box.bounding_box()["width"] <= PHONE["width"]
    for svg in page.locator("figure.chart svg").all():
        assert svg.bounding_box()["width"] <= PHONE["width"]
    name = path.replace("/", "-").replace(".html", "")
    page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)
    watch.assert_clean(site["ko"])
    page.close()


def test_untrusted_names_and_answers_stay_text(browser, site):
    root = site["ko"]
    page, watch = _new(browser, DESKTOP)
    page.goto((root / "meetings" / "2021-11-20.html").as_uri())
    assert page.locator("script").count() == 0
    # the member named <script>alert(1)</script> is shown as exactly that text
    assert page.get_by_text(EVIL_NAME, exact=True).first.is_visible()
    assert page.locator("a.who", has_text=EVIL_NAME).count() >= 2
    page.get_by_role("link", name=EVIL_NAME).first.click()
    page.wait_for_url("**/members/evil.html")

    page.goto((root / "members" / "jiho.html").as_uri())
    page.locator("details.answers summary").first.click()
    answer = page.locator("details.answers pre").first
    assert answer.is_visible()
    assert answer.inner_text() == EVIL_ANSWER  # the HTML is shown, not run or rendered
    assert page.locator("main img, details.answers b, details.answers i").count() == 0
    assert page.locator("script").count() == 0
    page.wait_for_timeout(100)  # give an onerror handler a chance to fire, if there were one
    watch.assert_clean(root)
    page.close()


def test_english_site_and_served_over_http(browser, site):
    root = site["en"]
    server = make_server(root, 0)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page, watch = _new(browser, DESKTOP)
        page.goto(f"http://127.0.0.1:{port}/index.html")
        assert page.get_by_role("heading", name="Meetings").is_visible()
        page.get_by_role("link", name="21.11.27").click()
        page.wait_for_url("**/meetings/2021-11-27.html")
        assert page.locator("#minutes-header th", has_text="Recorder").count() == 1
        assert page.locator('#minutes-header [data-field="recorder"]').inner_text().strip() == "Sora Han"
        assert page.locator('#minutes-header [data-field="date"]').inner_text().strip() == "21.11.27"
        assert page.get_by_role("heading", name="Submitted since the last meeting").is_visible()
        cell = page.locator('td[data-member="jiho"][data-exercise="ch15.ex4"]').inner_text()
        assert "timeout" in cell
        watch.assert_clean(root)
        page.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_minutes_print_to_a4(browser, site):
    page, watch = _new(browser, {"width": 794, "height": 1123})
    page.goto((site["ko"] / "meetings" / "2021-11-20.html").as_uri())
    page.emulate_media(media="print")
    assert page.locator("nav.site-nav").is_hidden()
    # A4 minus the @page margins is about 700 CSS px: the minutes fit without a sideways cut
    page.set_viewport_size({"width": 700, "height": 1000})
    _no_horizontal_overflow(page)
    table_w = page.locator("#progress table.grid").bounding_box()["width"]
    assert table_w <= 700
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    (ARTIFACTS / "minutes-print.pdf").write_bytes(pdf)
    watch.assert_clean(site["ko"])
    page.close()
