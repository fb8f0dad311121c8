"""`quiz`: a free-text answer cell scored by the bilingual rubric scorer.

Needs no kernel: the answer is read straight from the notebook file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from grader.checks.params import CheckParams, QuestionId
from grader.results.attempt import CheckResult
from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, register

if TYPE_CHECKING:
    from grader.course.loader import Course
    from grader.course.spec import ExerciseSpec


def quiz_check_for(course: "Course", spec: "ExerciseSpec") -> CheckSpec | None:
    from grader.quiz import load_bank

    if not course.quizzes_dir.is_dir():
        return None
    bank = load_bank(course.quizzes_dir)
    question = bank.get(spec.quiz or "")
    if question is None:
        return None
    points = spec.quiz_points or float(question.points)
    return CheckSpec(id=f"quiz:{question.id}", kind="quiz", points=points,
                     title={"ko": f"퀴즈 {question.id}", "en": f"Quiz {question.id}"},
                     hint={}, params={"question": question.id})


class QuizParams(CheckParams):
    question: QuestionId = Field(description="A question id of the course's quiz bank; the answer is the markdown cell "
                                       "tagged answer:<id>.")
    reveal: bool = Field(False, description="The feedback may name what the answer missed (for a second answer).")


@register
class Quiz(CheckKind):
    name = "quiz"
    needs_kernel = False
    evidence = "clean"  # the answer is read from the file; no notebook code runs
    Params = QuizParams

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan,
                 outputs: dict[str, ProbeOutput]) -> CheckResult:
        from grader.quiz import load_bank, score_answer

        qid = check.params["question"]
        answer = ctx.answers.get(qid)
        if answer is None:
            return self.result(check, ctx, 0, ctx.t(
                f"No answer cell for {qid}: add a markdown cell tagged 'answer:{qid}'.",
                f"{qid}의 답안 셀이 없습니다: 'answer:{qid}' 태그가 붙은 마크다운 셀을 추가하세요."),
                {"question": qid, "matched": [], "missing": [], "misconceptions": [], "feedback": "",
                 "confidence": 1.0, "needs_review": False, "doubts": []})
        question = load_bank(ctx.course.quizzes_dir)[qid]
        # `reveal`: the caller knows this is the member's second answer to the question
        res = score_answer(question, answer, reveal=bool(check.params.get("reveal", False)))
        fraction = res.score / res.max_score if res.max_score else 0.0
        details = res.to_dict()
        labels = details.pop("labels")
        # the report shows what the group misses by name, in either language
        for key in ("matched", "missing", "misconceptions"):
            details[key] = [{"id": cid, "label": labels.get(cid, {"ko": cid, "en": cid})} for cid in details[key]]
        message = res.feedback
        if res.needs_review:
            # the points stand provisionally until a teacher confirms the band
            message = ctx.t("Needs review: this score is provisional.", "검토 필요: 이 점수는 임시 점수입니다.") + \
                "\n" + message
        return self.result(check, ctx, fraction, message, details)
