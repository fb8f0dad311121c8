"""Reading notebooks: validation, exercise identity, answer cells, starters.

Every failure here is the student's file, so each raises `InvalidNotebook` with
one line that says what is wrong, never a traceback pointing into raw JSON.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import nbformat
from nbformat.warnings import MissingIDFieldWarning

from grader.errors import InvalidNotebook, Phrase

ANSWER_TAG = re.compile(r"^answer:(?P<qid>[A-Za-z0-9_.\-]+)$")
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_CELLS = 2000
# Parsing cost follows the number of JSON values, not the file size: 19 MB of "[[],[],…"
# took 35 s and 1.5 GB. A notebook, outputs included, has a few thousand containers.
MAX_JSON_CONTAINERS = 200_000
MAX_JSON_ITEMS = 1_000_000
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"')  # possessive: no backtracking state
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STARTER_PREFIX = "#> "
STARTER_NOTE = "# 여기에 코드를 작성하세요 / YOUR CODE HERE"
HIDDEN_BEGIN = "### BEGIN HIDDEN"
HIDDEN_END = "### END HIDDEN"


def read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise InvalidNotebook.told("errors.notebook.folder", str(path))
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise InvalidNotebook.told(
                "errors.notebook.too_big", str(path), size=f"{size / 1e6:.1f}", limit=MAX_NOTEBOOK_BYTES // 2**20
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidNotebook.told("errors.notebook.no_such_file", str(path)) from None
    except PermissionError:
        raise InvalidNotebook.told("errors.notebook.permission_denied", str(path)) from None
    except IsADirectoryError:
        raise InvalidNotebook.told("errors.notebook.folder", str(path)) from None


def parse(data: bytes, path: str = "<notebook>") -> nbformat.NotebookNode:
    """Parse and validate notebook bytes; upgrade v3 notebooks to v4."""
    if not data.strip():
        raise InvalidNotebook.told("errors.notebook.empty", path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidNotebook.told("errors.notebook.not_utf8", path, byte=exc.start) from None
    if "\x00" in text:
        raise InvalidNotebook.told("errors.notebook.binary", path)
    _check_json_shape(text, path)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidNotebook.told(
            "errors.notebook.not_json", path, line=exc.lineno, column=exc.colno, why=_json_why(exc.msg)
        ) from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise InvalidNotebook.told("errors.notebook.no_nbformat", path)
    major = raw.get("nbformat")
    if major not in (3, 4):
        raise InvalidNotebook.told("errors.notebook.format", path, version=major)
    with warnings.catch_warnings():
        # A cell without an id (older Jupyter, hand-edited files) gets one from nbformat;
        # its warning would print a library path to the student for nothing they must fix.
        warnings.simplefilter("ignore", MissingIDFieldWarning)
        try:
            nb = nbformat.reads(text, as_version=4)
        except Exception as exc:  # nbformat raises several unrelated types on bad structure
            raise InvalidNotebook.told("errors.notebook.malformed", path, why=str(exc).splitlines()[0]) from None
        if len(nb.cells) > MAX_CELLS:
            raise InvalidNotebook.told("errors.notebook.too_many_cells", path, cells=len(nb.cells), limit=MAX_CELLS)
        try:
            nbformat.validate(nb)
        except nbformat.ValidationError as exc:
            raise InvalidNotebook.told("errors.notebook.invalid", path, why=exc.message.splitlines()[0]) from None
    lang = (
        (nb.metadata.get("kernelspec") or {}).get("language")
        or (nb.metadata.get("language_info") or {}).get("name")
        or "python"
    )
    if str(lang).lower() != "python":
        raise InvalidNotebook.told("errors.notebook.not_python", path, language=lang)
    return nb


# What the json module says is wrong, as catalog entries (its messages are English and few).
_JSON_WHY = {
    "Expecting value": "errors.notebook.json_why.value",
    "Expecting property name enclosed in double quotes": "errors.notebook.json_why.property_name",
    "Expecting ':' delimiter": "errors.notebook.json_why.colon",
    "Expecting ',' delimiter": "errors.notebook.json_why.comma",
    "Unterminated string starting at": "errors.notebook.json_why.unterminated",
    "Extra data": "errors.notebook.json_why.extra_data",
    "Invalid control character at": "errors.notebook.json_why.control_character",
    "Invalid \\escape": "errors.notebook.json_why.escape",
    "Invalid \\uXXXX escape": "errors.notebook.json_why.unicode_escape",
}


def _json_why(msg: str) -> Phrase | str:
    """The json module's reason said in the reader's language; one it may add later, as is."""
    key = _JSON_WHY.get(msg)
    return Phrase(key) if key else msg


def _check_json_shape(text: str, path: str) -> None:
    """Count the JSON containers and items (strings blanked out first) before parsing."""
    bare = _JSON_STRING.sub("", text)
    containers = bare.count("[") + bare.count("{")
    items = bare.count(",")
    if containers > MAX_JSON_CONTAINERS or items > MAX_JSON_ITEMS:
        raise InvalidNotebook.told(
            "errors.notebook.too_much_json",
            path,
            containers=containers,
            items=items,
            max_containers=MAX_JSON_CONTAINERS,
            max_items=MAX_JSON_ITEMS,
        )


def load(path: Path) -> tuple[nbformat.NotebookNode, bytes]:
    data = read_bytes(path)
    return parse(data, str(path)), data


def cell_tags(cell: Any) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return [t for t in tags if isinstance(t, str)]


def answers(nb: nbformat.NotebookNode, path: str = "<notebook>") -> dict[str, str]:
    """Quiz answers from markdown cells tagged `answer:<question id>`, read without execution."""
    found: dict[str, str] = {}
    for index, cell in enumerate(nb.cells):
        for tag in cell_tags(cell):
            m = ANSWER_TAG.match(tag)
            if not m:
                continue
            qid = m.group("qid")
            if qid in found:
                raise InvalidNotebook.told("errors.notebook.answer_tag_twice", path, cell=index + 1, tag=tag)
            found[qid] = strip_answer_prompt(cell.get("source", ""))
    return found


def strip_answer_prompt(text: str) -> str:
    """Drop the template's placeholder lines (those starting with '>' or HTML comments)."""
    kept = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith(">") or (s.startswith("<!--") and s.endswith("-->")):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def exercise_hint(nb: nbformat.NotebookNode) -> str | None:
    meta = nb.metadata.get("grade") or {}
    value = meta.get("exercise") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def member_hint(nb: nbformat.NotebookNode) -> str | None:
    meta = nb.metadata.get("grade") or {}
    value = meta.get("member") if isinstance(meta, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def code_cells(nb: nbformat.NotebookNode) -> list[tuple[int, Any]]:
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


# --- starters -----------------------------------------------------------------


def _at(cell: int | None, line: int) -> Phrase:
    if cell is None:
        return Phrase("errors.notebook.at_line", {"line": line})
    return Phrase("errors.notebook.at_cell_line", {"cell": cell, "line": line})


def strip_solutions(source: str, where: str = "", cell: int | None = None) -> str:
    """Replace each BEGIN/END SOLUTION region with its `#> ` starter lines (or a note).
    A malformed region is an InvalidNotebook naming the file `where` and the `cell`.

    A region's `#> ` lines are comments in the solution and become code in the starter,
    so a starter can define placeholders (`model = None`) and run without errors.
    HIDDEN regions disappear from the starter entirely.
    """
    out: list[str] = []
    mode: str | None = None
    indent = ""
    starter: list[str] = []
    for lineno, line in enumerate(source.splitlines(), start=1):
        s = line.strip()
        if s in (BEGIN, HIDDEN_BEGIN):
            if mode:
                raise InvalidNotebook.told(
                    "errors.notebook.region_nested", where or None, at=_at(cell, lineno), marker=s
                )
            mode = "solution" if s == BEGIN else "hidden"
            indent = line[: len(line) - len(line.lstrip())]
            starter = []
            continue
        if s in (END, HIDDEN_END):
            expected = END if mode == "solution" else HIDDEN_END
            if mode is None or s != expected:
                raise InvalidNotebook.told(
                    "errors.notebook.region_unopened", where or None, at=_at(cell, lineno), marker=s
                )
            if mode == "solution":
                out.append(indent + STARTER_NOTE)
                out.extend(starter if starter else [indent + "pass"] if indent else [])
            mode = None
            continue
        if mode == "solution":
            if s.startswith(STARTER_PREFIX.strip()) and line.lstrip().startswith(STARTER_PREFIX):
                starter.append(indent + line.lstrip()[len(STARTER_PREFIX) :])
            elif s == STARTER_PREFIX.strip():
                starter.append("")
            continue
        if mode == "hidden":
            continue
        out.append(line)
    if mode:
        closing = END if mode == "solution" else HIDDEN_END
        if cell is None:
            raise InvalidNotebook.told("errors.notebook.region_unclosed", where or None, marker=closing)
        raise InvalidNotebook.told("errors.notebook.region_unclosed_in_cell", where or None, cell=cell, marker=closing)
    return "\n".join(out)


def make_starter(solution: nbformat.NotebookNode, where: str = "") -> nbformat.NotebookNode:
    """The starter notebook: solution regions stripped, outputs cleared, answers blanked."""
    nb = nbformat.reads(nbformat.writes(solution), as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, where, index + 1)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            if any(ANSWER_TAG.match(t) for t in cell_tags(cell)):
                cell.source = "> 여기에 답을 쓰세요 (한국어 또는 영어). / Write your answer here (Korean or English)."
            else:
                cell.source = strip_solutions(cell.source, where, index + 1)
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"
