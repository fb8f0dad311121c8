"""The gradebook's SQL figures (best attempt, counts, latest) against a brute-force Python
computation over the same random attempts, on SQLite and PostgreSQL.

The attempts are built to collide: few distinct scores and times, several attempts at
the same instant, and ids that do not follow the times (attempts recorded out of order),
so that every tie-break of "highest score, then earliest, then lowest id" is exercised.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from pathlib import Path

import pytest

from grader.results.attempt import Attempt, CheckResult
from grader.results.gradebook import Gradebook

KST = dt.timezone(dt.timedelta(hours=9))
T0 = dt.datetime(2021, 11, 15, 9, 0, tzinfo=dt.UTC)
MEMBERS = ["지민", "sora", "jiho", "Sora.Han"]
EXERCISES = ["ch15.ex1", "ch15.ex2", "ch15.ex10"]


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "gb.db")
    return request.getfixturevalue("pg_db")


def _random_attempts(rng: random.Random, n: int) -> list[Attempt]:
    out = []
    for _ in range(n):
        points = [rng.choice([0.0, 0.5, 1.0]) for _ in range(rng.randint(0, 3))]
        # 12 possible instants over four days, some with microseconds: many exact ties.
        when = T0 + dt.timedelta(hours=8 * rng.randrange(12), microseconds=rng.choice([0, 0, 250_001]))
        out.append(
            Attempt(
                rng.choice(EXERCISES),
                rng.choice(MEMBERS),
                rng.choice(["graded"] * 4 + ["timeout"]),
                [CheckResult(f"c{i}", "value_matches", p == 1.0, p, 1.0, "") for i, p in enumerate(points)],
                1.0,
                graded_at=when,
            )
        )
    return out


def _brute(
    rows: list[Attempt],
    *,
    after: dt.datetime | None = None,
    until: dt.datetime | None = None,
    member: str | None = None,
) -> dict[tuple[str, str], dict[str, object]]:
    groups: dict[tuple[str, str], list[Attempt]] = defaultdict(list)
    for a in rows:
        assert a.graded_at is not None and a.attempt_id is not None
        if (
            (after is None or a.graded_at > after)
            and (until is None or a.graded_at <= until)
            and (member is None or a.member == member)
        ):
            groups[(a.member, a.exercise)].append(a)
    return {
        key: {
            "attempts": len(tries),
            "best_id": min(tries, key=lambda a: (-a.score, a.graded_at, a.attempt_id)).attempt_id,
            "latest_id": max(tries, key=lambda a: (a.graded_at, a.attempt_id)).attempt_id,
            "last": max(a.graded_at for a in tries),
        }
        for key, tries in groups.items()
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_sql_figures_match_brute_force(location, seed):
    rng = random.Random(seed)
    made = _random_attempts(rng, 150)
    with Gradebook(location) as book:
        for a in made:
            book.record(a, None)
        rows = book.attempts()
        assert len(rows) == len(made)
        windows = [
            (None, None),
            (None, T0 + dt.timedelta(days=2)),
            # The same instants written in Korean time: bound values must be compared as UTC.
            ((T0 + dt.timedelta(hours=16)).astimezone(KST), (T0 + dt.timedelta(hours=56)).astimezone(KST)),
            (T0 + dt.timedelta(hours=24), None),
            (T0 + dt.timedelta(days=9), None),
        ]
        for after, until in windows:
            want = _brute(rows, after=after, until=until)
            got = {
                (s.member, s.exercise): {
                    "attempts": s.attempts,
                    "best_id": s.best_id,
                    "latest_id": s.latest_id,
                    "last": s.last_graded_at,
                }
                for s in book.summaries(after=after, until=until)
            }
            assert got == want, (after, until)
            by_id = {a.attempt_id: a for a in rows}
            for s in book.summaries(after=after, until=until):
                assert (s.best_score, s.best_max_score) == (by_id[s.best_id].score, by_id[s.best_id].max_score)
        for until in (None, T0 + dt.timedelta(hours=40)):
            best = book.best(until=until)
            assert {k: a.attempt_id for k, a in best.items()} == {
                k: v["best_id"] for k, v in _brute(rows, until=until).items()
            }
            # Whole attempts, as recorded (checks included).
            assert all(a == next(r for r in rows if r.attempt_id == a.attempt_id) for a in best.values())
        assert {k: a.attempt_id for k, a in book.best(member="지민").items()} == {
            k: v["best_id"] for k, v in _brute(rows, member="지민").items()
        }
        assert book.summaries(until=T0 - dt.timedelta(seconds=1)) == [] and book.best(until=T0 - dt.timedelta(1)) == {}


def test_figures_leave_out_attempts_recorded_after_a_given_one(tmp_path):
    """The report pins its figures to the attempts it loaded (`upto_id`)."""
    with Gradebook(str(tmp_path / "gb.db")) as book:
        first = book.record(
            Attempt("e", "m", "graded", [CheckResult("c", "calls", True, 1, 1, "")], 1.0, graded_at=T0), None
        )
        book.record(
            Attempt(
                "e",
                "m",
                "graded",
                [CheckResult("c", "calls", True, 2, 2, "")],
                1.0,
                graded_at=T0 + dt.timedelta(hours=1),
            ),
            None,
        )
        [pinned] = book.summaries(upto_id=first)
        [now] = book.summaries()
    assert (pinned.attempts, pinned.best_id, pinned.latest_id) == (1, first, first)
    assert (now.attempts, now.best_score) == (2, 2.0)
