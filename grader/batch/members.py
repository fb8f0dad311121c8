"""Who submitted a notebook, and a one-line note of how that was decided (a catalog entry,
said in the run's language: it is the attempt's `member_note`).

In order: `--member` (everyone), `--member-from TEMPLATE` (the path), the notebook
metadata `grade.member`, a member folder, the OS user. The folder rule reads the path:

- under a directory argument, the first folder below it that is not a period or a
  container (`week3/`, `2021-11-20/`, `15장/`, `submissions/`, `Downloads/` are skipped):
  submissions/sora/…, submissions/week3/sora/… and submissions/sora/week3/… are all sora;
- for a file named directly, the folder it is in, going up past period folders
  (submissions/week3/sora/x.ipynb and submissions/sora/week3/x.ipynb are sora), and never
  the course's exercises/ or solutions/, the course folder, a home folder or a container
  such as Downloads: a student's `grade submit exercises/04_forecast7.ipynb` stays theirs.
  Only the folders of the path as typed, below the current folder, count: an absolute
  path elsewhere (/home/me/study/x.ipynb) names nobody.

A name the roster knows (an id or an alias) is recorded under the roster's id. Every id is
checked (`grader.ids`): a folder called "[draft]" makes that submission invalid instead
of a member nobody can display.
"""

from __future__ import annotations

import getpass
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from grader import ids
from grader.batch.collect import Found
from grader.course.names import clean_download_name, notebook_in_name, strip_copy_marks
from grader.errors import GradeError, Phrase

if TYPE_CHECKING:
    from grader.course.loader import Course
    from grader.report.model import Roster

Source = Literal["flag", "template", "metadata", "folder", "os-user"]
SOURCES: tuple[Source, ...] = ("flag", "template", "metadata", "folder", "os-user")

# Folders that sort submissions by time rather than by person: week3, w2, 3주차, 15장, ch15,
# 2021-11-20, 21.11.20, 03.
_PERIOD = re.compile(
    r"^(?:(?:week|wk|w|ch|chapter|day|session|meeting|lab|hw|homework|round|part|unit|lesson|주)"
    r"[\s_.-]*)?\d{1,4}(?:\s*(?:주차|주|장|회차|회|차|일))?$"
    r"|^\d{2,4}[-._]\d{1,2}[-._]\d{1,2}$|^\d{8}$",
    re.IGNORECASE,
)
# Folders that hold members' work rather than being one member.
_CONTAINERS = frozenset(
    name.casefold()
    for name in (
        "submissions",
        "submission",
        "submit",
        "submitted",
        "inbox",
        "uploads",
        "notebooks",
        "notebook",
        "exercises",
        "solutions",
        "homework",
        "assignments",
        "downloads",
        "download",
        "desktop",
        "documents",
        "colab notebooks",
        "content",
        "drive",
        "mydrive",
        "my drive",
        "shared drives",
        "tmp",
        "temp",
        "home",
        "users",
        "work",
        "src",
        "제출",
        "제출물",
        "과제",
        "숙제",
        "다운로드",
        "바탕 화면",
        "바탕화면",
        "문서",
        "내 드라이브",
        "공유 드라이브",
        "노트북",
    )
)


@dataclass(frozen=True)
class MemberDecision:
    """A member id, where it came from (`SOURCES`, the stable form), and why, said by `note`."""

    member: str
    source: Source
    why: Phrase

    def note(self, lang: str = "en") -> str:
        """One line saying how the member was decided, in `lang`."""
        return self.why.said(lang)

    @property
    def fallback(self) -> bool:
        """Filed under the OS user because nothing else named a member: worth a look."""
        return self.source == "os-user"


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return "unknown"


def compile_member_pattern(template: str) -> re.Pattern[str]:
    """`{member}/*.ipynb` → a regex matching the end of a POSIX path at a folder boundary.

    `{member}` is one folder or file-name part (the shortest that fits), `*` any
    characters within one part, `**` any number of folders, `?` one character.

    A template rather than a raw regex: it reads like the folder layout it
    describes and cannot be mistyped into something that matches everything.
    """
    if template.count("{member}") != 1:
        raise GradeError.told("errors.batch.member_from_one_placeholder")
    rest = template.replace("{member}", "")
    if "{" in rest or "}" in rest:
        raise GradeError.told("errors.batch.member_from_other_braces")
    anchored = template.startswith("/")
    if template.startswith("./"):
        template = template[2:]
    out = []
    for tok in re.split(r"(\{member\}|\*\*|\*|\?)", template):
        if tok == "{member}":
            # Lazy: alice_04_v2.ipynb with {member}_*.ipynb is alice. Never across the mask
            # that stands for the course notebook's own name (see `_masked`).
            out.append(r"(?P<member>[^/\x00]+?)")
        elif tok == "**":
            out.append(r".*")
        elif tok == "*":
            out.append(r"[^/]*")
        elif tok == "?":
            out.append(r"[^/]")
        else:
            out.append(re.escape(tok))
    return re.compile(("^" if anchored else r"(?:^|/)") + "".join(out) + "$")


def _masked(posix: str, notebooks: tuple[str, ...]) -> str:
    """The path with its file name cleaned of copy marks and the course notebook's stem
    replaced by NUL, which `{member}` cannot match: the exercise's name is never a member."""
    folder, _, name = posix.rpartition("/")
    name = clean_download_name(name)
    hit = notebook_in_name(name, notebooks) if notebooks else None
    if hit is not None:
        _, start, end = hit
        name = name[:start] + "\x00" + name[end:]
    return f"{folder}/{name}" if folder else name


@dataclass
class MemberRules:
    """How a batch decides members: the flags, and what it knows of the course."""

    member: str | None = None
    pattern: re.Pattern[str] | None = None
    notebooks: tuple[str, ...] = ()  # the course's notebook names: never members
    stops: tuple[Path, ...] = ()  # course folders: no member folder at or above them
    roster: Roster | None = None
    _flag: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.member is not None and self.member.strip():
            self._flag = ids.member_id(self.member, "--member")

    @classmethod
    def for_course(
        cls,
        course: Course,
        *,
        member: str | None = None,
        pattern: re.Pattern[str] | None = None,
        roster: Roster | None = None,
    ) -> MemberRules:
        notebooks = tuple(sorted({s.notebook for s in course.specs.values()}))
        stops = tuple(p.resolve() for p in (course.root, course.exercises_dir, course.solutions_dir))
        return cls(member=member, pattern=pattern, notebooks=notebooks, stops=stops, roster=roster)

    def decide(self, found: Found, data: bytes | None, *, doc: dict[str, Any] | None = None) -> MemberDecision:
        """The member of one submission; GradeError when the rules name nobody usable (an
        explicit --member-from that does not match, an id that cannot be one). `doc`: the
        notebook's JSON when the caller has parsed it already."""
        return self._on_roster(self._decide(found, doc if doc is not None else peek_notebook(data)))

    def _decide(self, found: Found, doc: dict[str, Any] | None) -> MemberDecision:
        if self._flag:
            return MemberDecision(self._flag, "flag", Phrase("batch.member.flag"))
        if self.pattern is not None:
            # Below the directory argument first (so '{member}/**' means the first folder there),
            # then the path as given (so 'submissions/{member}/*.ipynb' works too).
            tries = [found.path.relative_to(found.root).as_posix()] if found.root is not None else []
            tries.append(found.path.as_posix())
            match = next((m for m in (self.pattern.search(_masked(s, self.notebooks)) for s in tries) if m), None)
            who = match.group("member").strip() if match else ""
            if not who:
                raise GradeError.told("errors.batch.member_from_no_match", str(found.path))
            who = ids.member_id(who, Phrase("errors.ids.where.member_from"))
            return MemberDecision(
                who, "template", Phrase("batch.member.template", {"member": who, "path": found.shown})
            )
        meta = metadata_member(doc)
        if meta:
            who = ids.member_id(meta, Phrase("errors.ids.where.metadata"), str(found.path))
            return MemberDecision(who, "metadata", Phrase("batch.member.metadata"))
        folder = self._folder(found)
        if folder is not None:
            who = ids.member_id(folder, Phrase("errors.ids.where.folder"), str(found.path))
            return MemberDecision(who, "folder", Phrase("batch.member.folder", {"folder": folder, "path": found.shown}))
        user = ids.normalize(os_user())
        return MemberDecision(user, "os-user", Phrase("batch.member.os_user", {"member": user}))

    def _folder(self, found: Found) -> str | None:
        if found.root is not None:
            folder = found.root
            for part in found.below_root:
                folder = folder / part
                if folder.resolve() in self.stops:
                    return None
                if _is_period(part) or part.casefold() in _CONTAINERS:
                    continue
                return strip_copy_marks(part)
            return None
        path = found.path
        if path.is_absolute():
            # Only the folders as typed below the current one: /home/me/study/x.ipynb does not
            # name a member "study", while $PWD/submissions/sora/x.ipynb names sora.
            try:
                path = path.resolve().relative_to(Path.cwd().resolve())
            except ValueError:
                return None
        folder = path.parent
        home = Path.home().resolve() if Path.home().is_dir() else None
        while folder.name not in ("", ".", ".."):
            resolved = folder.resolve()
            if resolved in self.stops or resolved == home or folder.name.casefold() in _CONTAINERS:
                return None
            if not _is_period(folder.name):
                return strip_copy_marks(folder.name)
            folder = folder.parent
        return None

    def _on_roster(self, decision: MemberDecision) -> MemberDecision:
        if self.roster is None:
            return decision
        entry = self.roster.match(decision.member)
        if entry is None or entry.id == decision.member:
            return decision
        why = Phrase("batch.member.on_roster", {"how": decision.why, "name": decision.member, "id": entry.id})
        return replace(decision, member=entry.id, why=why)


def _is_period(name: str) -> bool:
    return bool(_PERIOD.match(name.strip()))


def metadata_member(doc: dict[str, Any] | None) -> str | None:
    """`grade.member` from the notebook's JSON, read leniently (grading validates the rest)."""
    meta = doc.get("metadata") if doc else None
    grade = meta.get("grade") if isinstance(meta, dict) else None
    value = grade.get("member") if isinstance(grade, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def peek_notebook(data: bytes | None) -> dict[str, Any] | None:
    """The notebook's JSON without validating it as a notebook (a millisecond, where
    nbformat's validation takes tens): None for anything that is not a JSON object."""
    if not data:
        return None
    from grader import notebook as nbio

    try:
        text = data.decode("utf-8")
        # The notebook reader's guard against JSON that is slow to parse ("[[[[…").
        nbio._check_json_shape(text, "")  # noqa: SLF001
        doc = json.loads(text)
    except (ValueError, GradeError):
        return None
    return doc if isinstance(doc, dict) else None


def decide_member(
    found: Found,
    data: bytes | None,
    *,
    member: str | None = None,
    pattern: re.Pattern[str] | None = None,
    course: Course | None = None,
) -> MemberDecision:
    """One submission's member with the rules of `grade submit` (see the module docstring)."""
    rules = (
        MemberRules.for_course(course, member=member, pattern=pattern)
        if course is not None
        else MemberRules(member=member, pattern=pattern)
    )
    return rules.decide(found, data)


def load_roster(course: Course) -> Roster | None:
    """The course's site/roster.toml, or None when there is none (a broken one is an error)."""
    path = course.site_dir / "roster.toml"
    if not path.is_file():
        return None
    from grader.report.model import load_roster as read

    return read(path)
