"""List separators and brackets: where an answer's text is cut into list items.

Commas, slashes, 및, 와/과 and chains of arrows separate the items of a list,
outside brackets: "[batch, steps, features]" is one shape, "(마지막)" a gloss.
"""

from __future__ import annotations

import re

# What separates the items of a list, whichever way it is typed
SEPARATOR = re.compile(
    r",(?!\d{3}\b)|[、/・|&]|(?<![A-Za-z0-9])·|·(?![A-Za-z0-9])|(?<!\S)\+(?!\S)|(?<![A-Za-z])및(?![가-힣])"
)
ARROW = re.compile(r"->|→|=>|⇒|⟶")
LIST_PARTS = 4  # a lead-in ("문제: A, B, C") may introduce this many items and still state something


# A short label, then a colon, a dash or an arrow before the items: "대책: A, B, C",
# "Fixes: lower lr, tanh, …", "seq2seq - 번역, 시계열", "stride -> downsampling, …"
_LEAD_IN = re.compile(r"^\s*[^\s:：,/·|&+→>-]+(?:\s+[^\s:：,/·|&+→>-]+){0,2}\s*(?:[:：]|\s[-–—]|->|→|=>)\s*\S")


def arrow_at(text: str, at: int) -> bool:
    """Whether an arrow is at `at` ("→") or ends there (the ">" of "->" and "=>")."""
    return bool(ARROW.match(text, at) or (at > 0 and ARROW.match(text, at - 1)))


def lead_in(text: str) -> bool:
    """Whether a list opens with a label that says what its items are ("Fixes: a, b, c").

    The label relates the items to something (a problem's fixes, a model's parts), so the
    list is an answer in note form; a run of terms with no label relates nothing."""
    return bool(_LEAD_IN.match(text))


def tuple_at(text: str, at: int) -> bool:
    """Whether the bracket at `at` opens or closes a tuple such as a shape: "(batch, steps, units)"."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    ch = text[at]
    if ch in pairs:
        end = text.find(pairs[ch], at + 1)
        inside = text[at + 1 : end] if end > 0 else ""
    else:
        opener = {v: k for k, v in pairs.items()}.get(ch, "")
        start = text.rfind(opener, 0, at)
        inside = text[start + 1 : at] if start >= 0 else ""
    return "," in inside and len(inside) <= 60


def short_aside(text: str, at: int) -> bool:
    """A bracket around a word or two ("맨 위(마지막) 층", "삭제 게이트(forget gate)는"): a gloss."""
    ch = text[at]
    if ch in "([{":
        end = text.find({"(": ")", "[": "]", "{": "}"}[ch], at + 1)
        inside = text[at + 1 : end] if end > 0 else text[at + 1 :]
    else:
        start = max(text.rfind(o, 0, at) for o in "([{")
        inside = text[start + 1 : at] if start >= 0 else ""
    return len(inside.split()) <= 2 and len(inside) <= 24


_OPENER = re.compile(r"[(\[{]")


def unbracketed(text: str) -> str:
    """The text with bracketed asides blanked out: their commas list nothing."""
    if not _OPENER.search(text):
        return text  # most sentences have no bracket: nothing to blank
    out, depth = [], 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}" and depth:
            depth -= 1
            ch = " "
        out.append(" " if depth else ch)
    return "".join(out)


def in_brackets(text: str, at: int) -> bool:
    if not _OPENER.search(text, 0, at):
        return False
    depth = 0
    for ch in text[:at]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}" and depth:
            depth -= 1
    return depth > 0


_CUT_OR_BRACKET = re.compile(r"[\(\[\{]|[\)\]\}]|" + SEPARATOR.pattern + "|" + ARROW.pattern)


def group_break(text: str, at: int) -> bool:
    """A slash or bar with a space beside it, outside brackets: a break between groups.

    Not an arrow: "shared weights -> same parameter count" relates its two sides."""
    if text[at] not in "/|" or not (text[at - 1 : at] == " " or text[at + 1 : at + 2] == " "):
        return False
    return not in_brackets(text, at)


def list_cuts(text: str) -> list[int]:
    """Offsets of list separators outside brackets: "[batch, steps, features]" is one shape, not a list."""
    cuts = []
    depth = 0
    for m in _CUT_OR_BRACKET.finditer(text):
        tok = m.group()
        if tok in "([{":
            depth += 1
        elif tok in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0:
            cuts.append(m.start())
    return cuts
