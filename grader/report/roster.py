"""The roster (`site/roster.toml`): the group, its time zone and its members with the other
names the gradebook may hold for them. Format: site/README.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from grader import ids
from grader.errors import Phrase, SpecError
from grader.report.common import DEFAULT_TZ, Strict, Text, TextValue, as_text, pick, read_toml


class GroupTable(Strict):
    name: TextValue | None = None
    course: TextValue | None = None
    timezone: str = DEFAULT_TZ
    exercises: list[str] = Field(default_factory=list)


class MemberTable(Strict):
    id: str
    name: TextValue
    aliases: str | list[str] = Field(default_factory=list)


class RosterFile(Strict):
    group: GroupTable = GroupTable()
    members: list[MemberTable]


@dataclass
class Member:
    id: str
    name: Text
    aliases: list[str] = field(default_factory=list)

    def display(self, lang: str) -> str:
        return pick(self.name, lang) or self.id


@dataclass
class Roster:
    path: Path
    group: Text
    course: Text
    timezone: str
    members: dict[str, Member]
    exercises: list[str]  # preferred order; empty = every exercise known

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def match(self, who: str) -> Member | None:
        """The roster member a gradebook/notebook name belongs to (id or alias, any case)."""
        key = who.strip().casefold()
        for m in self.members.values():
            if key == m.id.casefold() or key in (a.casefold() for a in m.aliases):
                return m
        return None


def load_roster(path: Path) -> Roster:
    src = read_toml(path, "roster")
    if not src.data.get("members"):
        raise src.error("report.roster.no_members")
    top = src.validate(RosterFile)
    try:
        ZoneInfo(top.group.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise src.error("report.roster.bad_timezone", "group", "timezone", tz=top.group.timezone) from None
    members: dict[str, Member] = {}
    seen: dict[str, str] = {}
    for i, m in enumerate(top.members):
        # Any script (지민, sora), checked like every member id: no control, bidi or markup characters.
        why = ids.reason(ids.normalize(m.id))
        if why or m.id != ids.normalize(m.id):
            raise src.error(
                "report.roster.bad_id",
                "members",
                i,
                "id",
                n=i + 1,
                id=m.id,
                why=why or Phrase("report.roster.not_normalized"),
            )
        if m.id in members:
            raise src.error("report.roster.id_twice", "members", i, "id", id=m.id)
        aliases = [m.aliases] if isinstance(m.aliases, str) else list(m.aliases)
        for a in [m.id, *aliases]:
            k = a.casefold()
            if k in seen and seen[k] != m.id:
                raise src.error(
                    "report.roster.name_shared",
                    "members",
                    i,
                    "aliases" if a != m.id else "id",
                    name=a,
                    first=seen[k],
                    second=m.id,
                )
            seen[k] = m.id
        name = as_text(m.name)
        if not name:
            raise src.error("report.roster.empty_name", "members", i, "name", n=i + 1)
        members[m.id] = Member(m.id, name, aliases)
    return Roster(
        path=path,
        group=as_text(top.group.name),
        course=as_text(top.group.course),
        timezone=top.group.timezone,
        members=members,
        exercises=list(top.group.exercises),
    )


def find_roster(meeting_path: Path | None, site_dir: Path) -> Path:
    """roster.toml beside the meeting, one folder up, or in the course's site folder."""
    candidates = []
    if meeting_path is not None:
        candidates += [meeting_path.parent / "roster.toml", meeting_path.parent.parent / "roster.toml"]
    candidates.append(site_dir / "roster.toml")
    for c in candidates:
        if c.is_file():
            return c
    raise SpecError.told("report.roster.not_found", str(site_dir / "roster.toml"))
