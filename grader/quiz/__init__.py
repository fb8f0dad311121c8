"""Bilingual (Korean/English) free-text quiz scoring against concept rubrics.

Importing this package is cheap: the Korean analyser starts on the first answer
scored, and nothing here imports TensorFlow. The modules, one job each:

The bank (quizzes/*.toml)
    `bank`       loading a folder: shared variants and lexicon, every question by id
    `tomlfile`   reading one file, with the line numbers messages point to
    `questions`  checking one `[[question]]` table and making it a Question
    `patterns`   the pattern syntax ("a|b + c", `not:`, `clause:`, `holder => role`, `! …`)
    `rubric`     the types: Question, Concept, Misconception, Pattern, Example, Lexicon

Reading an answer
    `normalize`  the Normalizer: spelling variants, lines, headings and list lead-ins
    `clauses`    one sentence into units and clauses, statement or list
    `korean`     the morpheme analyser (kiwipiepy) and the bank's registered nouns
    `english`    English word classes, stems, identifiers; the answer's language
    `negation`   which negators govern each unit; clauses that only deny
    `lists`      list separators and brackets
    `units`      the types: Unit, Segment, Doc, Phrase

Scoring
    `scorer`     score_answer: caps (keyword lists, misconceptions, gaming), the result
    `compiled`   a question's rubric analysed once per process
    `terms`      finding a pattern's words in a sentence: exact, prefix, typo
    `similar`    whether a written word is a typo of a term (jamo, stems)
    `holders`    who a role is said of
    `matching`   whether a pattern holds in a sentence, and with which polarity
    `confidence` the doubts about a score and the review threshold
    `feedback`   the feedback text;  `validate`  `grade quiz validate` and `--explain`
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
