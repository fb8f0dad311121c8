"""Roster and meeting files (TOML under `site/`), and the group's progress from the gradebook.

Everything here is plain data: the templates in `templates/` only lay it out.
Validation errors name the file and, where it can be found, the line
(`site/meetings/2021-11-20.toml:12: attendance.start: unknown member 'm9'`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grader import ids
from grader.course.loader import natural_key
from grader.errors import SpecError
from grader.results.attempt import Attempt, CheckResult
from grader.results.queries import ExerciseSummary
from grader.textsafe import inert, visible

Text = dict[str, str]  # language -> text

DEFAULT_TZ = "Asia/Seoul"
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
SECTION_STATUSES = ("done", "postponed")


def pick(text: Text | None, lang: str) -> str:
    """The text in `lang`, else Korean, else English, else any."""
    if not text:
        return ""
    return text.get(lang) or text.get("ko") or text.get("en") or next(iter(text.values()), "")


def yymmdd(day: dt.date | dt.datetime) -> str:
    """The group's date format: 21.11.20."""
    return day.strftime("%y.%m.%d")


# --- errors with file and line ------------------------------------------------


class _Source:
    """A TOML file's text, to point errors at the line that holds a value."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def line_of(self, needle: str, *, after: str | None = None) -> int | None:
        start = 0
        if after:
            for i, line in enumerate(self.lines):
                if line.strip().startswith(after) or re.match(rf"^\s*{re.escape(after)}\s*=", line):
                    start = i
                    break
        for i in range(start, len(self.lines)):
            if needle in self.lines[i]:
                return i + 1
        return None

    def error(self, message: str, needle: str | None = None, *, after: str | None = None) -> SpecError:
        line = self.line_of(needle, after=after) if needle else None
        where = f"{self.path}:{line}" if line else str(self.path)
        return SpecError(message, where)


def _read_toml(path: Path, what: str) -> tuple[dict[str, Any], _Source]:
    if not path.exists():
        raise SpecError(f"no such {what} file", str(path))
    if path.is_dir():
        raise SpecError(f"is a folder, not a {what} file", str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text (byte {exc.start})", str(path)) from None
    except OSError as exc:
        raise SpecError(f"cannot read {what} file: {exc.strerror}", str(path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "... (at line 7, column 3)": keep it, it is the useful part.
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)) or "invalid TOML"
        where = f"{path}:{m.group(1)}" if m else str(path)
        raise SpecError(f"not valid TOML: {msg}", where) from None
    return data, _Source(path, text)


def _text(value: Any, key: str, src: _Source, *, required: bool = False) -> Text:
    """A string, or a table of language = text."""
    if value is None or value == "":
        if required:
            raise src.error(f"'{key}' is required")
        return {}
    if isinstance(value, str):
        return {"ko": value, "en": value}
    if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
        return dict(value)
    raise src.error(f"'{key}' must be text or a table like {{ ko = \"…\", en = \"…\" }}", key)


def _texts(value: Any, key: str, src: _Source) -> list[Text]:
    if value is None:
        return []
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, list):
        raise src.error(f"'{key}' must be a list of texts", key)
    return [_text(v, key, src) for v in value if v not in ("", None)]


# --- roster ---------------------------------------------------------------------


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
    data, src = _read_toml(path, "roster")
    group = data.get("group", {})
    if not isinstance(group, dict):
        raise src.error("[group] must be a table", "group")
    tz = group.get("timezone", DEFAULT_TZ)
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise src.error(f"unknown timezone {tz!r} (use a name like 'Asia/Seoul')", "timezone") from None
    exercises = group.get("exercises", [])
    if not isinstance(exercises, list) or not all(isinstance(e, str) for e in exercises):
        raise src.error("'exercises' must be a list of exercise ids", "exercises")
    raw_members = data.get("members")
    if not isinstance(raw_members, list) or not raw_members:
        raise src.error("needs at least one [[members]] entry with an 'id' and a 'name'")
    members: dict[str, Member] = {}
    seen_alias: dict[str, str] = {}
    for i, m in enumerate(raw_members, 1):
        if not isinstance(m, dict):
            raise src.error(f"members #{i} must be a table")
        mid = m.get("id")
        # Any script (지민, sora), checked like every member id: no control, bidi or markup characters.
        why = ids.problem(ids.normalize(mid)) if isinstance(mid, str) else "it is not text"
        if why or not isinstance(mid, str) or mid != ids.normalize(mid):
            raise src.error(f"members #{i}: 'id' {mid!r} cannot be a member id: "
                            f"{why or 'write it without surrounding spaces, composed (NFC)'}",
                            f'"{mid}"' if isinstance(mid, str) else "[[members]]")
        if mid in members:
            raise src.error(f"member id {mid!r} appears twice", f'"{mid}"', after=None)
        name = _text(m.get("name"), "name", src, required=True)
        aliases = m.get("aliases", [])
        if isinstance(aliases, str):
            aliases = [aliases]
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise src.error(f"members {mid!r}: 'aliases' must be a list of names", f'"{mid}"')
        for a in [mid, *aliases]:
            k = a.casefold()
            if k in seen_alias and seen_alias[k] != mid:
                raise src.error(f"name {a!r} is used by both {seen_alias[k]!r} and {mid!r}", f'"{a}"')
            seen_alias[k] = mid
        members[mid] = Member(mid, name, list(aliases))
    return Roster(path=path, group=_text(group.get("name"), "name", src), course=_text(group.get("course"), "course", src),
                  timezone=str(tz), members=members, exercises=list(exercises))


# --- meetings ---------------------------------------------------------------------


@dataclass
class Section:
    number: str
    title: Text
    notes: list[Text]
    presenter: str | None = None
    status: str = "done"


@dataclass
class Assignment:
    section: str
    member: str
    title: Text = field(default_factory=dict)


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
    remarks: list[Text]       # 특이사항
    notes: list[Text]         # 비고
    tz: ZoneInfo

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


def _time(value: Any, key: str, src: _Source) -> dt.time:
    if value is None:
        raise src.error(f"'{key}' is required (a time like \"20:30\")")
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str) and TIME_RE.match(value.strip()):
        h, m = value.strip().split(":")
        return dt.time(int(h), int(m))
    raise src.error(f"'{key}' must be a time like \"20:30\" (got {value!r})", key)


def _member_ids(value: Any, key: str, roster: Roster, src: _Source, *, after: str | None = None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise src.error(f"'{key}' must be a list of member ids from the roster", key.split(".")[-1], after=after)
    out = []
    for v in value:
        m = roster.match(v)
        if m is None:
            raise src.error(f"{key}: unknown member {v!r} (not in {roster.path.name}: "
                            f"{', '.join(roster.members)})", f'"{v}"', after=after)
        if m.id not in out:
            out.append(m.id)
    return out


def _member_id(value: Any, key: str, roster: Roster, src: _Source, *, after: str | None = None) -> str:
    if not isinstance(value, str):
        raise src.error(f"'{key}' must be a member id from the roster", key.split(".")[-1], after=after)
    return _member_ids([value], key, roster, src, after=after)[0]


def load_meeting(path: Path, roster: Roster) -> Meeting:
    data, src = _read_toml(path, "meeting")
    date = data.get("date")
    if isinstance(date, dt.datetime):
        date = date.date()
    if isinstance(date, str):
        m = re.fullmatch(r"(\d\d)\.(\d\d)\.(\d\d)", date.strip())
        try:
            date = dt.date(2000 + int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else dt.date.fromisoformat(date)
        except ValueError:
            date = None
    if not isinstance(date, dt.date):
        raise src.error("'date' must be a date like 2021-11-20 (or \"21.11.20\")", "date")
    start = _time(data.get("start"), "start", src)
    end = _time(data.get("end"), "end", src)
    attendance = data.get("attendance")
    if not isinstance(attendance, dict) or "start" not in attendance:
        raise src.error("needs an [attendance] table with 'start' (and 'end') member lists", "attendance")
    at_start = _member_ids(attendance["start"], "attendance.start", roster, src, after="[attendance]")
    at_end = _member_ids(attendance.get("end", attendance["start"]), "attendance.end", roster, src,
                         after="[attendance]")
    recorder = _member_id(data.get("recorder"), "recorder", roster, src)

    sections = []
    for i, s in enumerate(data.get("sections", []) or [], 1):
        if not isinstance(s, dict) or not isinstance(s.get("number", ""), str):
            raise src.error(f"sections #{i} must be a table with a 'number' like \"15.1\"", "[[sections]]")
        status = s.get("status", "done")
        if status not in SECTION_STATUSES:
            raise src.error(f"sections #{i}: 'status' must be one of {', '.join(SECTION_STATUSES)} (got {status!r})",
                            f'"{status}"')
        presenter = s.get("presenter")
        if presenter is not None:
            presenter = _member_id(presenter, f"sections #{i} presenter", roster, src)
        sections.append(Section(number=s.get("number", ""), title=_text(s.get("title"), "title", src, required=True),
                                notes=_texts(s.get("notes"), "notes", src), presenter=presenter, status=status))
    assignments = []
    for i, a in enumerate(data.get("assignments", []) or [], 1):
        if not isinstance(a, dict) or not isinstance(a.get("section"), str):
            raise src.error(f"assignments #{i} must be a table with 'section' and 'member'", "[[assignments]]")
        assignments.append(Assignment(section=a["section"],
                                      member=_member_id(a.get("member"), f"assignments #{i} member", roster, src,
                                                        after="[[assignments]]"),
                                      title=_text(a.get("title"), "title", src)))
    return Meeting(
        path=path, slug=path.stem, date=date, recorder=recorder,
        topic=_text(data.get("topic"), "topic", src, required=True),
        chapter=_text(data.get("chapter"), "chapter", src),
        start=start, end=end, place=_text(data.get("place"), "place", src, required=True),
        attendance_start=at_start, attendance_end=at_end, sections=sections, assignments=assignments,
        remarks=_texts(data.get("remarks"), "remarks", src), notes=_texts(data.get("notes"), "notes", src),
        tz=roster.tz,
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
    raise SpecError("no roster.toml found (looked beside the meeting file, one folder up, and in the site folder)",
                    str(site_dir / "roster.toml"))


def load_meetings(folder: Path, roster: Roster) -> list[Meeting]:
    """Every `*.toml` meeting in a folder, oldest first."""
    if not folder.is_dir():
        return []
    meetings = [load_meeting(p, roster) for p in sorted(folder.glob("*.toml"))]
    meetings.sort(key=lambda m: (m.starts_at, m.slug))
    return meetings


# --- attempts and progress ----------------------------------------------------------


@dataclass
class Records:
    """What the report reads from the gradebook: every attempt (oldest first), and the
    database's per-exercise figures over the same attempts (`summaries`)."""

    attempts: list[Attempt]
    location: str | None = None

    def __post_init__(self) -> None:
        self.by_id = {a.attempt_id: a for a in self.attempts if a.attempt_id is not None}
        # Attempts recorded after loading are not in `attempts`: the figures leave them out too.
        self._upto_id = max(self.by_id, default=0)

    def summaries(self, *, after: dt.datetime | None = None,
                  until: dt.datetime | None = None) -> list[ExerciseSummary]:
        """Per (recorded member, exercise) with attempts graded in (after, until]."""
        if self.location is None or not self.by_id:
            return []
        from grader.results.gradebook import Gradebook

        with Gradebook(self.location, create=False) as book:
            return book.summaries(after=after, until=until, upto_id=self._upto_id)


def load_attempts(location: str | None) -> list[Attempt]:
    """Every attempt in the gradebook, oldest first. A gradebook file that does not exist is empty
    (and is not created: building a report never writes the gradebook)."""
    from grader.results.gradebook import Gradebook

    if not location:
        return []
    if "://" not in location and not Path(location).expanduser().exists():
        return []
    with Gradebook(location, create=False) as book:
        found = book.attempts()
    # Messages, feedback and answers reach the pages without control, bidi or
    # zero-width characters (a right-to-left override would reorder what follows it).
    # `member` stays as recorded: it is a key; pages show it through `Who.name`.
    for a in found:
        a.message = _inert(a.message)
        a.answers = {q: inert(t, newlines=True, tabs=True) for q, t in a.answers.items()}
        for c in a.checks:
            c.title, c.message, c.details = _inert(c.title), _inert(c.message), _inert(c.details)
    return found


def load_records(location: str | None) -> Records:
    """The gradebook at `location` for the report (empty when there is none)."""
    return Records(load_attempts(location), location)


def _inert(value: Any) -> Any:  # noqa: ANN401
    """`value` with every string in it made inert (check details are nested JSON data)."""
    if isinstance(value, str):
        return inert(value, newlines=True)
    if isinstance(value, dict):
        return {k: _inert(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_inert(v) for v in value]
    return value


@dataclass
class Who:
    """A person in the reports: a roster member, or a gradebook name nobody listed."""

    key: str
    name: str
    listed: bool
    slug: str


@dataclass
class Exercise:
    id: str
    title: str
    slug: str
    check_titles: dict[str, str] = field(default_factory=dict)


@dataclass
class Cell:
    best: Attempt | None
    attempts: int
    latest: Attempt | None

    @property
    def state(self) -> str:
        """none | full | partial | zero | timeout | crashed | error | invalid (for CSS and labels)."""
        return "none" if self.best is None else self.best.state


@dataclass
class Missed:
    exercise: Exercise
    check_id: str
    title: str
    members: int       # distinct people whose attempts fail it
    attempts: int      # failing attempts
    of_members: int    # people who tried the exercise
    message: str       # the most recent failure's message (what the grader told them)


@dataclass
class Concept:
    label: str
    kind: str          # missing | misconception
    members: int       # distinct people whose answers show it


@dataclass
class MissedConcept:
    """One quiz question: the rubric concepts answers leave out, and the feedback they got."""

    exercise: Exercise
    question: str
    of_members: int    # people who answered
    items: list[Concept]
    feedback: str      # the most recent feedback given for an answer that missed something

    @property
    def members(self) -> int:
        return max((c.members for c in self.items), default=0)


@dataclass
class Recent:
    who: Who
    items: list[tuple[Exercise, int, Attempt]]  # exercise, attempts in window, best in window


@dataclass
class Progress:
    exercises: list[Exercise]
    people: list[Who]
    table: dict[str, dict[str, Cell]]  # who.key -> exercise id -> cell
    since: dt.datetime | None
    until: dt.datetime | None
    recent: list[Recent]
    quiet: list[Who]                   # roster members with no attempt in the window
    missed: list[Missed]
    concepts: list[MissedConcept]

    def cell(self, who: Who, ex: Exercise) -> Cell:
        return self.table[who.key][ex.id]

    @property
    def any_attempts(self) -> bool:
        return any(c.attempts for row in self.table.values() for c in row.values())


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")
    return s if s and s == text else f"{s[:40] or 'x'}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"


class Context:
    """Who is who and what each exercise is called: the roster, the course's specs, the gradebook."""

    def __init__(self, roster: Roster, records: Records, specs: dict[str, Any] | None, lang: str) -> None:
        self.roster = roster
        self.records = records
        self.attempts = records.attempts
        attempts = records.attempts
        self.lang = lang
        specs = specs or {}
        ids = set(specs) | {a.exercise for a in attempts}
        # The roster's order first (it may name exercises nobody has tried yet), then the rest.
        order = [*roster.exercises, *sorted(ids - set(roster.exercises), key=natural_key)]
        self.exercises: dict[str, Exercise] = {}
        for eid in order:
            spec = specs.get(eid)
            title = pick(getattr(spec, "title", None), lang) if spec is not None else ""
            checks = {c.id: pick(c.title, lang) for c in getattr(spec, "checks", [])} if spec is not None else {}
            self.exercises[eid] = Exercise(eid, title or eid, _slug(eid), {k: v for k, v in checks.items() if v})
        self.people: dict[str, Who] = {}
        for m in roster.members.values():
            self.people[m.id] = Who(m.id, visible(m.display(lang)), True, _slug(m.id))
        self._unlisted: dict[str, Who] = {}
        for a in attempts:
            self.who(a.member)

    def who(self, recorded: str) -> Who:
        m = self.roster.match(recorded)
        if m is not None:
            return self.people[m.id]
        if recorded not in self._unlisted:
            # A look-alike ("jiho" + U+200B, or a bidi override) must not pass for a roster
            # member: its invisible characters show as ⟨U+200B⟩, in its name and in its key
            # (a page attribute), which a hash keeps apart from a name spelling "⟨U+200B⟩".
            shown = visible(recorded)
            key = f"?{shown}" if shown == recorded else \
                f"?{shown}#{hashlib.sha1(recorded.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
            self._unlisted[recorded] = Who(key, shown, False, "u-" + _slug(recorded))
        return self._unlisted[recorded]

    def member(self, member_id: str) -> Who:
        return self.people[member_id]

    @property
    def everyone(self) -> list[Who]:
        return list(self.people.values()) + sorted(self._unlisted.values(), key=lambda w: w.name)

    def check_title(self, ex: Exercise, check: CheckResult) -> str:
        return ex.check_titles.get(check.id) or check.title or check.id

    def progress(self, until: dt.datetime | None = None, since: dt.datetime | None = None) -> Progress:
        """Best score per person and exercise up to `until`; who submitted in (since, until].

        The database counts per recorded name (`Records.summaries`); here the names a roster
        member goes by are merged into one person, by the same rule: highest, then earliest."""
        by_id = self.records.by_id
        exercises = list(self.exercises.values())
        upto = self.records.summaries(until=until)
        seen = {self.who(r.member).key for r in upto}
        people = [w for w in self.everyone if w.listed or w.key in seen]
        table = {w.key: {e.id: Cell(None, 0, None) for e in exercises} for w in people}
        for r in upto:
            cell = table[self.who(r.member).key][r.exercise]
            cell.attempts += r.attempts
            cell.best = _better(cell.best, by_id[r.best_id])
            latest = by_id[r.latest_id]
            if cell.latest is None or _order(latest) > _order(cell.latest):
                cell.latest = latest
        window: dict[str, dict[str, tuple[int, Attempt]]] = defaultdict(dict)
        for r in self.records.summaries(after=since, until=until):
            mine = window[self.who(r.member).key]
            n, top = mine.get(r.exercise, (0, None))
            mine[r.exercise] = (n + r.attempts, _better(top, by_id[r.best_id]))
        recent, quiet = [], []
        for w in people:
            if w.key not in window:
                if w.listed:
                    quiet.append(w)
                continue
            mine = window[w.key]
            recent.append(Recent(w, [(e, *mine[e.id]) for e in exercises if e.id in mine]))
        best = [c.best for row in table.values() for c in row.values() if c.best is not None]
        return Progress(exercises=exercises, people=people, table=table, since=since, until=until, recent=recent,
                        quiet=quiet, missed=self.missed(best), concepts=self.concepts(best))

    def missed(self, attempts: Iterable[Attempt], limit: int = 8) -> list[Missed]:
        """Checks that fail most often, counted by people (then attempts)."""
        attempts = list(attempts)
        tried: dict[str, set[str]] = defaultdict(set)
        fails: dict[tuple[str, str], dict[str, Any]] = {}
        for a in attempts:
            w = self.who(a.member).key
            tried[a.exercise].add(w)
            for c in a.failed:
                if c.is_quiz:
                    continue
                f = fails.setdefault((a.exercise, c.id), {"members": set(), "attempts": 0, "last": None})
                f["members"].add(w)
                f["attempts"] += 1
                if f["last"] is None or _order(a) >= f["last"][0]:
                    f["last"] = (_order(a), c)
        out = []
        for (eid, cid), f in fails.items():
            ex = self.exercises[eid]
            c = f["last"][1]
            out.append(Missed(ex, cid, self.check_title(ex, c), len(f["members"]), f["attempts"],
                              len(tried[eid]), c.message))
        out.sort(key=lambda m: (-m.members, -m.attempts, natural_key(m.exercise.id), m.check_id))
        return out[:limit]

    def concepts(self, attempts: Iterable[Attempt], limit: int = 6, per_question: int = 6) -> list[MissedConcept]:
        """Per quiz question: concepts the answers miss (and misconceptions they show), counted by people."""
        tried: dict[tuple[str, str], set[str]] = defaultdict(set)
        found: dict[tuple[str, str], dict[tuple[str, str], set[str]]] = defaultdict(lambda: defaultdict(set))
        last: dict[tuple[str, str], tuple[Any, str]] = {}
        for a in attempts:
            w = self.who(a.member).key
            for c in a.checks:
                if not c.is_quiz:
                    continue
                q = (a.exercise, str(c.details.get("question") or c.id))
                tried[q].add(w)
                hit = False
                for kind in ("missing", "misconceptions"):
                    for item in c.details.get(kind) or []:
                        label = _concept_label(item, self.lang)
                        if label:
                            found[q][(kind, label)].add(w)
                            hit = True
                feedback = str(c.details.get("feedback") or c.message or "")
                if hit and feedback and (q not in last or _order(a) >= last[q][0]):
                    last[q] = (_order(a), feedback)
        out = []
        for q, items in found.items():
            concepts = [Concept(label, "missing" if kind == "missing" else "misconception", len(ws))
                        for (kind, label), ws in items.items()]
            concepts.sort(key=lambda c: (-c.members, c.kind != "missing", c.label))
            out.append(MissedConcept(self.exercises[q[0]], q[1], len(tried[q]), concepts[:per_question],
                                     last.get(q, (None, ""))[1]))
        out.sort(key=lambda m: (-m.members, natural_key(m.exercise.id), m.question))
        return out[:limit]


def _order(a: Attempt) -> tuple[dt.datetime, int]:
    """Chronological order of attempts: graded time, then id (both set for gradebook rows)."""
    return (a.graded_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc), a.attempt_id or 0)


def _better(held: Attempt | None, other: Attempt) -> Attempt:
    """The better of two attempts by the gradebook's rule: the higher score, then the earlier."""
    if held is None or other.score > held.score or (other.score == held.score and _order(other) < _order(held)):
        return other
    return held


def _concept_label(item: Any, lang: str) -> str:
    """Rubric items may be plain ids/labels or tables ({id, label: {ko, en}} and similar)."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in ("label", "title", "concept", "name", "text", "id"):
            v = item.get(key)
            if isinstance(v, dict):
                v = pick(v, lang)
            if isinstance(v, str) and v:
                return v
    return str(item) if item not in (None, "") else ""
