"""The quiz commands (grader/cli/quiz.py) and a quiz check inside `grade submit`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
from click.testing import CliRunner

from grader.cli.app import cli
from grader.quiz import load_bank

ROOT = Path(__file__).resolve().parents[2]
QUIZZES = ROOT / "quizzes"


# --- CLI ----------------------------------------------------------------------


def test_cli_score_json_and_stdin():
    runner = CliRunner()
    text = "모든 순환 층에 return_sequences=True를 설정합니다."
    a = runner.invoke(cli, ["quiz", "score", "ch15.ex3", "--answer", text, "--json", "--course", str(ROOT)])
    b = runner.invoke(cli, ["quiz", "score", "ch15.ex3", "--answer", "-", "--json", "--course", str(ROOT)], input=text)
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    da, db = json.loads(a.output), json.loads(b.output)
    assert da == db
    assert da["question"] == "ch15.ex3" and "seq2seq-all-layers" in da["matched"]


def test_cli_unknown_question_is_one_line():
    r = CliRunner().invoke(cli, ["quiz", "score", "ch15.ex99", "--answer", "x", "--course", str(ROOT)])
    assert r.exit_code == 1 and "ch15.ex99" in r.output and "Traceback" not in r.output


def test_cli_ask_reads_the_reply_from_the_terminal():
    reply = "Seq2seq: translation and speech recognition.\nSeq2vec: sentiment analysis.\nVec2seq: image captioning.\n\n"
    r = CliRunner().invoke(cli, ["quiz", "ask", "ch15.ex1", "--lang", "en", "--course", str(ROOT)], input=reply)
    assert r.exit_code == 0, r.output
    assert "2/2" in r.output


def test_cli_list_shows_the_bank():
    r = CliRunner().invoke(cli, ["quiz", "list", "--json", "--course", str(ROOT)])
    assert r.exit_code == 0
    ids = [q["id"] for q in json.loads(r.output)]
    assert "ch15.ex4" in ids and "ch15.q01" in ids


def test_quiz_commands_never_import_tensorflow():
    code = textwrap.dedent(f"""
        import sys
        from click.testing import CliRunner
        from grader.cli.app import cli
        r = CliRunner().invoke(cli, ["quiz", "score", "ch15.ex2", "--answer", "입력은 3차원입니다.",
                                     "--course", {str(ROOT)!r}])
        assert r.exit_code == 0, r.output
        print("tensorflow" in sys.modules, "keras" in sys.modules)
    """)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


# --- inside `grade submit` -----------------------------------------------------


def test_submit_scores_the_answer_cell_as_a_quiz_check(tiny_course, tmp_path):
    import shutil

    from conftest import write_notebook

    from grader.course.loader import load_course
    from grader.grading import grade_file

    shutil.copytree(QUIZZES, tiny_course / "quizzes")
    spec = tiny_course / "exercises" / "specs" / "01_tiny.toml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace('title = "Tiny"\n', 'title = "Tiny"\n[quiz]\nquestion = "ch15.ex3"\n'),
        encoding="utf-8",
    )
    nb = nbformat.read(tiny_course / "solutions" / "01_tiny.ipynb", as_version=4)
    answer = nbformat.v4.new_markdown_cell("seq2seq에서는 모든 순환 층에 return_sequences=True를 설정합니다.")
    answer.metadata["tags"] = ["answer:ch15.ex3"]
    nb.cells.append(answer)
    path = write_notebook(tmp_path / "01_tiny.ipynb", nb)
    result, _ = grade_file(load_course(tiny_course), path, lang="ko")
    quiz = next(c for c in result.checks if c.kind == "quiz")
    assert quiz.id == "quiz:ch15.ex3" and quiz.max_points == 2
    assert 0 < quiz.points < 2  # half the rubric: seq2vec is missing
    missing = quiz.details["missing"]
    assert missing == [{"id": "seq2vec-all-but-top", "label": bank_label("seq2vec-all-but-top")}]
    assert "시퀀스-투-벡터" in quiz.message  # feedback in the answer's language
    assert result.max_score == 7


def bank_label(cid: str) -> dict[str, str]:
    q = load_bank(QUIZZES)["ch15.ex3"]
    return next(c.label for c in q.concepts if c.id == cid)
