"""What the `grade` commands share: their common options and the `--json` printer.

An option's `help` is a key of grader/i18n/catalog/help.toml (grader/cli/helptext.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from grader.textsafe import json_inert

if TYPE_CHECKING:
    from grader.course.loader import Course

F = TypeVar("F", bound=Callable[..., Any])

# `grade --lang en status`: the language given before the command's name, kept for it.
ROOT_LANG_KEY = "grade.root_lang"


def _keep_root_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[ROOT_LANG_KEY] = value.lower()


def _lang_value(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """The command's own --lang, else the one given before its name, else $GRADE_LANG or ko."""
    if param.name and ctx.get_parameter_source(param.name) is click.core.ParameterSource.COMMANDLINE:
        return value.lower()
    return str(ctx.meta.get(ROOT_LANG_KEY) or value).lower()


def help_lang_option() -> click.Option:
    """--lang of a command that prints nothing in a language of its own (grader/cli/base.py
    adds it): its help and error lines; on a group (`grade --lang en status`, `grade quiz
    --lang en score …`), also the default of the commands that follow."""
    return click.Option(
        ["--lang"],
        type=click.Choice(["ko", "en"], case_sensitive=False),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_keep_root_lang,
        help="help.common.help_lang",
    )


def lang_option(help_key: str = "help.common.lang") -> Callable[[F], F]:
    """--lang: the language of the command's output (`help_key` says of what)."""
    return click.option(
        "--lang",
        type=click.Choice(["ko", "en"], case_sensitive=False),
        default="ko",
        show_default=True,
        envvar="GRADE_LANG",
        show_envvar=True,
        callback=_lang_value,
        help=help_key,
    )


LANG = lang_option()
QUIZ_LANG = click.option(
    "--quiz-lang",
    "quiz_lang",
    type=click.Choice(["lang", "answer"]),
    default="lang",
    show_default=True,
    help="help.common.quiz_lang",
)
COURSE = click.option(
    "--course",
    "course_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="help.common.course",
)
GRADEBOOK = click.option("--gradebook", default=None, help="help.common.gradebook")


def json_flag(help_key: str) -> Callable[[F], F]:
    """--json, saying what the command prints as JSON."""
    return click.option("--json", "as_json", is_flag=True, help=help_key)


def json_doc(doc: Any) -> str:  # noqa: ANN401
    """`--json` output: readable UTF-8, with control, bidi and zero-width characters as \\u escapes."""
    return json_inert(json.dumps(doc, ensure_ascii=False, indent=2))


def find_course(course_dir: str | None, near: Path | None = None) -> Course:
    from grader.course.loader import find_course as find

    return find(course_dir, near=near)
