"""The practice pack: references recorded for the practice seed, replayed without them."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from grader.checks import GradeContext, ProbeOutput
from grader.errors import SpecError
from grader.grading import all_checks, evaluate_checks, plan_checks
from grader.selfcheck import pack as packs
from grader.selfcheck.packwrite import pack_problems, summary_lines, write_pack

from .courses import add_quiz


def test_the_practice_seed_is_never_a_graded_seed(course):
    assert packs.practice_seed(course) >= 2**31
    bad = dataclasses.replace(course, raw={"selfcheck": {"practice_seed": 42}})
    with pytest.raises(SpecError, match="2\\*\\*31"):
        packs.practice_seed(bad)


@pytest.fixture(scope="module")
def written(course, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pack") / "ch15"
    write_pack(course, out, with_quiz=True)
    return out


def test_the_pack_holds_no_reference_and_no_solution(written):
    files = [p.relative_to(written).as_posix() for p in written.rglob("*") if p.is_file()]
    assert not [f for f in files if f.endswith((".py", ".ipynb"))]
    assert not (written / "refs").exists() and not (written / "solutions").exists()
    text = "".join((written / f).read_text(encoding="utf-8") for f in files if f.endswith((".json", ".toml")))
    assert "def make_windows" not in text and "### BEGIN SOLUTION" not in text


def test_checks_whose_answer_is_fixed_are_left_out(written):
    pack = packs.open_pack(written)
    left = {ex: pack.practice(ex)[0]["left_out"] for ex in pack.manifest["exercises"]}
    assert left["ch15.ex2"]["predictions"]["reason"] == packs.FIXED_ANSWER  # the table of answers
    assert left["ch15.ex2"]["stack"] == {"reason": packs.FIXED_ANSWER}  # its title is in the pack's spec
    assert "windows" in pack.practice("ch15.ex4")[0]["checks"]  # seed-dependent: kept
    assert "quality" in pack.practice("ch15.ex4")[0]["checks"]


def _arrays_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) and a[k].dtype == b[k].dtype for k in a)


def test_replay_plans_exactly_what_the_references_plan(course, written):
    pack = packs.open_pack(written)
    pcourse = packs.load_pack_course(written)
    seed = packs.practice_seed(course)
    compared = 0
    for ex, spec in course.specs.items():
        doc = pack.practice(ex)[0]
        base = GradeContext(seed=seed, lang="en", course=pcourse, spec=pcourse.specs[ex])
        for check in spec.checks:
            if check.id not in doc["checks"]:
                continue
            live = plan_checks([check], GradeContext(seed=seed, lang="en", course=course, spec=spec))
            replayed = plan_checks([check], pack.replay_context(ex, check.id, base))
            assert live[1] == replayed[1], (ex, check.id)
            assert _arrays_equal(live[2], replayed[2]), (ex, check.id)
            compared += 1
    assert compared >= 30


def test_a_metric_judged_from_the_pack_says_what_the_references_say(course, written):
    """model_metric calls its baselines while judging: the pack recorded them."""
    pack = packs.open_pack(written)
    pcourse = packs.load_pack_course(written)
    seed = packs.practice_seed(course)
    spec = course.specs["ch15.ex4"]
    check = next(c for c in spec.checks if c.id == "quality")
    live_ctx = GradeContext(seed=seed, lang="ko", course=course, spec=spec)
    plans, reqs, _ = plan_checks([check], live_ctx)
    targets = plans[check.id].private["targets"]
    outs = {reqs[0]["id"]: ProbeOutput(ok=True, arrays=[targets + 0.05])}
    live = evaluate_checks([check], live_ctx, plans, outs, "", {})[0]
    ctx = pack.replay_context(
        "ch15.ex4", check.id, GradeContext(seed=seed, lang="ko", course=pcourse, spec=pcourse.specs["ch15.ex4"])
    )
    rplans, _, _ = plan_checks([check], ctx)
    replayed = evaluate_checks([check], ctx, rplans, outs, "", {})[0]
    assert "기준 모델" in live.message and replayed.message == live.message
    assert replayed.points == live.points


def test_the_pack_course_keeps_the_quiz_and_checks(written):
    pcourse = packs.load_pack_course(written)
    spec = pcourse.specs["ch15.ex4"]
    kinds = [c.kind for c in all_checks(spec, pcourse)]
    assert "quiz" in kinds and "model_metric" in kinds


def test_a_pack_without_the_quiz_says_so(tiny_course, tmp_path):
    from grader.course.loader import load_course

    course = load_course(tiny_course)
    out = tmp_path / "pack"
    manifest = write_pack(course, out, with_quiz=False)
    assert manifest["seed"] == packs.DEFAULT_PRACTICE_SEED and not manifest["quiz"]
    assert pack_problems(course, out) == []
    doc = packs.open_pack(out).practice("t.ex1")[0]
    assert set(doc["checks"]) == {"double", "summer"}


def test_a_changed_spec_makes_the_pack_stale(tiny_course, tmp_path):
    from grader.course.loader import load_course

    root = tmp_path / "c"
    shutil.copytree(tiny_course, root)
    out = tmp_path / "pack"
    write_pack(load_course(root), out, with_quiz=False)
    spec = root / "exercises" / "specs" / "01_tiny.toml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("threshold = 0.01", "threshold = 0.02"), encoding="utf-8")
    problems = pack_problems(load_course(root), out)
    assert problems and "out of date" in problems[0]
    assert "no practice pack" in pack_problems(load_course(root), tmp_path / "none")[0]


def test_writing_over_a_folder_that_is_not_a_pack_is_refused(tiny_course, tmp_path):
    from grader.course.loader import load_course

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(SpecError, match="not empty"):
        write_pack(load_course(tiny_course), tmp_path / "mine", with_quiz=False)
    assert (tmp_path / "mine" / "notes.txt").is_file()


def test_the_summary_says_why_a_check_was_left_out_in_both_languages():
    rows = [{"exercise": "e", "kept": ["a"], "left_out": {"b": packs.FIXED_ANSWER, "q": packs.NO_QUIZ_BANK}}]
    en = summary_lines("c", {"seed": 7}, rows, Path("out"), "en")
    assert en == [
        "practice pack for c (seed 7) written to out",
        "  e: 1 check; left out: b (the same answer for every seed), q (written without --with-quiz)",
    ]
    ko = summary_lines("c", {"seed": 7}, rows, Path("out"), "ko")
    assert ko[1] == "  e: 검사 1개; 넣지 않은 검사: b (시드와 상관없이 정답이 같음), q (--with-quiz 없이 만듦)"


def test_left_out_checks_keep_only_what_the_specs_do_not_hold(tiny_course, tmp_path):
    """A kernel check left out is still built from the pack's copy of its spec: only its reason
    is recorded. The quiz without its bank cannot be built, so its title and points are kept."""
    from grader.course.loader import load_course

    add_quiz(tiny_course)
    out = tmp_path / "pack"
    write_pack(load_course(tiny_course), out, with_quiz=False)
    left = packs.open_pack(out).practice("t.ex1")[0]["left_out"]
    assert list(left) == ["quiz:ch15.ex4"]
    quiz = left["quiz:ch15.ex4"]
    assert quiz["reason"] == packs.NO_QUIZ_BANK and quiz["kind"] == "quiz" and quiz["points"] > 0 and quiz["title"]
