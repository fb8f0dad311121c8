"""The meeting file's new fields and its strictness: unknown keys at their line with the
nearest valid key, guests from outside the roster, next_meeting, images beside the file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from site_fixtures import MEETING_1, ROSTER

from grader.errors import GradeError, SpecError
from grader.report.meeting import load_meeting
from grader.report.roster import load_roster


def _load(tmp_path: Path, text: str):
    (tmp_path / "roster.toml").write_text(ROSTER, encoding="utf-8")
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    return load_meeting(path, load_roster(tmp_path / "roster.toml"))


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(SpecError) as err:
        _load(tmp_path, text)
    return str(err.value)


def _line(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


@pytest.mark.parametrize(
    "old, new, needle, expect",
    [
        (
            "place = {",
            'plcae = "Zoom"\nplace = {',
            "plcae",
            "unknown key 'plcae' at the top level (did you mean 'place'?)",
        ),
        (
            "[attendance]\n",
            '[attendance]\nguest = ["x"]\n',
            "guest =",
            "unknown key 'guest' in [attendance] (did you mean 'guests'?)",
        ),
        (
            'status = "postponed"',
            'status = "postponed"\npresentor = "sora"',
            "presentor",
            "unknown key 'presentor' in [sections[1]] (did you mean 'presenter'?)",
        ),
        (
            'member = "minseo"',
            'member = "minseo"\ntitel = "t"',
            "titel",
            "unknown key 'titel' in [assignments[0]] (did you mean 'title'?)",
        ),
        (
            'place = { ko = "Zoom 미팅", en = "Zoom meeting" }',
            'place = { kr = "Zoom 미팅" }',
            "place =",
            "unknown key 'kr' in [place] (valid keys: 'en', 'ko')",
        ),
    ],
)
def test_unknown_keys_are_rejected_at_their_line_with_the_nearest_key(tmp_path, old, new, needle, expect):
    text = MEETING_1.replace(old, new, 1)
    assert text != MEETING_1
    msg = _error(tmp_path, text)
    assert expect in msg
    assert f"m.toml:{_line(text, needle)}:" in msg


def test_unknown_key_in_next_meeting(tmp_path):
    text = MEETING_1 + '\n[next_meeting]\ndate = 2021-11-27\nstrat = "20:30"\n'
    msg = _error(tmp_path, text)
    assert "unknown key 'strat' in [next_meeting] (did you mean 'start'?)" in msg
    assert f"m.toml:{_line(text, 'strat')}:" in msg


def test_guests_need_not_be_in_the_roster(tmp_path):
    text = MEETING_1.replace("[attendance]\n", '[attendance]\nguests = ["이도윤", { name = "Kim", note = "TA" }]\n')
    m = _load(tmp_path, text)
    assert [g.name["ko"] for g in m.guests] == ["이도윤", "Kim"]
    assert m.guests[1].note == {"ko": "TA", "en": "TA"}
    # a guest is not a member: attendance.start still takes roster members only, and says where guests go
    msg = _error(tmp_path, text.replace('start = ["sora",', 'start = ["이도윤", "sora",'))
    assert "unknown member '이도윤'" in msg and "attendance.guests" in msg


def test_next_meeting(tmp_path):
    text = (
        MEETING_1
        + '\n[next_meeting]\ndate = "21.11.27"\nstart = "20:30"\nplace = "Zoom"\n'
        + 'topic = { ko = "16장", en = "Ch. 16" }\n'
    )
    nx = _load(tmp_path, text).next_meeting
    assert nx.date == dt.date(2021, 11, 27) and nx.start == dt.time(20, 30) and nx.end is None
    assert nx.place["ko"] == "Zoom" and nx.topic["en"] == "Ch. 16"
    assert nx.starts_at.utcoffset() == dt.timedelta(hours=9)
    msg = _error(tmp_path, MEETING_1 + "\n[next_meeting]\ndate = 2021-11-13\n")
    assert "next_meeting.date must come after this meeting's date" in msg
    text = MEETING_1 + '\n[next_meeting]\ndate = 2021-11-27\nstart = "late"\n'
    msg = _error(tmp_path, text)
    assert "'start' must be a time" in msg and f"m.toml:{_line(text, 'late')}:" in msg


def test_notes_may_be_one_markdown_document(tmp_path):
    text = MEETING_1.replace(
        'notes = ["매 스텝 x(t)와 y(t-1)을 받는다.", "<b>not bold</b> & co"]',
        "notes = '''\n# 정리\n\n- 하나\n- 둘\n'''",
    )
    notes = _load(tmp_path, text).sections[0].notes
    assert notes == [{"ko": "# 정리\n\n- 하나\n- 둘\n", "en": "# 정리\n\n- 하나\n- 둘\n"}]


@pytest.mark.parametrize(
    "src, expect",
    [
        ("fig/missing.png", "no such file"),
        ("https://example.com/x.png", "only files next to the meeting file"),
        ("../secret.png", "must stay inside the meeting's folder"),
        ("/etc/passwd.png", "only files next to the meeting file"),
        ("fig/notes.txt", "not a picture format"),
    ],
)
def test_images_must_be_pictures_beside_the_meeting(tmp_path, src, expect):
    (tmp_path / "fig").mkdir()
    (tmp_path / "fig" / "notes.txt").write_text("x", encoding="utf-8")
    text = MEETING_1.replace('"<b>not bold</b> & co"', f'"그림: ![a]({src})"')
    msg = _error(tmp_path, text)
    assert expect in msg
    assert f"m.toml:{_line(text, '그림')}:" in msg


def test_an_image_beside_the_meeting_loads(tmp_path):
    (tmp_path / "fig").mkdir()
    (tmp_path / "fig" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    m = _load(tmp_path, MEETING_1.replace('"<b>not bold</b> & co"', '"![a](fig/a.png)"'))
    assert m.sections[0].notes[1]["ko"] == "![a](fig/a.png)"


def test_example_meeting_shows_the_new_fields():
    root = Path(__file__).resolve().parents[2] / "site"
    m = load_meeting(root / "meetings" / "2021-11-20.toml", load_roster(root / "roster.toml"))
    assert m.guests and m.next_meeting is not None and m.next_meeting.date > m.date
    notes = " ".join(n["ko"] for n in m.all_notes())
    assert "$$" in notes and "```python" in notes and "![" in notes and "](https://" in notes


def test_roster_rejects_unknown_keys_at_their_line(tmp_path):
    path = tmp_path / "roster.toml"
    text = ROSTER.replace('aliases = ["mkim"]', 'alias = ["mkim"]')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_roster(path)
    assert f"roster.toml:{_line(text, 'alias =')}:" in str(err.value)
    assert "unknown key 'alias' in [members[2]] (did you mean 'aliases'?)" in str(err.value)
    path.write_text(
        ROSTER.replace('timezone = "Asia/Seoul"', 'timezone = "Asia/Seoul"\ntimzone = "UTC"'), encoding="utf-8"
    )
    with pytest.raises(SpecError, match=r"unknown key 'timzone' in \[group\] \(did you mean 'timezone'\?\)"):
        load_roster(path)


def test_every_page_string_exists_in_both_languages():
    from grader.i18n import entries
    from grader.report.render import PAGE, Strings, page_keys

    keys = page_keys()
    assert len(keys) > 80 and set(Strings("ko").keys()) == set(Strings("en").keys()) == set(keys)
    for key in keys:
        entry = entries()[PAGE + key]
        assert entry["ko"].strip() and entry["en"].strip(), key
    assert Strings("ko").recorder == "서기" and Strings("en").recorder == "Recorder"
    assert Strings("en").fmt("people_n", n=3) == "3 people" and Strings("ko").fmt("people_n", n=3) == "3명"
    with pytest.raises(AttributeError):
        Strings("ko").no_such_word  # noqa: B018 - a template's typo fails, as StrictUndefined makes it


_USED = re.compile(r"""\bt\.(?:fmt\(\s*)?['"]?([a-z_]+)|\bt\[\s*f?['"]([a-z_]+)""")


def test_every_page_string_is_used_and_every_used_one_exists():
    """The templates and report modules ask for the pages' words by name (`t.recorder`,
    `t.fmt('window', …)`, `t["state_" ~ status]`): each name a template asks for is in the
    catalog, and each catalog word is asked for somewhere."""
    from grader.report.render import page_keys

    here = Path(__file__).resolve().parents[2] / "grader" / "report"
    templates = "\n".join(p.read_text(encoding="utf-8") for p in here.glob("templates/*.j2"))
    modules = "\n".join(p.read_text(encoding="utf-8") for p in here.glob("*.py"))
    keys = set(page_keys())

    def asked(source: str) -> set[str]:
        return {a or b for a, b in _USED.findall(source)} - {"fmt", "keys", "lang"}

    prefixes = {k for k in asked(templates) | asked(modules) if k.endswith("_")}  # t["state_" ~ …]
    # In a template `t` is always the page's words (a module's `t` may be anything else).
    unknown = sorted(k for k in asked(templates) - prefixes if k not in keys)
    assert not unknown, unknown
    used = asked(templates) | asked(modules)
    unused = sorted(k for k in keys if k not in used and not any(k.startswith(p) for p in prefixes))
    assert not unused, unused


def test_file_errors_are_told_in_both_languages(tmp_path):
    from grader.report.common import read_toml
    from grader.report.site import build_site

    def said(path, what="meeting"):
        with pytest.raises(SpecError) as info:
            read_toml(path, what)
        return info.value, info.value.said("ko"), info.value.said("en")

    err, ko, en = said(tmp_path / "none.toml")
    assert str(err) == f"{tmp_path / 'none.toml'}: no such meeting file" and ko == "회의 파일이 없습니다"
    assert said(tmp_path, "roster")[1:] == ("명단 파일이 아니라 폴더입니다", "is a folder, not a roster file")
    (tmp_path / "bad.toml").write_bytes(b'topic = "\xff"\n')
    assert said(tmp_path / "bad.toml")[1:] == ("UTF-8 텍스트가 아닙니다 (9번째 바이트)", "not UTF-8 text (byte 9)")
    (tmp_path / "bad.toml").write_text('date = 2021-11-20\ntopic = "x\n', encoding="utf-8")
    err, ko, en = said(tmp_path / "bad.toml")
    assert err.path == f"{tmp_path / 'bad.toml'}:2" and ko.startswith("올바른 TOML 형식이 아닙니다: ")
    assert en.startswith("not valid TOML: ")
    (tmp_path / "roster.toml").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "meetings").mkdir()
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("x", encoding="utf-8")
    with pytest.raises(GradeError) as info:
        build_site(tmp_path / "taken", site_dir=tmp_path, gradebook=None)
    assert info.value.said("ko").startswith("이미 있는 폴더이고 이 명령이 만든 사이트가 아닙니다.")
    assert (tmp_path / "taken" / "mine.txt").read_text(encoding="utf-8") == "x"  # nothing lost
