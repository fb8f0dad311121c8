"""A broken roster or meeting file is told in the reader's language (#16): every error of
grader/report/ is a catalog entry, the key paths of the file shown as code in Korean."""

from __future__ import annotations

from pathlib import Path

import pytest
from site_fixtures import MEETING_1, ROSTER

from grader.errors import SpecError
from grader.report.meeting import load_meeting
from grader.report.roster import find_roster, load_roster


def _meeting_error(tmp_path: Path, text: str) -> SpecError:
    (tmp_path / "roster.toml").write_text(ROSTER, encoding="utf-8")
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_meeting(path, load_roster(tmp_path / "roster.toml"))
    return err.value


def _roster_error(tmp_path: Path, text: str) -> SpecError:
    path = tmp_path / "roster.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_roster(path)
    return err.value


@pytest.mark.parametrize(
    "old, new, en, ko",
    [
        (
            'recorder = "jiho"',
            'recorder = "ghost"',
            "recorder: unknown member 'ghost'",
            "`recorder`: 알 수 없는 멤버 'ghost'입니다",
        ),
        ('start = "20:30"', 'start = "8pm"', "'start' must be a time", '`start`에는 "20:30" 같은 시각을 써야 합니다'),
        ("date = 2021-11-20", 'date = "yesterday"', "'date' must be a date", "`date`에는 2021-11-20"),
    ],
)
def test_a_meeting_error_follows_the_language(tmp_path, old, new, en, ko):
    err = _meeting_error(tmp_path, MEETING_1.replace(old, new))
    assert en in str(err) and err.said("ko").startswith(ko)
    assert err.line("ko").startswith(f"{tmp_path / 'm.toml'}:")


def test_an_image_problem_is_said_in_korean(tmp_path):
    text = MEETING_1.replace('"<b>not bold</b> & co"', '"그림: ![a](https://example.com/x.png)"')
    err = _meeting_error(tmp_path, text)
    assert "only files next to the meeting file" in str(err)
    assert err.said("ko").startswith("`sections.notes`: 이미지 'https://example.com/x.png': 회의 파일 옆에 있는")


def test_roster_errors_follow_the_language(tmp_path):
    err = _roster_error(tmp_path, '[group]\nname = "g"\n')
    assert str(err).endswith("needs at least one [[members]] entry with an 'id' and a 'name'")
    assert err.said("ko") == "`[[members]]` 항목이 하나 이상 있어야 합니다 (`id`와 `name`을 적은 항목)"
    err = _roster_error(tmp_path, '[[members]]\nid = "a|b"\nname = "x"\n')
    assert "members #1: 'id' 'a|b' cannot be a member id: it contains '|'" in str(err)
    assert err.said("ko").startswith("1번째 멤버의 `id` 'a|b'는 멤버 ID로 쓸 수 없습니다: 쓸 수 없는 문자가")
    err = _roster_error(tmp_path, '[[members]]\nid = "a"\nname = "x"\n\n[[members]]\nid = "a"\nname = "y"\n')
    assert err.said("ko") == "멤버 ID 'a'가 두 번 나옵니다" and str(err).endswith("member id 'a' appears twice")


def test_a_missing_roster_is_said_in_korean(tmp_path):
    with pytest.raises(SpecError) as err:
        find_roster(None, tmp_path)
    assert err.value.said("ko").startswith("`roster.toml`을 찾지 못했습니다")
