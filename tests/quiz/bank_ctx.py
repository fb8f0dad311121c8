"""What the quiz tests build on: the course's bank, an answer scored against one of its
questions, and a bank of questions written for one test."""

from __future__ import annotations

from pathlib import Path

from grader.quiz import QuizResult, load_bank, score_answer

ROOT = Path(__file__).resolve().parents[2]
BANK = load_bank(ROOT / "quizzes")


def res(qid: str, text: str) -> QuizResult:
    """`text` scored as an answer to the course's question `qid`."""
    return score_answer(BANK[qid], text)


def bank_dir(folder: Path, text: str, name: str = "q.toml") -> Path:
    """`folder`, now holding a bank file `name` with `text`: what `load_bank` reads."""
    (folder / name).write_text(text, encoding="utf-8")
    return folder
