"""click's own error messages (usage errors, bad option values) in the reader's language.

click writes its messages in English (it marks them for gettext, but a translation would have
to be a compiled .mo file chosen by the locale, not by `--lang`). So the message is said again
from the parts click keeps on the exception (the option, the parameter, the suggestions); the
inner text of a bad value, which click only keeps as words, is read back against click's own
English templates. A message none of them matches (a newer click, or a command's own words)
is shown as click wrote it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

import click

from grader.errors import GradeError
from grader.i18n import text, text_n

_QUOTED = r"(?:'[^']*'|\"[^\"]*\")"


def _unquote(value: str) -> str:
    """The value inside click's repr quotes."""
    try:
        inner = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value
    return inner if isinstance(inner, str) else value


_PATH_KINDS = {
    "File": "cli.usage.path_kind.file",
    "Directory": "cli.usage.path_kind.directory",
    "Path": "cli.usage.path_kind.path",
}


def _path(key: str) -> Callable[[dict[str, str], str], str]:
    def say(found: dict[str, str], lang: str) -> str:
        return text(key, lang, what=text(_PATH_KINDS[found["kind"]], lang), name=_unquote(found["name"]))

    return say


def _plain(key: str, *quoted: str) -> Callable[[dict[str, str], str], str]:
    def say(found: dict[str, str], lang: str) -> str:
        return text(key, lang, **{k: _unquote(v) if k in quoted else v for k, v in found.items()})

    return say


_KIND = r"(?P<kind>File|Directory|Path)"
_NAME = rf"(?P<name>{_QUOTED})"

# click's English (click/core.py, parser.py, types.py), read back into the catalog entry that
# says it; tests/cli/test_usage.py makes click raise each one, so a click that words them
# differently fails there rather than falling back to English unnoticed.
_TEMPLATES: list[tuple[re.Pattern[str], Callable[[dict[str, str], str], str]]] = [
    (re.compile(rf"No such command {_NAME}\."), _plain("cli.usage.no_such_command", "name")),
    (re.compile(r"Got unexpected extra argument \((?P<args>.*)\)"), _plain("cli.usage.extra_argument")),
    (re.compile(r"Got unexpected extra arguments \((?P<args>.*)\)"), _plain("cli.usage.extra_arguments")),
    (re.compile(r"Missing command\."), _plain("cli.usage.missing_command")),
    (re.compile(rf"Option {_NAME} requires an argument\."), _plain("cli.usage.option_needs_value", "name")),
    (
        re.compile(rf"Option {_NAME} requires (?P<nargs>\d+) arguments\."),
        _plain("cli.usage.option_needs_values", "name"),
    ),
    (re.compile(rf"Option {_NAME} does not take a value\."), _plain("cli.usage.option_takes_no_value", "name")),
    (
        re.compile(rf"(?P<value>{_QUOTED}) is not one of (?P<choices>.*)\."),
        _plain("cli.usage.not_one_of", "value"),
    ),
    (re.compile(rf"(?P<value>{_QUOTED}) is not (?P<choice>{_QUOTED})\."), _plain("cli.usage.not_the_choice", "value")),
    (re.compile(r"(?P<value>.+) is not in the range (?P<range>.+)\."), _plain("cli.usage.out_of_range")),
    (
        re.compile(rf"(?P<value>{_QUOTED}) is not a valid integer(?: range)?\."),
        _plain("cli.usage.not_integer", "value"),
    ),
    (re.compile(rf"(?P<value>{_QUOTED}) is not a valid float(?: range)?\."), _plain("cli.usage.not_number", "value")),
    (re.compile(rf"{_KIND} {_NAME} does not exist\."), _path("cli.usage.path_missing")),
    (re.compile(rf"{_KIND} {_NAME} is a file\."), _path("cli.usage.path_is_file")),
    (re.compile(rf"{_KIND} {_NAME} is a directory\."), _path("cli.usage.path_is_folder")),
    (re.compile(rf"{_KIND} {_NAME} is not readable\."), _path("cli.usage.path_unreadable")),
    (re.compile(rf"{_KIND} {_NAME} is not writable\."), _path("cli.usage.path_unwritable")),
]


class BadValue(click.BadParameter):
    """An option value the grader itself refuses (a member id, a pattern): a usage error whose
    words are the GradeError's, said in the reader's language. `where` is the option's name at
    the head of the error's message, which click's "Invalid value for '--member':" already says."""

    def __init__(self, error: GradeError, where: str = "") -> None:
        self.error, self.where = error, where
        super().__init__(self.words("en"))

    def words(self, lang: str) -> str:
        line = self.error.line(lang)
        for head in (f"{self.where}: ", f"{self.where} "):  # not "--member-from에는"
            if self.where and line.startswith(head):
                return line[len(head) :]
        return line


def words_said(message: str, lang: str) -> str:
    """One of click's English messages in `lang`; a message it does not know, as it is."""
    for pattern, say in _TEMPLATES:
        found = pattern.fullmatch(message.strip())
        if found:
            return say(found.groupdict(), lang)
    return message


def _suggestions(possibilities: list[str] | None, lang: str) -> str:
    if not possibilities:
        return ""
    shown = ", ".join(repr(p) for p in sorted(possibilities))
    return " " + text_n("cli.usage.did_you_mean", len(possibilities), lang, options=shown)


def _hint(exc: click.BadParameter, lang: str) -> str | None:
    """The parameter as click names it ('--lang', 'PATHS...'), with the environment variable
    an option may come from said in `lang`."""
    hint: Any = exc.param_hint
    param = exc.param
    if hint is None and isinstance(param, click.Argument):
        hint = param.get_error_hint(exc.ctx)
    elif hint is None and param is not None:
        hint = click.Parameter.get_error_hint(param, exc.ctx)  # without click's English "(env var: …)"
        if isinstance(param, click.Option) and param.show_envvar and param.envvar:
            names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar)
            hint += " " + text("cli.usage.env_var", lang, names=", ".join(repr(n) for n in names))
    if hint is not None and not isinstance(hint, str):
        hint = " / ".join(repr(h) for h in hint)
    return hint


_MISSING = {
    "argument": "cli.usage.missing_argument",
    "option": "cli.usage.missing_option",
}


def _missing(exc: click.MissingParameter, lang: str) -> str:
    hint = _hint(exc, lang) or ""
    kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "parameter")
    line = text(_MISSING.get(kind, "cli.usage.missing_parameter"), lang, hint=hint)
    if isinstance(getattr(exc.param, "type", None), click.Choice):
        assert exc.param is not None
        choices = ", ".join(str(c) for c in exc.param.type.choices)  # type: ignore[attr-defined]
        line += " " + text("cli.usage.choose_from", lang, choices=choices)
    if exc.message:
        line += " " + words_said(exc.message, lang)
    return line


def said(exc: click.ClickException, lang: str) -> str:
    """The one line a click error ends a command with, in `lang`."""
    no_such_command = getattr(click.exceptions, "NoSuchCommand", None)  # click 8.4 and later
    if isinstance(exc, click.NoSuchOption):
        if exc.message != f"No such option {exc.option_name!r}.":  # a message of its own
            return words_said(exc.message, lang) + _suggestions(exc.possibilities, lang)
        line = text("cli.usage.no_such_option", lang, name=exc.option_name)
        return line + _suggestions(exc.possibilities, lang)
    if no_such_command is not None and isinstance(exc, no_such_command):
        line = text("cli.usage.no_such_command", lang, name=exc.command_name)
        return line + _suggestions(exc.possibilities, lang)
    if isinstance(exc, click.MissingParameter):
        return _missing(exc, lang)
    if isinstance(exc, click.BadParameter):
        hint = _hint(exc, lang)
        inner = exc.words(lang) if isinstance(exc, BadValue) else words_said(exc.message, lang)
        if hint is None:
            return text("cli.usage.invalid_value", lang, message=inner)
        return text("cli.usage.invalid_value_for", lang, hint=hint, message=inner)
    return words_said(exc.format_message(), lang)
