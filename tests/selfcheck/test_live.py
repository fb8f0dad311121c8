"""The self-check in real kernels started by nbclient: a tiny course without TensorFlow, the
Colab-shaped path through the installed practice pack, and a graded run with the cell in it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import write_notebook

from grader.course.loader import load_course
from grader.grading import grade_file
from grader.selfcheck import pack as packs
from grader.selfcheck.packwrite import write_pack

from .kernels import LiveKernel

ROOT = Path(__file__).resolve().parents[2]
SELFCHECK_CELL = "from grader import selfcheck\nselfcheck()"


def _with_selfcheck(src: Path, dst: Path) -> Path:
    nb = nbformat.read(src, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(SELFCHECK_CELL))
    return write_notebook(dst, nb)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny course (tests/conftest.py), its solution and starter each with a self-check cell."""
    import conftest
    from click.testing import CliRunner

    from grader.cli.app import cli

    base = tmp_path_factory.mktemp("tiny")
    root = conftest.tiny_course.__wrapped__(base)  # the fixture's body, once for the module
    assert CliRunner().invoke(cli, ["starters", "--course", str(root)]).exit_code == 0
    for role in ("solutions", "exercises"):
        _with_selfcheck(root / role / "01_tiny.ipynb", root / role / "01_tiny.ipynb")
    return {
        "root": root,
        "solution": root / "solutions" / "01_tiny.ipynb",
        "starter": root / "exercises" / "01_tiny.ipynb",
    }


@pytest.fixture(scope="module")
def solution_kernel(tiny):
    gradebook = tiny["root"] / "gb" / "gradebook.db"
    k = LiveKernel(tiny["solution"], env={"GRADE_GRADEBOOK": str(gradebook)})
    k.run_cells(-1)
    yield k
    k.close()


@pytest.mark.kernel
def test_the_solution_passes_in_a_kernel_started_like_jupyter(solution_kernel, tiny):
    r = solution_kernel.report()
    assert r["error"] is None and r["mode"] == "course" and r["exercise"] == "t.ex1"
    assert r["located"]["how"] == "session" and r["located"]["path"] == str(tiny["solution"])
    assert [x["id"] for x in r["results"]] == ["double", "summer"]
    assert all(x["passed"] for x in r["results"]), r["results"]
    assert {x["id"]: x["selfcheck_evidence"] for x in r["results"]} == {"double": "practice", "summer": "practice"}
    assert r["untrained"] == {}  # `summer` is a function: nothing to train


@pytest.mark.kernel
def test_the_cell_shows_a_table_and_records_nothing(solution_kernel, tiny):
    outs = solution_kernel.execute(SELFCHECK_CELL)
    shown = [o for o in outs if o.get("output_type") == "display_data"]
    assert len(shown) == 1, outs
    html, plain = shown[0]["data"]["text/html"], shown[0]["data"]["text/plain"]
    assert "<table" in html and "자체 점검" in html and "double" in plain
    assert "grade submit --dry-run 01_tiny.ipynb" in plain.replace("\n", " ")
    (tiny["root"] / "last-selfcheck.html").write_text(html, encoding="utf-8")
    # Neither the gradebook the kernel was told about nor the course's default one exists.
    assert not (tiny["root"] / "gb").exists()
    assert not (tiny["root"] / ".grade").exists()


@pytest.mark.kernel
def test_one_check_and_the_kernel_stays_light(solution_kernel):
    r = solution_kernel.report('"double", lang="en"')
    assert [x["id"] for x in r["results"]] == ["double"] and r["lang"] == "en"
    assert "matches the grader's reference" in r["results"][0]["message"]
    loaded = solution_kernel.value(
        "sorted(m for m in sys.modules if m.startswith(('grader.checks', 'grader.quiz', 'grader.grading', "
        "'grader.results', 'kiwipiepy', 'sqlalchemy', 'tensorflow', 'grade_course')))",
        setup="import sys",
    )
    assert loaded == [], loaded
    status = solution_kernel.value("_sc.worker_status()", setup="from grader import selfcheck as _sc")
    assert "tensorflow" not in status["modules"] and "sqlalchemy" not in status["modules"]


@pytest.mark.kernel
def test_importing_prepares_the_exercise_ahead(tiny):
    """The notebooks' first cell imports grader.selfcheck: the worker starts and plans the
    exercise while the notebook runs on."""
    k = LiveKernel(tiny["solution"])
    try:
        k.execute("import grader.selfcheck")
        status = k.value("_k.worker_status()", setup="from grader.selfcheck import client as _k")
        assert status["prepared"] == ["t.ex1"]
        k.run_cells(-1)
        r = k.report()
        assert all(x["passed"] for x in r["results"]) and len(r["results"]) == 2
        assert k.value("_k.worker_status()['pid']", setup="from grader.selfcheck import client as _k") == status["pid"]
    finally:
        k.close()


@pytest.mark.kernel
def test_unknown_check_and_exercise_say_what_exists(solution_kernel):
    r = solution_kernel.report('"doubel"')
    assert "double, summer" in r["error"]["ko"] and "doubel" in r["error"]["en"]
    r = solution_kernel.report('exercise="ch99"')
    assert "01_tiny" in r["error"]["en"]
    assert solution_kernel.report('exercise="t.ex1"')["error"] is None


@pytest.mark.kernel
def test_the_starter_fails_with_the_messages_of_a_graded_attempt(tiny):
    """Same seed, same messages: the practice seed given to `grade_file` reproduces the self-check."""
    k = LiveKernel(tiny["starter"], as_jupyter=False)  # plain nbclient: no session name
    try:
        k.run_cells(-1)
        r = k.report()
    finally:
        k.close()
    assert r["located"]["how"] == "folder"
    course = load_course(tiny["root"])
    graded, _ = grade_file(course, tiny["starter"], seed=packs.practice_seed(course), lang="ko")
    assert graded.status == "graded"
    mine = {x["id"]: (x["points"], x["message"]) for x in r["results"]}
    theirs = {c.id: (c.points, c.message) for c in graded.checks}
    assert mine == theirs
    assert all(points == 0 for points, _ in mine.values())


@pytest.mark.kernel
def test_a_graded_run_skips_the_selfcheck_cell(tiny, tmp_path):
    course = load_course(tiny["root"])
    plain = tmp_path / "plain" / "01_tiny.ipynb"
    plain.parent.mkdir()
    nb = nbformat.read(tiny["solution"], as_version=4)
    nb.cells = [c for c in nb.cells if "selfcheck" not in c.source]
    write_notebook(plain, nb)
    seed = 12345
    with_cell, _ = grade_file(course, tiny["solution"], seed=seed, lang="en")
    without, _ = grade_file(course, plain, seed=seed, lang="en")
    assert with_cell.status == without.status == "graded"
    assert with_cell.cell_errors == []
    assert [(c.id, c.points, c.message) for c in with_cell.checks] == [
        (c.id, c.points, c.message) for c in without.checks
    ]
    assert with_cell.score == with_cell.max_score


def _numpy_cells_only(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    # The Keras comparison cell is the notebook's own sanity check; the checks need NumPy only.
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and "keras" in c.source)]
    return nb


@pytest.mark.kernel
def test_colab_shaped_installed_pack(tmp_path):
    """A notebook outside any course folder, GRADE_COURSE unset, no session name: the exercise
    comes from the notebook's metadata and the checks from the pack installed with the package."""
    installed = packs.INSTALLED / "ch15"
    assert (installed / packs.PACK_FILE).is_file(), "run: grade selfcheck-pack --with-quiz"
    src = ROOT / "solutions" / "06_lstm_structure.ipynb"
    path = tmp_path / "content" / "Copy of LSTM homework.ipynb"  # Colab-style name: the metadata decides
    path.parent.mkdir()
    write_notebook(path, _numpy_cells_only(nbformat.read(src, as_version=4)))
    env = {"GRADE_SELFCHECK_PACK": "", "GRADE_COURSE": ""}
    k = LiveKernel(path, as_jupyter=False, env=env)
    try:
        k.run_cells(-1)
        r = k.report_settled()
    finally:
        k.close()
    assert r["error"] is None, r["error"]
    assert r["mode"] == "pack" and r["exercise"] == "ch15.ex6" and r["located"]["how"] == "folder"
    assert {x["id"] for x in r["results"]} == {"lstm_step", "lstm_sequence", "gru_step", "quiz:ch15.ex6"}
    assert all(x["passed"] for x in r["results"]), [(x["id"], x["message"]) for x in r["results"] if not x["passed"]]


def test_a_pack_named_by_the_environment(tiny, tmp_path, monkeypatch):
    """GRADE_SELFCHECK_PACK outside any course folder; judged in a worker process of its own
    (this test process plays the kernel)."""
    import numpy as np

    from grader.selfcheck import client, kernel, render

    out = tmp_path / "pack"
    write_pack(load_course(tiny["root"]), out, with_quiz=False)
    path = tmp_path / "elsewhere" / "01_tiny.ipynb"
    path.parent.mkdir()
    shutil.copyfile(tiny["solution"], path)
    monkeypatch.chdir(path.parent)
    monkeypatch.setenv("GRADE_SELFCHECK_PACK", str(out))
    monkeypatch.delenv("GRADE_COURSE", raising=False)
    ns = {"double": lambda x: 2 * x, "summer": lambda x: np.asarray(x).sum(axis=1)}
    client.stop_worker()
    try:
        r = kernel.run(namespace=ns, lang="en")
    finally:
        client.stop_worker()
    assert r.error is None and r.mode == "pack" and r.located.how == "folder"
    assert [x["passed"] for x in r.results] == [True, True]
    text = render.text(r)
    assert "Judged against a practice pack" in text
    assert "A self-check looks at this kernel's objects" in text.replace("\n", " ")


def test_colab_live_notebook_named_by_its_metadata(tiny, monkeypatch):
    """In Colab the answers come from the notebook the browser holds, and its `colab.name`
    tells the exercise when the grade metadata is gone."""
    import sys
    import types

    import numpy as np

    from grader.selfcheck import client, kernel

    live = nbformat.read(tiny["solution"], as_version=4)
    live.metadata.pop("grade", None)
    live.metadata["colab"] = {"name": "01_tiny.ipynb", "provenance": []}
    colab, message = types.ModuleType("google.colab"), types.ModuleType("google.colab._message")
    message.blocking_request = lambda kind, request="", timeout_sec=0: {"ipynb": dict(live)}  # type: ignore[attr-defined]
    colab._message = message  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab._message", message)
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")
    monkeypatch.chdir(tiny["root"])
    monkeypatch.delenv("GRADE_COURSE", raising=False)
    ns = {"double": lambda x: 2 * x, "summer": lambda x: np.asarray(x).sum(axis=1)}
    client.stop_worker()
    try:
        r = kernel.run(namespace=ns)
    finally:
        client.stop_worker()
    assert r.error is None and r.located.how == "colab" and r.exercise == "t.ex1"
    assert [x["passed"] for x in r.results] == [True, True]


def test_worker_env_keeps_blas_to_one_thread(monkeypatch):
    from grader.selfcheck import client

    captured: dict[str, str] = {}

    class Fake:
        def __init__(self, argv, **kw):  # noqa: ANN001
            captured.update(kw["env"])
            self.stdin = self.stdout = None

    monkeypatch.setattr(client.subprocess, "Popen", Fake)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    w = client.WorkerProcess()
    w.log.close()
    shutil.rmtree(w.log_dir)
    assert captured["OPENBLAS_NUM_THREADS"] == "1"
    assert captured["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)


def test_html_is_inert(tmp_path):
    from grader.selfcheck.kernel import Report
    from grader.selfcheck.render import text, to_html

    evil = "<img src=x onerror=alert(1)> \x1b[2K\x1b]0;title\x07 `model`"
    rep = Report(
        lang="en",
        exercise="t.ex1",
        title={"en": "Tiny"},
        mode="course",
        results=[
            {
                "id": "a",
                "kind": "function_matches",
                "passed": False,
                "points": 0,
                "max_points": 2,
                "message": evil,
                "title": "A <b>check</b>",
                "selfcheck_evidence": "practice",
            }
        ],
    )
    html = to_html(rep)
    assert "<img" not in html and "&lt;img" in html and "\x1b" not in html and "<b>check" not in html
    assert "\x1b" not in text(rep)
    assert json.dumps(html)  # plain text, one document
