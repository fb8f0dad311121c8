"""`quiz`: a free-text answer cell scored by the bilingual rubric scorer.

Needs no kernel: the answer is read straight from the notebook file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, register
from grader.checks.params import CheckParams, QuestionId
from grader.i18n import both
from grader.results.attempt import CheckResult

if TYPE_CHECKING:
    from grader.course.loader import Course
    from grader.course.spec import ExerciseSpec


def quiz_check_for(course: Course, spec: ExerciseSpec) -> CheckSpec | None:
    from grader.quiz import load_bank

    if not course.quizzes_dir.is_dir():
        return None
    bank = load_bank(course.quizzes_dir)
    question = bank.get(spec.quiz or "")
    if question is None:
        return None
    points = spec.quiz_points or float(question.points)
    return CheckSpec(
        id=f"quiz:{question.id}",
        kind="quiz",
        points=points,
        title=both("checks.quiz.title", id=question.id),
        hint={},
        params={"question": question.id},
    )


class QuizParams(CheckParams):
    question: QuestionId = Field(
        description="A question id of the course's quiz bank; the answer is the markdown cell tagged answer:<id>."
    )
    reveal: bool = Field(False, description="The feedback may name what the answer missed (for a second answer).")


@register
class Quiz(CheckKind):
    name = "quiz"
    needs_kernel = False
    evidence = "clean"  # the answer is read from the file; no notebook code runs
    Params = QuizParams

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        from grader.quiz import load_bank, score_answer

        qid = check.params["question"]
        answer = ctx.answers.get(qid)
        if answer is None:
            return self.result(
                check,
                ctx,
                0,
                ctx.text("checks.quiz.evaluate.no_answer_cell_for", qid=qid),
                {
                    "question": qid,
                    "matched": [],
                    "missing": [],
                    "misconceptions": [],
                    "feedback": "",
                    "confidence": 1.0,
                    "needs_review": False,
                    "doubts": [],
                },
            )
        question = load_bank(ctx.course.quizzes_dir)[qid]
        # `reveal`: the caller knows this is the member's second answer to the question
        res = score_answer(
            question,
            answer,
            reveal=bool(check.params.get("reveal", False)),
            lang=None if ctx.quiz_lang == "answer" else ctx.lang,
        )
        fraction = res.score / res.max_score if res.max_score else 0.0
        details = res.to_dict()
        labels = details.pop("labels")
        # the report shows what the group misses by name, in either language
        for key in ("matched", "missing", "misconceptions"):
            details[key] = [{"id": cid, "label": labels.get(cid, {"ko": cid, "en": cid})} for cid in details[key]]
        message = res.feedback
        if res.needs_review:
            # the points stand provisionally until a teacher confirms the band
            message = ctx.text("checks.quiz.evaluate.needs_review_this_score") + "\n" + message
        return self.result(check, ctx, fraction, message, details)
