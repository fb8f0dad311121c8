"""Click commands: `grade minutes MEETING_FILE` and `grade site build|serve`.

Registered by grader/cli/app.py (`cli.add_command(minutes)`, `cli.add_command(site)`).
A GradeError from the report is told the one way every command tells it
(grader/cli/conventions.py); `--json` prints what was written or found.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from grader.cli.base import command, group
from grader.cli.common import COURSE, GRADEBOOK, json_doc, json_flag, lang_option
from grader.errors import GradeError
from grader.i18n import text, text_n
from grader.textsafe import json_inert

LANG = lang_option("help.report.lang")


def _inputs(course_dir: str | None, gradebook: str | None, near: Path | None = None):  # noqa: ANN202
    from grader.course.loader import find_course
    from grader.report.minutes import course_specs
    from grader.results.location import resolve_location

    course = find_course(course_dir, near=near)
    return course, resolve_location(gradebook, course.default_gradebook), course_specs(course)


def _default_out(course_site_dir: Path) -> Path:
    return course_site_dir / "_build"


def _pages(built: Any) -> dict[str, Any]:  # noqa: ANN401
    return {"out": str(built.root), "index": str(built.index), "pages": [str(p) for p in built.pages]}


@command(help="help.minutes.about")
@click.argument("meeting_file", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md", "txt"]),
    default="html",
    show_default=True,
    help="help.minutes.format",
)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="help.minutes.out")
@json_flag("help.minutes.json")
@LANG
@GRADEBOOK
@COURSE
def minutes(
    meeting_file: Path,
    fmt: str,
    out: Path | None,
    as_json: bool,
    lang: str,
    gradebook: str | None,
    course_dir: str | None,
) -> None:
    """The minutes (서기) of one meeting: a self-contained HTML page with grading progress, or a
    short summary for the group chat (--format md|txt)."""
    from grader.report.minutes import build_minutes

    course, location, specs = _inputs(course_dir, gradebook, near=meeting_file.resolve())
    body = build_minutes(meeting_file, site_dir=course.site_dir, gradebook=location, lang=lang, specs=specs, fmt=fmt)
    doc: dict[str, Any] = {"meeting": str(meeting_file), "format": fmt, "lang": lang}
    if (out is not None and str(out) == "-") or (out is None and fmt != "html"):
        if as_json:
            click.echo(json_doc({**doc, "file": None, "text": body}))
        else:
            click.echo(body, nl=False)
        return
    target = out or _default_out(course.site_dir) / f"minutes-{meeting_file.stem}.html"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    except OSError as exc:
        raise GradeError.told("cli.report.cannot_write", str(target), reason=exc.strerror or str(exc)) from None
    click.echo(json_doc({**doc, "file": str(target), "text": None}) if as_json else str(target))


@group(help="help.site.about")
def site() -> None:
    """The group's report site: meetings, members, exercises."""


@site.command(help="help.site.build.about")
@click.option(
    "--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None, help="help.site.build.out"
)
@json_flag("help.site.build.json")
@LANG
@GRADEBOOK
@COURSE
def build(out: Path | None, as_json: bool, lang: str, gradebook: str | None, course_dir: str | None) -> None:
    """Build the static site (inline CSS and SVG; works offline and from file://)."""
    from grader.report.site import build_site

    course, location, specs = _inputs(course_dir, gradebook)
    built = build_site(
        out or _default_out(course.site_dir), site_dir=course.site_dir, gradebook=location, lang=lang, specs=specs
    )
    if as_json:
        click.echo(json_doc({**_pages(built), "lang": lang}))
    else:
        click.echo(text_n("cli.site.built", len(built.pages), lang, n=len(built.pages), index=built.index))


@site.command(help="help.site.serve.about")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="help.site.serve.port")
@click.option(
    "--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None, help="help.site.serve.out"
)
@click.option("--build/--no-build", "rebuild", default=True, show_default=True, help="help.site.serve.build")
@json_flag("help.site.serve.json")
@LANG
@GRADEBOOK
@COURSE
def serve(
    port: int, out: Path | None, rebuild: bool, as_json: bool, lang: str, gradebook: str | None, course_dir: str | None
) -> None:
    """Serve the site on localhost until Ctrl-C."""
    from grader.report.serve import make_server
    from grader.report.site import build_site

    course, location, specs = _inputs(course_dir, gradebook)
    root = out or _default_out(course.site_dir)
    built = None
    if rebuild:
        built = build_site(root, site_dir=course.site_dir, gradebook=location, lang=lang, specs=specs)
    elif not (root / "index.html").is_file():
        raise GradeError.told("cli.site.not_built", str(root))
    try:
        server = make_server(root, port)
    except OSError as exc:
        raise GradeError.told("cli.site.cannot_listen", port=port, reason=exc.strerror or str(exc)) from None
    host, real_port = server.server_address[:2]
    assert isinstance(host, str)  # an IPv4 server's address is (host, port)
    url = f"http://{host}:{real_port}/"
    if as_json:  # one line a script can read before the server blocks
        doc = {"root": str(root), "url": url, "built": None if built is None else len(built.pages)}
        click.echo(json_inert(json.dumps(doc, ensure_ascii=False)))
    else:
        click.echo(text("cli.site.serving", lang, root=root, url=url))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
