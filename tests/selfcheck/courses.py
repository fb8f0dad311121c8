"""Changes to the `tiny_course` fixture that several self-check tests make."""

from __future__ import annotations

from pathlib import Path

BANK = Path(__file__).resolve().parents[2] / "quizzes"


def add_quiz(root: Path, question: str = "ch15.ex4") -> None:
    """Give the tiny course the chapter's quiz bank and its exercise one question of it."""
    (root / "quizzes").mkdir()
    for f in BANK.glob("*.toml"):
        (root / "quizzes" / f.name).write_bytes(f.read_bytes())
    spec = root / "exercises" / "specs" / "01_tiny.toml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(
        text.replace('title = "Tiny"\n', f'title = "Tiny"\n[quiz]\nquestion = "{question}"\n', 1), encoding="utf-8"
    )
