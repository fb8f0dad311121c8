"""Help in the reader's language, wrapped by what a terminal shows.

Every command's help, every option's help and every epilog is a key of
grader/i18n/catalog/help.toml (`help="help.submit.member"`), looked up when the help
is rendered, in the language the command line asks for: `--lang` anywhere on it
(`grade --help --lang en`, `grade submit --help --lang ko`), else $GRADE_LANG, else
Korean (grader/cli/conventions.py keeps that choice in the context before click
parses, since `--help` is eager). click's own words (usage, options, commands,
default, env var, required) come from the same file.

click wraps by `len()`, so a Hangul syllable, two columns wide on a terminal, counts
as one and a Korean line overflows: the terminal then breaks it in the middle of a
word. The formatter here measures display columns and never breaks a word.
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import click

from grader.cli.conventions import mode_of
from grader.i18n import text
from grader.i18n.catalog import has

KEY_PREFIX = "help."


def said(value: str | None, lang: str) -> str:
    """A help attribute as the reader reads it: a catalog key in `lang`, anything else as given."""
    if not value:
        return ""
    value = inspect.cleandoc(value)
    if value.startswith(KEY_PREFIX) and has(value):
        return text(value, lang)
    return value


def cell_width(s: str) -> int:
    """Columns `s` takes on a terminal: wide (Hangul, CJK) characters two, combining marks none."""
    width = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def wrap(words_of: str, width: int, initial_indent: str = "", subsequent_indent: str = "") -> list[str]:
    """The words of `words_of` in lines of at most `width` columns; a word longer than that
    stands alone on its line, whole."""
    lines: list[str] = []
    line, filled = initial_indent, False
    for word in words_of.split():
        if filled and cell_width(line) + 1 + cell_width(word) > width:
            lines.append(line)
            line = subsequent_indent + word
        else:
            line = f"{line} {word}" if filled else line + word
        filled = True
    lines.append(line.rstrip() if filled else initial_indent.rstrip())
    return lines


def wrap_paragraphs(body: str, width: int, indent: str = "") -> list[str]:
    """Paragraphs (split at blank lines) rewrapped; one that starts with a `\\b` line keeps
    its lines as written (click's convention for examples)."""
    out: list[str] = []
    for n, para in enumerate(p for p in body.split("\n\n") if p.strip()):
        if n:
            out.append("")
        lines = para.splitlines()
        if lines and lines[0].strip() == "\b":
            out.extend(indent + line for line in lines[1:])
        else:
            out.extend(wrap(para, width, indent, indent))
    return out


# Below this many columns for the text, a definition list puts each text under its term,
# indented by _STACKED_INDENT.
_MIN_TEXT = 40
_STACKED_INDENT = 4


class HelpFormatter(click.HelpFormatter):
    """click's formatter, measuring display columns (see the module docstring)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        prefix = "Usage: " if prefix is None else prefix
        head = " " * self.current_indent + prefix + prog
        if not args:
            self.write(head + "\n")
            return
        text_width = self.width - self.current_indent
        if text_width >= cell_width(head) + 1 + 20:
            lines = wrap(args, text_width, head + " ", " " * (cell_width(head) + 1))
        else:  # the prefix is too long: the arguments go on the next lines
            indent = " " * (max(self.current_indent, cell_width(prefix)) + 4)
            lines = [head, *wrap(args, text_width, indent, indent)]
        self.write("\n".join(lines) + "\n")

    def write_text(self, text: str) -> None:
        self.write("\n".join(wrap_paragraphs(text, self.width, " " * self.current_indent)) + "\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        if not rows:
            return
        first_col = min(max(cell_width(first) for first, _ in rows), col_max) + col_spacing
        text_width = self.width - first_col - self.current_indent
        if text_width < _MIN_TEXT:
            # A narrow terminal: each text under its option, rather than a column of a few words.
            first_col = _STACKED_INDENT
            text_width = self.width - first_col - self.current_indent
        pad = " " * (first_col + self.current_indent)
        for first, second in rows:
            self.write(" " * self.current_indent + first)
            if not second:
                self.write("\n")
                continue
            if cell_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - cell_width(first)))
            else:
                self.write("\n" + pad)
            lines = wrap_paragraphs(second, text_width)
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write((pad + line).rstrip() + "\n")


class HelpContext(click.Context):
    formatter_class = HelpFormatter


def _lang(ctx: click.Context | None) -> str:
    return mode_of(ctx)[1]


# A full stop then a space ends a sentence, but not in "e.g. " or "i.e. ".
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)\.\s")


def first_sentence(body: str) -> str:
    """A command's line in its group's list: the first sentence of its help."""
    para = " ".join(body.split("\n\n")[0].split())
    end = _SENTENCE_END.search(para)
    return para[: end.start() + 1] if end else para


def option_row(param: click.Parameter, ctx: click.Context, lang: str) -> tuple[str, str] | None:
    """(names, help) of an option in `lang`, with default, environment variable, range and
    `required` said in it too."""
    if not isinstance(param, click.Option):
        return None
    record = param.get_help_record(ctx)
    if record is None:  # hidden
        return None
    extra = param.get_help_extra(ctx)
    items = []
    if "envvars" in extra:
        items.append(text("help.click.envvar", lang, var=", ".join(extra["envvars"])))
    if "default" in extra:
        items.append(text("help.click.default", lang, value=extra["default"]))
    if "range" in extra:
        items.append(extra["range"])
    if "required" in extra:
        items.append(text("help.click.required", lang))
    body = said(param.help, lang)
    if items:
        body = f"{body}  [{'; '.join(items)}]" if body else f"[{'; '.join(items)}]"
    return record[0], body


class InTwoLanguages:
    """Mixed into every `grade` command and group (grader/cli/base.py): its help rendered in
    the command line's language, by display width."""

    context_class: type[click.Context] = HelpContext
    help: str | None
    epilog: str | None

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option: click.Option | None = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = "help.common.help"
        return option

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces: Sequence[str] = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=text("help.click.usage", _lang(ctx)) + " ")

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        body = said(self.help, _lang(ctx)).partition("\f")[0]
        if body:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(body)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lang = _lang(ctx)
        params: list[click.Parameter] = self.get_params(ctx)  # type: ignore[attr-defined]
        rows = [row for p in params if (row := option_row(p, ctx, lang)) is not None]
        if rows:
            with formatter.section(text("help.click.options", lang)):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        assert isinstance(self, click.Group)
        lang = _lang(ctx)
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, first_sentence(said(cmd.short_help or cmd.help, lang))))
        if rows:
            with formatter.section(text("help.click.commands", lang)):
                formatter.write_dl(rows)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        body = said(self.epilog, _lang(ctx))
        if body:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(body)

    def get_short_help_str(self, limit: int = 45) -> str:
        return first_sentence(
            said(getattr(self, "short_help", None) or self.help, _lang(click.get_current_context(silent=True)))
        )


def help_keys(command: click.Command, path: str = "grade") -> Iterable[tuple[str, str, Any]]:
    """(where, what, value) of every help attribute under `command`: its help and epilog and
    each option's help, then its subcommands' (for the test that each is a catalog key)."""
    yield path, "help", command.help
    if command.epilog:
        yield path, "epilog", command.epilog
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            yield path, "/".join(param.opts), param.help
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            sub = command.get_command(click.Context(command), name)
            if sub is not None:
                yield from help_keys(sub, f"{path} {name}")
