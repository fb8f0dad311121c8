"""Who submitted each notebook, and how that was decided (grader/batch/members.py, grader/ids.py)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from grader import ids
from grader.batch.collect import Found
from grader.batch.members import MemberRules, compile_member_pattern, decide_member
from grader.errors import GradeError
from grader.report.model import load_roster

NOTEBOOKS = ("04_forecast7.ipynb", "06_lstm_structure.ipynb")
PLAIN = b'{"metadata": {}, "cells": []}'


@pytest.fixture(autouse=True)
def os_user(monkeypatch):
    monkeypatch.setattr("grader.batch.members.os_user", lambda: "os-user")


def _meta(member: str) -> bytes:
    return json.dumps({"metadata": {"grade": {"member": member}}, "cells": []}).encode()


def test_member_precedence_and_sources(tmp_path):
    under = Found(tmp_path / "subs" / "alice" / "01.ipynb", root=tmp_path / "subs")
    pattern = compile_member_pattern("{member}_*.ipynb")
    named = Found(tmp_path / "in" / "minseo_01_x.ipynb")
    picks = [
        decide_member(under, _meta(" 지민 "), member="explicit", pattern=pattern),
        decide_member(named, _meta("지민"), pattern=pattern),
        decide_member(under, _meta(" 지민 ")),  # metadata before the folder
        decide_member(under, PLAIN),  # the member folder
        decide_member(under, b"not json"),
        decide_member(Found(tmp_path / "01_x.ipynb"), PLAIN),
    ]
    assert [(d.member, d.source) for d in picks] == [
        ("explicit", "flag"),
        ("minseo", "template"),
        ("지민", "metadata"),
        ("alice", "folder"),
        ("alice", "folder"),
        ("os-user", "os-user"),
    ]
    assert [d.fallback for d in picks] == [False] * 5 + [True]
    assert all(d.note() and "\n" not in d.note() for d in picks)
    assert "alice" in picks[3].note() and "--member-from" in picks[1].note()
    # the note is said in the run's language, the source stays the stable form
    assert picks[3].note("ko") == "alice/01.ipynb의 폴더 이름 'alice'"
    assert picks[5].note("ko").startswith("--member, 노트북 메타데이터, 멤버 폴더가 모두 없어")
    with pytest.raises(GradeError, match="does not match the --member-from pattern"):
        decide_member(under, _meta("지민"), pattern=pattern)


@pytest.mark.parametrize(
    "template, root, rel, member",
    [
        ("{member}/*.ipynb", "submissions", "alice/04_forecast7.ipynb", "alice"),
        ("submissions/{member}/*.ipynb", "/abs/submissions", "bob/04_forecast7.ipynb", "bob"),
        ("{member}/**/*.ipynb", "subs", "carol/week3/late/04.ipynb", "carol"),
        ("{member}_??.ipynb", None, "x/dana_04.ipynb", "dana"),
        ("{member}_*.ipynb", None, "x/minseo_04_v2.ipynb", "minseo"),
        ("./{member}/*.ipynb", "subs", "erin/04.ipynb", "erin"),
        ("{member}/*.ipynb", None, "04.ipynb", None),
        ("{member}_*.ipynb", "subs", "erin/04.ipynb", None),
        # The course notebook's own name is never the member: this was member "06".
        ("{member}_*.ipynb", "subs", "sora/06_lstm_structure.ipynb", None),
        ("{member}_*.ipynb", None, "inbox/06_lstm_structure.ipynb", None),
        ("*_{member}.ipynb", None, "inbox/04_forecast7_jiho.ipynb", "jiho"),
        ("{member}-*.ipynb", None, "inbox/지민-04_forecast7.ipynb", "지민"),
        # Colab and browser download names.
        ("{member}_*.ipynb", None, "inbox/sora_04_forecast7.ipynb", "sora"),
        ("{member}_*.ipynb", None, "inbox/sora_04_forecast7 (1).ipynb", "sora"),
        ("{member}_*.ipynb", None, "inbox/Copy of sora_04_forecast7.ipynb", "sora"),
        ("{member}_*.ipynb", None, "inbox/Copy of 04_forecast7.ipynb", None),
        ("{member}_*.ipynb", None, "inbox/04_forecast7 (1).ipynb", None),
        ("{member}/*.ipynb", "subs", "sora/Copy of 04_forecast7.ipynb", "sora"),
    ],
)
def test_member_template(template, root, rel, member):
    found = Found(Path(root) / rel, root=Path(root)) if root else Found(Path(rel))
    rules = MemberRules(pattern=compile_member_pattern(template), notebooks=NOTEBOOKS)
    if member is None:
        with pytest.raises(GradeError):
            rules.decide(found, None)
    else:
        decision = rules.decide(found, None)
        assert (decision.member, decision.source) == (member, "template")


def _course_dirs(tmp_path: Path) -> tuple[Path, MemberRules]:
    course = tmp_path / "course"
    for d in ("exercises", "solutions"):
        (course / d).mkdir(parents=True)
    stops = tuple(p.resolve() for p in (course, course / "exercises", course / "solutions"))
    return course, MemberRules(notebooks=NOTEBOOKS, stops=stops)


@pytest.mark.parametrize(
    "rel, member",
    [
        ("submissions/sora/04_forecast7.ipynb", "sora"),  # per member
        ("submissions/week3/sora/04_forecast7.ipynb", "sora"),  # per week, then member
        ("submissions/sora/week3/04_forecast7.ipynb", "sora"),  # per member, then week
        ("submissions/2021-11-20/jiho/04_forecast7.ipynb", "jiho"),
        ("submissions/21.11.20/jiho/04_forecast7.ipynb", "jiho"),
        ("submissions/3주차/지민/04_forecast7.ipynb", "지민"),
        ("submissions/15장/w2/민서/Copy of 04_forecast7 (1).ipynb", "민서"),
        ("submissions/sora (1)/04_forecast7.ipynb", "sora"),  # an archive unpacked twice
        ("course/exercises/04_forecast7.ipynb", None),  # a student's own starter
        ("course/04_forecast7.ipynb", None),
        ("Downloads/04_forecast7.ipynb", None),
        ("04_forecast7.ipynb", None),
        ("./04_forecast7.ipynb", None),
    ],
)
def test_explicit_paths_take_the_folder_they_are_in(tmp_path, monkeypatch, rel, member):
    """`grade submit submissions/*/04_forecast7.ipynb`: the shell gives file paths, not a folder."""
    monkeypatch.chdir(tmp_path)
    _, rules = _course_dirs(tmp_path)
    decision = rules.decide(Found(Path(rel)), PLAIN)
    if member is None:
        assert (decision.member, decision.source) == ("os-user", "os-user")
    else:
        assert (decision.member, decision.source) == (member, "folder")


@pytest.mark.parametrize(
    "rel, member",
    [
        ("sora/04_forecast7.ipynb", "sora"),
        ("week3/sora/04_forecast7.ipynb", "sora"),
        ("sora/week3/04_forecast7.ipynb", "sora"),
        ("submissions/sora/04_forecast7.ipynb", "sora"),
        ("04_forecast7.ipynb", None),  # flat: nobody named
        ("week3/04_forecast7.ipynb", None),
    ],
)
def test_folders_below_a_directory_argument(tmp_path, rel, member):
    root = tmp_path / "upload"
    _, rules = _course_dirs(tmp_path)
    decision = rules.decide(Found(root / rel, root=root), PLAIN)
    assert decision.member == (member or "os-user") and decision.fallback == (member is None)


def test_the_course_folders_never_name_a_member(tmp_path):
    course, rules = _course_dirs(tmp_path)
    decision = rules.decide(Found(course / "exercises" / "04_forecast7.ipynb", root=course), PLAIN)
    assert decision.source == "os-user"


def test_korean_ids_are_composed_and_checked(tmp_path):
    decomposed = unicodedata.normalize("NFD", "지민")
    assert decomposed != "지민"
    folder = Found(tmp_path / "subs" / decomposed / "04_forecast7.ipynb", root=tmp_path / "subs")
    assert MemberRules().decide(folder, PLAIN).member == "지민"  # macOS folder names are NFD
    assert ids.member_id("  한소라 ", "--member") == "한소라"
    for good in ("sora", "sora.han", "jiho_park", "min-seo", "Sora Han", "지민2", "s@example.org"):
        assert ids.problem(good) is None, good
    for bad in (
        "[/]",
        "[bold]x",
        "ji\u202eoh",
        "jiho\u200b",
        "a\x1b[2Kb",
        "=cmd",
        "-rf",
        "<b>x</b>",
        "a|b",
        "a/b",
        "a\\b",
        "`x`",
        "a  b",
        "",
        "ㅤ",
        "x" * 65,
    ):
        assert ids.problem(ids.normalize(bad)) is not None, repr(bad)


def test_an_unusable_id_makes_the_submission_invalid_not_misfiled(tmp_path):
    with pytest.raises(GradeError, match="cannot be a member id") as info:
        MemberRules().decide(Found(tmp_path / "subs" / "[draft]" / "x.ipynb", root=tmp_path / "subs"), PLAIN)
    assert "\n" not in str(info.value)
    with pytest.raises(GradeError, match=r"grade\.member"):
        MemberRules().decide(Found(tmp_path / "x.ipynb"), _meta("ji\u202eoh"))
    with pytest.raises(GradeError, match="--member"):
        MemberRules(member="[/]")


def test_the_roster_turns_aliases_into_its_ids(tmp_path):
    roster_file = tmp_path / "roster.toml"
    roster_file.write_text(
        '[group]\nname = "g"\n\n[[members]]\nid = "sora"\nname = "한소라"\naliases = ["sora.han", "shan"]\n\n'
        '[[members]]\nid = "지민"\nname = { ko = "박지민", en = "Jimin Park" }\naliases = ["jimin"]\n',
        encoding="utf-8",
    )
    roster = load_roster(roster_file)
    rules = MemberRules(roster=roster)
    by_folder = rules.decide(Found(tmp_path / "subs" / "Sora.Han" / "x.ipynb", root=tmp_path / "subs"), PLAIN)
    assert (by_folder.member, by_folder.source) == ("sora", "folder") and "roster" in by_folder.note()
    assert by_folder.note("ko").endswith("명단에서 'Sora.Han'은 'sora'입니다")
    assert MemberRules(member="jimin", roster=roster).decide(Found(tmp_path / "x.ipynb"), PLAIN).member == "지민"
    assert rules.decide(Found(tmp_path / "x.ipynb"), _meta("stranger")).member == "stranger"  # kept as given


def test_a_roster_id_with_markup_is_refused_with_its_line(tmp_path):
    roster_file = tmp_path / "roster.toml"
    roster_file.write_text(
        '[[members]]\nid = "ok"\nname = "a"\n\n[[members]]\nid = "[/]"\nname = "b"\n', encoding="utf-8"
    )
    with pytest.raises(GradeError, match=r"roster.toml:6: members #2: 'id' '\[/\]' cannot be a member id"):
        load_roster(roster_file)
