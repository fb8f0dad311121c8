"""The group's progress from the gradebook: best scores per person and exercise, who handed
in what since the last meeting, and where people are stuck (checks left unfinished, checks
answered wrong, quiz concepts left out).

The gradebook counts per recorded name (`Records.summaries`, SQL); here the names a roster
member goes by are merged into one person. Everything is plain data the templates and the
text summaries lay out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from grader.checks.hints import without_recipe
from grader.course.loader import natural_key
from grader.quiz.feedback import without_model_answer
from grader.report.common import pick
from grader.report.figures import (
    UNFINISHED,
    WRONG,
    Cell,
    Concept,
    Exercise,
    Missed,
    MissedConcept,
    Progress,
    Recent,
    Unsubmitted,
    Who,
)
from grader.report.records import Records
from grader.report.roster import Roster
from grader.results.attempt import Attempt, CheckResult, Status
from grader.textsafe import visible


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
            key = (
                f"?{shown}"
                if shown == recorded
                else f"?{shown}#{hashlib.sha1(recorded.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
            )
            self._unlisted[recorded] = Who(key, shown, False, "u-" + _slug(recorded))
        return self._unlisted[recorded]

    def member(self, member_id: str) -> Who:
        return self.people[member_id]

    def who_by_key(self, key: str) -> Who:
        if key in self.people:
            return self.people[key]
        return next(w for w in self._unlisted.values() if w.key == key)

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
        tried = {e.id for row in table.values() for e in exercises if row[e.id].best is not None}
        unsubmitted = [
            Unsubmitted(e, [w for w in people if w.listed and table[w.key][e.id].best is None])
            for e in exercises
            if e.id in tried
        ]
        return Progress(
            exercises=exercises,
            people=people,
            table=table,
            since=since,
            until=until,
            recent=recent,
            quiet=quiet,
            missed=self.missed(best),
            concepts=self.concepts(best),
            unsubmitted=[u for u in unsubmitted if u.people],
        )

    def missed(self, attempts: Iterable[Attempt]) -> list[Missed]:
        """Every code check some attempt fails, by kind of failure, counted by people (then
        attempts). All of them: a page folds a long list, it never cuts one."""
        tried: dict[str, set[str]] = defaultdict(set)
        # (exercise, check, kind) -> person -> (order, message, check) of their latest failure
        fails: dict[tuple[str, str, str], dict[str, tuple[Any, str, CheckResult | None]]] = defaultdict(dict)
        counts: Counter[tuple[str, str, str]] = Counter()
        for a in attempts:
            w = self.who(a.member).key
            tried[a.exercise].add(w)
            failed: list[tuple[str, str, CheckResult | None, str]] = [
                (c.id, failure_kind(a, c), c, without_recipe(c))
                for c in a.failed
                # a check that says only "the notebook did not finish" is the run's row below
                if not c.is_quiz and c.details.get("not_run") != "run"
            ]
            if a.status is not Status.GRADED:
                # The run itself stopped: one row for it, whatever checks it left behind.
                failed.append((f"@{a.status.value}", UNFINISHED, None, a.message))
            for cid, kind, c, message in failed:
                key = (a.exercise, cid, kind)
                counts[key] += 1
                held = fails[key].get(w)
                if held is None or _order(a) >= held[0]:
                    fails[key][w] = (_order(a), message, c)
        rank = {w.key: i for i, w in enumerate(self.everyone)}
        out = []
        for (eid, cid, kind), per in fails.items():
            ex = self.exercises[eid]
            messages = Counter(m for _, m, _ in per.values() if m)
            latest = {m: o for o, m, _ in per.values()}
            message, n = max(messages.items(), key=lambda mn: (mn[1], latest[mn[0]]), default=("", 0))
            check = max(per.values(), key=lambda v: v[0])[2]
            people = sorted((self.who_by_key(k) for k in per), key=lambda w: rank.get(w.key, len(rank)))
            status = cid[1:] if check is None else ""
            out.append(
                Missed(
                    ex,
                    cid,
                    self.check_title(ex, check) if check else "",
                    kind,
                    people,
                    counts[(eid, cid, kind)],
                    len(tried[eid]),
                    message,
                    n,
                    status,
                )
            )
        out.sort(key=lambda m: (-m.members, -m.attempts, natural_key(m.exercise.id), m.check_id, m.kind))
        return out

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
                feedback = without_model_answer(str(c.details.get("feedback") or c.message or ""))
                if hit and feedback and (q not in last or _order(a) >= last[q][0]):
                    last[q] = (_order(a), feedback)
        out = []
        for q, items in found.items():
            concepts = [
                Concept(label, "missing" if kind == "missing" else "misconception", len(ws))
                for (kind, label), ws in items.items()
            ]
            concepts.sort(key=lambda c: (-c.members, c.kind != "missing", c.label))
            out.append(
                MissedConcept(
                    self.exercises[q[0]], q[1], len(tried[q]), concepts[:per_question], last.get(q, (None, ""))[1]
                )
            )
        out.sort(key=lambda m: (-m.members, natural_key(m.exercise.id), m.question))
        return out[:limit]


# What a check that could not run records (grader/checks/base.py); older rows said it in words only.
_NOT_RUN_KEYS = ("not_run", "not_checked_after")
_NOT_RUN_WORDS = re.compile(r"^(Not checked|Could not use|확인하지 (못함|않음)|.+을\(를\) 사용할 수 없습니다)")


def failure_kind(attempt: Attempt, check: CheckResult) -> str:
    """UNFINISHED when the check could not run (the notebook stopped, what it checks is not
    there yet, or a check it comes after failed); WRONG when it ran and the result was off."""
    if attempt.status is not Status.GRADED:
        return UNFINISHED
    if any(k in check.details for k in _NOT_RUN_KEYS) or _NOT_RUN_WORDS.match(check.message or ""):
        return UNFINISHED
    return WRONG


def _order(a: Attempt) -> tuple[dt.datetime, int]:
    """Chronological order of attempts: graded time, then id (both set for gradebook rows)."""
    return (a.graded_at or dt.datetime.min.replace(tzinfo=dt.UTC), a.attempt_id or 0)


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
