"""How every `grade` command reports errors, interruptions and exit codes (docs/contracts.md).

- Every error is one line on stderr: `grade: error: …` (the grader's own errors, click's
  usage errors, unreadable files), with click's usage lines above a usage error.
- With `--json`, stdout gets a JSON document for the error as well:
  `{"error": "…", "file": "…" or null, "exit_code": n}`; a script reading stdout never
  gets text it cannot parse.
- Exit codes: 0 done, 1 could not be done (bad file, unknown exercise, no course), 2 usage,
  130 interrupted (Ctrl-C or SIGTERM), after the run's clean-up, with one line and no
  traceback.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from grader.errors import GradeError
from grader.textsafe import inert, json_inert

INTERRUPTED = 130


def wants_json(args: Sequence[str]) -> bool:
    """Whether the command line asks for JSON (`--json` before any `--`)."""
    for a in args:
        if a == "--":
            return False
        if a == "--json":
            return True
    return False


def error_doc(message: str, path: str | None = None, exit_code: int = 1) -> dict[str, Any]:
    """The JSON form of an error."""
    return {"error": message, "file": path, "exit_code": exit_code}


def _parts(exc: GradeError) -> tuple[str, str | None]:
    """(message without the file, the file) of a grader error."""
    text = str(exc)
    path = getattr(exc, "path", None)
    if path and text.startswith(f"{path}: "):
        text = text[len(path) + 2 :]
    return text, path


def report_error(
    message: str, *, path: str | None = None, as_json: bool = False, exit_code: int = 1, json_message: str | None = None
) -> None:
    """One `grade: error:` line on stderr (file and message from students made inert), and in
    JSON mode the error's document on stdout (with `json_message` when it differs)."""
    shown = f"{path}: {message}" if path else message
    click.echo(f"grade: error: {inert(shown)}", err=True)
    if as_json:
        doc = error_doc(message if json_message is None else json_message, path, exit_code)
        click.echo(json_inert(json.dumps(doc, ensure_ascii=False, indent=2)))


def result_doc(result: Any) -> dict[str, Any]:  # noqa: ANN401
    """An attempt's JSON; one that could not be graded (`invalid`) also carries `error` and
    `file`, like every error document."""
    doc = result.to_dict()
    if doc.get("status") == "invalid":
        path = result.path or None
        message = result.message
        if path and message.startswith(f"{path}: "):
            message = message[len(path) + 2 :]
        doc.update(error=message, file=path)
    return doc


def lang_of(argv: Sequence[str]) -> str:
    """The language a command line asks for (`--lang X`, `--lang=X`), else $GRADE_LANG's, else
    Korean: what a line said before or after the command's own parsing is written in."""
    from grader.i18n import default_lang

    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--lang="):
            value = arg.partition("=")[2]
        else:
            continue
        if value.lower() in ("ko", "en"):
            return value.lower()
    return default_lang()


def report_interrupt(lang: str = "en") -> None:
    """The one line Ctrl-C leaves (after the clean-up that kills kernels has run)."""
    import logging

    # The run's cancelled nbclient tasks end with DeadKernelError; asyncio would print each
    # as "Task exception was never retrieved" with its traceback when it is collected.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    # On a terminal the ^C the user typed is still on the line: start a new one.
    lead = "\n" if _isatty(sys.stderr) else ""
    from grader.i18n import text

    click.echo(f"{lead}grade: {text('cli.interrupted', lang, code=INTERRUPTED)}", err=True)


def _isatty(stream: Any) -> bool:  # noqa: ANN401
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# Where a command line's mode is kept for every context of one run (click shares `meta`
# between a context and the ones nested in it).
JSON_KEY = "grade.json"
LANG_KEY = "grade.lang"


def note_mode(ctx: click.Context, args: Sequence[str]) -> None:
    """Keep what the whole command line asks for (JSON, language) in `ctx.meta`, before
    click parses it: an eager `--help` renders, and an error is told, while parsing."""
    ctx.meta.setdefault(JSON_KEY, wants_json(args))
    ctx.meta.setdefault(LANG_KEY, lang_of(args))


def mode_of(ctx: click.Context | None) -> tuple[bool, str]:
    """(JSON mode, language) of the running command line; outside one, no JSON and the
    user's default language."""
    if ctx is None or LANG_KEY not in ctx.meta:
        from grader.i18n import default_lang

        return False, default_lang()
    return bool(ctx.meta.get(JSON_KEY)), str(ctx.meta[LANG_KEY])


def report_grade_error(exc: GradeError, *, as_json: bool, lang: str) -> None:
    """The one way a GradeError ends a command: its line in the reader's language on stderr,
    and in JSON mode its document (with the English message) on stdout."""
    message, path = _parts(exc)
    report_error(exc.said(lang), path=path, as_json=as_json, exit_code=exc.exit_code, json_message=message)


def _report_click_error(exc: click.ClickException, *, as_json: bool, lang: str) -> None:
    """click's error in the reader's language; the JSON document keeps its English."""
    from grader.cli.usage import said

    report_error(said(exc, lang), as_json=as_json, exit_code=exc.exit_code, json_message=said(exc, "en"))


class Conventions:
    """Mixed into every `grade` command and group (grader/cli/base.py): errors and
    interruptions reported the one way described above, whether the command runs under
    `grade` or on its own (as tests invoke `minutes`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        note_mode(ctx, args)
        return super().parse_args(ctx, args)  # type: ignore[misc]

    def invoke(self, ctx: click.Context) -> Any:  # noqa: ANN401
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except GradeError as exc:
            as_json, lang = mode_of(ctx)
            report_grade_error(exc, as_json=as_json, lang=lang)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            report_interrupt(mode_of(ctx)[1])
            ctx.exit(INTERRUPTED)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:  # noqa: ANN401
        argv = list(sys.argv[1:] if args is None else args)
        run = super().main  # type: ignore[misc]
        if not standalone_mode:
            return run(argv, prog_name, complete_var, standalone_mode=False, **extra)
        as_json, lang = wants_json(argv), lang_of(argv)
        try:
            code = run(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            if exc.ctx is not None:  # click's usage and hint lines, then the one error line
                hint = ""
                if exc.ctx.command.get_help_option(exc.ctx) is not None:
                    from grader.i18n import text

                    option = max(exc.ctx.command.get_help_option_names(exc.ctx), key=len)
                    hint = text("help.click.try", lang, line=f"{exc.ctx.command_path} {option}") + "\n"
                click.echo(f"{exc.ctx.get_usage()}\n{hint}", err=True)
            _report_click_error(exc, as_json=as_json, lang=lang)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            _report_click_error(exc, as_json=as_json, lang=lang)
            sys.exit(exc.exit_code)
        except GradeError as exc:  # raised while parsing (an option's callback)
            report_grade_error(exc, as_json=as_json, lang=lang)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            # click's prompts (grade quiz ask) turn Ctrl-C and end of input into Abort.
            report_interrupt(lang)
            sys.exit(INTERRUPTED)
        except KeyboardInterrupt:  # outside any command (while parsing)
            report_interrupt(lang)
            sys.exit(INTERRUPTED)
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            # The reader went away (`grade status | head`): nothing more to say to it.
            try:
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stdout for the rest of the exit
            except OSError:
                pass
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)
