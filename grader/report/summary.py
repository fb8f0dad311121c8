"""A meeting's minutes as a short text to paste into the group chat: Markdown for Notion
(`md`), plain text for KakaoTalk (`txt`: no Markdown syntax, short lines).

Both say the same things in the same order: the meeting (when, where, who), what was
covered, what each member handed in since the last meeting and their best scores so far,
where people are stuck (unfinished, wrong, quiz concepts), next week's assignments and
the next meeting. Every row is there: a chat message that cuts a list silently misleads
the one who is missing from it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from grader.report.common import pick, yymmdd
from grader.report.figures import Missed, Progress, Who, reviewed
from grader.report.meeting import Meeting
from grader.report.progress import Context
from grader.report.render import Strings, fmt_score, weekday
from grader.results.attempt import Attempt
from grader.textsafe import inert

FORMATS = ("md", "txt")
TXT_WIDTH = 44  # display columns: a phone's chat bubble holds about 22 Hangul


@dataclass
class Item:
    text: str
    more: list[str] = field(default_factory=list)  # lines under the item (messages, names)


@dataclass
class Part:
    title: str
    items: list[Item]
    level: int = 3


class _Style:
    """How a piece of text is marked in one format."""

    def __init__(self, fmt: str) -> None:
        self.md = fmt == "md"

    def e(self, text: str) -> str:
        """Text from files and the gradebook, made inert (and literal in Markdown)."""
        clean = inert(text)
        # Only what formats inline: every line starts with our own "- " or "#", so a name's
        # "1." or "#" cannot start a list or a heading.
        return re.sub(r"([\\`*_\[\]<>|~$])", r"\\\1", clean) if self.md else clean

    def b(self, text: str) -> str:
        return f"**{text}**" if self.md else text


def _score(a: Attempt, t: Strings) -> str:
    mark = f" ({t.reviewed})" if reviewed(a) else ""
    return f"{fmt_score(a.score)}/{fmt_score(a.max_score)}{mark}"


def _names(people: list[Who], s: _Style, t: Strings) -> str:
    return ", ".join(s.e(w.name) + ("" if w.listed else f" ({t.unlisted})") for w in people)


def _when(meeting: Meeting, lang: str) -> str:
    return f"{yymmdd(meeting.date)} ({weekday(meeting.date, lang)})"


def _header(meeting: Meeting, ctx: Context, group: str, s: _Style, t: Strings, lang: str) -> tuple[str, list[Item]]:
    title = f"{f'[{s.e(group)}] ' if group else ''}{_when(meeting, lang)} {t.minutes}"
    people = [ctx.member(m) for m in meeting.attendance_start]
    count = t.fmt("people_n", n=len(people) + len(meeting.guests))
    attend = _names(people, s, t)
    if meeting.guests:
        guests = ", ".join(s.e(pick(g.name, lang)) for g in meeting.guests)
        attend += f" · {t.guests}: {guests}"
    items = [
        Item(f"{s.b(t.topic)}: {s.e(pick(meeting.topic, lang))}"),
        Item(f"{s.b(t.time)}: {meeting.start:%H:%M} – {meeting.end:%H:%M} · {s.e(pick(meeting.place, lang))}"),
        Item(f"{s.b(t.attendance)}: {attend} ({count})"),
        Item(f"{s.b(t.recorder)}: {s.e(ctx.member(meeting.recorder).name)}"),
    ]
    if meeting.left_early:
        items.append(
            Item(
                f"{t.left_early[:1].upper()}{t.left_early[1:]}: "
                f"{_names([ctx.member(m) for m in meeting.left_early], s, t)}"
            )
        )
    return title, items


def _learned(meeting: Meeting, ctx: Context, s: _Style, t: Strings, lang: str) -> Part:
    items = []
    for sec in meeting.sections:
        text = f"{s.e(sec.number)} {s.e(pick(sec.title, lang))}"
        if sec.presenter:
            text += f" ({t.presenter}: {s.e(ctx.member(sec.presenter).name)})"
        if sec.status == "postponed":
            text += f" — {t.postponed}"
        items.append(Item(text))
    return Part(t.learned, items or [Item(t.none)])


def _submitted(progress: Progress, s: _Style, t: Strings) -> Part:
    items = []
    for r in progress.recent:
        chips = []
        for ex, n, best in r.items:
            chip = f"{s.e(ex.id)} {_score(best, t)}"
            chips.append(chip + (f" ({t.fmt('attempts_n', n=n)})" if n > 1 else ""))
        items.append(Item(f"{s.b(_names([r.who], s, t))}: {', '.join(chips)}"))
    if not progress.recent:
        items.append(Item(t.nobody_submitted))
    if progress.quiet:
        items.append(Item(f"{t.quiet}: {_names(progress.quiet, s, t)}"))
    return Part(t.since_last if progress.since else t.since_first, items)


def _scores(progress: Progress, s: _Style, t: Strings) -> Part:
    items = []
    for who in progress.people:
        cells = [(ex, progress.cell(who, ex)) for ex in progress.exercises]
        done = [(ex, c) for ex, c in cells if c.best is not None]
        if not done:
            items.append(Item(f"{s.b(_names([who], s, t))}: {t.state_none}"))
            continue
        total = sum(c.best.score for _, c in done if c.best)
        top = sum(c.best.max_score for _, c in done if c.best)
        parts = ", ".join(f"{s.e(ex.id)} {_score(c.best, t)}" for ex, c in done if c.best)
        items.append(Item(f"{s.b(_names([who], s, t))}: {parts} ({t.total} {fmt_score(total)}/{fmt_score(top)})"))
    return Part(t.best, items)


def _missed_item(m: Missed, s: _Style, t: Strings) -> Item:
    what = t[f"state_{m.run_status}"] if m.run_status else s.e(m.title)
    head = f"{s.e(m.exercise.id)} {what} — {t.fmt('people_failing', n=m.members, of=m.of_members)}"
    more = [_names(m.people, s, t)]
    if m.message:
        more.append(
            f"“{s.e(m.message)}”"
            + (f" ({t.fmt('got_message', n=m.message_people)})" if m.members > 1 and m.message_people > 1 else "")
        )
    return Item(head, more)


def _stuck(progress: Progress, s: _Style, t: Strings) -> list[Part]:
    unfinished = [
        Item(f"{s.e(u.exercise.id)} {t.not_submitted} — {t.fmt('people_n', n=len(u.people))}", [_names(u.people, s, t)])
        for u in progress.unsubmitted
    ]
    unfinished += [_missed_item(m, s, t) for m in progress.unfinished]
    wrong = [_missed_item(m, s, t) for m in progress.wrong]
    concepts = []
    for q in progress.concepts:
        label = s.e(q.exercise.id) + (f" {s.e(q.question)}" if q.question != q.exercise.id else "")
        found = ", ".join(
            f"{s.e(c.label)}{f' ({t.misconception})' if c.kind == 'misconception' else ''} "
            f"{t.fmt('people_failing', n=c.members, of=q.of_members)}"
            for c in q.items
        )
        concepts.append(Item(f"{label}: {found}"))
    return [
        Part(t.unfinished, unfinished or [Item(t.nothing_missed)], 4),
        Part(t.wrong, wrong or [Item(t.nothing_missed)], 4),
        Part(t.missed_concepts, concepts or [Item(t.nothing_missed)], 4),
    ]


def _assignments(meeting: Meeting, ctx: Context, s: _Style, t: Strings, lang: str) -> Part:
    items = [
        Item(
            f"{s.e(a.section)}{' ' + s.e(pick(a.title, lang)) if a.title else ''} — "
            f"{s.b(s.e(ctx.member(a.member).name))}"
        )
        for a in meeting.assignments
    ]
    return Part(t.assignments, items or [Item(t.none)])


def _next(meeting: Meeting, s: _Style, t: Strings, lang: str) -> Part | None:
    nx = meeting.next_meeting
    if nx is None:
        return None
    text = f"{yymmdd(nx.date)} ({weekday(nx.date, lang)})"
    if nx.start:
        text += f" {nx.start:%H:%M}" + (f" – {nx.end:%H:%M}" if nx.end else "")
    for extra in (nx.place, nx.topic):
        if extra:
            text += f" · {s.e(pick(extra, lang))}"
    return Part(t.next_meeting, [Item(s.b(text))])


def build_summary(meeting: Meeting, ctx: Context, progress: Progress, *, fmt: str, lang: str, group: str) -> str:
    """The summary in `fmt` ("md" or "txt")."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown summary format {fmt!r}")
    s, t = _Style(fmt), Strings(lang)
    title, head = _header(meeting, ctx, group, s, t, lang)
    parts = [
        _learned(meeting, ctx, s, t, lang),
        _submitted(progress, s, t),
        _scores(progress, s, t),
        # Nothing graded yet: "everything passed" under each heading would say the opposite.
        *(
            [Part(t.missed_checks, [], 3), *_stuck(progress, s, t)]
            if progress.any_attempts
            else [Part(t.missed_checks, [Item(t.no_attempts_now)])]
        ),
        _assignments(meeting, ctx, s, t, lang),
    ]
    nxt = _next(meeting, s, t, lang)
    if nxt:
        parts.append(nxt)
    return _markdown(title, head, parts) if fmt == "md" else _text(title, head, parts)


def _markdown(title: str, head: list[Item], parts: list[Part]) -> str:
    lines = [f"## {title}", ""] + [f"- {i.text}" for i in head]
    for p in parts:
        lines += ["", f"{'#' * p.level} {p.title}"]
        if p.items:
            lines.append("")
        for i in p.items:
            lines.append(f"- {i.text}")
            lines += [f"  - {m}" for m in i.more]
    return "\n".join(lines) + "\n"


def width(text: str) -> int:
    """Columns a text takes in a chat bubble (Hangul and other wide characters count two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, first: str, rest: str, limit: int = TXT_WIDTH) -> list[str]:
    """`text` in lines of at most `limit` columns, broken between words (a word longer than
    a line stays whole: a code name or URL must not be split)."""
    lines, line = [], first
    for word in text.split():
        candidate = f"{line}{'' if line in (first, rest) else ' '}{word}"
        if width(candidate) > limit and line not in (first, rest):
            lines.append(line)
            line = rest + word
        else:
            line = candidate
    lines.append(line)
    return [ln.rstrip() for ln in lines]


def _text(title: str, head: list[Item], parts: list[Part]) -> str:
    lines = wrap(title, "", "")
    for i in head:
        lines += wrap(i.text, "", "  ")
    for p in parts:
        lines += ["", f"■ {p.title}" if p.level <= 3 else f"[{p.title}]"]
        for i in p.items:
            lines += wrap(i.text, "· ", "  ")
            for m in i.more:
                lines += wrap(m, "  ", "  ")
    return "\n".join(lines).rstrip() + "\n"
