"""Results readable at 80 and 60 columns (the width of a small terminal, and of a pipe):
real results of exercises 3 and 7, graded by the grader (tests/data/results/), rendered by
the terminal view with each check's message on its own line under the check."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from grader.cli.term import fmt_points, fmt_score
from grader.cli.views import render_result
from grader.results.attempt import Attempt, CheckResult

DATA = Path(__file__).resolve().parent.parent / "data" / "results"
RESULTS = sorted(DATA.glob("*.json"))
BOX = re.compile(r"[\u2500-\u257f]")


def _render(result: Attempt, width: int, lang: str) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, legacy_windows=False)
    render_result(console, result, lang)
    return out.getvalue().splitlines()


def test_the_data_is_real_results_of_exercises_3_and_7():
    exercises = {json.loads(p.read_text(encoding="utf-8"))["exercise"] for p in RESULTS}
    assert {"ch15.ex3", "ch15.ex7"} <= exercises and len(RESULTS) >= 4


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize("path", RESULTS, ids=lambda p: p.stem)
def test_every_message_reads_whole_at_narrow_widths(path, width):
    from rich.cells import cell_len

    result = Attempt.from_dict(json.loads(path.read_text(encoding="utf-8")))
    lang = path.stem.rsplit(".", 1)[-1]
    lines = _render(result, width, lang)
    assert all(cell_len(line) <= width for line in lines)
    # No column squeezed to a letter or two per line.
    contents = [BOX.sub("", line).strip() for line in lines]
    assert not [c for c in contents if 0 < len(c) <= 2], "\n".join(lines)
    # Each message is all there, in reading order, only wrapped.
    flat = re.sub(r"\s+", "", "".join(BOX.sub("", line) for line in lines))
    for c in result.checks:
        assert re.sub(r"\s+", "", c.message) in flat, c.id
    # The table uses the width: a message line is never shorter than half of it
    # unless it ends a paragraph.
    assert max(cell_len(line) for line in lines) >= width - 2


def test_scores_show_at_most_two_decimals_and_are_kept_to_four():
    assert [fmt_points(x) for x in (9.333333, 10.0, 0.5, 1.25, 7.3332999999999995, 0.0, 2 / 3)] == [
        "9.33", "10", "0.5", "1.25", "7.33", "0", "0.67"]
    assert fmt_score(28 / 3, 10) == "9.33/10"
    third = CheckResult("a", "quiz", False, 4 / 3, 2, "")
    assert third.points == 1.3333
    a = Attempt("e", "m", "graded", [third, CheckResult("b", "quiz", True, 6, 6, "")], 1.0)
    assert a.score == 7.3333 and repr(a.score) == "7.3333"
    lines = _render(a, 80, "en")
    assert any("score 7.33/8" in line for line in lines) and any("1.33/2" in line for line in lines)
    assert not any("1.3333" in line for line in lines)
