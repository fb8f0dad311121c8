"""The CLI's contracts: help without TensorFlow, one-line errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

from grader.cli.app import cli


def test_help_does_not_import_tensorflow():
    code = (
        "import sys; from click.testing import CliRunner; import grader.cli.app as c; "
        "r = CliRunner().invoke(c.cli, ['--help']); assert r.exit_code == 0, r.output; "
        "assert 'submit' in r.output; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_submit_without_paths_is_a_usage_error(runner):
    r = runner.invoke(cli, ["submit"])
    assert r.exit_code == 2


def test_not_json_is_one_line_exit_1(runner, tmp_path, tiny_course):
    bad = tmp_path / "01_tiny.ipynb"
    bad.write_text("this is not json", encoding="utf-8")
    r = runner.invoke(cli, ["submit", str(bad), "--course", str(tiny_course), "--no-record", "--lang", "en"])
    assert r.exit_code == 1
    assert str(bad) in r.output and "not JSON" in r.output
    assert "Traceback" not in r.output


def test_not_a_notebook_json_reports_status_invalid(runner, tmp_path, tiny_course):
    bad = tmp_path / "01_tiny.ipynb"
    bad.write_text(json.dumps({"hello": "world"}), encoding="utf-8")
    r = runner.invoke(cli, ["submit", str(bad), "--course", str(tiny_course), "--no-record", "--json", "--lang", "en"])
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["status"] == "invalid" and "not a Jupyter notebook" in doc["message"]
    assert doc["checks"] == [] and doc["score"] == 0


def test_unknown_exercise_is_exit_1(runner, tmp_path, tiny_course):
    from conftest import make_notebook, write_notebook

    path = write_notebook(tmp_path / "99_mystery.ipynb", make_notebook([("code", "x = 1")]))
    r = runner.invoke(cli, ["submit", str(path), "--course", str(tiny_course), "--no-record", "--lang", "en"])
    assert r.exit_code == 1
    assert "cannot tell which exercise" in r.output and "01_tiny.ipynb" in r.output
    r = runner.invoke(cli, ["submit", str(path), "--course", str(tiny_course), "--no-record", "--lang", "ko"])
    assert r.exit_code == 1 and "어느 문제인지 알 수 없습니다" in r.output and "01_tiny.ipynb" in r.output


def test_missing_file_is_exit_1(runner, tiny_course):
    r = runner.invoke(
        cli, ["submit", "/nonexistent/01_tiny.ipynb", "--course", str(tiny_course), "--no-record", "--lang", "en"]
    )
    assert r.exit_code == 1 and "no such file" in r.output


def test_no_course_found_is_one_line(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADE_COURSE", raising=False)
    nb = tmp_path / "x.ipynb"
    nb.write_text("{}", encoding="utf-8")
    r = runner.invoke(cli, ["submit", str(nb)])
    assert r.exit_code == 1 and "course.toml" in r.output


def test_starters_check_passes_on_repository(runner, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    r = runner.invoke(cli, ["starters", "--check"])
    assert r.exit_code == 0, r.output
    assert "drifted" not in r.output


def test_starters_check_detects_drift(runner, tiny_course):
    r = runner.invoke(cli, ["starters", "--course", str(tiny_course), "--lang", "en"])
    assert r.exit_code == 0 and "written" in r.output
    r = runner.invoke(cli, ["starters", "--check", "--course", str(tiny_course)])
    assert r.exit_code == 0 and r.output.split() == ["일치", "01_tiny.ipynb"]
    starter = tiny_course / "exercises" / "01_tiny.ipynb"
    starter.write_text(starter.read_text(encoding="utf-8").replace("return None", "return 42"), encoding="utf-8")
    r = runner.invoke(cli, ["starters", "--check", "--course", str(tiny_course), "--lang", "en"])
    assert r.exit_code == 1 and "drifted" in r.stdout
    assert r.stderr.strip() == "grade: error: starters are out of date; run 'grade starters' and commit"
    r = runner.invoke(cli, ["starters", "--check", "--course", str(tiny_course)])
    assert r.exit_code == 1 and "어긋남" in r.stdout and "grade: error: 시작 노트북이 풀이와 어긋났습니다" in r.stderr
    r = runner.invoke(cli, ["starters", "--check", "--json", "--course", str(tiny_course)])
    assert r.exit_code == 1 and json.loads(r.stdout) == [{"name": "01_tiny.ipynb", "state": "drifted"}]


def test_version(runner):
    r = runner.invoke(cli, ["--version"])
    assert r.exit_code == 0 and "grade" in r.output


def test_file_errors_are_told_in_korean_by_default(runner, tiny_course, tmp_path):
    bad = tmp_path / "01_tiny.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    r = runner.invoke(cli, ["submit", str(bad), "--course", str(tiny_course), "--no-record"])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert f"grade: error: {bad}: JSON이 아닙니다" in r.output and "not JSON" not in r.output
