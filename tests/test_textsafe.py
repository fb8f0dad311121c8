"""grader.textsafe: nothing a student writes can drive a terminal or hide in a name."""

from __future__ import annotations

import json

import pytest

from grader.textsafe import inert, is_invisible, json_inert, visible

# Each of these, shown raw, does something to the teacher's terminal or page.
HOSTILE = {
    "fake row": "mina\x1b[1A\x1b[2K\rjiho 14/14",
    "window title (OSC, BEL)": "a\x1b]0;grade: all passed\x07b",
    "hyperlink (OSC 8, ST)": "a\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "alternate screen": "\x1b[?1049h\x1b[Hclean\x1b[?25l",
    "DCS query": "x\x1bP+q544e\x1b\\y",
    "8-bit CSI": "x\x9b2Jy",
    "8-bit OSC": "x\x9d0;t\x9cy",
    "reset and charset": "\x1bc\x1b(0q\x1b#8",
    "cut-off CSI": "tail\x1b[12;",
    "cut-off OSC": "tail\x1b]0;never terminated",
    "backspace overwrite": "jiho\b\b\b\bmina",
    "right-to-left override": "ji\u202eohc\u202c",
    "bidi isolate": "\u2067sora\u2069",
    "zero-width look-alike": "ji\u200bho\u200d\ufeff",
    "hangul filler": "\u3164\u115f",
    "tag characters": "jiho\U000e0041\U000e007f",
    "line separator": "a\u2028b\u2029c",
    "lone surrogate": "a\ud800b",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_inert_leaves_nothing_a_terminal_acts_on(name):
    out = inert(HOSTILE[name], newlines=True, tabs=True)
    assert not any(is_invisible(ch) for ch in out if ch not in "\n\t")
    assert "\x1b" not in out and "\r" not in out and "\b" not in out
    out.encode("utf-8")  # no lone surrogate left: a UTF-8 terminal can print it


def test_sequences_go_with_their_parameters():
    assert inert(HOSTILE["fake row"]) == "mina jiho 14/14"  # one cell, not a line of its own
    assert inert(HOSTILE["window title (OSC, BEL)"]) == "ab"
    assert inert(HOSTILE["hyperlink (OSC 8, ST)"]) == "aclick"
    assert inert(HOSTILE["alternate screen"]) == "clean"
    assert inert(HOSTILE["DCS query"]) == "xy"
    assert inert(HOSTILE["8-bit CSI"]) == "xy"
    assert inert(HOSTILE["8-bit OSC"]) == "xy"
    assert inert(HOSTILE["reset and charset"]) == "q"
    assert inert(HOSTILE["cut-off CSI"]) == "tail"
    assert inert(HOSTILE["cut-off OSC"]) == "tail"
    assert inert(HOSTILE["right-to-left override"]) == "jiohc"
    assert inert(HOSTILE["zero-width look-alike"]) == "jiho"
    assert inert(HOSTILE["lone surrogate"]) == "a\ufffdb"


def test_line_breaks_and_tabs_only_where_allowed():
    text = "line 1\r\nline 2\tend\u2028x"
    assert inert(text) == "line 1 line 2 end x"
    assert inert(text, newlines=True, tabs=True) == "line 1\nline 2\tend\nx"
    assert inert("a\rb", newlines=True) == "a\nb"  # a bare CR cannot rewrite the line


def test_ordinary_text_is_untouched():
    for text in ("박지호", "shape [batch, 7] → [3, 5]", "[/]", "[bold]x[/bold]", "naïve café 😀", "a\u00a0b"):
        assert inert(text) == text
        assert visible(text) == text


def test_visible_names_every_hidden_character_and_is_itself_inert():
    assert visible("ji\u202eho") == "ji⟨U+202E⟩ho"
    assert visible("jiho\u200b") == "jiho⟨U+200B⟩"
    assert visible("jiho\U000e0041") == "jiho⟨U+E0041⟩"
    assert visible("jiho\u200b") != visible("jiho")  # look-alikes look different
    for text in HOSTILE.values():
        shown = visible(text)
        assert inert(shown) == shown
        assert "\x1b" not in shown


def test_json_inert_is_the_same_data_and_prints_safely():
    doc = {name: text for name, text in HOSTILE.items()}
    doc["korean"] = "순환 신경망"
    raw = json.dumps(doc, ensure_ascii=False, indent=2)
    safe = json_inert(raw)
    assert json.loads(safe) == doc
    assert not any(is_invisible(ch) for ch in safe if ch not in "\n")
    assert "순환 신경망" in safe  # Korean stays readable, not \uXXXX


def test_the_known_bidi_and_zero_width_characters_are_all_caught():
    known = [
        0x061C,
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),  # bidi
        0x200B,
        0x200C,
        0x200D,
        0x2060,
        0xFEFF,
        0x00AD,
        0x180E,
        0x034F,  # zero-width
        0xFE0F,
        0xE0001,
        0x3164,
        0xFFA0,
        0x0085,
        0x007F,
        0x001B,
        0x009B,
    ]
    for cp in known:
        assert is_invisible(chr(cp)), hex(cp)
        if cp not in (0x1B, 0x9B):  # sequence introducers: they take the next character along
            assert inert(f"a{chr(cp)}b") in ("ab", "a b"), hex(cp)


def test_names_cannot_draw_table_cells():
    fake = "mina │ jiho │ 14/14 ┃"
    assert visible(fake) == "mina ⟨U+2502⟩ jiho ⟨U+2502⟩ 14/14 ⟨U+2503⟩"
    assert inert(fake) == fake  # in messages they are only characters
