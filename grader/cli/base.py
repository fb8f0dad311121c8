"""The click classes every `grade` command is made of: the error conventions
(grader/cli/conventions.py) and help in the reader's language (grader/cli/helptext.py).

`command(...)` and `group(...)` are click's decorators with these classes; a group's
subcommands (`@group.command()`) get them too. A command without a `--lang` of its own
gets one for its help and error lines, so that `grade X --help --lang en` works for every X.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from grader.cli.common import help_lang_option
from grader.cli.conventions import Conventions
from grader.cli.helptext import InTwoLanguages


def _with_lang(params: list[click.Parameter]) -> None:
    if not any("--lang" in getattr(p, "opts", ()) for p in params):
        params.append(help_lang_option())


class GradeCommand(Conventions, InTwoLanguages, click.Command):
    """A `grade` command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        super().__init__(*args, **kwargs)
        _with_lang(self.params)


class GradeGroup(Conventions, InTwoLanguages, click.Group):
    """A `grade` group; its subcommands and subgroups are of these classes as well."""

    command_class = GradeCommand
    group_class = type  # a subgroup of the same class

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        super().__init__(*args, **kwargs)
        _with_lang(self.params)


def command(name: str | None = None, **attrs: Any) -> Callable[[Callable[..., Any]], GradeCommand]:  # noqa: ANN401
    """`click.command` for a `grade` command (its help is a key of help.toml)."""
    return click.command(name, cls=GradeCommand, **attrs)


def group(name: str | None = None, **attrs: Any) -> Callable[[Callable[..., Any]], GradeGroup]:  # noqa: ANN401
    """`click.group` for a `grade` group."""
    return click.group(name, cls=GradeGroup, **attrs)
