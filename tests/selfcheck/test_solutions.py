"""Every solution and starter of the course through the self-check in a real kernel (TensorFlow:
slow). A solution passes every check the self-check can make; a starter fails them with the
messages `grade submit` gives for the same seed. One kernel per notebook."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import write_notebook

from grader.selfcheck import pack as packs

from .kernels import LiveKernel

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NAMES = sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("name", NAMES, ids=lambda n: n[:2])
def test_solution_passes_every_check(name):
    k = LiveKernel(ROOT / "solutions" / name)
    try:
        k.run_cells(1)  # the setup cell starts the worker ahead, while the notebook runs
        assert k.value("_c.worker_alive()", setup="from grader.selfcheck import client as _c")
        k.run_cells(-1, start=1)
        r = k.report_settled()
        assert r["error"] is None, r["error"]
        assert r["mode"] == "course" and r["unavailable"] == [] and r["untrained"] == {}
        failed = [(x["id"], x["message"]) for x in r["results"] if not x["passed"]]
        assert failed == []
        first = r["results"][0]["id"]
        one = k.report(repr(first))
        assert [x["id"] for x in one["results"]] == [first] and one["results"][0]["passed"]
        assert one["timings"]["total_s"] < r["timings"]["total_s"] + 1
        if name.startswith("04_"):
            # A model rebuilt but never trained: the self-check says so, and the metric fails.
            k.execute(
                "model = keras.models.clone_model(model)\n"
                "model.compile(loss='mse', optimizer=keras.optimizers.Adam(learning_rate=0.005))"
            )
            again = k.report('"quality", lang="en"')
            assert again["untrained"] == {"model": {"model": True, "optimizer": "Adam", "iterations": 0}}
            assert not again["results"][0]["passed"]
            text = k.value(
                "_sc.render.text(_sc.run('quality', lang='en'))",
                setup="from grader import selfcheck as _sc\nimport grader.selfcheck.render",
            )
            assert "`model` has not been trained yet" in text
    finally:
        k.close()


@pytest.mark.parametrize("name", NAMES, ids=lambda n: n[:2])
def test_starter_fails_with_the_graded_messages(name, course, course_grades):
    path = ROOT / "exercises" / name
    k = LiveKernel(path)
    try:
        k.run_cells(-1)
        r = k.report_settled()
    finally:
        k.close()
    assert r["error"] is None, r["error"]
    # Graded at the practice seed in Korean, once per process (grade check's test reads it too).
    graded = course_grades.attempt("starter", name)
    assert (course_grades.seed, course_grades.lang) == (packs.practice_seed(course), "ko")
    assert graded.status == "graded", graded.message
    mine = {x["id"]: (x["points"], x["message"]) for x in r["results"]}
    theirs = {c.id: (c.points, c.message) for c in graded.checks}
    assert mine == theirs
    assert all(c.points == 0 for c in graded.checks if not c.is_quiz)


def test_from_an_installed_wheel_outside_the_course(tmp_path):
    """The package as pip installs it (the wheel, with its practice pack), a notebook in a folder of
    its own: what a Colab session has after the notebook's first cell."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    site = tmp_path / "site"
    with zipfile.ZipFile(next(wheels.glob("*.whl"))) as whl:
        whl.extractall(site)
    assert (site / "grader" / "selfcheck" / "packs" / "ch15" / packs.PACK_FILE).is_file()
    nb = nbformat.read(ROOT / "solutions" / "06_lstm_structure.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and "keras" in c.source)]
    (tmp_path / "content").mkdir()
    path = write_notebook(tmp_path / "content" / "06_lstm_structure.ipynb", nb)
    k = LiveKernel(path, as_jupyter=False, env={"PYTHONPATH": str(site), "GRADE_COURSE": ""})
    try:
        k.run_cells(-1)
        where = k.value("grader.__file__", setup="import grader")
        r = k.report_settled()
    finally:
        k.close()
    assert where.startswith(str(site))
    assert r["error"] is None and r["mode"] == "pack"
    assert all(x["passed"] for x in r["results"]) and len(r["results"]) == 4
