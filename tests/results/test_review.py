"""Review and override (grader/results/review.py, reviews.py): every change is a new row
with who, when, why, the old and new value; attempts and checks keep what was graded; the
best attempt, the counts and the windows use the reviewed figures; an excluded attempt
counts nowhere and a reassigned one counts for its new member. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from grader.errors import GradebookError, GradeError
from grader.results import review
from grader.results.attempt import Attempt, CellError, CheckResult
from grader.results.gradebook import Gradebook
from grader.results.schema import checks, reviews

T0 = dt.datetime(2021, 11, 20, 11, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "gb.db")
    return request.getfixturevalue("pg_db")


def _attempt(
    member: str = "sora",
    quiz: float = 1.0,
    *,
    code: float = 3.0,
    hours: int = 0,
    status: str = "graded",
    needs_review: bool = True,
    **extra: object,
) -> Attempt:
    return Attempt(
        "ch15.ex4",
        member,
        status,
        [
            CheckResult("windows", "value_matches", code == 3.0, code, 3.0, "창 모양"),
            CheckResult(
                "quiz:ch15.ex4",
                "quiz",
                False,
                quiz,
                2.0,
                "검토 필요",
                details={"needs_review": needs_review, "doubts": ["near_boundary"]},
            ),
        ],
        1.0,
        graded_at=T0 + dt.timedelta(hours=hours),
        **extra,
    )


def test_a_band_is_a_new_row_and_the_attempt_keeps_what_was_graded(location):
    with Gradebook(location) as book:
        aid = book.record(_attempt(quiz=1.0), b"nb")
        row = review.set_band(
            book, aid, "ch15.ex4", "full", reason="답이 맞습니다", by="지민", now=T0 + dt.timedelta(days=1)
        )
        assert (row.action, row.target, row.old_value, row.new_value, row.points) == (
            "band",
            "quiz:ch15.ex4",
            "partial (1/2)",
            "full (2/2)",
            2.0,
        )
        assert (row.reviewer, row.reason, row.created_at) == ("지민", "답이 맞습니다", T0 + dt.timedelta(days=1))
        [a] = book.attempts()
        assert a.reviewed and a.score == 5.0 and a.checks[1].points == 2.0 and a.checks[1].passed
        assert a.checks[1].reviewed and not a.checks[0].reviewed
        # The graded figures are untouched: the change lives only in the new row.
        with book.engine.connect() as conn:
            stored = conn.execute(sa.select(checks.c.points).where(checks.c.check_id == "quiz:ch15.ex4")).scalar_one()
            assert stored == 1.0
            assert conn.execute(sa.select(sa.func.count()).select_from(reviews)).scalar_one() == 1
        [s] = book.summaries()
        assert (s.best_score, s.reviewed) == (5.0, True)


def test_a_band_the_points_are_in_already_confirms_them(location):
    with Gradebook(location) as book:
        aid = book.record(_attempt(quiz=1.2), b"nb")
        row = review.set_band(book, aid, "quiz:ch15.ex4", "partial", reason="부분 점수가 맞음", by="t")
        assert row.points == 1.2 and row.old_value == "partial (1.2/2)"
        assert book.attempts()[0].score == 4.2
        row = review.set_band(book, aid, "ch15.ex4", "none", reason="다시 읽어 보니 틀림", by="t")
        assert (row.old_value, row.new_value) == ("partial (1.2/2)", "none (0/2)")
        assert book.attempts()[0].score == 3.0
        assert [r.action for r in review.history(book, aid)] == ["band", "band"]


def test_points_reassign_exclude_and_restore_move_the_figures(location):
    with Gradebook(location) as book:
        low = book.record(_attempt("root", quiz=0.0, code=0.0, hours=0), b"a")
        high = book.record(_attempt("sora", quiz=2.0, code=3.0, hours=1), b"b")
        assert {k: a.attempt_id for k, a in book.best().items()} == {
            ("root", "ch15.ex4"): low,
            ("sora", "ch15.ex4"): high,
        }
        review.set_points(book, low, "windows", 3, reason="창 검사가 틀렸음", by="t")
        review.set_points(book, low, "quiz:ch15.ex4", 2, reason="퀴즈도 맞음", by="t")
        # Reassigned: root's attempt is sora's now, and ties on score go to the earlier one.
        review.reassign(book, low, "sora", reason="폴더를 잘못 골랐음", by="t")
        best = book.best()
        assert list(best) == [("sora", "ch15.ex4")] and best[("sora", "ch15.ex4")].attempt_id == low
        assert best[("sora", "ch15.ex4")].member == "sora" and best[("sora", "ch15.ex4")].score == 5.0
        [s] = book.summaries()
        assert (s.member, s.attempts, s.best_id, s.reviewed) == ("sora", 2, low, True)
        assert [a.attempt_id for a in book.attempts(member="sora")] == [low, high]
        assert book.attempts(member="root") == []
        # Excluded: it counts nowhere, not in the best, not in the counts, not in the attempts.
        review.exclude(book, low, reason="다른 사람 답을 베낌", by="t")
        [s] = book.summaries()
        assert (s.attempts, s.best_id, s.reviewed) == (1, high, False)
        assert [a.attempt_id for a in book.attempts()] == [high]
        assert [a.attempt_id for a in book.attempts(include_excluded=True)] == [low, high]
        with pytest.raises(GradeError, match="excluded already"):
            review.exclude(book, low, reason="again", by="t")
        review.restore(book, low, reason="오해였음", by="t")
        assert book.best()[("sora", "ch15.ex4")].attempt_id == low
        with pytest.raises(GradeError, match="is not excluded"):
            review.restore(book, low, reason="again", by="t")
        assert [(r.action, r.old_value, r.new_value) for r in review.history(book, low)] == [
            ("points", "0", "3"),
            ("points", "0", "2"),
            ("member", "root", "sora"),
            ("exclude", "counted", "excluded"),
            ("restore", "excluded", "counted"),
        ]


def test_bad_changes_are_refused_and_write_nothing(location):
    with Gradebook(location) as book:
        aid = book.record(_attempt(), b"nb")
        for call, message in [
            (lambda: review.set_band(book, 99, "ch15.ex4", "full", reason="x"), "no attempt 99"),
            (lambda: review.set_band(book, aid, "ch15.ex9", "full", reason="x"), "has no check 'quiz:ch15.ex9'"),
            (lambda: review.set_band(book, aid, "ch15.ex4", "half", reason="x"), "unknown band 'half'"),
            (lambda: review.set_points(book, aid, "windows", 4, reason="x"), "between 0 and 3"),
            (lambda: review.set_points(book, aid, "windows", -1, reason="x"), "between 0 and 3"),
            (lambda: review.set_points(book, aid, "windows", 1, reason="   "), "needs a reason"),
            (lambda: review.reassign(book, aid, "<b>", reason="x"), "cannot be a member id"),
            (lambda: review.set_band(book, aid, "windows", "full", reason="x"), "has no check 'quiz:windows'"),
        ]:
            with pytest.raises(GradeError, match=message) as info:
                call()
            assert "\n" not in str(info.value)
        assert review.history(book) == []
        with pytest.raises(GradebookError, match="no attempt 7"):
            review.history(book, 7)
        assert book.attempts()[0].reviewed is False


def test_what_needs_a_human_until_a_review_settles_it(location):
    with Gradebook(location) as book:
        quiz = book.record(_attempt("sora", member_source="metadata"), b"q")
        calm = book.record(_attempt("jiho", needs_review=False, member_source="flag"), b"c")
        fallback = book.record(
            _attempt("root", needs_review=False, member_source="os-user", member_note="member from the OS user (root)"),
            b"f",
        )
        broken = book.record(
            _attempt(
                "mina", needs_review=False, status="timeout", message="셀 3이 120초를 넘었습니다", member_source="flag"
            ),
            b"t",
        )
        raised = book.record(
            _attempt(
                "hana",
                needs_review=False,
                member_source="flag",
                message="코드 셀 5개 중 1개에서 오류가 났습니다.",  # the run's summary, in its language
                cell_errors=[CellError(2, 3, 4, "ValueError", "ValueError: shapes")],
            ),
            b"r",
        )
        items = review.pending(book)
        assert [(i.attempt_id, i.kind) for i in items] == [
            (quiz, "quiz"),
            (fallback, "member"),
            (broken, "error"),
            (raised, "error"),
        ]
        assert calm not in {i.attempt_id for i in items}
        by_kind = {(i.attempt_id, i.kind): i for i in items}
        assert by_kind[(quiz, "quiz")].target == "quiz:ch15.ex4"
        assert by_kind[(quiz, "quiz")].detail["ko"] == "임시 퀴즈 점수 1/2 (이유: 등급 경계 근처)"
        assert by_kind[(broken, "error")].detail == {
            "ko": "시간 초과: 셀 3이 120초를 넘었습니다",
            "en": "status timeout: 셀 3이 120초를 넘었습니다",
        }
        assert by_kind[(raised, "error")].detail == {
            "en": "1 code cell raised: ValueError: shapes",
            "ko": "코드 셀 1개에서 오류가 났습니다: ValueError: shapes",
        }
        # the recorded note was in the run's language; the review says it in each language itself
        assert by_kind[(fallback, "member")].detail == {
            "en": "member taken from the OS user: root",
            "ko": "멤버 이름을 OS 사용자 이름으로 정했습니다: root",
        }
        review.set_band(book, quiz, "ch15.ex4", "partial", reason="확인", by="t")
        review.reassign(book, fallback, "root", reason="root가 맞음", by="t")  # confirming is a review too
        review.exclude(book, broken, reason="다시 제출함", by="t")
        assert [(i.attempt_id, i.kind) for i in review.pending(book)] == [(raised, "error")]
        settled = review.pending(book, include_resolved=True)
        assert len(settled) == 4 and [i.resolved for i in settled] == [True, True, True, False]


def test_the_error_detail_counts_raised_cells_in_either_language():
    two = [CellError(2, 3, 4, "ValueError", "ValueError: shapes"), CellError(3, 5, 6, "NameError", "NameError: x")]
    detail = review._error_detail(_attempt(cell_errors=two))
    assert detail == {
        "en": "2 code cells raised: ValueError: shapes",
        "ko": "코드 셀 2개에서 오류가 났습니다: ValueError: shapes",
    }


def test_a_reviewer_defaults_to_the_os_user(location, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "recorder")
    with Gradebook(location) as book:
        aid = book.record(_attempt(), b"nb")
        assert review.set_points(book, aid, "windows", 1, reason="부분 점수").reviewer == "recorder"
        assert review.set_points(book, aid, "windows", 2, reason="부분 점수", by=" 지민 ").reviewer == "지민"


def test_reviewed_figures_match_brute_force_over_the_reviewed_attempts(location):
    """Groups with reviews are counted apart from the database's index path: both must agree
    with one rule over the reviewed attempts (highest score, then earliest, then lowest id)."""
    import random

    rng = random.Random(3)
    members, exercises = ["지민", "sora", "jiho"], ["ch15.ex1", "ch15.ex2"]
    with Gradebook(location) as book:
        ids = []
        for _ in range(60):
            quiz = rng.choice([0.0, 1.0, 2.0])
            a = Attempt(
                rng.choice(exercises),
                rng.choice(members),
                "graded",
                [
                    CheckResult("c", "value_matches", True, rng.choice([0.0, 1.0]), 1.0, ""),
                    CheckResult("quiz:q", "quiz", quiz == 2.0, quiz, 2.0, ""),
                ],
                1.0,
                graded_at=T0 + dt.timedelta(hours=rng.randrange(10)),
            )
            ids.append(book.record(a, None))
        for aid in rng.sample(ids, 15):
            action = rng.choice(["points", "member", "exclude", "band"])
            if action == "points":
                review.set_points(book, aid, "c", rng.choice([0.0, 0.5, 1.0]), reason="r", by="t")
            elif action == "member":
                review.reassign(book, aid, rng.choice([*members, "mina"]), reason="r", by="t")
            elif action == "band":
                review.set_band(book, aid, "q", rng.choice(["full", "partial", "none"]), reason="r", by="t")
            else:
                review.exclude(book, aid, reason="r", by="t")
        for until in (None, T0 + dt.timedelta(hours=4)):
            rows = book.attempts(until=until)
            groups: dict[tuple[str, str], list[Attempt]] = {}
            for a in rows:
                groups.setdefault((a.member, a.exercise), []).append(a)
            want = {
                k: (
                    len(v),
                    min(v, key=lambda a: (-a.score, a.graded_at, a.attempt_id)).attempt_id,
                    max(v, key=lambda a: (a.graded_at, a.attempt_id)).attempt_id,
                )
                for k, v in groups.items()
            }
            got = {(s.member, s.exercise): (s.attempts, s.best_id, s.latest_id) for s in book.summaries(until=until)}
            assert got == want
            assert {k: a.attempt_id for k, a in book.best(until=until).items()} == {k: v[1] for k, v in want.items()}
            by_id = {a.attempt_id: a for a in rows}
            for s in book.summaries(until=until):
                assert s.best_score == by_id[s.best_id].score and s.reviewed == by_id[s.best_id].reviewed


def test_every_doubt_the_scorer_can_give_is_said_in_either_language():
    from grader.quiz.confidence import DOUBT_COST

    for d in DOUBT_COST:
        said = review._doubt(d, "ko")  # noqa: SLF001
        assert said != d and not any("a" <= ch <= "z" for ch in said), d
        # in English too: words a reviewer reads, never the scorer's id
        english = review._doubt(d, "en")  # noqa: SLF001
        assert english != d and "_" not in english and " " in english, d
