"""Feedback in the language the answer is mostly written in.

It names the idea that is wrong or missing and asks a question that leads
towards it; it never states the answer itself. The model answer is added only
when the caller reveals it (`--hints full`, or a member's second attempt).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.quiz.bank import Concept, Misconception

_TEXT = {
    "empty": {"ko": "답이 비어 있습니다. 질문에 대한 설명을 한국어나 영어로 적어 주세요.",
              "en": "The answer is empty. Write your explanation in Korean or English."},
    "too_long": {"ko": "답이 너무 깁니다(4,000자 초과). 채점하지 않았습니다. 핵심만 추려 4,000자 안으로 다시 써 주세요.",
                 "en": "The answer is too long (over 4,000 characters) and was not scored. Keep to the key points, "
                       "under 4,000 characters, and submit again."},
    "time_budget": {"ko": "이 답은 정해진 시간 안에 채점하지 못해 임시로 0점을 주었습니다. 선생님이 직접 확인합니다.",
                    "en": "This answer could not be scored within the time limit; it gets a provisional 0 and a "
                          "teacher will look at it."},
    "repeats_question": {"ko": "질문을 되풀이한 문장은 점수가 없습니다. 질문에 답하는 내용을 쓰세요.",
                         "en": "Sentences that repeat the question earn nothing; say what the answer is."},
    "keyword_list": {"ko": "용어만 나열했습니다. 각 개념이 무엇이고 왜 그런지 문장으로 설명해야 만점입니다.",
                     "en": "This is a list of terms. Explain each idea in full sentences to earn full marks."},
    "addresses_grader": {"ko": "채점자에게 보내는 지시는 무시되며, 이런 문장이 있으면 만점을 받을 수 없습니다.",
                         "en": "Instructions to the grader are ignored, and an answer containing them cannot "
                               "earn full marks."},
    "full": {"ko": "좋습니다. 핵심 개념을 모두 설명했습니다.", "en": "Well done: every key idea is there."},
    "add": {"ko": "보완할 점:", "en": "What to add:"},
    "fix": {"ko": "바로잡을 점:", "en": "What to correct:"},
    "contradicts": {"ko": "거꾸로 설명했습니다", "en": "stated the wrong way round"},
    "model": {"ko": "모범 답안:", "en": "Model answer:"},
}
STOP_FLAGS = ("empty", "too_long", "time_budget")


def compose(lang: str, fraction: float, flags: list[str],
            missing: list["Concept"], contradicted: list["Concept"],
            misconceptions: list["Misconception"], answer: dict[str, str] | None = None) -> str:
    lang = lang if lang in ("ko", "en") else "en"
    # the score itself is shown beside the feedback (points column, quiz header)
    lines = [_TEXT["full"][lang]] if fraction >= 0.999 and not flags else []
    for flag in flags:
        lines.append(_TEXT[flag][lang])
    if any(f in flags for f in STOP_FLAGS):
        return "\n".join(lines)
    fixes = [f"- {m.feedback[lang]}" for m in misconceptions]
    fixes += [f"- {c.label[lang]} ({_TEXT['contradicts'][lang]}): {c.feedback[lang]}" for c in contradicted]
    if fixes:
        lines.append(_TEXT["fix"][lang])
        lines.extend(fixes)
    adds = [f"- {c.feedback[lang]}" for c in missing if c not in contradicted]
    if adds and fraction < 0.999:
        lines.append(_TEXT["add"][lang])
        lines.extend(adds)
    if answer and fraction < 0.999:
        lines.append(f"{_TEXT['model'][lang]} {answer[lang]}")
    return "\n".join(lines)


def all_texts(lang: str, concepts: list["Concept"], misconceptions: list["Misconception"]) -> list[str]:
    """Every text the feedback can show without revealing the answer: what a member could paste back."""
    texts = [v[lang] for k, v in _TEXT.items() if k != "model"]
    texts += [c.feedback[lang] for c in concepts] + [m.feedback[lang] for m in misconceptions]
    texts += [f"{c.label[lang]} ({_TEXT['contradicts'][lang]}): {c.feedback[lang]}" for c in concepts]
    return texts
