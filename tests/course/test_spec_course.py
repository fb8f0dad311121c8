"""Specs in their course: references resolved at load, a broken spec blocks only its own
exercise (grade submit, grade status), and `grade check` validates every spec first."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest
from conftest import make_notebook, write_notebook
from spec_files import header, line_with, write_spec

from grader.cli.app import cli
from grader.course.loader import load_course
from grader.errors import SpecError

SECOND = header("t.ex2", "02_other.ipynb") + textwrap.dedent("""\
    [[checks]]
    id = "double"
    kind = "function_matches"
    points = 1
    target = "double"
    generator = "tiny:probe"
    gen_args = { n = 4 }
    reference = "tiny:double"
""")


def add_spec(course: Path, text: str, name: str = "02_other.toml") -> Path:
    return write_spec(course / "exercises" / "specs", text, name)


def test_the_repository_specs_load_cleanly(course):
    found = load_course(course.root).spec_set  # a fresh course: nothing cached
    assert not found.problems, [p.message for p in found.problems]
    assert len(found.specs) == len(list(course.specs_dir.glob("*.toml")))
    for spec in found.specs.values():
        for check in spec.checks:
            assert check.options is not None and check.index is not None
            assert spec.where(("checks", check.index)).startswith(f"{spec.path}:")


def test_validating_the_repository_specs_takes_under_a_second(course):
    import grader.checks  # noqa: F401 - imports are the program's start-up, measured apart

    fresh = load_course(course.root)
    t0 = time.process_time()  # CPU time: the machine may be shared with other work
    found = fresh.spec_set
    assert time.process_time() - t0 < 1.0 and found.specs


def test_a_sound_second_spec_loads_and_resolves(tiny_course):
    add_spec(tiny_course, SECOND)
    course = load_course(tiny_course)
    assert sorted(course.specs) == ["t.ex1", "t.ex2"] and not course.spec_problems


@pytest.mark.parametrize(
    "old, new, needle, fragments",
    [
        (
            'reference = "tiny:double"',
            'reference = "tiny:doubel"',
            "tiny:doubel",
            [
                "check 'double': reference = 'tiny:doubel'",
                "reference module 'tiny' has no 'doubel'",
                "(did you mean 'double'?)",
            ],
        ),
        ('reference = "tiny:double"', 'reference = "tinny:double"', "tinny:double", ["no reference module 'tinny'"]),
        (
            "gen_args = { n = 4 }",
            "gen_args = { nn = 4 }",
            "gen_args",
            ["tiny:probe, called as probe(rng, **gen_args), does not take these gen_args", "'nn'"],
        ),
    ],
)
def test_a_missing_reference_names_spec_file_and_line(tiny_course, old, new, needle, fragments):
    text = SECOND.replace(old, new)
    path = add_spec(tiny_course, text)
    course = load_course(tiny_course)
    assert sorted(course.specs) == ["t.ex1"]  # the other exercise is unaffected
    (problem,) = course.spec_problems
    assert problem.exercise == "t.ex2" and problem.notebook == "02_other.ipynb"
    assert problem.message.startswith(f"{path}:{line_with(text, needle)}: "), problem.message
    for fragment in fragments:
        assert fragment in problem.message, problem.message


def test_a_reference_module_that_does_not_import_is_a_spec_error(tiny_course):
    (tiny_course / "exercises" / "refs" / "broken.py").write_text("import no_such_module_here\n", encoding="utf-8")
    add_spec(tiny_course, SECOND.replace('reference = "tiny:double"', 'reference = "broken:f"'))
    (problem,) = load_course(tiny_course).spec_problems
    assert "reference module 'broken' does not import: ModuleNotFoundError" in problem.message


def test_the_quiz_question_must_be_in_the_bank(tiny_course):
    quizzes = tiny_course / "quizzes"
    quizzes.mkdir()
    (quizzes / "bank.toml").write_text('[[question]]\nid = "t.q1"\n', encoding="utf-8")
    add_spec(tiny_course, SECOND.replace("[[checks]]", '[quiz]\nquestion = "t.q2"\n\n[[checks]]', 1))
    (problem,) = load_course(tiny_course).spec_problems
    assert "[quiz] question 't.q2' is not in the quiz bank (did you mean 't.q1'?)" in problem.message
    add_spec(tiny_course, SECOND.replace("[[checks]]", '[quiz]\nquestion = "t.q1"\n\n[[checks]]', 1))
    assert not load_course(tiny_course).spec_problems


def test_load_specs_still_raises_the_first_problem(tiny_course):
    from grader.course.spec import load_specs

    add_spec(tiny_course, SECOND.replace("points = 1", "points = -1"))
    with pytest.raises(SpecError, match=r"02_other.toml:6: .*'points' must be a number >= 0"):
        load_specs(tiny_course / "exercises" / "specs")


# --- a broken spec blocks only its own exercise -------------------------------------------------


@pytest.fixture
def broken_course(tiny_course: Path) -> Path:
    add_spec(tiny_course, SECOND.replace('target = "double"', 'target = "double"\natoll = 0.1'))
    return tiny_course


def test_grading_a_notebook_of_the_broken_exercise_names_the_spec(broken_course, tmp_path):
    from grader.grading import grade_file, load_submission

    course = load_course(broken_course)
    for nb in (make_notebook([("code", "x = 1")], exercise="t.ex2"), make_notebook([("code", "x = 1")])):
        path = write_notebook(tmp_path / "Copy of 02_other.ipynb", nb)  # by metadata, then by name
        result, sub = grade_file(course, path, member="m", lang="en")
        assert result.status == "invalid" and sub is None
        assert "the spec of exercise t.ex2 is broken" in result.message
        assert "02_other.toml:8: unknown key 'atoll' in check 'double' (did you mean 'atol'?)" in result.message
    # The other exercise's notebooks are identified and loaded as usual.
    good = write_notebook(tmp_path / "01_tiny.ipynb", make_notebook([("code", "x = 1")]))
    assert load_submission(course, good, member="m").spec.id == "t.ex1"


def test_status_shows_the_broken_exercise_and_goes_on(broken_course, runner, tmp_path):
    args = ["status", "--course", str(broken_course), "--gradebook", str(tmp_path / "g.db")]
    res = runner.invoke(cli, [*args, "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "no attempts yet" in res.output
    assert "t.ex2: its spec is broken, so it cannot be graded" in res.output and "atoll" in res.output
    ko = runner.invoke(cli, [*args, "--lang", "ko"])
    assert "t.ex2: 스펙 파일에 오류가 있어 채점할 수 없습니다" in ko.output
    js = runner.invoke(cli, [*args, "--json", "--lang", "en"])
    assert js.exit_code == 0 and json.loads(js.stdout) == []
    assert "grade: warning: t.ex2: broken spec, not graded" in js.stderr
    js_ko = runner.invoke(cli, [*args, "--json"])  # the warning follows --lang; the prefix stays
    assert "grade: warning: t.ex2: 스펙 파일에 오류가 있어 채점하지 않았습니다" in js_ko.stderr


def test_check_validates_every_spec_before_running_a_notebook(broken_course, runner, monkeypatch):
    import grader.course.instructor as instructor

    def no_runs(*args, **kwargs):
        raise AssertionError("a notebook ran although a spec is broken")

    monkeypatch.setattr(instructor, "run_checks", no_runs)
    res = runner.invoke(cli, ["check", "--course", str(broken_course), "--lang", "en"])
    assert res.exit_code == 1
    assert "grade: error: " in res.stderr and "02_other.toml:8: unknown key 'atoll'" in res.stderr
    assert "specs: 1 of 2 valid" in res.stderr and "no notebook was run" in res.stderr
    js = runner.invoke(cli, ["check", "--json", "--course", str(broken_course)])
    doc = json.loads(js.stdout)["specs"]
    assert js.exit_code == 1 and doc["valid"] == ["t.ex1"] and doc["broken"][0]["exercise"] == "t.ex2"


def test_check_specs_only(tiny_course, runner):
    res = runner.invoke(cli, ["check", "--specs-only", "--course", str(tiny_course), "--lang", "en"])
    assert res.exit_code == 0 and res.stdout.startswith("specs: 1 of 1 valid (")
    js = runner.invoke(cli, ["check", "--specs-only", "--json", "--course", str(tiny_course)])
    doc = json.loads(js.stdout)["specs"]
    assert doc["valid"] == ["t.ex1"] and doc["broken"] == [] and doc["seconds"] >= 0


def test_check_specs_only_refuses_an_unknown_exercise_as_a_full_check_does(tiny_course, runner):
    for extra in (["--specs-only"], []):
        res = runner.invoke(cli, ["check", "nosuch", *extra, "--course", str(tiny_course), "--lang", "en"])
        assert res.exit_code == 1, extra
        assert res.stderr.strip() == "grade: error: unknown exercise: nosuch" and res.stdout == ""
    ko = runner.invoke(cli, ["check", "nosuch", "--specs-only", "--course", str(tiny_course), "--lang", "ko"])
    assert ko.exit_code == 1 and "알 수 없는 문제입니다: nosuch" in ko.stderr
    js = runner.invoke(cli, ["check", "nosuch", "--specs-only", "--json", "--course", str(tiny_course)])
    assert js.exit_code == 1 and json.loads(js.stdout)["exit_code"] == 1
    fine = runner.invoke(cli, ["check", "01_tiny", "--specs-only", "--course", str(tiny_course), "--lang", "en"])
    assert fine.exit_code == 0 and fine.stdout.startswith("specs: 1 of 1 valid (")


def test_exercise_option_naming_a_broken_exercise_says_so(broken_course):
    from grader.grading import exercise_named

    course = load_course(broken_course)
    assert exercise_named(course, "01_tiny").id == "t.ex1"
    for name in ("t.ex2", "ex2", "02_other", "02_other.ipynb", "02"):
        with pytest.raises(
            SpecError,
            match=f"--exercise {name}: this exercise cannot be graded, its spec is "
            r"broken \(.*02_other.toml:8: unknown key 'atoll'",
        ):
            exercise_named(course, name)


def test_a_quiz_check_names_a_question_of_the_bank(tiny_course):
    quizzes = tiny_course / "quizzes"
    quizzes.mkdir()
    (quizzes / "bank.toml").write_text('[[question]]\nid = "t.q1"\n', encoding="utf-8")
    check = '\n[[checks]]\nid = "quiz"\nkind = "quiz"\npoints = 1\nquestion = "t.q9"\n'
    text = SECOND + check
    path = add_spec(tiny_course, text)
    (problem,) = load_course(tiny_course).spec_problems
    assert problem.message.startswith(
        f"{path}:{line_with(text, 't.q9')}: check 'quiz': question 't.q9' is not in "
        "the quiz bank (did you mean 't.q1'?)"
    )


def test_a_reference_called_with_the_wrong_arguments(tiny_course):
    metric = header("t.ex2", "02_other.ipynb") + textwrap.dedent("""\
        [[checks]]
        id = "summer"
        kind = "model_metric"
        points = 1
        target = "summer"
        evidence = "hidden-target"
        generator = "tiny:eval_data"
        metric = "mse"
        threshold = 0.01
        baselines = { twice = "tiny:double" }
    """)
    path = add_spec(tiny_course, metric)
    (problem,) = load_course(tiny_course).spec_problems
    assert problem.message.startswith(
        f"{path}:{line_with(metric, 'twice')}: check 'summer': baselines.twice = "
        "'tiny:double' cannot be called as double(inputs, targets, rng)"
    )
