"""The report site: look-alike names look different, and no bidi or zero-width character
from a name, message or answer reaches a page."""

from __future__ import annotations

import pytest
from site_fixtures import at, check, make_course, record

from grader.report.site import build_site
from grader.results.gradebook import Gradebook
from grader.textsafe import is_invisible

LOOKALIKE = "jiho\u200b"  # "jiho" with a zero-width space
REVERSED = "\u202eohij"  # shows as "jiho" in a browser
ISOLATED = "\u2067sora\u2069"  # right-to-left isolate around a roster id
ESCAPES = "mina\x1b[1A\x1b[2K"
MESSAGE = "you wrote \u202e)5 ,3(\u202c; axis 1 is wrong\u200b"
ANSWER = "RNN은 \u202e순환\u202c한다\x1b]0;x\x07\n두 번째 줄"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    demo = make_course(tmp_path_factory.mktemp("names"))
    with Gradebook(str(demo.gradebook)) as book:
        for who in (LOOKALIKE, REVERSED, ISOLATED, ESCAPES):
            record(
                book,
                "ch15.ex1",
                who,
                at(21),
                [check("windows", False, 0, 2, MESSAGE)],
                answers={"ch15.ex1": ANSWER},
                message=MESSAGE,
            )
    return build_site(tmp_path_factory.mktemp("out") / "site", site_dir=demo.site, gradebook=str(demo.gradebook))


def _pages(site) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in site.pages}


def test_no_invisible_character_reaches_a_page(site):
    for name, html in _pages(site).items():
        bad = sorted({f"U+{ord(ch):04X}" for ch in html if is_invisible(ch) and ch not in "\n\t\r"})
        assert bad == [], name


def test_lookalike_names_show_their_hidden_characters(site):
    index = _pages(site)["index.html"]
    assert "jiho⟨U+200B⟩" in index  # not a second "jiho"
    assert "⟨U+202E⟩ohij" in index
    assert "⟨U+2067⟩sora⟨U+2069⟩" in index
    assert "mina⟨U+001B⟩[1A⟨U+001B⟩[2K" in index
    assert "박지호" in index  # the real roster member is still there, as listed


def test_messages_and_answers_keep_their_text_without_the_controls(site):
    pages = "\n".join(_pages(site).values())
    assert "you wrote )5 ,3(; axis 1 is wrong" in pages
    assert "RNN은 순환한다" in pages and "두 번째 줄" in pages
