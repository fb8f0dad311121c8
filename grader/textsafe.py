"""Text from notebooks and the gradebook, made harmless to show.

Member names, check messages, outputs and answers come from students. Shown
raw, an escape sequence moves the teacher's cursor and erases lines (a forged
"jiho 14/14" row), an OSC sequence retitles the window or plants a link, a
right-to-left override turns "ohij" into "jiho", and a zero-width space makes
"jiho\u200b" look like "jiho". Everything that reaches a terminal goes through
`inert`; the HTML report labels such characters in names with `visible` (so
two look-alike names look different) and removes them from other text.

`is_invisible` is the grader's one definition of "invisible": `inert` removes those
characters, `json_inert` escapes them, `visible` labels them (and, in names, the
box-drawing characters terminal tables are made of).
"""

from __future__ import annotations

import re
import unicodedata

# Whole terminal sequences, so their parameters go too ("\x1b[2K" leaves nothing,
# not "[2K"). 7-bit (ESC-introduced) and 8-bit (C1) forms; a sequence cut short by
# the end of the text is removed up to the end, as a terminal would swallow it.
_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?          # CSI: cursor, erase, colour, modes
    | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f]) .*? (?:\x07|\x1b\\|\x9c|\Z)  # OSC, DCS, SOS, PM, APC ... ST
    | \x1b [\x20-\x2f]+ [\x30-\x7e]?                                   # nF: charset selection, ESC # 8
    | \x1b [\x30-\x7e]?                                                # ESC 7, ESC c (reset), ESC M, lone ESC
    """,
    re.VERBOSE | re.DOTALL,
)

# Invisible or space-like characters outside the general categories below:
# combining grapheme joiner, Hangul fillers (blank "names" in Korean text),
# Khmer inherent vowels, Mongolian variation selectors, variation selectors,
# the Braille blank.
_EXTRA_INVISIBLE = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x2800, 0x3164, 0xFFA0]
    + list(range(0xFE00, 0xFE10))
    + list(range(0xE0100, 0xE01F0))
)

# Cc: C0/C1 controls and DEL. Cf: format characters (bidi embeddings, overrides,
# isolates and marks; zero-width space/joiners; word joiner; BOM; soft hyphen;
# tag characters). Zl/Zp: line and paragraph separators. Cs: lone surrogates,
# which a UTF-8 terminal cannot even encode (printing one raises).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})

_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")

# Box drawing and block elements: what terminal tables are drawn with. In a name they
# can only serve to draw a fake cell ("│ jiho │ 14/14 │") inside a real one.
_TABLE_PARTS = range(0x2500, 0x25A0)


def is_invisible(ch: str) -> bool:
    """Whether `ch` is a control, format, separator or blank-looking character."""
    return unicodedata.category(ch) in _INVISIBLE_CATEGORIES or ord(ch) in _EXTRA_INVISIBLE


def inert(text: object, *, newlines: bool = False, tabs: bool = False) -> str:
    """`text` without terminal sequences and invisible characters.

    Line breaks and tabs become "\\n" and "\\t" where the caller allows them, else a
    space (so "a\\nb" reads "a b", not "ab"). Every other control, format (bidi,
    zero-width) or blank-looking character is removed; lone surrogates become U+FFFD.
    """
    s = text if isinstance(text, str) else str(text)
    if s.isascii() and s.isprintable():
        return s  # the common case: nothing to do
    s = _SEQUENCE.sub("", s.replace("\r\n", "\n"))
    out = []
    for ch in s:
        if not is_invisible(ch):
            out.append(ch)
        elif ch in _LINE_BREAKS:
            out.append("\n" if newlines else " ")
        elif ch == "\t":
            out.append("\t" if tabs else " ")
        elif unicodedata.category(ch) == "Cs":
            out.append("\ufffd")
    return "".join(out)


def visible(text: object) -> str:
    """`text` with each invisible character shown as its code point, e.g. "ji⟨U+202E⟩ho".

    For names, in a terminal table or on a page: a look-alike ("jiho" plus a zero-width
    space) must look different from the real one, a bidi override must not reorder what
    follows, and box-drawing characters must not draw cells. Escape sequences show as
    "⟨U+001B⟩[2K"; nothing interprets them.
    """
    s = text if isinstance(text, str) else str(text)
    if s.isascii() and s.isprintable():
        return s
    return "".join(f"⟨U+{ord(ch):04X}⟩" if is_invisible(ch) or ord(ch) in _TABLE_PARTS else ch for ch in s)


def json_inert(json_text: str) -> str:
    r"""JSON text (from `json.dumps(..., ensure_ascii=False)`) with every invisible
    character escaped as \uXXXX: the same data once parsed, harmless on a terminal.

    Raw control characters can only occur inside JSON strings (where `json.dumps`
    has already escaped C0) or as the layout's own newlines, which are kept.
    """
    if json_text.isascii():
        return json_text  # json.dumps escaped C0 already; no C1 or format characters
    out = []
    for ch in json_text:
        if ch in "\n\t" or not is_invisible(ch):
            out.append(ch)
            continue
        cp = ord(ch)
        if cp > 0xFFFF:
            cp -= 0x10000
            out.append(f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}")
        else:
            out.append(f"\\u{cp:04x}")
    return "".join(out)
