"""Korean particles chosen by the word they follow (grader/i18n/particles.py)."""

from __future__ import annotations

import pytest

from grader.i18n import join_and, join_or
from grader.i18n.particles import PAIRS, attach, final_sound, number_sound, particle


@pytest.mark.parametrize(
    ("word", "subject", "obj", "direction"),
    [
        # Hangul: the last syllable's final consonant; ㄹ takes 로
        ("순환 층", "이", "을", "으로"),
        ("시퀀스", "가", "를", "로"),
        ("모델", "이", "을", "로"),
        ("셀 상태", "가", "를", "로"),
        ("4,000자", "가", "를", "로"),
        # digits read in Sino-Korean: 1 일, 2 이, 3 삼, 6 육, 7 칠, 8 팔, 0 영, 10 십, 100 백, 1000 천, 10000 만
        ("1", "이", "을", "로"),
        ("2", "가", "를", "로"),
        ("3", "이", "을", "으로"),
        ("4", "가", "를", "로"),
        ("5", "가", "를", "로"),
        ("6", "이", "을", "으로"),
        ("7", "이", "을", "로"),
        ("8", "이", "을", "로"),
        ("9", "가", "를", "로"),
        ("0", "이", "을", "으로"),
        ("10", "이", "을", "으로"),
        ("20", "이", "을", "으로"),
        ("100", "이", "을", "으로"),
        ("1000", "이", "을", "으로"),
        ("1,000", "이", "을", "으로"),
        ("10000", "이", "을", "으로"),
        ("960", "이", "을", "으로"),
        ("1,120", "이", "을", "으로"),
        ("32", "가", "를", "로"),
        ("1, 2, 4, 8", "이", "을", "로"),
        # decimals: the last digit after the point
        ("0.005", "가", "를", "로"),
        ("1.5", "가", "를", "로"),
        ("0.25", "가", "를", "로"),
        ("2.0", "이", "을", "으로"),
        # units after a number
        ("50%", "가", "를", "로"),
        ("10 s", "가", "를", "로"),
        ("512 MB", "가", "를", "로"),
        # identifiers by their English pronunciation
        ("model", "이", "을", "로"),
        ("lstm_step", "이", "을", "으로"),
        ("wavenet_model", "이", "을", "로"),
        ("make_windows", "가", "를", "로"),
        ("shape", "가", "를", "로"),
        ("Dense", "가", "를", "로"),
        ("series", "가", "를", "로"),
        ("X_train", "이", "을", "으로"),
        ("time", "이", "을", "으로"),
        ("padding", "이", "을", "으로"),
        ("target", "이", "을", "으로"),
        ("list", "가", "를", "로"),
        ("mask", "가", "를", "로"),
        ("layer", "가", "를", "로"),
        ("input", "이", "을", "으로"),  # 인풋
        ("keras.Input", "이", "을", "으로"),
        ("dropout", "이", "을", "으로"),  # 드롭아웃
        ("selfcheck", "가", "를", "로"),  # 셀프체크
        ("'metric'", "이", "을", "으로"),  # 메트릭
        ("output_shape", "가", "를", "로"),
        ("Bidirectional", "이", "을", "로"),
        ("TimeDistributed", "가", "를", "로"),
        ("None", "이", "을", "으로"),
        # acronyms letter by letter: GRU 지알유, LSTM 엘에스티엠, RNN 알엔엔, Conv1D ...디
        ("GRU", "가", "를", "로"),
        ("LSTM", "이", "을", "으로"),
        ("SimpleRNN", "이", "을", "으로"),
        ("LSTMCell", "이", "을", "로"),
        ("Conv1D", "가", "를", "로"),
        ("MSE", "가", "를", "로"),
        # capitals that are words: click's metavariables
        ("'MEETING_FILE'", "이", "을", "로"),  # 미팅 파일
        ("'PATHS'", "가", "를", "로"),  # 패스
        ("'EXERCISE_ID'", "가", "를", "로"),  # 아이디
        ("h", "가", "를", "로"),
        ("c", "가", "를", "로"),
        ("n", "이", "을", "으로"),
        # backquoted code, brackets, quotes and a remark in parentheses are silent
        ("`model`", "이", "을", "로"),
        ("`GRU`", "가", "를", "로"),
        ("[batch, 7]", "이", "을", "로"),
        ("[None, 10, 64]", "가", "를", "로"),
        ("(5, 32)", "가", "를", "로"),
        ("'answer:ch15.ex1'", "이", "을", "로"),
        ("model.save()", "가", "를", "로"),
        ("프레임별 합성곱 층(TimeDistributed Conv2D)", "이", "을", "으로"),
        ("드롭아웃 (rate 0.2)", "이", "을", "으로"),
    ],
)
def test_particles_follow_the_spoken_word(word: str, subject: str, obj: str, direction: str) -> None:
    assert particle(word, "이/가") == subject
    assert particle(word, "을/를") == obj
    assert particle(word, "으로/로") == direction
    # the other pairs agree with 이/가 on consonant against vowel
    topic = "은" if subject == "이" else "는"
    assert attach(word, "은/는") == word + topic
    assert particle(word, "과/와") == ("과" if subject == "이" else "와")
    assert particle(word, "이어야/여야") == ("이어야" if subject == "이" else "여야")


@pytest.mark.parametrize(
    "option, obj",
    [
        # the options of grade's commands, as a Korean speaker reads them
        ("--out", "--out을"),  # 아웃
        ("--output", "--output을"),  # 아웃풋
        ("--json", "--json을"),  # 제이슨
        ("--lang", "--lang을"),  # 랭
        ("--member", "--member를"),  # 멤버
        ("--member-from", "--member-from을"),  # 프롬
        ("--workers", "--workers를"),  # 워커스
        ("--hints", "--hints를"),  # 힌츠
        ("--gradebook", "--gradebook을"),  # 그레이드북
        ("--gradebook-file", "--gradebook-file을"),  # 파일
        ("--course", "--course를"),  # 코스
        ("--format", "--format을"),  # 포맷
        ("--regrade", "--regrade를"),  # 리그레이드
        ("--exercise", "--exercise를"),  # 엑서사이즈
        ("--question", "--question을"),  # 퀘스천
        ("--submitted-at", "--submitted-at을"),  # 앳
        ("--until", "--until을"),  # 언틸
        ("--specs-only", "--specs-only를"),  # 온리
        ("--quiz-lang", "--quiz-lang을"),
        ("--no-record", "--no-record를"),
        ("--explain", "--explain을"),  # 익스플레인
        ("--excel", "--excel을"),  # 엑셀
        ("--dry-run", "--dry-run을"),  # 런
        ("--timeout", "--timeout을"),  # 타임아웃
        ("--seed", "--seed를"),  # 시드
        ("--port", "--port를"),  # 포트
        ("--all", "--all을"),  # 올
        ("grade selfcheck", "grade selfcheck를"),  # 셀프체크
        ("grade submit", "grade submit을"),  # 서브밋
    ],
)
def test_command_line_words_take_the_particle_of_their_reading(option: str, obj: str) -> None:
    assert attach(option, "을/를") == obj


def test_number_reading_units() -> None:
    assert number_sound("100000000") == number_sound("1000") == "consonant"  # 억, 천
    assert number_sound("1000000000000") == "vowel"  # 조
    assert number_sound("7") == number_sound("17") == "rieul"  # 칠, 십칠
    assert number_sound("00") == "consonant"  # 영


def test_nothing_spoken_gives_both_forms() -> None:
    assert final_sound("…") is None
    assert particle("…", "이/가") == "이(가)"
    assert particle("", "으로/로") == "(으)로"


def test_unknown_pair_is_refused() -> None:
    with pytest.raises(KeyError):
        particle("model", "에게/게")
    assert "이/가" in PAIRS and "으로/로" in PAIRS


def test_joins() -> None:
    assert join_and(["h", "c"], "ko") == "h와 c"
    assert join_and(["순환 층", "c"], "ko") == "순환 층과 c"
    assert join_and(["h", "c", "y"], "ko") == "h, c와 y"
    assert join_and(["h", "c", "y"], "en") == "h, c and y"
    assert join_and(["h"], "ko") == "h"
    assert join_or(["LSTM", "GRU"], "ko") == "LSTM 또는 GRU"
    assert join_or(["LSTM", "GRU"], "en") == "LSTM or GRU"
