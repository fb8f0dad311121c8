"""The two levels of help: the brief hint on a failure, the recipe with `--hints full` or
after two earlier failed attempts at the same check (grader/checks/hints.py)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import make_notebook, write_notebook

from grader.checks import KINDS, GradeContext
from grader.checks.hints import REPEATS_FOR_RECIPE, HintPolicy, apply_hint_policy, reveal
from grader.cli.app import cli
from grader.results.attempt import Attempt, CheckResult
from grader.results.gradebook import Gradebook


def _failed(course, check_id: str = "windows", lang: str = "en") -> Attempt:  # noqa: ANN001
    """An attempt at exercise 4 whose `check_id` failed, as grading writes it (brief hint)."""
    spec = course.specs["ch15.ex4"]
    check = next(c for c in spec.checks if c.id == check_id)
    ctx = GradeContext(seed=1, lang=lang, course=course, spec=spec)
    result = KINDS[check.kind].result(check, ctx, 0.0, "`make_windows`: Y has shape [16, 7, 1], expected [16, 7].")
    passed = CheckResult("any_length", "output_shape", True, 2, 2, "ok")
    return Attempt("ch15.ex4", "sora", "graded", [result, passed], 1.0)


def test_grading_writes_the_brief_level_and_no_recipe(course) -> None:  # noqa: ANN001
    attempt = _failed(course)
    windows, passed = attempt.checks
    assert windows.hint_level == "brief" and passed.hint_level is None
    assert "off by one step" in windows.message and "series[" not in windows.message
    assert attempt.to_dict()["checks"][0]["hint_level"] == "brief"


@pytest.mark.parametrize("lang, label", [("en", "In full:"), ("ko", "자세한 풀이:")])
def test_full_option_adds_the_recipe_on_its_own_line(course, lang: str, label: str) -> None:  # noqa: ANN001
    attempt = apply_hint_policy(_failed(course, lang=lang), course.specs["ch15.ex4"], lang, HintPolicy("full"))
    windows, passed = attempt.checks
    brief, recipe = windows.message.split("\n")
    assert recipe.startswith(label) and "series[:, 50:, 0]" in recipe and "series[" not in brief
    assert windows.hint_level == "full"
    assert passed.hint_level is None and passed.message == "ok"  # nothing to fix there
    assert "earlier attempts" not in recipe and "이전 시도" not in recipe  # asked for: no reason given


def test_two_earlier_failures_open_the_recipe_and_one_does_not(course) -> None:  # noqa: ANN001
    spec = course.specs["ch15.ex4"]
    once = apply_hint_policy(_failed(course), spec, "en", HintPolicy("brief", {"windows": 1}))
    assert once.checks[0].hint_level == "brief" and "In full:" not in once.checks[0].message
    other = apply_hint_policy(_failed(course), spec, "en", HintPolicy("brief", {"quality": 5}))
    assert other.checks[0].hint_level == "brief"  # failures of another check do not count
    twice = apply_hint_policy(_failed(course), spec, "en", HintPolicy("brief", {"windows": REPEATS_FOR_RECIPE}))
    assert twice.checks[0].hint_level == "full"
    assert "(Shown because this check failed in 2 earlier attempts.)" in twice.checks[0].message
    ko = apply_hint_policy(_failed(course, lang="ko"), spec, "ko", HintPolicy("brief", {"windows": 2}))
    assert "이전 시도에서 이 항목을 2번 통과하지 못해" in ko.checks[0].message


def test_not_checked_checks_get_no_recipe(course) -> None:  # noqa: ANN001
    spec = course.specs["ch15.ex7"]
    check = next(c for c in spec.checks if c.id == "conv_quality")
    ctx = GradeContext(seed=1, lang="en", course=course, spec=spec)
    skipped = KINDS[check.kind].not_checked(check, ctx, ["`conv_model` has no recurrent layer"], ["conv_path"])
    attempt = apply_hint_policy(Attempt("ch15.ex7", "sora", "graded", [skipped], 1.0), spec, "en", HintPolicy("full"))
    assert skipped.hint_level is None and "\n" not in attempt.checks[0].message


def _attempt(check_passed: bool, *, status: str = "graded", details: dict | None = None) -> Attempt:
    check = CheckResult(
        "windows",
        "function_matches",
        check_passed,
        2 if check_passed else 0,
        2,
        "m",
        details=details or {},
        hint_level=None if check_passed else "brief",
    )
    return Attempt("ch15.ex4", "sora", status, [check], 1.0)


def test_the_gradebook_counts_first_gradings_that_ran_and_failed(tmp_path: Path) -> None:
    with Gradebook(str(tmp_path / "gb.db")) as book:
        assert book.failed_checks("sora", "ch15.ex4") == {}
        book.record(_attempt(False), b'{"n": 1}')
        book.record(_attempt(True), b'{"n": 2}')
        book.record(_attempt(False, status="timeout"), b'{"n": 3}')  # says nothing about the check
        book.record(_attempt(False, details={"not_checked_after": ["x"]}), b'{"n": 4}')  # never tried
        book.record(_attempt(False), b'{"n": 1}', regrade=True)  # the same notebook again
        assert book.failed_checks("sora", "ch15.ex4") == {"windows": 1}
        book.record(_attempt(False), b'{"n": 5}')
        assert book.failed_checks("sora", "ch15.ex4") == {"windows": 2}
        assert book.failed_checks("mina", "ch15.ex4") == {} and book.failed_checks("sora", "ch15.ex7") == {}
        # The level shown is kept with the attempt.
        [first, *_] = book.attempts()
        assert first.checks[0].hint_level == "brief"


def test_reveal_reads_the_members_failures_from_the_gradebook(course, tmp_path: Path) -> None:  # noqa: ANN001
    with Gradebook(str(tmp_path / "gb.db")) as book:
        book.record(_attempt(False), b'{"n": 1}')
        assert reveal(_failed(course), course, "en", "brief", book).checks[0].hint_level == "brief"
        book.record(_attempt(False), b'{"n": 2}')
        assert reveal(_failed(course), course, "en", "brief", book).checks[0].hint_level == "full"
    assert reveal(_failed(course), course, "en", "brief", None).checks[0].hint_level == "brief"


# --- through `grade submit`, on a course without TensorFlow ------------------------------------


def _with_recipe(course_root: Path) -> None:
    spec = course_root / "exercises" / "specs" / "01_tiny.toml"
    text = spec.read_text(encoding="utf-8").replace(
        'hint = "Return 2 * x."',
        textwrap.dedent("""\
            hint = { en = "What does `double` return for one row: is every value scaled?", ko = "한 행을 보세요." }
            recipe = { en = "return 2 * x", ko = "return 2 * x" }"""),
    )
    spec.write_text(text, encoding="utf-8")


def _wrong(tmp_path: Path, n: int) -> Path:
    nb = make_notebook(
        [
            ("code", f"# try {n}\nimport numpy as np\ndef double(x):\n    return x + 1\n"),
            ("code", "def summer(x):\n    return x.sum(axis=1)\n"),
        ],
        exercise="t.ex1",
    )
    return write_notebook(tmp_path / f"01_tiny_{n}.ipynb", nb)


@pytest.mark.kernel
def test_submit_shows_the_recipe_with_full_and_after_two_failed_attempts(runner, tiny_course, tmp_path):  # noqa: ANN001
    _with_recipe(tiny_course)
    base = [
        "--course",
        str(tiny_course),
        "--gradebook",
        str(tmp_path / "gb.db"),
        "--member",
        "sora",
        "--lang",
        "en",
        "--json",
    ]

    def double(*args: str) -> dict:
        r = runner.invoke(cli, ["submit", *args, *base])
        assert r.exit_code == 0, r.output
        return next(c for c in json.loads(r.stdout)["checks"] if c["id"] == "double")

    asked = double(str(_wrong(tmp_path, 0)), "--hints", "full", "--no-record")
    assert asked["hint_level"] == "full" and asked["message"].endswith("In full: return 2 * x")
    first = double(str(_wrong(tmp_path, 1)))
    assert first["hint_level"] == "brief" and "return 2 * x" not in first["message"]
    assert "is every value scaled?" in first["message"]
    second = double(str(_wrong(tmp_path, 2)))  # one failure before: still the hint alone
    assert second["hint_level"] == "brief" and "In full:" not in second["message"]
    third = double(str(_wrong(tmp_path, 3)))
    assert third["hint_level"] == "full"
    assert "In full: return 2 * x (Shown because this check failed in 2 earlier attempts.)" in third["message"]
    text = runner.invoke(cli, ["submit", str(_wrong(tmp_path, 4)), *base[:-1]]).stdout
    assert "In full:" in text


def _graded_wrong(course_root, name, data, member, seed, lang="ko", kernel=None):  # noqa: ANN001, ANN202
    """A stand-in for `work.grade_one`: `double` failed, with its brief hint."""
    check = CheckResult(
        "double", "function_matches", False, 0, 2, "`double` is wrong. Look at what it returns.", hint_level="brief"
    )
    return Attempt("t.ex1", member or "", "graded", [check], 0.0, path=name).to_dict()


def test_a_batch_gives_the_recipe_by_the_same_rules(tiny_course, tmp_path, monkeypatch):  # noqa: ANN001
    from grader.batch import run_batch
    from grader.batch.collect import collect
    from grader.course.loader import load_course

    _with_recipe(tiny_course)
    monkeypatch.setattr("grader.batch.work.grade_one", _graded_wrong)
    course = load_course(tiny_course)
    levels = []
    with Gradebook(str(tmp_path / "gb.db")) as book:
        for n in range(3):
            found, _ = collect([_wrong(tmp_path, n)])
            [item] = run_batch(course, found, member="sora", book=book, warm=False, lang="en")
            levels.append(item.result.checks[0].hint_level)
        full = run_batch(
            course, collect([_wrong(tmp_path, 9)])[0], member="mina", book=book, warm=False, lang="en", hints="full"
        )
    assert levels == ["brief", "brief", "full"]
    assert full[0].result.checks[0].hint_level == "full"
    assert full[0].result.checks[0].message.endswith("In full: return 2 * x")


def test_an_unreadable_gradebook_costs_the_recipe_not_the_attempt(course) -> None:  # noqa: ANN001
    from grader.errors import GradebookError

    class Locked:
        def failed_checks(self, member: str, exercise: str) -> dict[str, int]:
            raise GradebookError("database is locked", "gb.db")

    attempt = reveal(_failed(course), course, "en", "brief", Locked())  # type: ignore[arg-type]
    assert attempt.checks[0].hint_level == "brief" and "In full:" not in attempt.checks[0].message
