"""Two levels of help for a failed check: the hint, then the recipe.

A first failure gets the spec's `hint`: what is wrong and where to look (the variable,
the output, the axis or time step), never the formula or the code, so the member still
does the exercise. The `recipe` (the formula, the code, the book's recipe) is added when
the member asks for it (`grade submit --hints full`) or has already failed the same check
of the same exercise in `REPEATS_FOR_RECIPE` earlier attempts: by then a hint alone has
not helped. The self-check never shows it.

Grading itself always writes the brief level (`CheckKind.result`); the submitting process,
which knows the member and has the gradebook, raises a check to the full level here,
before the attempt is recorded, so the gradebook keeps what the member was shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from grader.i18n import text

if TYPE_CHECKING:
    from grader.course.loader import Course
    from grader.course.spec import ExerciseSpec
    from grader.results.attempt import Attempt, CheckResult
    from grader.results.gradebook import Gradebook

HintsOption = Literal["brief", "full"]

# Earlier attempts a check must have failed in before its recipe is shown unasked.
REPEATS_FOR_RECIPE = 2


@dataclass(frozen=True)
class HintPolicy:
    """Which level each failed check gets. `failed_before`: {check id: earlier attempts of this
    member at this exercise in which the check failed} (`Gradebook.failed_checks`)."""

    option: HintsOption = "brief"
    failed_before: Mapping[str, int] = field(default_factory=dict)

    def full_for(self, check_id: str) -> bool:
        return self.option == "full" or self.failed_before.get(check_id, 0) >= REPEATS_FOR_RECIPE


def _why(policy: HintPolicy, check_id: str, lang: str) -> str:
    """Why the recipe is there when nobody asked for it."""
    if policy.option == "full":
        return ""
    return text("checks.hints.why_shown", lang, n=policy.failed_before.get(check_id, 0))


def apply_hint_policy(attempt: Attempt, spec: ExerciseSpec | None, lang: str, policy: HintPolicy) -> Attempt:
    """`attempt` with the recipe added under the hint of every failed check the policy opens
    up (in place; returned for convenience). A check gets it only where its brief hint was
    shown: one that passed, or was not checked because another check failed, has nothing
    to fix."""
    if spec is None:
        return attempt
    by_id = {c.id: c for c in spec.checks}
    for result in attempt.checks:
        check = by_id.get(result.id)
        if result.passed or result.hint_level != "brief" or check is None or not check.recipe:
            continue
        if not policy.full_for(result.id):
            continue
        recipe = check.text("recipe", lang)
        label = text("checks.hints.label", lang)
        result.message = f"{result.message.rstrip()}\n{label} {recipe}{_why(policy, result.id, lang)}"
        result.hint_level = "full"
    return attempt


def without_recipe(result: CheckResult) -> str:
    """The check's message as its brief hint said it: what a page or a chat summary for the
    whole group may quote, since the recipe was opened for one member only."""
    message = result.message or ""
    if result.hint_level != "full":
        return message
    labels = tuple(f"\n{text('checks.hints.label', lang)} " for lang in ("ko", "en"))
    cut = min((i for i in (message.find(label) for label in labels) if i >= 0), default=-1)
    return message[:cut] if cut >= 0 else message


def reveal(
    attempt: Attempt, course: Course, lang: str, option: HintsOption = "brief", book: Gradebook | None = None
) -> Attempt:
    """The submitter's step: `apply_hint_policy` with the member's earlier failures at this
    exercise read from `book` (none without a gradebook: --no-record, --dry-run). The
    gradebook is asked only when a failed check has a recipe to give."""
    from grader.errors import GradeError

    if attempt.status == "invalid" or not attempt.exercise:
        return attempt
    spec = course.specs.get(attempt.exercise)
    if spec is None:
        return attempt
    recipes = {c.id for c in spec.checks if c.recipe}
    if not any(not r.passed and r.hint_level == "brief" and r.id in recipes for r in attempt.checks):
        return attempt
    failed: dict[str, int] = {}
    if book is not None and option != "full":
        try:
            failed = book.failed_checks(attempt.member, attempt.exercise)
        except GradeError:
            failed = {}  # a gradebook that cannot be read now costs the recipe, never the attempt
    return apply_hint_policy(attempt, spec, lang, HintPolicy(option, failed))
