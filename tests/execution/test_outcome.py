"""How a run ended, in the reader's language: RunOutcome keeps the catalog entry it was told."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.execution.outcome import RunOutcome
from grader.i18n import entries

RUNNER = Path(__file__).resolve().parents[2] / "grader" / "execution" / "runner.py"


def test_an_outcome_says_why_in_both_languages() -> None:
    out = RunOutcome()
    assert out.said("ko") == out.said("en") == "" and out.status == "graded"
    out.tell("crashed", "execution.run.oom_in_cell", cell=3, memory_mb=1024)
    assert out.status == "crashed"
    assert (
        out.message
        == out.said("en")
        == ("the notebook ran out of memory while running code cell 3 (limit 1024 MB); use smaller arrays or batches")
    )
    assert out.said("ko") == (
        "코드 셀 3을 실행하는 중에 노트북의 메모리가 부족했습니다 (한도 1024MB). 배열이나 배치를 더 작게 만드세요."
    )
    out.tell("timeout", "execution.run.cell_timeout", cell=2, cell_s=1.5)
    assert out.said("en") == "code cell 2 ran past the limit of 1.5 s"
    assert out.said("ko") == "코드 셀 2의 실행 시간이 한도 1.5초를 넘었습니다."


def test_every_run_outcome_of_the_runner_is_a_catalog_entry() -> None:
    """The runner says how a run ended only through `tell`, never with a literal sentence."""
    source = RUNNER.read_text(encoding="utf-8")
    assert "outcome.message =" not in source
    told = set(re.findall(r'outcome\.tell\(\s*"\w+",\s*"([\w.]+)"', source))
    run_keys = {k for k in entries() if k.startswith("execution.run.")}
    assert told == run_keys


@pytest.mark.kernel
def test_a_timeout_and_a_cell_error_are_told_in_korean(tiny_course: Path, tmp_path: Path) -> None:
    from conftest import make_notebook, write_notebook

    from grader.course.loader import load_course
    from grader.grading import grade_file

    course = load_course(tiny_course)
    limits = course.specs["t.ex1"].limits
    object.__setattr__(limits, "cell_timeout_s", 2)  # frozen dataclass: tests only
    keras_like = "raise ValueError(\"Exception encountered when calling layer 'lstm' (type LSTM).\\n\\nbad input\")"
    nb = make_notebook([("code", keras_like), ("code", "import time\ntime.sleep(60)")], exercise="t.ex1")
    path = write_notebook(tmp_path / "01_tiny.ipynb", nb)
    result, _ = grade_file(course, path, lang="ko")
    assert result.status == "timeout"
    assert result.message.splitlines()[0] == "코드 셀 2의 실행 시간이 한도 2초를 넘었습니다."
    assert [e.summary for e in result.cell_errors] == ["ValueError ('lstm' 층(LSTM)에서): bad input"]
