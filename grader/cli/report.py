"""Click commands: `grade minutes MEETING_FILE` and `grade site build|serve`.

Registered by grader/cli/app.py (`cli.add_command(minutes)`, `cli.add_command(site)`).
"""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli.common import COURSE, GRADEBOOK
from grader.errors import GradeError

LANG = click.option(
    "--lang",
    type=click.Choice(["ko", "en"]),
    default="ko",
    show_default=True,
    envvar="GRADE_LANG",
    show_envvar=True,
    help="Language of the pages (default: $GRADE_LANG, else ko; dates stay YY.MM.DD).",
)


def _inputs(course_dir: str | None, gradebook: str | None, near: Path | None = None):  # noqa: ANN202
    from grader.course.loader import find_course
    from grader.report.minutes import course_specs
    from grader.results.location import resolve_location

    course = find_course(course_dir, near=near)
    return course, resolve_location(gradebook, course.default_gradebook), course_specs(course)


def _default_out(course_site_dir: Path) -> Path:
    return course_site_dir / "_build"


@click.command()
@click.argument("meeting_file", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md", "txt"]),
    default="html",
    show_default=True,
    help="html: the page; md: a summary to paste into Notion; txt: the same as plain text for a chat (KakaoTalk).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write ('-' for stdout). Default: site/_build/minutes-<meeting>.html for html, stdout for md and txt.",
)
@LANG
@GRADEBOOK
@COURSE
def minutes(
    meeting_file: Path, fmt: str, out: Path | None, lang: str, gradebook: str | None, course_dir: str | None
) -> None:
    """The minutes (서기) of one meeting: a self-contained HTML page with grading progress, or a
    short summary for the group chat (--format md|txt)."""
    from grader.report.minutes import build_minutes

    try:
        course, location, specs = _inputs(course_dir, gradebook, near=meeting_file.resolve())
        text = build_minutes(
            meeting_file, site_dir=course.site_dir, gradebook=location, lang=lang, specs=specs, fmt=fmt
        )
    except GradeError as exc:
        raise click.ClickException(str(exc)) from None
    if (out is not None and str(out) == "-") or (out is None and fmt != "html"):
        click.echo(text, nl=False)
        return
    target = out or _default_out(course.site_dir) / f"minutes-{meeting_file.stem}.html"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"{target}: cannot write: {exc.strerror}") from None
    click.echo(str(target))


@click.group()
def site() -> None:
    """The group's report site: meetings, members, exercises."""


@site.command()
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to build into (default: site/_build in the course).",
)
@LANG
@GRADEBOOK
@COURSE
def build(out: Path | None, lang: str, gradebook: str | None, course_dir: str | None) -> None:
    """Build the static site (inline CSS and SVG; works offline and from file://)."""
    from grader.report.site import build_site

    try:
        course, location, specs = _inputs(course_dir, gradebook)
        built = build_site(
            out or _default_out(course.site_dir), site_dir=course.site_dir, gradebook=location, lang=lang, specs=specs
        )
    except GradeError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{len(built.pages)} pages → {built.index}")


@site.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Site folder (default: site/_build in the course).",
)
@click.option(
    "--build/--no-build", "rebuild", default=True, show_default=True, help="Rebuild the site before serving it."
)
@LANG
@GRADEBOOK
@COURSE
def serve(port: int, out: Path | None, rebuild: bool, lang: str, gradebook: str | None, course_dir: str | None) -> None:
    """Serve the site on localhost until Ctrl-C."""
    from grader.report.serve import make_server
    from grader.report.site import build_site

    try:
        course, location, specs = _inputs(course_dir, gradebook)
        root = out or _default_out(course.site_dir)
        if rebuild:
            build_site(root, site_dir=course.site_dir, gradebook=location, lang=lang, specs=specs)
        elif not (root / "index.html").is_file():
            raise GradeError("no built site here; run 'grade site build' first", str(root))
    except GradeError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        server = make_server(root, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    host, real_port = server.server_address[:2]
    assert isinstance(host, str)  # an IPv4 server's address is (host, port)
    click.echo(f"serving {root} at http://{host}:{real_port}/  (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
