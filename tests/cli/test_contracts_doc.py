"""docs/contracts.md is what help texts point to: it must name every command and option."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from grader.cli.app import cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"


def _leaves(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        path = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            yield from _leaves(cmd, f"{path} ")
        else:
            yield path, cmd


def _row(text: str, path: str) -> str | None:
    """The table row of the commands table that documents `grade PATH`."""
    start = f"| `grade {path}"
    for line in text.splitlines():
        if line.startswith(start) and line[len(start)] in " `":
            return line
    return None


def test_every_command_and_option_is_in_the_contracts_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing: list[str] = []
    leaves = list(_leaves(cli))
    assert len(leaves) >= 14  # submit … selfcheck-pack: the walk found the commands
    for path, cmd in leaves:
        row = _row(text, path)
        if row is None:
            missing.append(f"grade {path}")
            continue
        for param in cmd.params:
            if not isinstance(param, click.Option):
                continue
            for name in [*param.opts, *param.secondary_opts]:
                if name.startswith("--") and name != "--help" and name not in row:
                    missing.append(f"grade {path} {name}")
    assert not missing, f"docs/contracts.md lacks: {', '.join(missing)}"


def test_help_texts_point_to_the_contracts_page_not_to_design() -> None:
    """The design notes are not shipped; a user reading --help must be able to open what it cites."""
    cited = []
    for path, cmd in _leaves(cli):
        with click.Context(cmd, info_name=f"grade {path}") as ctx:
            if "DESIGN" in cmd.get_help(ctx):
                cited.append(path)
    assert not cited
