"""Which checks one self-check makes and shows: the ones asked for, the checks they come
after (judged too, so that "not checked" reads as in a graded attempt), where each one's
evidence comes from, and the entry for a check that cannot run."""

from __future__ import annotations

from typing import Any

from grader.selfcheck.protocol import Refused


def wanted(names: list[tuple[str, str]], only: list[str] | None, spec: Any) -> set[str]:  # noqa: ANN401
    """The ids of the checks `only` names (all of them without `only`); "quiz" names the quiz.
    `names` is (id, kind) of every check the exercise has, also those that cannot run."""
    if not only:
        return {cid for cid, _ in names}
    from grader.results.attempt import CheckGroup

    quiz = CheckGroup.QUIZ
    found: set[str] = set()
    for name in only:
        low = str(name).strip().lower()
        hit = {cid for cid, kind in names if cid.lower() == low or (low == "quiz" and CheckGroup.of(kind) is quiz)}
        if not hit:
            ids = ", ".join(cid for cid, _ in names)
            raise Refused.told("selfcheck.worker.wanted.has_no_check_named", id=spec.id, name=name, ids=ids)
        found |= hit
    return found


def prerequisites(checks: list[Any], asked: set[str]) -> set[str]:
    """The checks `asked` come after (spec key `after`), transitively."""
    from grader.checks.depends import after_of

    by_id = {c.id: c for c in checks}
    todo, seen = list(asked), set()
    while todo:
        cid = todo.pop()
        for dep in after_of(by_id[cid]) if cid in by_id else []:
            if dep not in seen and dep not in asked:
                seen.add(dep)
                todo.append(dep)
    return seen


def apply_after(checks: list[Any], results: list[Any], ctx: Any) -> list[Any]:  # noqa: ANN401
    """What the graded path does once every check is judged: `after` turns the checks whose
    prerequisites failed into "not checked" (grading.evaluate_checks)."""
    from grader.checks.depends import apply_after as graded

    return graded(checks, results, ctx)


def self_evidence(kind: Any, check: Any) -> str:  # noqa: ANN401
    """Where a self-check's evidence comes from: 'practice' (the kernel's outputs on practice
    inputs, judged here against answers the kernel never holds), 'self-reported' (facts the
    kernel reports about its own objects), or 'file' (read from the saved notebook).

    model_metric declares "clean" because a graded attempt predicts in the clean loader; its
    targets stay with the grader either way, so here it counts as practice data."""
    if not kind.needs_kernel:
        return "file"
    if kind.evidence_of(check) == "hidden-target" or kind.name == "model_metric":
        return "practice"
    return "self-reported"


def about(check: Any) -> dict[str, Any]:  # noqa: ANN401
    """What a check's "cannot run" entry names of it."""
    return {"title": check.title, "points": check.points, "kind": check.kind}


def unavailable(facts: dict[str, Any], cid: str, reason: str, lang: str, detail: str = "") -> dict[str, Any]:
    """The entry of a check that cannot run in this self-check (render.REASONS tells `reason`)."""
    title = facts.get("title") or {}
    shown = title.get(lang) or title.get("en") or cid if isinstance(title, dict) else str(title)
    return {
        "id": cid,
        "title": shown,
        "points": facts.get("points", 0),
        "kind": facts.get("kind", ""),
        "reason": reason,
        "detail": detail,
    }
