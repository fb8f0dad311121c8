"""Quiz scores kept on disk by answer: scored once, read back after."""

from __future__ import annotations

from grader.selfcheck.quizcache import scored_quiz


def test_quiz_scores_are_cached_by_answer(course, tmp_path, monkeypatch):
    from grader.checks import KINDS, GradeContext
    from grader.grading import all_checks

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    spec = course.specs["ch15.ex4"]
    quiz = next(c for c in all_checks(spec, course) if c.kind == "quiz")
    qid = quiz.params["question"]
    kind = KINDS["quiz"]
    scored: list[str] = []

    def fake(check, ctx, plan, outputs):  # noqa: ANN001, ANN202 - the scorer's part is not under test
        scored.append(ctx.answers[qid])
        return kind.result(check, ctx, 0.5, f"scored {ctx.answers[qid]!r} in {ctx.lang}")

    monkeypatch.setattr(kind, "evaluate", fake)
    ctx = GradeContext(seed=1, lang="en", course=course, spec=spec, answers={qid: "seq2vec"})
    first = scored_quiz([quiz], ctx)[quiz.id]
    again = scored_quiz([quiz], ctx)[quiz.id]
    assert again.to_dict() == first.to_dict() and scored == ["seq2vec"]
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 1
    scored_quiz([quiz], GradeContext(seed=1, lang="ko", course=course, spec=spec, answers={qid: "seq2vec"}))
    scored_quiz([quiz], GradeContext(seed=1, lang="en", course=course, spec=spec, answers={qid: "seq2seq"}))
    assert scored == ["seq2vec", "seq2vec", "seq2seq"]  # another language, another answer: scored again
