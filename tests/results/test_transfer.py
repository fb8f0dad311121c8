"""Combining gradebooks (grader/results/transfer.py): an export file carries every attempt as
graded (checks, answers, seed, times, content hash, regrade number), its notebook bytes and
every review; importing it is idempotent, a conflict is reported and never overwrites, and
a bad file names its line and writes nothing. SQLite and PostgreSQL, both ways."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest

from grader.errors import GradeError
from grader.results import gbfile, review, transfer
from grader.results.attempt import Attempt, CheckResult
from grader.results.gradebook import Gradebook

T0 = dt.datetime(2021, 11, 20, 11, 0, tzinfo=dt.UTC)
KST = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "recorder.db")
    return request.getfixturevalue("pg_db")


def _attempt(member: str, quiz: float = 1.0, *, hours: int = 0, seed: int = 7) -> Attempt:
    return Attempt(
        "ch15.ex4",
        member,
        "graded",
        [
            CheckResult("windows", "value_matches", True, 3.0, 3.0, "", evidence="hidden-target", details={"mse": 0.1}),
            CheckResult(
                "quiz:ch15.ex4", "quiz", False, quiz, 2.0, "검토 필요", evidence="clean", details={"needs_review": True}
            ),
        ],
        12.5,
        path=f"submissions/{member}/04_forecast7.ipynb",
        seed=seed,
        answers={"ch15.ex4": "가중치를 공유합니다"},
        timings={"total_s": 12.5},
        protections=["bwrap"],
        graded_at=T0 + dt.timedelta(hours=hours),
        submitted_at=dt.datetime(2021, 11, 19, 23, 10, tzinfo=KST),
        submitted_from="git",
        member_source="folder",
        member_note="from the folder submissions/" + member,
    )


def _laptop(path: Path, members: list[str], *, review_first: bool = False) -> Path:
    """A laptop's gradebook with one attempt per member (and a regrade of the first), exported."""
    with Gradebook(str(path)) as book:
        first = None
        for n, m in enumerate(members):
            aid = book.record(_attempt(m, hours=n, seed=100 + n), f"notebook of {m}".encode())
            first = first or aid
        book.record(_attempt(members[0], quiz=2.0, hours=9, seed=5), f"notebook of {members[0]}".encode(), regrade=True)
        book.record(_attempt(members[0], quiz=0.5, hours=10, seed=6), None)  # no notebook bytes: no hash
        if review_first:
            review.set_band(
                book, first, "ch15.ex4", "full", reason="답이 맞습니다", by="지민", now=T0 + dt.timedelta(days=1)
            )
            review.reassign(
                book, first, "소라", reason="폴더 이름이 틀림", by="지민", now=T0 + dt.timedelta(days=1, hours=1)
            )
        out = path.with_suffix(".jsonl")
        transfer.write_dump(book, out)
    return out


def _raw(book: Gradebook) -> list[dict]:
    from grader.results import queries

    with book.engine.connect() as conn:
        found = queries.read_attempts(conn, queries.filters(include_excluded=True), raw=True)
    return sorted(
        ({k: v for k, v in a.to_dict().items() if k != "attempt_id"} for a in found),
        key=lambda d: (d["member"], d["graded_at"]),
    )


def test_an_import_carries_everything_and_twice_adds_nothing(location, tmp_path):
    export = _laptop(tmp_path / "a.db", ["sora", "지민"], review_first=True)
    with Gradebook(str(tmp_path / "a.db")) as source:
        want, want_best = _raw(source), {k: (a.score, a.reviewed) for k, a in source.best().items()}
        want_reviews = [
            (r.uid, r.action, r.new_value, r.reason, r.reviewer, r.created_at) for r in review.history(source)
        ]
    with Gradebook(location) as book:
        [done] = transfer.import_files(book, [export])
        assert (done.added, done.skipped, done.conflicting) == (4, 0, 0)
        assert (done.reviews_added, done.reviews_skipped, done.reviews_conflicting) == (2, 0, 0)
        got = _raw(book)
        assert got == want  # checks, answers, seed, graded_at, submitted_at, hash, regrade, member source
        assert [a["regrade"] for a in got if a["member"] == "sora"] == [0, 1, 0]
        assert all(
            book.notebook(a["notebook_sha256"]) == f"notebook of {a['member']}".encode()
            for a in got
            if a["notebook_sha256"]
        )
        assert [
            (r.uid, r.action, r.new_value, r.reason, r.reviewer, r.created_at) for r in review.history(book)
        ] == want_reviews
        assert {k: (a.score, a.reviewed) for k, a in book.best().items()} == want_best
        assert ("소라", "ch15.ex4") in want_best
        [again] = transfer.import_files(book, [export])
        assert (again.added, again.skipped, again.conflicting, again.reviews_added, again.reviews_skipped) == (
            0,
            4,
            0,
            0,
            2,
        )
        assert _raw(book) == want and len(review.history(book)) == 2


def test_two_laptops_make_the_whole_group(location, tmp_path):
    a = _laptop(tmp_path / "a.db", ["sora"], review_first=True)
    b = _laptop(tmp_path / "b.db", ["jiho", "mina"])
    with Gradebook(location) as book:
        book.record(_attempt("hana"), b"recorder's own")
        done = transfer.import_files(book, [a, b])
        assert [(d.added, d.conflicting) for d in done] == [(3, 0), (4, 0)]
        members = {m for m, _ in book.best()}
        assert members == {"hana", "소라", "sora", "jiho", "mina"}  # sora keeps her unreviewed attempts
        assert book.count() == 8


def test_the_same_notebook_with_other_figures_is_a_conflict_and_ours_stays(location, tmp_path):
    export = _laptop(tmp_path / "a.db", ["sora"], review_first=True)
    with Gradebook(location) as book:
        ours = book.record(_attempt("sora", quiz=0.0), b"notebook of sora")  # graded here with another result
        [done] = transfer.import_files(book, [export])
        assert (done.added, done.skipped, done.conflicting) == (2, 0, 1)
        assert done.reviews_conflicting == 2 and done.reviews_added == 0  # reviews of the other figures
        [attempt_conflict] = [c for c in done.conflicts if c.what == "attempt"]
        assert attempt_conflict.code == "other_figures"
        assert (
            f"attempt {ours} here" in attempt_conflict.detail()
            and "score 3/5 here, 4/5 in the file" in attempt_conflict.detail()
        )
        assert "점수: 여기서는 3/5, 파일에서는 4/5" in attempt_conflict.detail("ko")
        assert attempt_conflict.line == 3  # header, notebook, then the attempt
        kept = {a.attempt_id: a for a in book.attempts()}[ours]
        assert kept.score == 3.0 and not kept.reviewed
        summary = done.summary()
        assert "1 conflicting" in summary and "\n" not in summary
        assert "시도 2개 추가, 0개 건너뜀(이미 있음), 1개 충돌" in done.summary("ko")


def test_the_same_figures_graded_on_two_laptops_are_one_attempt(location, tmp_path):
    export = _laptop(tmp_path / "a.db", ["sora"])
    with Gradebook(location) as book:
        book.record(_attempt("sora", seed=999, hours=5), b"notebook of sora")  # another seed, same points
        [done] = transfer.import_files(book, [export])
        assert (done.added, done.skipped, done.conflicting) == (2, 1, 0)


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, docs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


def test_a_bad_value_is_named_in_korean_without_python_words(tmp_path):
    good = _laptop(tmp_path / "a.db", ["sora"], review_first=True)
    docs = _lines(good)
    attempt = docs[2]["attempt"]
    review_at = next(i for i, d in enumerate(docs) if d.get("type") == "review")
    cases = [
        (
            2,
            {"type": "attempt", "attempt": [1, 2]},
            '올바른 `attempt` 레코드가 아닙니다 ("attempt" 값이 JSON 객체가 아닙니다)',
        ),
        (
            2,
            {"type": "attempt", "attempt": {**attempt, "status": "done"}},
            "올바른 `attempt` 레코드가 아닙니다 (`status` 항목의 값 'done'은 쓸 수 없습니다)",
        ),
        (
            2,
            {"type": "attempt", "attempt": {**attempt, "score": "lots"}},
            "올바른 `attempt` 레코드가 아닙니다 (`score` 항목의 값 'lots'는 쓸 수 없습니다)",
        ),
        (
            2,
            {"type": "attempt", "attempt": {**attempt, "graded_at": 5}},
            "올바른 `attempt` 레코드가 아닙니다 (`graded_at` 항목의 값 '5'는 쓸 수 없습니다)",
        ),
        (
            1,
            {**docs[1], "content": "not base64!"},
            "올바른 `notebook` 레코드가 아닙니다 (`content`가 `base64`로 인코딩되어 있지 않습니다)",
        ),
        (
            review_at,
            {**docs[review_at], "uid": "x" * 40},
            "올바른 `review` 레코드가 아닙니다 (`uid`는 1자에서 32자 사이여야 합니다)",
        ),
        (
            review_at,
            {**docs[review_at], "created_at": "yesterday"},
            "올바른 `review` 레코드가 아닙니다 (`created_at` 항목의 값 'yesterday'는 쓸 수 없습니다)",
        ),
    ]
    for n, (at, doc, ko) in enumerate(cases):
        bad = _write(tmp_path / f"bad{n}.jsonl", [*docs[:at], doc, *docs[at + 1 :]])
        with pytest.raises(GradeError) as info:
            gbfile.read_file(bad)
        assert info.value.said("ko") == f"{at + 1}번째 줄: {ko}"
        assert str(info.value).startswith(f"{bad}: line {at + 1}: not a valid "), str(info.value)


def test_a_bad_file_names_its_line_and_writes_nothing(tmp_path):
    good = _laptop(tmp_path / "a.db", ["sora"], review_first=True)
    docs = _lines(good)
    target = tmp_path / "recorder.db"
    cases: list[tuple[str, object]] = []
    text = good.read_text(encoding="utf-8").splitlines()
    cases.append(("line 3: not JSON", "\n".join([*text[:2], "{oops", *text[3:]]) + "\n"))
    cases.append(("line 1: not an exported gradebook", "\n".join(text[1:]) + "\n"))
    tampered = [dict(d) for d in docs]
    tampered[1]["content"] = base64.b64encode(b"something else").decode()
    cases.append(("line 2: the notebook's bytes do not match its sha256", tampered))
    unknown = [*docs[:2], {"type": "grade"}, *docs[2:]]
    cases.append(("line 3: unknown record type 'grade'", unknown))
    orphan = [docs[0], *[d for d in docs if d.get("type") == "review"]]
    cases.append(("line 2: a review of an attempt that is not in the file", orphan))
    no_member = [dict(d) for d in docs]
    no_member[2] = {"type": "attempt", "attempt": {**docs[2]["attempt"], "member": "<script>"}}
    cases.append(("line 3: member '<script>' cannot be a member id", no_member))
    missing = [dict(d) for d in docs]
    missing[2] = {"type": "attempt", "attempt": {k: v for k, v in docs[2]["attempt"].items() if k != "graded_at"}}
    cases.append(("line 3: not a valid attempt record (missing field 'graded_at')", missing))
    newer = [{**docs[0], "version": 99}, *docs[1:]]
    cases.append(("line 1: export format version 99", newer))
    for n, (message, content) in enumerate(cases):
        bad = tmp_path / f"bad{n}.jsonl"
        if isinstance(content, str):
            bad.write_text(content, encoding="utf-8")
        else:
            _write(bad, content)  # type: ignore[arg-type]
        with Gradebook(str(target)) as book:
            with pytest.raises(GradeError) as info:
                transfer.import_files(book, [good, bad])  # the good file first: still nothing written
            assert str(info.value).startswith(f"{bad}: {message}"), str(info.value)
            assert "\n" not in str(info.value)
            assert book.count() == 0 and review.history(book) == []


def test_a_missing_file_is_said_in_korean_without_the_systems_english(tmp_path):
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(GradeError) as info:
        gbfile.read_file(missing)
    assert info.value.said("ko") == "읽을 수 없습니다 (그런 파일이나 폴더가 없습니다)"
    assert str(info.value) == f"{missing}: cannot read it (No such file or directory)"
