"""The first code cell of every exercise notebook: the self-check's set-up (docs/selfcheck.md).

The course writes it, the same in every notebook but for the repository address
(`[selfcheck] repository` in course.toml). The grader recognises it so that a spare kernel
may import a notebook's libraries ahead although this cell comes before the imports:
outside Colab it only imports the standard library and `grader.selfcheck`, which does
nothing inside a graded run (tests/selfcheck/test_notebooks.py holds both). A cell that
differs by one character is the student's code, and nothing is imported ahead of it.
"""

from __future__ import annotations

import re

# The address goes inside a double-quoted Python string: a character that could end that
# string or the line would make the cell other code than the course's.
_ADDRESS = re.compile(r"[A-Za-z0-9+:/._@~%=#-]+")
_SLOT = "{repository}"
TEMPLATE = '# 자체 점검 준비: Colab에서는 채점기(grade)와 연습용 자료를 설치하고, 어디서든 마지막 셀의 selfcheck()가\n# 빨리 답하도록 도우미 프로세스를 미리 띄워 둡니다. 채점 중에는 아무 일도 하지 않습니다.\n# Self-check setup: in Colab it installs the grader (grade) and its practice pack; everywhere it starts the\n# helper process early, so that selfcheck() in the last cell answers quickly. It does nothing while grading.\nimport os, subprocess, sys\nif any(name.startswith("COLAB_") for name in os.environ):  # the address: [selfcheck] repository in course.toml\n    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "{repository}"], check=True)\n    subprocess.run([sys.executable, "-m", "grader.selfcheck.colab"], check=True)\ntry:\n    import grader.selfcheck\nexcept ImportError:\n    pass'


def setup_cell(repository: str) -> str:
    """The set-up cell for a course whose repository is `repository`."""
    if not _ADDRESS.fullmatch(repository):
        raise ValueError(f"not a repository address a cell can hold: {repository!r}")
    return TEMPLATE.replace(_SLOT, repository)


def is_setup_cell(source: str) -> bool:
    """Whether `source` is the course's set-up cell, for any repository address."""
    head, tail = TEMPLATE.split(_SLOT)
    if not (source.startswith(head) and source.endswith(tail)) or len(source) < len(head) + len(tail):
        return False
    return _ADDRESS.fullmatch(source[len(head) : len(source) - len(tail)]) is not None
