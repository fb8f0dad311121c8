"""Bilingual (Korean/English) free-text quiz scoring against concept rubrics.

Importing this package is cheap: the Korean analyser starts on the first answer
scored, and nothing here imports TensorFlow.
"""

from __future__ import annotations

from grader.quiz.bank import Concept, Misconception, Question, load_bank
from grader.quiz.scorer import QuizResult, prepare, score_answer


def band(fraction: float) -> str:
    """The band a teacher would read off a score fraction (issue #5)."""
    if fraction >= 0.8:
        return "full"
    if fraction >= 1 / 3:
        return "partial"
    return "none"


__all__ = ["Concept", "Misconception", "Question", "QuizResult", "band", "load_bank", "prepare", "score_answer"]
