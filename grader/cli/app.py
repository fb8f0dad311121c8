"""The `grade` group: its options and the commands of every family, attached from their
modules (status, export, instructor, submit, quiz, report, review, selfcheck).

Heavy modules (numpy, nbclient, TensorFlow in the kernel) are imported inside the
commands, so that `grade --help` and the quiz commands start fast.
"""

from __future__ import annotations

import click

from grader import __version__
from grader.cli.base import group


@group(help="help.grade.about", context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grade", help="help.grade.version")
def cli() -> None:
    """Grade chapter-15 notebooks safely, in Korean and English."""


def _attach_subcommands() -> None:
    """Commands that live in modules of their own, one module per family."""
    from grader.cli.export import export_cmd
    from grader.cli.instructor import check, doctor, starters
    from grader.cli.quiz import quiz
    from grader.cli.report import minutes, site
    from grader.cli.review import import_cmd, review
    from grader.cli.selfcheck import selfcheck_pack
    from grader.cli.status import status
    from grader.cli.submit import submit

    for command in (submit, status, export_cmd, starters, check, doctor, quiz, minutes, site, selfcheck_pack):
        cli.add_command(command)
    cli.add_command(review)
    cli.add_command(import_cmd)


_attach_subcommands()


def main() -> None:
    cli(prog_name="grade")


if __name__ == "__main__":
    main()
