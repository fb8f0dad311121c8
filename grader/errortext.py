"""Exceptions from student code, told in one line a student can act on.

Keras and TensorFlow errors arrive as paragraphs: "Exception encountered when calling
LSTM.call()", a bold middle paragraph that says what is wrong, then "Arguments received
by …" with one bullet per argument; graph errors add "Detected at node … defined at"
and a dozen `File "/…/site-packages/keras/…"` frames before the one sentence that
matters ("Incompatible shapes: [8,7,1] vs. [8,5,1]"). `summary` keeps the exception
type, the layer the error happened in, that sentence and the graph node, with no
terminal colours, no paths of the grader's Python, and a cut (if any) between words.
`full_text` is the whole traceback, cleaned the same way, for `--json` and `--verbose`.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from collections.abc import Iterable

from grader.i18n import text as catalog_text
from grader.textsafe import inert

SUMMARY_LIMIT = 240
# The probe cuts an exception's text at this many characters (probe_kernel.py); text of
# that length or more may end inside a word.
PROBE_CUT = 300

_CALLING = re.compile(
    r"^\s*Exception encountered when calling\s+"
    r"(?:layer\s+['\"](?P<layer>[^'\"]+)['\"]\s+\(type\s+(?P<type>\w+)\)|(?P<cls>[\w.]+?)(?:\.call)?\(\))\.?\s*$",
    re.MULTILINE,
)
_ARGUMENTS = re.compile(r"^\s*(?:Call arguments|Arguments) received by .*", re.MULTILINE | re.DOTALL)
_DETECTED = re.compile(r"Detected at node\s+'?(?P<node>[^\s']+)'?\s+defined at \(most recent call last\):")
_FRAME = re.compile(r"^\s*File \"[^\"]*\", line \d+(?:, in .*)?$", re.MULTILINE)
_NODE_BRACKETS = re.compile(r"^\s*\[\[\{\{node [^}]*\}\}\]\].*$", re.MULTILINE)
_OP = re.compile(r"\s*\[Op:[^\]]*\]")
_INLINE_NODE = re.compile(r"'\{\{node (?P<node>[^}]+)\}\}[^']*'")
_GRAPH_HEAD = re.compile(r"^\s*Graph execution error:\s*$", re.MULTILINE)
_NAME_NONE = re.compile(r" with name 'None'")
_PROBE_WHERE = re.compile(r"\s\(in [\w.<>]+, line \d+\)$")
_ENAME = re.compile(r"^(?P<ename>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Iteration))(?::\s*|$)")
_RUN_FOLDER = re.compile(r"/[^\s'\"]*?/grade-(?:run|clean)-[^/\s'\"]+/(?:home/)?")


def _python_roots() -> list[str]:
    """Folders of the grader's own Python (the venv, the standard library): a path into
    them says nothing to a student, only the file's name might."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sysconfig.get_paths().get("stdlib", "")}
    return sorted({os.path.realpath(r) for r in roots if r} | {r for r in roots if r}, key=len, reverse=True)


_ROOTS = _python_roots()
_LIBRARY_PATH = re.compile(r"(?:" + "|".join(re.escape(r) for r in _ROOTS) + r")/[^\s'\"),]*" if _ROOTS else r"(?!)")
_SITE_PACKAGES = re.compile(r"/[^\s'\"]*?/(?:site|dist)-packages/[^\s'\"),]*")


def clean_paths(text: str) -> str:
    """`text` with the grader's library paths shortened to the file name (keras/src/… →
    trainer.py) and the run folder's prefix removed (a notebook's own relative paths stay)."""

    def short(m: re.Match[str]) -> str:
        return os.path.basename(m.group(0).rstrip("/")) or m.group(0)

    text = _SITE_PACKAGES.sub(short, text)
    text = _LIBRARY_PATH.sub(short, text)
    return _RUN_FOLDER.sub("", text)


def shorten(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """At most `limit` characters, cut between words (with "…"), never inside one."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def _essential(text: str) -> tuple[dict[str, str], str, str]:
    """(the layer or call it happened in, the essential sentences, graph node) of an exception's message."""
    context: dict[str, str] = {}
    m = _CALLING.search(text)
    if m:
        context = (
            {"layer": m.group("layer"), "layer_type": m.group("type")} if m.group("layer") else {"cls": m.group("cls")}
        )
        text = text[: m.start()] + text[m.end() :]
    text = _ARGUMENTS.sub("", text)
    node = ""
    d = _DETECTED.search(text)
    if d:
        node = d.group("node")
        text = text[: d.start()] + text[d.end() :]
    inline = _INLINE_NODE.search(text)
    if inline:
        node = node or inline.group("node")
        text = _INLINE_NODE.sub(lambda mm: f"node {mm.group('node')}", text)
    for pattern in (_FRAME, _NODE_BRACKETS, _GRAPH_HEAD):
        text = pattern.sub("", text)
    text = _OP.sub("", text)
    text = _NAME_NONE.sub("", text)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return context, "", node
    chosen = paragraphs[0]
    # "… Error encountered:" announces the sentence that matters: keep the heading's first
    # sentence (what Keras was doing) and that sentence, not the advice in between.
    if chosen.endswith(":") and len(paragraphs) > 1:
        first = re.split(r"(?<=[.!?])\s", chosen, maxsplit=1)[0]
        chosen = f"{first} {paragraphs[1]}" if first != chosen else f"{chosen} {paragraphs[1]}"
    return context, chosen, node


# A syntax error in a cell names IPython's temporary file for it ("invalid syntax
# (331109559.py, line 1)"): a name the student never sees; the line within the cell is what helps.
_CELL_FILE = re.compile(r"\(\s*(?:[^()\s]*/)?\d+\.py, line (\d+)\)")


def summary(ename: str, evalue: str, limit: int = SUMMARY_LIMIT, *, cut: bool = False, lang: str = "en") -> str:
    """One line: "Type in layer 'lstm' (LSTM): what went wrong (at node …)"; the grader's own
    words around the exception's (English) message in `lang`.

    `cut`: the text was already cut somewhere (the probe keeps 300 characters), so its last
    word may be a fragment; it is dropped rather than shown half."""
    ename = inert(ename or "Error").strip() or "Error"
    text = inert(evalue or "", newlines=True, tabs=True).replace("\r", "")
    if cut:
        text = re.sub(r"\S*$", "", text.rstrip()) + " …" if " " in text.strip() else text
    context, essential, node = _essential(text)
    essential = _CELL_FILE.sub(
        lambda m: catalog_text("execution.errortext.cell_line", lang, line=m.group(1)), essential
    )
    essential = clean_paths(essential)
    if node and node not in essential:
        essential = (
            catalog_text("execution.errortext.at_node", lang, text=essential, node=node)
            if essential
            else catalog_text("execution.errortext.only_node", lang, node=node)
        )
    if "layer" in context:
        head = catalog_text("execution.errortext.in_layer", lang, ename=ename, **context)
    elif context:
        head = catalog_text("execution.errortext.in_call", lang, ename=ename, **context)
    else:
        head = ename
    line = f"{head}: {essential}" if essential else head
    return shorten(line, limit)


def summarize_probe_error(error: str, limit: int = SUMMARY_LIMIT, lang: str = "en") -> str:
    """A probe's "Type: message (in fn, line n)" text, summarised the same way; text that does
    not start with an exception type (the grader's own reasons) is only cleaned and shortened."""
    error = inert(error or "", newlines=True, tabs=True)
    where = ""
    w = _PROBE_WHERE.search(error)
    if w:
        where, error = w.group(0), error[: w.start()]
    m = _ENAME.match(error)
    if not m:
        return shorten(clean_paths(" ".join(error.split())) + where, limit)
    body = error[m.end() :]
    line = summary(m.group("ename"), body, limit - len(where), cut=len(body) >= PROBE_CUT, lang=lang)
    return line + where


def full_text(traceback: Iterable[str] | str) -> str:
    """The traceback as plain text: no terminal colours or controls, the grader's paths shortened."""
    text = traceback if isinstance(traceback, str) else "\n".join(traceback)
    text = inert(text, newlines=True, tabs=True).replace("\r", "")
    return clean_paths(text).strip()


_NUMBER = re.compile(r"\d+")


def same_but_numbers(texts: Iterable[str]) -> bool:
    """Whether the texts differ only in their numbers (the same error for each input shape)."""
    keys = {_NUMBER.sub("#", t) for t in texts}
    return len(keys) <= 1
