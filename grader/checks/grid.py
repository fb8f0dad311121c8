"""`function_grid`: a function of plain scalars, checked case by case.

For functions such as a formula `f(length, kernel_size, strides, padding, ...)`
that take numbers and strings rather than arrays. Every case is a table of
keyword arguments; each one travels to the kernel as the JSON `kwargs` of its
own `call` request (no wrapper cell needed), and the reference function runs
here on the same keywords. The message names the first failing case with its
arguments, the expected and the returned value, so a student can redo it by
hand.

Spec keys: `FunctionGridParams` below (reference: docs/specs.md).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

import numpy as np
from pydantic import Field, StringConstraints, model_validator

from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, register
from grader.checks.params import METHOD_DOC, REF_PATTERN, GeneratorRef, Method, ParamError, RefTo, TargetParams
from grader.results.attempt import CheckResult


def _plain(value: Any) -> Any:
    """JSON-safe scalars for the kernel (numpy ints from a generator become ints)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def fmt_case(case: dict[str, Any]) -> str:
    """A case as "length 50, padding 'valid'": its arguments, not a line of code to paste."""
    return ", ".join(f"{k} {v!r}" if isinstance(v, str) else f"{k} {v}" for k, v in case.items())


def fmt_value(value: Any) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        v = arr.item()
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return repr(v) if isinstance(v, str) else str(v)
    return np.array2string(arr, threshold=12)


def values_match(got: np.ndarray, expected: np.ndarray, atol: float) -> bool:
    if got.shape != expected.shape:
        return False
    if np.issubdtype(expected.dtype, np.number) or expected.dtype == bool:
        if not (np.issubdtype(got.dtype, np.number) or got.dtype == bool):
            return False
        return bool(np.allclose(got.astype(float), expected.astype(float), atol=atol, rtol=0))
    return bool(np.array_equal(got, expected))


# `ref(0, None, "(**case)")` spelt out: a type checker reads an alias, not a call
CaseRef: TypeAlias = Annotated[str, StringConstraints(pattern=REF_PATTERN), RefTo(0, None, "(**case)")]


class FunctionGridParams(TargetParams):
    reference: CaseRef = Field(description="The grader's own function, called as reference(**case) on every case.")
    cases: list[dict[str, Any]] = Field(
        [], description="Fixed cases, each a table of keyword arguments; always checked first."
    )
    generator: GeneratorRef | None = Field(
        None,
        description="More cases drawn from the attempt's seed: called as generator(rng, **gen_args), "
        "returns a list of such tables.",
    )
    gen_args: dict[str, Any] = Field({}, description="Keyword arguments for the generator.")
    atol: float = Field(0.0, ge=0, description="Tolerance for numeric results (0: exact).")
    partial: bool = Field(False, description="Give the fraction of cases right (default: all or nothing).")
    group_by: str | None = Field(
        None,
        description="An argument name: the message lists which of its values "
        "had failing cases (e.g. padding=same, causal).",
    )
    method: Method = Field("call", description=METHOD_DOC)

    @model_validator(mode="after")
    def _some_cases(self) -> FunctionGridParams:
        if not self.cases and self.generator is None:
            raise ParamError.told("errors.param.grid_needs_cases")
        return self


@register
class FunctionGrid(CheckKind):
    name = "function_grid"
    Params = FunctionGridParams
    evidence = "hidden-target"

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        p = check.params
        cases = [dict(c) for c in p.get("cases", [])]
        if p.get("generator"):
            cases += list(ctx.ref(p["generator"])(ctx.rng(check.id), **p.get("gen_args", {})))
        cases = [{str(k): _plain(v) for k, v in c.items()} for c in cases]
        reference = ctx.ref(p["reference"])
        expected = [np.asarray(reference(**c)) for c in cases]
        requests = [
            {
                "id": f"case{i}",
                "op": "call",
                "target": p["target"],
                "method": p.get("method", "call"),
                "args": [],
                "kwargs": c,
            }
            for i, c in enumerate(cases)
        ]
        return Plan(requests=requests, private={"cases": cases, "expected": expected})

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        target = p["target"]
        cases: list[dict[str, Any]] = plan.private["cases"]
        expected: list[np.ndarray] = plan.private["expected"]
        outs = [outputs.get(f"case{i}") for i in range(len(cases))]
        errors = {o.error for o in outs if o is not None and not o.ok}
        if all(o is None or not o.ok for o in outs) and len(errors) <= 1:
            # The same failure everywhere (not defined, returns None, wrong signature): say it once.
            return self.missing(check, ctx, next((o for o in outs if o is not None), None), f"`{target}`")
        atol = float(p.get("atol", 0.0))
        wrong: list[int] = []
        first_msg = ""
        for i, (case, exp, out) in enumerate(zip(cases, expected, outs)):
            if out is not None and out.ok and len(out.arrays) == 1 and values_match(out.arrays[0], exp, atol):
                continue
            if not wrong:
                if out is None or not out.ok:
                    err = out.error if out is not None else ctx.text("checks.grid.evaluate.case_no_result")
                    first_msg = ctx.text(
                        "checks.grid.evaluate.case_raised", case=fmt_case(case), expected=fmt_value(exp), error=err
                    )
                elif len(out.arrays) != 1:
                    first_msg = ctx.text(
                        "checks.grid.evaluate.case_many_values",
                        case=fmt_case(case),
                        expected=fmt_value(exp),
                        count=len(out.arrays),
                    )
                else:
                    got = fmt_value(out.arrays[0])
                    first_msg = ctx.text(
                        "checks.grid.evaluate.case_wrong", case=fmt_case(case), expected=fmt_value(exp), got=got
                    )
            wrong.append(i)
        n = len(cases)
        details: dict[str, Any] = {"cases": n, "cases_ok": n - len(wrong)}
        if not wrong:
            return self.result(
                check,
                ctx,
                1,
                ctx.text("checks.grid.evaluate.agrees_with_grader_reference", target=target, n=n),
                details,
            )
        groups = ""
        if p.get("group_by"):
            key = p["group_by"]
            bad = sorted({str(cases[i].get(key)) for i in wrong})
            good = sorted({str(c.get(key)) for c in cases} - set(bad))
            details["failing_" + key] = bad
            groups = ctx.text(
                "checks.grid.evaluate.failing_cases_have_good" if good else "checks.grid.evaluate.failing_cases_have",
                key=key,
                bad=", ".join(bad),
                good=", ".join(good),
            )
        frac = (n - len(wrong)) / n if p.get("partial", False) else 0.0
        return self.result(
            check,
            ctx,
            frac,
            ctx.text(
                "checks.grid.evaluate.wrong_on_cases_first",
                target=target,
                len_wrong=len(wrong),
                n=n,
                first_msg=first_msg,
                groups=groups,
            ),
            details,
        )
