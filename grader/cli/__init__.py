"""The command line: click commands that parse, call one function, and render."""

from grader.cli.app import main

__all__ = ["main"]
