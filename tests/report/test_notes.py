"""Markdown notes: what they may show (headings, lists, code, math, links, figures) and what
a hostile note cannot do (script, event attributes, javascript: or data: links, raw HTML)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from site_fixtures import MEETING_1, make_course

from grader.report import notes
from grader.report.minutes import build_minutes
from grader.report.site import build_site

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    "[click](javascript:alert(3))",
    "[click](JAVASCRIPT:alert(4))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg==)",
    "[png](data:image/png;base64,iVBORw0KGgo=)",
    '<a href="javascript:alert(6)">x</a>',
    "<iframe src=https://example.com></iframe>",
    '<div style="position:fixed;inset:0">cover</div>',
    "<svg onload=alert(7)></svg>",
    '<math><mtext><style><img src=x onerror="alert(8)"></style></mtext></math>',
    "![x](javascript:alert(9))",
    "$\\href{javascript:alert(10)}{x}$",
    "```html\n<script>alert(11)</script>\n```",
    "<!-- <script>alert(12)</script> -->",
    "[a](<javascript:alert(13)>)",
    "&lt;script&gt;alert(14)&lt;/script&gt;",
]


class _Elements(HTMLParser):
    """Every element and its attributes, as a browser would build them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.comments: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _assert_inert(html: str) -> None:
    doc = _Elements(html)
    tags = {t for t, _ in doc.found}
    assert not tags & {
        "script",
        "iframe",
        "svg",
        "style",
        "object",
        "embed",
        "form",
        "input",
        "link",
        "meta",
        "base",
    }, tags
    for tag, attrs in doc.found:
        assert not [a for a in attrs if a.startswith("on") or a in ("style", "srcdoc", "formaction")], (tag, attrs)
        for key in ("href", "src"):
            value = attrs.get(key, "").strip().lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:text")), (tag, attrs)
            if key == "href":
                assert not value.startswith("data:"), (tag, attrs)
    assert not doc.comments


@pytest.mark.parametrize("note", HOSTILE)
def test_a_hostile_note_renders_as_inert_text(note):
    _assert_inert(str(notes.render(note)))
    _assert_inert(str(notes.render(note, inline=True)))


@pytest.mark.parametrize(
    "html",
    [
        '<img src=x onerror="alert(1)"><script>alert(2)</script><a href="javascript:alert(3)">a</a>',
        '<a href="data:text/html,x">d</a><a href="data:image/png;base64,AAAA">p</a>'
        '<p style="color:red" onclick="x">s</p>',
        '<math><mtext><style><img src=x onerror="alert(8)"></style></mtext></math><svg><script>alert(9)</script></svg>',
        "<!-- x --><iframe src=//e></iframe><form action=//e><input></form><base href=//e>",
    ],
)
def test_the_sanitizer_also_cleans_html_markdown_never_makes(html):
    # markdown-it never emits raw HTML (html=False); nh3 is the second line all output passes.
    _assert_inert(notes.sanitize(html))


def test_raw_html_shows_as_text():
    html = str(notes.render("<b>bold</b> & co"))
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html


def test_markdown_renders_headings_lists_code_math_and_links():
    text = (
        "# 정리\n\n- **굵게** 와 `code`\n- 링크 [책](https://example.com/book)\n\n"
        "```python\nmodel = keras.Sequential()\n```\n\n"
        "인라인 $h_{(t)} = f(h_{(t-1)}, x_{(t)})$ 수식\n\n"
        "$$\\mathbf{Y}_{(t)} = \\phi(\\mathbf{X}_{(t)} \\mathbf{W}_x)$$\n"
    )
    html = str(notes.render(text))
    assert "<h4>정리</h4>" in html  # a note's top heading sits below the section's <h3>
    assert "<strong>굵게</strong>" in html and "<code>code</code>" in html
    assert '<a href="https://example.com/book" rel="noopener noreferrer">책</a>' in html
    assert '<pre class="highlight"><code class="language-python">' in html and '<span class="n">model</span>' in html
    assert html.count("<math") == 2 and 'display="block"' in html and 'display="inline"' in html
    assert "<msub>" in html and "$" not in html


def test_prices_with_dollars_are_not_math():
    assert str(notes.render("GPU는 $5, TPU는 $10", inline=True)) == "GPU는 $5, TPU는 $10"


def test_latex_the_converter_cannot_read_stays_visible():
    html = str(notes.render("$\\frac{1}{$"))
    assert "\\frac" in html and "<script" not in html


def test_one_paragraph_is_inline_for_a_bullet():
    assert str(notes.render("a *b*", inline=True)) == "a <em>b</em>"
    assert str(notes.render("a\n\nb", inline=True)).count("<p>") == 2


def _figure_course(tmp_path: Path):
    demo = make_course(tmp_path, with_repo_specs=False)
    fig = demo.site / "meetings" / "2021-11-20"
    fig.mkdir()
    (fig / "cell.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    demo.meeting1.write_text(
        MEETING_1.replace('"<b>not bold</b> & co"', '"셀 ![LSTM 셀](2021-11-20/cell.png)"'), encoding="utf-8"
    )
    return demo


def test_images_are_embedded_in_the_standalone_minutes(tmp_path):
    demo = _figure_course(tmp_path)
    html = build_minutes(demo.meeting1, site_dir=demo.site, gradebook=str(demo.gradebook))
    assert '<img src="data:image/png;base64,iVBORw0KGgo' in html and 'alt="LSTM 셀"' in html


def test_images_are_copied_into_the_site(tmp_path):
    demo = _figure_course(tmp_path)
    built = build_site(tmp_path / "out", site_dir=demo.site, gradebook=str(demo.gradebook))
    page = (built.root / "meetings" / "2021-11-20.html").read_text(encoding="utf-8")
    assert '<img src="2021-11-20/cell.png" alt="LSTM 셀">' in page  # the same path as beside the meeting file
    copied = built.root / "meetings" / "2021-11-20" / "cell.png"
    assert copied.read_bytes() == (demo.site / "meetings" / "2021-11-20" / "cell.png").read_bytes()
    # the page's policy lets it show its own files and nothing from elsewhere
    assert "img-src 'self' data:" in page and "default-src 'none'" in page
