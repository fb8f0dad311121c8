"""One meeting's minutes (서기) as a self-contained HTML page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import __version__
from grader.errors import GradeError
from grader.report.common import pick
from grader.report.figures import Progress
from grader.report.meeting import Meeting, load_meeting
from grader.report.notes import ImageSink, embed_images
from grader.report.progress import Context
from grader.report.records import Records, load_records
from grader.report.render import Strings, render
from grader.report.roster import Roster, find_roster, load_roster


@dataclass
class Sources:
    """Everything a report needs, loaded once."""

    roster: Roster
    records: Records
    specs: dict[str, Any]
    site_dir: Path

    def context(self, lang: str) -> Context:
        return Context(self.roster, self.records, self.specs, lang)


def course_specs(course: Any) -> dict[str, Any]:
    """The course's exercise specs for titles; reports still work (with ids) if they cannot load."""
    if course is None:
        return {}
    try:
        return dict(course.specs)
    except GradeError:
        return {}


def load_sources(
    *, site_dir: Path, gradebook: str | None, specs: dict[str, Any] | None = None, meeting_path: Path | None = None
) -> Sources:
    roster = load_roster(find_roster(meeting_path, site_dir))
    return Sources(roster=roster, records=load_records(gradebook), specs=specs or {}, site_dir=site_dir)


def previous_meeting(meeting: Meeting, roster: Roster) -> Meeting | None:
    """The latest meeting before this one in the same folder (others that do not load are passed over)."""
    best = None
    for p in sorted(meeting.path.parent.glob("*.toml")):
        if p.resolve() == meeting.path.resolve() or p.name == "roster.toml":
            continue
        try:
            other = load_meeting(p, roster)
        except GradeError:
            continue
        if other.ends_at < meeting.starts_at and (best is None or other.ends_at > best.ends_at):
            best = other
    return best


def page_context(src: Sources, lang: str) -> dict[str, Any]:
    now = dt.datetime.now(src.roster.tz)
    return {
        "lang": lang,
        "t": Strings(lang),
        "version": __version__,
        "tz": src.roster.tz,
        "group": pick(src.roster.group, lang),
        "course": pick(src.roster.course, lang),
        "generated": now.strftime("%y.%m.%d %H:%M"),
    }


def meeting_progress(meeting: Meeting, ctx: Context, previous: Meeting | None) -> Progress:
    """Progress counts attempts handed in up to the meeting's end; "since the last meeting" is
    the window after the previous meeting's end."""
    return ctx.progress(until=meeting.ends_at, since=previous.ends_at if previous else None)


def minutes_html(
    meeting: Meeting,
    src: Sources,
    lang: str,
    *,
    previous: Meeting | None,
    images: ImageSink | None = None,
    site: bool = False,
) -> str:
    """The minutes page. Its images are embedded (one self-contained file) unless `images`
    says where the site copies them."""
    ctx = src.context(lang)
    return render(
        "minutes.html.j2",
        **page_context(src, lang),
        meeting=meeting,
        ctx=ctx,
        progress=meeting_progress(meeting, ctx, previous),
        nav=site,
        root="../" if site else None,
        images=images or embed_images(meeting.folder),
    )


def build_minutes(
    meeting_path: Path,
    *,
    site_dir: Path,
    gradebook: str | None,
    lang: str = "ko",
    specs: dict[str, Any] | None = None,
    fmt: str = "html",
) -> str:
    """The minutes of one meeting: an HTML page (`fmt="html"`), or the chat summary in
    Markdown (`"md"`) or plain text (`"txt"`)."""
    from grader.report.summary import build_summary

    meeting_path = Path(meeting_path)
    src = load_sources(site_dir=site_dir, gradebook=gradebook, specs=specs, meeting_path=meeting_path)
    meeting = load_meeting(meeting_path, src.roster)
    previous = previous_meeting(meeting, src.roster)
    if fmt == "html":
        return minutes_html(meeting, src, lang, previous=previous)
    ctx = src.context(lang)
    return build_summary(
        meeting, ctx, meeting_progress(meeting, ctx, previous), fmt=fmt, lang=lang, group=pick(src.roster.group, lang)
    )
