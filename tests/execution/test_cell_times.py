"""The seconds each code cell ran are recorded (`timings.cell_times` in the attempt and in
`grade submit --json`), also for the cell that ran out of time."""

from __future__ import annotations

import json

import nbformat
import pytest
from conftest import write_notebook

from grader.cli.app import cli
from grader.results.attempt import Attempt


def _submit_with(runner, tiny_course, tmp_path, at: int, code: str) -> dict:
    """`grade submit --json` of the tiny solution with one more code cell at position `at`."""
    nb = nbformat.read(tiny_course / "solutions" / "01_tiny.ipynb", as_version=4)
    nb.cells.insert(at, nbformat.v4.new_code_cell(code))
    path = write_notebook(tmp_path / "01_tiny.ipynb", nb)
    args = ["submit", str(path), "--json", "--course", str(tiny_course), "--gradebook", str(tmp_path / "gb.db")]
    r = runner.invoke(cli, [*args, "--member", "a"])
    return json.loads(r.stdout)


@pytest.mark.kernel
def test_cell_times_in_the_json(runner, tiny_course, tmp_path):
    doc = _submit_with(runner, tiny_course, tmp_path, 1, "import time\ntime.sleep(1.2)")
    assert doc["status"] == "graded", doc
    times = doc["timings"]["cell_times"]
    assert len(times) == 3  # one per code cell, in order
    assert 1.2 <= times[0] < 10 and all(t < 5 for t in times[1:])
    assert sum(times) <= doc["timings"]["cells_s"] + 0.1


@pytest.mark.kernel
def test_the_cell_that_timed_out_has_its_time(runner, tiny_course, tmp_path):
    doc = _submit_with(runner, tiny_course, tmp_path, 2, "import time\ntime.sleep(60)")
    assert doc["status"] == "timeout"
    times = doc["timings"]["cell_times"]
    assert len(times) == 2 and times[1] >= 9  # the spec's cell limit is 10 s


def test_cell_times_survive_the_attempts_round_trip():
    a = Attempt(
        exercise="x",
        member="m",
        status="graded",
        checks=[],
        duration_s=1,
        timings={"cells_s": 2.00049, "cell_times": [1.23456, 0.7]},
    )
    assert a.timings == {"cells_s": 2.0, "cell_times": [1.235, 0.7]}
    assert Attempt.from_dict(json.loads(json.dumps(a.to_dict()))).timings == a.timings
