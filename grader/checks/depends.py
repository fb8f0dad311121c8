"""`after`: a check whose evidence means nothing once another check failed.

A WaveNet that looks into the future has no forecast quality worth measuring; a
"forecaster" with no recurrent layer has no RNN quality. Such a check names the
checks it comes after (`after = ["wavenet_causal"]`); when one of them did not
pass, it earns nothing and says why ("Not checked: `wavenet_model` is not
causal") instead of failing with a message about something else. One mistake,
one deduction, and one message for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from grader.results.attempt import CheckResult

if TYPE_CHECKING:
    from grader.checks.base import CheckSpec, GradeContext


def after_of(check: CheckSpec) -> list[str]:
    """The ids a check comes after (the spec's `after`; the spec loader checks that they
    name other checks of the exercise, without a cycle)."""
    return list(getattr(check, "after", None) or check.params.get("after", []) or [])


def apply_after(checks: list[CheckSpec], results: list[CheckResult], ctx: GradeContext) -> list[CheckResult]:
    """The results with every check whose `after` did not pass turned into "not checked".

    A check that is not checked counts as failed for the checks after it, with its own
    reasons passed on, so a chain says what the first failure was."""
    from grader.checks.base import KINDS

    by_id = {c.id: c for c in checks}
    out = {r.id: r for r in results}
    reasons: dict[str, list[str]] = {}

    def settle(cid: str) -> None:
        if cid in reasons:
            return
        reasons[cid] = []
        check = by_id[cid]
        failed, why = [], []
        for dep in after_of(check):
            if dep not in out:
                continue
            settle(dep)
            dep_result = out[dep]
            if dep_result.passed:
                continue
            failed.append(dep)
            if reasons[dep]:
                why += [r for r in reasons[dep] if r not in why]
            else:
                text = KINDS[by_id[dep].kind].unmet(by_id[dep], ctx, dep_result)
                if text not in why:
                    why.append(text)
        if failed and cid in out:
            reasons[cid] = why
            out[cid] = KINDS[check.kind].not_checked(check, ctx, why, failed)

    for c in checks:
        settle(c.id)
    return [out[r.id] for r in results]
