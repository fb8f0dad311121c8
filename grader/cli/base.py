"""The click classes every `grade` command is made of: the error conventions
(grader/cli/conventions.py) and help in the reader's language (grader/cli/helptext.py).

`command(...)` and `group(...)` are click's decorators with these classes; a group's
subcommands (`@group.command()`) get them too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from grader.cli.conventions import Conventions
from grader.cli.helptext import InTwoLanguages


class GradeCommand(Conventions, InTwoLanguages, click.Command):
    """A `grade` command."""


class GradeGroup(Conventions, InTwoLanguages, click.Group):
    """A `grade` group; its subcommands and subgroups are of these classes as well."""

    command_class = GradeCommand
    group_class = type  # a subgroup of the same class


def command(name: str | None = None, **attrs: Any) -> Callable[[Callable[..., Any]], GradeCommand]:  # noqa: ANN401
    """`click.command` for a `grade` command (its help is a key of help.toml)."""
    return click.command(name, cls=GradeCommand, **attrs)


def group(name: str | None = None, **attrs: Any) -> Callable[[Callable[..., Any]], GradeGroup]:  # noqa: ANN401
    """`click.group` for a `grade` group."""
    return click.group(name, cls=GradeGroup, **attrs)
