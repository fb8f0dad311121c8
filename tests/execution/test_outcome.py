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


def test_the_clean_loader_says_why_a_model_was_not_measured_in_the_readers_language(tmp_path: Path) -> None:
    import asyncio

    from grader.checks.base import ProbeOutput
    from grader.course.spec import Limits
    from grader.execution.clean_session import CleanLoader
    from grader.execution.probe_io import SAVE_PREFIX, ProbeRound
    from grader.execution.sandbox import Sandbox

    rnd = ProbeRound(
        kernel=[],
        kernel_inputs={},
        clean=[{"id": "a", "target": "model"}, {"id": "b", "target": "other"}],
        clean_inputs={},
    )
    models = {"model": "model.keras", "other": "other.keras"}
    # `model` was saved but its file is not there; the probe said nothing about `other`.
    saves = {f"{SAVE_PREFIX}model": ProbeOutput(ok=True, value={})}
    loader = CleanLoader(tmp_path, Sandbox(workdir=tmp_path / "run"), None)
    lim = Limits(file_size_mb=16)
    (ko,) = asyncio.run(loader.answer([rnd], models, saves, tmp_path / "models", lim, "ko"))
    assert ko["a"].error == "`models/model.keras` 파일이 없거나, 일반 파일이 아니거나, 16MB보다 큽니다"
    assert ko["b"].error == "검사 코드가 이 모델에 대해 아무것도 알려 주지 않았습니다"
    assert {o.clean_failure for o in ko.values()} == {"no_file"}
    (en,) = asyncio.run(loader.answer([rnd], models, saves, tmp_path / "models", lim))
    assert en["a"].error == "models/model.keras is missing, not a plain file, or larger than 16 MB"
