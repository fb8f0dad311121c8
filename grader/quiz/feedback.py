"""Feedback in the reader's language (`--lang`; the caller may choose the answer's instead).

It names the idea that is wrong or missing and asks a question that leads
towards it; it never states the answer itself. The model answer is added only
when the caller reveals it (`--hints full`, or a member's second attempt).
The general notes and labels are in grader/i18n/catalog/quiz.toml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from grader.i18n import text

if TYPE_CHECKING:
    from grader.quiz.bank import Concept, Misconception

# What the scorer found about the answer as a whole (its flags), and the labels.
_NOTES = {
    "empty": "quiz.feedback.empty",
    "too_long": "quiz.feedback.too_long",
    "time_budget": "quiz.feedback.time_budget",
    "repeats_question": "quiz.feedback.repeats_question",
    "keyword_list": "quiz.feedback.keyword_list",
    "addresses_grader": "quiz.feedback.addresses_grader",
}
_FULL, _ADD, _FIX = "quiz.feedback.full", "quiz.feedback.add", "quiz.feedback.fix"
_CONTRADICTS, _MODEL = "quiz.feedback.contradicts", "quiz.feedback.model"
STOP_FLAGS = ("empty", "too_long", "time_budget")


def compose(
    lang: str,
    fraction: float,
    flags: list[str],
    missing: list[Concept],
    contradicted: list[Concept],
    misconceptions: list[Misconception],
    answer: dict[str, str] | None = None,
) -> str:
    lang = lang if lang in ("ko", "en") else "en"
    # the score itself is shown beside the feedback (points column, quiz header)
    lines = [text(_FULL, lang)] if fraction >= 0.999 and not flags else []
    for flag in flags:
        lines.append(text(_NOTES[flag], lang))
    if any(f in flags for f in STOP_FLAGS):
        return "\n".join(lines)
    fixes = [f"- {m.feedback[lang]}" for m in misconceptions]
    fixes += [f"- {c.label[lang]} ({text(_CONTRADICTS, lang)}): {c.feedback[lang]}" for c in contradicted]
    if fixes:
        lines.append(text(_FIX, lang))
        lines.extend(fixes)
    adds = [f"- {c.feedback[lang]}" for c in missing if c not in contradicted]
    if adds and fraction < 0.999:
        lines.append(text(_ADD, lang))
        lines.extend(adds)
    if answer and fraction < 0.999:
        lines.append(f"{text(_MODEL, lang)} {answer[lang]}")
    return "\n".join(lines)


def without_model_answer(feedback: str) -> str:
    """The feedback without its model-answer line: what a page for the whole group may quote."""
    heads = tuple(f"{text(_MODEL, lang)} " for lang in ("ko", "en"))
    return "\n".join(line for line in feedback.splitlines() if not line.startswith(heads))


def all_texts(lang: str, concepts: list[Concept], misconceptions: list[Misconception]) -> list[str]:
    """Every text the feedback can show without revealing the answer: what a member could paste back."""
    texts = [text(key, lang) for key in (*_NOTES.values(), _FULL, _ADD, _FIX, _CONTRADICTS)]
    texts += [c.feedback[lang] for c in concepts] + [m.feedback[lang] for m in misconceptions]
    texts += [f"{c.label[lang]} ({text(_CONTRADICTS, lang)}): {c.feedback[lang]}" for c in concepts]
    return texts
