"""Notebook file names as they arrive from members, and the course notebook each one is.

Members download their work from Colab, copy it in Google Drive or Windows Explorer, or
prefix it with their name. The grader sees "Copy of 04_forecast7.ipynb",
"04_forecast7 (1).ipynb", "04_forecast7.ipynb의 사본", "04_forecast7 - 복사본.ipynb" or
"sora_04_forecast7.ipynb"; each is the course's 04_forecast7.ipynb. The exercise is
still decided by the notebook metadata first (grading.identify); these rules are the
fallback, and they also keep a course notebook's name from being read as a member
name (`--member-from '{member}_*.ipynb'` on 06_lstm_structure.ipynb is not member "06").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePath

SUFFIX = ".ipynb"

# Applied repeatedly until nothing changes: copies of copies stack them up.
_COPY_PREFIX = re.compile(r"^(?:copy of |사본\s*-\s*)", re.IGNORECASE)
_COPY_SUFFIX = re.compile(
    r"(?:\s*\(\d+\)"  # browsers, Drive: name (1)
    r"|\s+-\s+(?:copy|복사본)(?:\s*\(\d+\))?"  # Windows Explorer: name - Copy, name - 복사본 (2)
    r"|\s*의\s*사본(?:\s*\(\d+\))?"  # Korean Colab and Drive: name의 사본
    r"|\s*-\s*(?:copy|사본)\d*"  # name-copy2
    r")$",
    re.IGNORECASE,
)


def strip_copy_marks(text: str) -> str:
    """`text` without "Copy of", " (1)", " - 복사본", "의 사본" and the like (a folder name
    "sora (1)" from unpacking an archive twice is still sora); unchanged when nothing is left."""
    out = text.strip()
    while True:
        before = out
        out = _COPY_SUFFIX.sub("", _COPY_PREFIX.sub("", out).strip()).strip()
        if out == before:
            return out or text.strip()


def clean_download_name(name: str) -> str:
    """The notebook name under the copy and download decorations; other names unchanged.

    >>> clean_download_name("Copy of 04_forecast7 (1).ipynb")
    '04_forecast7.ipynb'
    >>> clean_download_name("04_forecast7.ipynb의 사본")
    '04_forecast7.ipynb'
    """
    if SUFFIX not in name.lower():
        return name  # not a notebook's name, decorated or not
    stem = name.strip()
    while True:
        before = stem
        if stem.lower().endswith(SUFFIX):
            stem = stem[: -len(SUFFIX)].rstrip()
        stem = strip_copy_marks(stem) if stem else stem
        if stem == before:
            break
    return stem + SUFFIX if stem else name


def _is_boundary(text: str, index: int) -> bool:
    """Position `index` of `text` is not inside a run of letters or digits."""
    return index <= 0 or index >= len(text) or not text[index - 1].isalnum() or not text[index].isalnum()


def notebook_in_name(name: str, notebooks: Iterable[str]) -> tuple[str, int, int] | None:
    """(course notebook, start, end): where a course notebook's stem occurs in `name`
    (a cleaned file name), bounded by non-alphanumerics, e.g. sora_[04_forecast7].ipynb.

    None when no stem occurs, or when two different notebooks are equally good (the
    longest stem wins: 04_forecast7 over a hypothetical 04_forecast)."""
    best: list[tuple[int, str, int]] = []
    lowered = name.lower()
    for nb in notebooks:
        stem = nb[: -len(SUFFIX)] if nb.lower().endswith(SUFFIX) else nb
        if not stem:
            continue
        start = lowered.find(stem.lower())
        while start >= 0:
            end = start + len(stem)
            if _is_boundary(name, start) and _is_boundary(name, end):
                best.append((len(stem), nb, start))
                break
            start = lowered.find(stem.lower(), start + 1)
    if not best:
        return None
    best.sort(key=lambda b: -b[0])
    if len(best) > 1 and best[0][0] == best[1][0] and best[0][1] != best[1][1]:
        return None
    length, nb, start = best[0]
    return nb, start, start + length


def notebook_for_name(name: str, notebooks: Iterable[str]) -> str | None:
    """The course notebook a file name stands for: exactly, once cleaned, or as a prefixed
    or suffixed copy (sora_04_forecast7.ipynb); None when none or several fit."""
    names = list(notebooks)
    if name in names:
        return name
    cleaned = clean_download_name(name)
    if cleaned in names:
        return cleaned
    found = notebook_in_name(cleaned, names)
    return found[0] if found else None


def exercise_names(exercise_id: str | None, notebook: str | None) -> set[str]:
    """Every name an exercise goes by where one is asked for (`--exercise`, `grade check
    EXERCISES`, `selfcheck(exercise=...)`): its id (ch15.ex4) and the id's last part (ex4), its
    notebook (04_forecast7.ipynb), the notebook's slug (04_forecast7) and its number (04)."""
    names: set[str] = set()
    if exercise_id:
        names |= {exercise_id, exercise_id.split(".")[-1]}
    if notebook:
        stem = PurePath(notebook).stem
        names |= {notebook, stem, stem.split("_")[0]}
    return names
