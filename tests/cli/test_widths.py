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
    # One of them ran with a failing cell and a skipped install line.
    assert any(json.loads(p.read_text(encoding="utf-8"))["cell_errors"] for p in RESULTS)


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
    for note in result.message.splitlines():  # cell errors, lines not run: also whole
        assert re.sub(r"\s+", "", note) in flat, note
    # The table uses the width: a message line is never shorter than half of it
    # unless it ends a paragraph.
    assert max(cell_len(line) for line in lines) >= width - 2


def test_scores_show_at_most_two_decimals_and_are_kept_to_four():
    assert [fmt_points(x) for x in (9.333333, 10.0, 0.5, 1.25, 7.3332999999999995, 0.0, 2 / 3)] == [
        "9.33",
        "10",
        "0.5",
        "1.25",
        "7.33",
        "0",
        "0.67",
    ]
    assert fmt_score(28 / 3, 10) == "9.33/10"
    third = CheckResult("a", "quiz", False, 4 / 3, 2, "")
    assert third.points == 1.3333
    a = Attempt("e", "m", "graded", [third, CheckResult("b", "quiz", True, 6, 6, "")], 1.0)
    assert a.score == 7.3333 and repr(a.score) == "7.3333"
    lines = _render(a, 80, "en")
    assert any("score 7.33/8" in line for line in lines) and any("1.33/2" in line for line in lines)
    assert not any("1.3333" in line for line in lines)


@pytest.mark.parametrize("width", [80, 60])
def test_the_batch_summary_reads_at_narrow_widths(width):
    from rich.cells import cell_len

    from grader.batch.collect import Found
    from grader.batch.run import BatchItem
    from grader.cli.views_batch import render_batch_summary

    items = []
    for i, path in enumerate(RESULTS):
        result = Attempt.from_dict(json.loads(path.read_text(encoding="utf-8")))
        items.append(
            BatchItem(
                index=i,
                found=Found(Path("subs/지민") / f"{path.stem}.ipynb", root=Path("subs")),
                member="지민",
                result=result,
            )
        )
    why = (
        "cannot tell which exercise this is: no 'grade.exercise' in the notebook metadata and the file name "
        "matches none of 01_seq2seq_uses.ipynb, 02_rnn_shapes.ipynb; name it with --exercise"
    )
    bad = Attempt("", "sora", "invalid", [], 0.0, path="subs/sora/notes.ipynb", message=f"subs/sora/notes.ipynb: {why}")
    items.append(
        BatchItem(
            index=len(items), found=Found(Path("subs/sora/notes.ipynb"), root=Path("subs")), member="sora", result=bad
        )
    )
    out = io.StringIO()
    render_batch_summary(Console(file=out, width=width, color_system=None), items, "en", wall_s=60.0)
    lines = out.getvalue().splitlines()
    assert all(cell_len(line) <= width for line in lines)
    # The column the notes wrap in keeps most of the width.
    top = next(line for line in lines if line.lstrip().startswith("┏"))
    assert max(len(part) for part in top.strip("┏┓").split("┳")) >= width // 2, "\n".join(lines)
    flat = re.sub(r"\s+", "", "".join(BOX.sub("", line) for line in lines))
    assert re.sub(r"\s+", "", why) in flat  # why it was not graded, whole
    with_errors = next(it.result for it in items if it.result.cell_errors)
    assert re.sub(r"\s+", "", with_errors.message.splitlines()[1]) in flat  # its first failing cell
