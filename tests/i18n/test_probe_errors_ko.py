"""The probe's common Python errors are told in Korean, the output's number included,
without an English fragment such as "(output 1)" left in the sentence."""

from __future__ import annotations

import pytest

from grader.checks.base import _probe_error


class _Ctx:
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def text(self, key: str, **fields: object) -> str:
        from grader.i18n import text

        return text(key, self.lang, **fields)


@pytest.mark.parametrize(
    "error, ko",
    [
        ("TypeError: returned None, not an array", "None을 반환했습니다 (배열이어야 합니다)"),
        ("TypeError: returned None (output 1), not an array", "1번째 출력으로 None을 반환했습니다 (배열이어야 합니다)"),
        ("TypeError: returned None (output 2), not an array", "2번째 출력으로 None을 반환했습니다 (배열이어야 합니다)"),
    ],
)
def test_returned_none_in_korean(error: str, ko: str) -> None:
    assert _probe_error(error, _Ctx("ko")) == ko  # type: ignore[arg-type]
    assert _probe_error(error, _Ctx("en")) == error  # type: ignore[arg-type]
