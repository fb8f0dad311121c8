"""One meeting file (`site/meetings/YYYY-MM-DD.toml`): the group's paper minutes as data.

The file is validated by pydantic models that take no key they do not declare: a misspelt
key is an error at its line with the nearest valid key (`grader/course/validation.py`, the
same messages as the exercise specs). Members are resolved through the roster; guests are
people from outside it. Notes are Markdown, rendered by `grader.report.notes`.
Format: site/README.md.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from grader.errors import Phrase
from grader.report import notes as md
from grader.report.common import Source, Strict, Text, TextValue, as_text, as_texts, read_toml
from grader.report.roster import Roster

TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

Notes = TextValue | list[TextValue]


class GuestTable(Strict):
    name: TextValue
    note: TextValue | None = None  # who they are ("TAVE 운영진")


class AttendanceTable(Strict):
    start: list[str]
    end: list[str] | None = None
    guests: list[str | GuestTable] = Field(default_factory=list)


class SectionTable(Strict):
    number: str
    title: TextValue
    presenter: str | None = None
    status: Literal["done", "postponed"] = "done"
    notes: Notes = Field(default_factory=list)


class AssignmentTable(Strict):
    section: str
    member: str
    title: TextValue | None = None


class NextMeetingTable(Strict):
    date: dt.date | str
    start: str | dt.time | None = None
    end: str | dt.time | None = None
    place: TextValue | None = None
    topic: TextValue | None = None


class MeetingFile(Strict):
    date: dt.date | str
    recorder: str
    topic: TextValue
    chapter: TextValue | None = None
    start: str | dt.time
    end: str | dt.time
    place: TextValue
    remarks: Notes = Field(default_factory=list)
    notes: Notes = Field(default_factory=list)
    attendance: AttendanceTable
    sections: list[SectionTable] = Field(default_factory=list)
    assignments: list[AssignmentTable] = Field(default_factory=list)
    next_meeting: NextMeetingTable | None = None


@dataclass
class Section:
    number: str
    title: Text
    notes: list[Text]  # Markdown, one text per bullet (or one document)
    presenter: str | None = None
    status: str = "done"


@dataclass
class Assignment:
    section: str
    member: str
    title: Text = field(default_factory=dict)


@dataclass
class Guest:
    name: Text
    note: Text = field(default_factory=dict)


@dataclass
class NextMeeting:
    date: dt.date
    start: dt.time | None
    end: dt.time | None
    place: Text
    topic: Text
    tz: ZoneInfo

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start or dt.time(0, 0), tzinfo=self.tz)


@dataclass
class Meeting:
    path: Path
    slug: str
    date: dt.date
    recorder: str
    topic: Text
    chapter: Text
    start: dt.time
    end: dt.time
    place: Text
    attendance_start: list[str]
    attendance_end: list[str]
    sections: list[Section]
    assignments: list[Assignment]
    remarks: list[Text]  # 특이사항
    notes: list[Text]  # 비고
    tz: ZoneInfo
    guests: list[Guest] = field(default_factory=list)
    next_meeting: NextMeeting | None = None

    @property
    def folder(self) -> Path:
        """Where the notes' images are (beside the meeting file)."""
        return self.path.parent

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start, tzinfo=self.tz)

    @property
    def ends_at(self) -> dt.datetime:
        end = dt.datetime.combine(self.date, self.end, tzinfo=self.tz)
        return end if end > self.starts_at else end + dt.timedelta(days=1)  # ran past midnight

    @property
    def left_early(self) -> list[str]:
        return [m for m in self.attendance_start if m not in self.attendance_end]

    @property
    def joined_late(self) -> list[str]:
        return [m for m in self.attendance_end if m not in self.attendance_start]

    def all_notes(self) -> list[Text]:
        return [n for s in self.sections for n in s.notes] + self.remarks + self.notes


def _time(value: str | dt.time | None, src: Source, *where: str | int) -> dt.time | None:
    if value is None or isinstance(value, dt.time):
        return value
    if TIME_RE.match(value.strip()):
        h, m = value.strip().split(":")
        return dt.time(int(h), int(m))
    raise src.error("report.meeting.bad_time", *where, key=str(where[-1]), value=value)


def _date(value: dt.date | str, src: Source, *where: str | int) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    m = re.fullmatch(r"(\d\d)\.(\d\d)\.(\d\d)", value.strip())
    try:
        return (
            dt.date(2000 + int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if m
            else dt.date.fromisoformat(value.strip())
        )
    except ValueError:
        raise src.error("report.meeting.bad_date", *where, key=str(where[-1]), value=value) from None


def _key(key: str) -> Phrase:
    """A key of the meeting file, named in an error."""
    return Phrase("report.meeting.label.key", {"key": key})


def _members(values: list[str], label: Phrase, roster: Roster, src: Source, *where: str | int) -> list[str]:
    out: list[str] = []
    for i, v in enumerate(values):
        m = roster.match(v)
        if m is None:
            raise src.error(
                "report.meeting.unknown_attendee",
                *where,
                i,
                label=label,
                member=v,
                roster=roster.path.name,
                members=", ".join(roster.members),
            )
        if m.id not in out:
            out.append(m.id)
    return out


def _member(value: str, label: Phrase, roster: Roster, src: Source, *where: str | int) -> str:
    m = roster.match(value)
    if m is None:
        raise src.error(
            "report.meeting.unknown_member",
            *where,
            label=label,
            member=value,
            roster=roster.path.name,
            members=", ".join(roster.members),
        )
    return m.id


def _notes(value: Notes, src: Source, meeting_dir: Path, *where: str | int) -> list[Text]:
    """The notes as texts, each image they show checked to be a file beside the meeting."""
    out = as_texts(value)
    for i, text in enumerate(out):
        for body in text.values():
            problem = md.image_problem(body, meeting_dir)
            if problem:
                path = (*where, i) if isinstance(value, list) else where
                key = ".".join(str(w) for w in where if isinstance(w, str))
                raise src.error("report.meeting.in_notes", *path, key=key, problem=problem)
    return out


def load_meeting(path: Path, roster: Roster) -> Meeting:
    src = read_toml(path, "meeting")
    top = src.validate(MeetingFile)
    folder = path.parent
    start = _time(top.start, src, "start")
    end = _time(top.end, src, "end")
    assert start is not None and end is not None  # required by the model
    at_start = _members(top.attendance.start, _key("attendance.start"), roster, src, "attendance", "start")
    at_end = _members(
        top.attendance.end if top.attendance.end is not None else top.attendance.start,
        _key("attendance.end"),
        roster,
        src,
        "attendance",
        "end",
    )
    guests = [
        Guest(as_text(g)) if isinstance(g, str) else Guest(as_text(g.name), as_text(g.note))
        for g in top.attendance.guests
    ]
    for i, g in enumerate(guests):
        if not g.name:
            raise src.error("report.meeting.guest_without_name", "attendance", "guests", i)
    sections = []
    for i, s in enumerate(top.sections):
        presenter = (
            _member(
                s.presenter,
                Phrase("report.meeting.label.section_presenter", {"n": i + 1}),
                roster,
                src,
                "sections",
                i,
                "presenter",
            )
            if s.presenter is not None
            else None
        )
        sections.append(
            Section(
                number=s.number,
                title=as_text(s.title),
                notes=_notes(s.notes, src, folder, "sections", i, "notes"),
                presenter=presenter,
                status=s.status,
            )
        )
    assignments = [
        Assignment(
            section=a.section,
            title=as_text(a.title),
            member=_member(
                a.member,
                Phrase("report.meeting.label.assignment_member", {"n": i + 1}),
                roster,
                src,
                "assignments",
                i,
                "member",
            ),
        )
        for i, a in enumerate(top.assignments)
    ]
    nxt = None
    if top.next_meeting is not None:
        n = top.next_meeting
        nxt = NextMeeting(
            date=_date(n.date, src, "next_meeting", "date"),
            start=_time(n.start, src, "next_meeting", "start"),
            end=_time(n.end, src, "next_meeting", "end"),
            place=as_text(n.place),
            topic=as_text(n.topic),
            tz=roster.tz,
        )
    meeting = Meeting(
        path=path,
        slug=path.stem,
        date=_date(top.date, src, "date"),
        recorder=_member(top.recorder, _key("recorder"), roster, src, "recorder"),
        topic=as_text(top.topic),
        chapter=as_text(top.chapter),
        start=start,
        end=end,
        place=as_text(top.place),
        attendance_start=at_start,
        attendance_end=at_end,
        sections=sections,
        assignments=assignments,
        remarks=_notes(top.remarks, src, folder, "remarks"),
        notes=_notes(top.notes, src, folder, "notes"),
        tz=roster.tz,
        guests=guests,
        next_meeting=nxt,
    )
    for key in ("topic", "place"):
        if not getattr(meeting, key):
            raise src.error("report.meeting.required", key, key=key)
    if nxt is not None and nxt.starts_at.date() <= meeting.date:
        raise src.error("report.meeting.next_before_this", "next_meeting", "date", date=meeting.date.isoformat())
    return meeting


def load_meetings(folder: Path, roster: Roster) -> list[Meeting]:
    """Every `*.toml` meeting in a folder, oldest first."""
    if not folder.is_dir():
        return []
    found = [load_meeting(p, roster) for p in sorted(folder.glob("*.toml")) if p.name != "roster.toml"]
    found.sort(key=lambda m: (m.starts_at, m.slug))
    return found
