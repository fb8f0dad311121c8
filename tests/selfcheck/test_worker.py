"""The worker in this process (no kernel): plan and evaluate, the probe's files read by the
graded path's reader, what it refuses, what it keeps, and a slow quiz."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from grader.execution.outcome import RunOutcome
from grader.execution.probe_io import read_probe
from grader.execution.probe_kernel import __grade_probe_run__
from grader.selfcheck import session, source
from grader.selfcheck import worker as w

from .courses import add_quiz


@pytest.fixture
def fresh(tmp_path, monkeypatch) -> tuple[w.Worker, Path]:
    """A worker in this process, no course named by the environment, and a folder for the probe."""
    monkeypatch.delenv("GRADE_COURSE", raising=False)
    monkeypatch.delenv("GRADE_SELFCHECK_PACK", raising=False)
    folder = tmp_path / "x"
    folder.mkdir()
    return w.Worker(), folder


def _plan(worker: w.Worker, folder: Path, **req) -> dict:
    return worker.handle(
        dict(
            {
                "op": "plan",
                "dir": str(folder),
                "notebook": None,
                "exercise": None,
                "cwd": str(folder),
                "lang": None,
                "only": None,
            },
            **req,
        )
    )


def test_outputs_are_read_by_the_graded_path_reader(tiny_course, fresh):
    """The worker judges what probe_io.read_probe reads: hostile files fail as in a graded attempt."""
    worker, folder = fresh
    nb = str(tiny_course / "solutions" / "01_tiny.ipynb")
    ns = {"double": lambda x: 2 * x, "summer": lambda x: x.sum(axis=1)}
    assert _plan(worker, folder, notebook=nb)["ok"]
    __grade_probe_run__(str(folder), ns)
    requests = json.loads((folder / "requests.json").read_text(encoding="utf-8"))
    # A member that claims to inflate past the limit: that request alone fails, saying so.
    doc = json.loads((folder / "out.json").read_text(encoding="utf-8"))
    doc["double/call"]["n_arrays"] = 1
    (folder / "out.json").write_text(json.dumps(doc), encoding="utf-8")
    with zipfile.ZipFile(folder / "out.npz", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("double/call::0.npy", b"\0" * (80 * 2**20))
    graded = read_probe(folder, requests, RunOutcome())
    assert not graded["double/call"].ok and "limit" in graded["double/call"].error
    done = worker.handle({"op": "evaluate", "dir": str(folder)})
    assert done["ok"] and done["probe_error"] == ""
    double = next(r for r in done["results"] if r["id"] == "double")
    assert not double["passed"] and double["points"] == 0
    # Not a JSON object: the graded path's words for it, and nothing is judged as passed.
    assert _plan(worker, folder, notebook=nb)["ok"]
    __grade_probe_run__(str(folder), ns)
    (folder / "out.json").write_text("[1, 2]", encoding="utf-8")
    outcome = RunOutcome()
    read_probe(folder, requests, outcome)
    done = worker.handle({"op": "evaluate", "dir": str(folder)})
    assert done["probe_error"] == outcome.probe_error != ""
    assert not any(r["passed"] for r in done["results"])


def test_the_worker_reader_does_not_load_the_kernel_runner():
    """probe_io.read_probe serves the worker, whose start-up should not pay for nbclient,
    jupyter_client and zmq (a quarter of a second on a busy machine)."""
    import subprocess
    import sys

    code = (
        "import sys; import grader.selfcheck.worker, grader.selfcheck.session, grader.execution.probe_io;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'nbclient', 'jupyter_client', 'zmq', 'tornado'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_plan_then_evaluate_in_process(tiny_course, fresh):
    worker, folder = fresh
    nb = tiny_course / "solutions" / "01_tiny.ipynb"
    plan = _plan(worker, folder, notebook=str(nb))
    assert plan["ok"] and plan["mode"] == "course" and plan["checks"] == ["double", "summer"]
    assert plan["seed"] >= 2**31 and plan["lang"] == "ko"
    requests = json.loads((folder / "requests.json").read_text(encoding="utf-8"))
    assert {r["id"] for r in requests} == {"double/call", "summer/predict", "selfcheck:training/summer"}
    assert all(r.get("one_batch") for r in requests if r["op"] == "call")
    __grade_probe_run__(str(folder), {"double": lambda x: 2 * x, "summer": lambda x: x.sum(axis=1) + 1})
    done = worker.handle({"op": "evaluate", "dir": str(folder)})
    assert [(r["id"], r["passed"]) for r in done["results"]] == [("double", True), ("summer", False)]
    assert "기준 모델: zeros" in done["results"][1]["message"]
    # Again: the references are not called a second time (the practice seed is fixed).
    course = source.load_course_cached(tiny_course)
    calls = len(session.memo(course))
    assert _plan(worker, folder, notebook=str(nb), only=["summer"], lang="en")["checks"] == ["summer"]
    assert len(session.memo(course)) == calls


def test_refusals_name_the_way_out(tiny_course, tmp_path, monkeypatch):
    import sys

    # The worker runs in this process here: an earlier test of the session may have loaded
    # TensorFlow already; what matters is that none of these requests loads it.
    tf_before = "tensorflow" in sys.modules
    monkeypatch.delenv("GRADE_COURSE", raising=False)
    worker = w.Worker()
    folder = tmp_path / "x"
    folder.mkdir()
    monkeypatch.setattr(source, "find_upwards", lambda start: None)
    from grader.selfcheck import pack as packs

    monkeypatch.setattr(packs, "installed_packs", lambda: [])
    r = _plan(worker, folder)
    assert not r["ok"] and "course.toml" in r["error"]["en"] and "course.toml" in r["error"]["ko"]
    monkeypatch.undo()
    monkeypatch.delenv("GRADE_COURSE", raising=False)
    r = _plan(worker, folder, cwd=str(tiny_course))
    assert not r["ok"] and 'selfcheck(exercise="04_forecast7")' in r["error"]["en"]
    r = _plan(worker, folder, cwd=str(tiny_course), exercise="01_tiny", only=["quiz"])
    assert not r["ok"] and "double, summer" in r["error"]["en"]
    r = _plan(worker, folder, cwd=str(tiny_course), exercise="01")
    assert r["ok"] and r["exercise"] == "t.ex1"
    assert worker.handle({"op": "evaluate", "dir": str(folder)})["ok"]  # nothing ran: every check says so
    assert not worker.handle({"op": "evaluate", "dir": str(folder)})["ok"]  # no plan before it
    assert worker.handle({"op": "nope"})["error"]["en"] == "unknown request 'nope'"
    status = worker.handle({"op": "status"})
    assert status["ok"] and ("tensorflow" in status["modules"]) == tf_before


def test_a_slow_quiz_does_not_hold_up_the_table(tiny_course, tmp_path, monkeypatch):
    """The code checks come back after QUIZ_WAIT_S at most; the score goes on and the next
    self-check finds it."""
    import threading

    from grader.checks import KINDS

    add_quiz(tiny_course)
    nb = tiny_course / "solutions" / "01_tiny.ipynb"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GRADE_COURSE", raising=False)
    monkeypatch.setattr(session, "QUIZ_WAIT_S", 0.5)
    gate = threading.Event()
    kind = KINDS["quiz"]

    def slow(check, ctx, plan, outputs):  # noqa: ANN001, ANN202
        gate.wait(30)
        return kind.result(check, ctx, 1.0, "fine")

    monkeypatch.setattr(kind, "evaluate", slow)
    worker = w.Worker()
    folder = tmp_path / "x"
    folder.mkdir()
    plan = _plan(worker, folder, notebook=str(nb))
    assert plan["ok"] and "quiz:ch15.ex4" in plan["checks"], plan
    __grade_probe_run__(str(folder), {"double": lambda x: 2 * x, "summer": lambda x: x.sum(axis=1)})
    done = worker.handle({"op": "evaluate", "dir": str(folder)})
    assert [r["id"] for r in done["results"]] == ["double", "summer"]
    assert [u["reason"] for u in done["unavailable"]] == ["quiz_pending"]
    gate.set()
    next(iter(worker.quiz_jobs.values())).result(30)
    _plan(worker, folder, notebook=str(nb), only=["quiz"])
    done = worker.handle({"op": "evaluate", "dir": str(folder)})
    assert [(r["id"], r["message"]) for r in done["results"]] == [("quiz:ch15.ex4", "fine")]


def test_the_selfcheck_shows_the_brief_hint_only(tiny_course, fresh):
    """However often the member has failed, the self-check gives the hint, never the recipe."""
    spec = tiny_course / "exercises" / "specs" / "01_tiny.toml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace(
            'hint = "Return 2 * x."', 'hint = "Is every value scaled?"\nrecipe = "return 2 * x"'
        ),
        encoding="utf-8",
    )
    worker, folder = fresh
    plan = _plan(worker, folder, notebook=str(tiny_course / "solutions" / "01_tiny.ipynb"), lang="en")
    assert plan["ok"]
    __grade_probe_run__(str(folder), {"double": lambda x: x + 1, "summer": lambda x: x.sum(axis=1)})
    done = worker.handle({"op": "evaluate", "dir": str(folder)})
    double = next(r for r in done["results"] if r["id"] == "double")
    assert not double["passed"] and "Is every value scaled?" in double["message"]
    assert "return 2 * x" not in double["message"] and "In full" not in double["message"]


def test_a_broken_notebook_file_is_told_in_the_self_checks_language(tiny_course, tmp_path, fresh):
    bad = tmp_path / "01_tiny.ipynb"
    bad.write_text("{ not a notebook", encoding="utf-8")
    worker, folder = fresh
    said = {}
    for lang in ("en", "ko"):
        plan = _plan(worker, folder, notebook=str(bad), exercise="01_tiny", cwd=str(tiny_course), lang=lang)
        assert plan["ok"], plan
        said[lang] = plan["notebook_problem"]
        worker.handle({"op": "evaluate", "dir": str(folder)})
    assert said["en"].startswith(f"{bad}: ") and said["ko"].startswith(f"{bad}: ")
    assert re.search("[가-힣]", said["ko"]) and not re.search("[가-힣]", said["en"])
