"""Review: what needs a human, and the recorder's corrections, each a new row.

`pending` lists quiz answers the scorer marked for review, attempts that did not grade
cleanly (status other than graded, or code cells that raised) and attempts whose member
fell back to the OS user, until a review of them exists. `set_band`, `set_points`,
`reassign`, `exclude` and `restore` add one row of `reviews` (grader/results/reviews.py)
with who, when, why and the old and new value, and update the derived figures in the
same transaction; attempts and checks are never edited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from grader import ids
from grader.errors import GradebookError, GradeError, Phrase
from grader.i18n import both, text, text_n
from grader.results import queries, reviews
from grader.results.attempt import Attempt, CheckResult, Status, points
from grader.results.reviews import BANDS, Review
from grader.results.schema import reviews as reviews_table

if TYPE_CHECKING:
    from grader.results.gradebook import Gradebook

# The points a band gives when the scorer's points are outside it (a share of the maximum);
# points already inside the chosen band are kept: the band is confirmed, not reset.
BAND_SHARE = {"full": 1.0, "partial": 0.5, "none": 0.0}
MAX_REASON = 2000


@dataclass(frozen=True)
class Item:
    """One thing for a human to look at."""

    attempt_id: int
    member: str
    exercise: str
    kind: str  # quiz | error | member
    target: str  # the quiz check id for `quiz`, "" otherwise
    detail: dict[str, str]  # {"ko": …, "en": …}: one line saying why it is listed
    score: float
    max_score: float
    resolved: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempt_id": self.attempt_id,
            "member": self.member,
            "exercise": self.exercise,
            "kind": self.kind,
            "target": self.target,
            "detail": dict(self.detail),
            "score": self.score,
            "max_score": self.max_score,
            "resolved": self.resolved,
        }


def band_of(check: CheckResult) -> str:
    from grader.quiz import band  # the quiz's own thresholds (imports no TensorFlow)

    return band(check.points / check.max_points if check.max_points else 0.0)


def reviewer(by: str | None) -> str:
    """`--by`, else the OS user: who made the change."""
    name = (by or "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (containers)
            name = "unknown"
    return ids.member_id(name, Phrase("errors.ids.where.reviewer"))


def _first_line(text: str) -> str:
    return " ".join(text.split())[:200]


# The quiz scorer's reasons for doubt (grader/quiz/confidence.py), said by the catalog; a reason
# the catalog does not know is shown as the scorer wrote it.
_DOUBTS = {
    "near_boundary": "results.review.doubt.near_boundary",
    "conflict": "results.review.doubt.conflict",
    "typo_match": "results.review.doubt.typo_match",
    "borrowed_holder": "results.review.doubt.borrowed_holder",
    "unknown_words": "results.review.doubt.unknown_words",
    "short": "results.review.doubt.short",
    "long": "results.review.doubt.long",
    "capped_list": "results.review.doubt.capped_list",
    "contrast": "results.review.doubt.contrast",
    "rival_holders": "results.review.doubt.rival_holders",
    "uncredited_sentences": "results.review.doubt.uncredited_sentences",
    "list_only": "results.review.doubt.list_only",
}
# The review's own words for a status: "error" here means every code cell failed.
_STATUSES = {
    "timeout": "results.review.status.timeout",
    "crashed": "results.review.status.crashed",
    "error": "results.review.status.error",
    "invalid": "results.review.status.invalid",
}


def _doubt(d: str, lang: str) -> str:
    return text(_DOUBTS[d], lang) if d in _DOUBTS else d


def _quiz_detail(c: CheckResult) -> dict[str, str]:
    doubts = [str(d) for d in c.details.get("doubts") or []]
    out = {}
    for lang in ("ko", "en"):
        why = ", ".join(_doubt(d, lang) for d in doubts)
        key = "results.review.provisional_why" if doubts else "results.review.provisional"
        out[lang] = text(key, lang, points=f"{c.points:g}", top=f"{c.max_points:g}", why=why)
    return out


def _error_detail(a: Attempt) -> dict[str, str]:
    if a.status is not Status.GRADED:
        value = a.status.value
        key = _STATUSES.get(value)
        en, ko = (
            text(key, lang) if key else text("results.review.status.other", lang, status=value) for lang in ("en", "ko")
        )
    else:
        n = len(a.cell_errors)
        en, ko = (text_n("results.review.cells_raised", n, lang, n=n) for lang in ("en", "ko"))
    # Where cells raised, the first error as Python said it: the attempt's message repeats
    # the count, in the language of the run that recorded it.
    first_error = a.cell_errors[0].summary if a.cell_errors else ""
    first = _first_line(first_error if a.status is Status.GRADED else a.message or first_error)
    return {"ko": ko + (f": {first}" if first else ""), "en": en + (f": {first}" if first else "")}


def _member_detail(a: Attempt) -> dict[str, str]:
    # A fixed text, not the attempt's member_note: that note is in the language of the run
    # that recorded it, which need not be the reviewer's.
    return both("results.review.member_from_os_user", member=a.member)


def pending(book: Gradebook, *, include_resolved: bool = False) -> list[Item]:
    """What needs a human, oldest attempt first; with `include_resolved` also what a review
    settled (and the excluded attempts, whose items all count as settled)."""
    with book.engine.connect() as conn:
        found = queries.read_attempts(conn, queries.filters(include_excluded=True))
        done = reviews.load(conn)
    out: list[Item] = []
    for a in found:
        rows = done.get(a.attempt_id or 0, [])
        # (kind, check id, why, whether a review settled it); an excluded attempt is settled
        wanted: list[tuple[str, str, dict[str, str], bool]] = [
            ("quiz", c.id, _quiz_detail(c), any(r.target == c.id for r in rows if r.action in ("band", "points")))
            for c in a.checks
            if c.is_quiz and c.details.get("needs_review")
        ]
        if a.status is not Status.GRADED or a.cell_errors:
            wanted.append(("error", "", _error_detail(a), bool(rows)))
        if a.member_source == "os-user":
            wanted.append(("member", "", _member_detail(a), any(r.action == "member" for r in rows)))
        for kind, target, detail, resolved in wanted:
            resolved = resolved or a.excluded
            if include_resolved or not resolved:
                out.append(
                    Item(a.attempt_id or 0, a.member, a.exercise, kind, target, detail, a.score, a.max_score, resolved)
                )
    return out


def history(book: Gradebook, attempt_id: int | None = None) -> list[Review]:
    """Every review (of one attempt), oldest first."""
    with book.engine.connect() as conn:
        if attempt_id is not None:
            _attempt(conn, book, attempt_id)
        return reviews.load_all(conn, attempt_id)


def _attempt(conn: sa.Connection, book: Gradebook, attempt_id: int) -> Attempt:
    found = queries.read_by_id(conn, [attempt_id]).get(attempt_id)
    if found is None:
        raise GradebookError.told("errors.review.no_attempt", book.location, attempt_id=attempt_id)
    return found


def _check(attempt: Attempt, check_id: str) -> CheckResult:
    for c in attempt.checks:
        if c.id == check_id:
            return c
    if not attempt.checks:
        raise GradeError.told("errors.review.no_checks", attempt_id=attempt.attempt_id, check_id=check_id)
    have = ", ".join(c.id for c in attempt.checks)
    raise GradeError.told("errors.review.no_such_check", attempt_id=attempt.attempt_id, check_id=check_id, have=have)


def _add(book: Gradebook, attempt_id: int, reason: str, by: str | None, now: dt.datetime | None, decide: Any) -> Review:  # noqa: ANN401
    """Add the row `decide(attempt)` describes, in one transaction with the derived figures."""
    reason = reason.strip()
    if not reason:
        raise GradeError.told("errors.review.needs_reason")
    if len(reason) > MAX_REASON:
        raise GradeError.told("errors.review.reason_too_long", limit=MAX_REASON)
    who = reviewer(by)
    when = now or dt.datetime.now(dt.UTC)
    try:
        with book.engine.begin() as conn:
            attempt = _attempt(conn, book, attempt_id)
            action, target, old, new, pts = decide(attempt)
            row = Review(
                uid=uuid.uuid4().hex,
                attempt_id=attempt_id,
                action=action,
                target=target,
                old_value=old,
                new_value=new,
                points=pts,
                reason=reason,
                reviewer=who,
                created_at=when,
            )
            key = conn.execute(reviews_table.insert().values(**row.row())).inserted_primary_key
            assert key is not None
            rid = key[0]
            reviews.refresh(conn, [attempt_id])
    except DBAPIError as exc:
        why = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise GradebookError.told("errors.review.not_recorded", book.location, why=why) from None
    return dataclasses.replace(row, id=int(rid))


def set_band(
    book: Gradebook,
    attempt_id: int,
    question: str,
    band: str,
    *,
    reason: str,
    by: str | None = None,
    now: dt.datetime | None = None,
) -> Review:
    """Put a quiz answer in `band` (full | partial | none). Points already in that band stay
    (the band is confirmed); otherwise the band's share of the maximum is given."""
    if band not in BANDS:
        raise GradeError.told("errors.review.unknown_band", band=band, bands=", ".join(BANDS))
    target = question if question.startswith("quiz:") else f"quiz:{question}"

    def decide(a: Attempt) -> tuple[str, str, str, str, float]:
        c = _check(a, target)
        if not c.is_quiz:
            raise GradeError.told("errors.review.not_a_quiz_check", check_id=target, attempt_id=a.attempt_id)
        old = band_of(c)
        pts = c.points if old == band else points(BAND_SHARE[band] * c.max_points)
        return "band", target, f"{old} ({c.points:g}/{c.max_points:g})", f"{band} ({pts:g}/{c.max_points:g})", pts

    return _add(book, attempt_id, reason, by, now, decide)


def set_points(
    book: Gradebook,
    attempt_id: int,
    check_id: str,
    value: float,
    *,
    reason: str,
    by: str | None = None,
    now: dt.datetime | None = None,
) -> Review:
    """Give one check `value` points (0 to its maximum)."""

    def decide(a: Attempt) -> tuple[str, str, str, str, float]:
        c = _check(a, check_id)
        if not 0 <= value <= c.max_points:
            raise GradeError.told("errors.review.points_out_of_range", top=f"{c.max_points:g}", check_id=check_id)
        pts = points(value)
        return "points", check_id, f"{c.points:g}", f"{pts:g}", pts

    return _add(book, attempt_id, reason, by, now, decide)


def reassign(
    book: Gradebook, attempt_id: int, member: str, *, reason: str, by: str | None = None, now: dt.datetime | None = None
) -> Review:
    """Count the attempt for another member (or confirm the member it has)."""
    new = ids.member_id(member, Phrase("errors.ids.where.member"))

    def decide(a: Attempt) -> tuple[str, str, str, str, None]:
        return "member", "", a.member, new, None

    return _add(book, attempt_id, reason, by, now, decide)


def exclude(
    book: Gradebook, attempt_id: int, *, reason: str, by: str | None = None, now: dt.datetime | None = None
) -> Review:
    """The attempt counts nowhere from now on (status, export, minutes, best attempt)."""

    def decide(a: Attempt) -> tuple[str, str, str, str, None]:
        if a.excluded:
            raise GradeError.told("errors.review.excluded_already", attempt_id=a.attempt_id)
        return "exclude", "", "counted", "excluded", None

    return _add(book, attempt_id, reason, by, now, decide)


def restore(
    book: Gradebook, attempt_id: int, *, reason: str, by: str | None = None, now: dt.datetime | None = None
) -> Review:
    """Count an excluded attempt again."""

    def decide(a: Attempt) -> tuple[str, str, str, str, None]:
        if not a.excluded:
            raise GradeError.told("errors.review.not_excluded", attempt_id=a.attempt_id)
        return "restore", "", "excluded", "counted", None

    return _add(book, attempt_id, reason, by, now, decide)
