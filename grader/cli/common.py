"""What the `grade` commands share: their common options and the `--json` printer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from grader.textsafe import json_inert

if TYPE_CHECKING:
    from grader.course.loader import Course

LANG = click.option(
    "--lang",
    type=click.Choice(["ko", "en"], case_sensitive=False),
    default="ko",
    show_default=True,
    envvar="GRADE_LANG",
    show_envvar=True,
    help="Language of messages and feedback (default: $GRADE_LANG, else ko).",
)
QUIZ_LANG = click.option(
    "--quiz-lang",
    "quiz_lang",
    type=click.Choice(["lang", "answer"]),
    default="lang",
    show_default=True,
    help="Quiz feedback in --lang ('lang') or in the language each answer is written in ('answer').",
)
COURSE = click.option(
    "--course",
    "course_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Course folder (with course.toml); default: found from the current folder.",
)
GRADEBOOK = click.option(
    "--gradebook", default=None, help="Gradebook file or database URL (default: $GRADE_GRADEBOOK, then the course's)."
)


def json_doc(doc: Any) -> str:  # noqa: ANN401
    """`--json` output: readable UTF-8, with control, bidi and zero-width characters as \\u escapes."""
    return json_inert(json.dumps(doc, ensure_ascii=False, indent=2))


def find_course(course_dir: str | None, near: Path | None = None) -> Course:
    from grader.course.loader import find_course as find

    return find(course_dir, near=near)
