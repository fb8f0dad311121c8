"""`unrolled_step`: a recurrent step function checked over a whole hidden sequence.

The grader makes a sequence, initial states and weights, and unrolls its own
reference step over them. The student's step function is then called once per
time step with the *grader's* state for that step (teacher forcing), so an error
at one step cannot snowball into every later one: the message names the first
step and the state that differ, which tells a gate-order slip (wrong from step
one) from a bug that only shows once the state is non-zero or large.

Spec keys: `UnrolledStepParams` below (reference: docs/specs.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, model_validator

from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, fmt_shape, register
from grader.checks.params import METHOD_DOC, GeneratorRef, Method, Name, ParamError, Ref, TargetParams
from grader.errors import SpecError
from grader.i18n import counted, join_and
from grader.results.attempt import CheckResult


def _tuple(value: Any) -> list[np.ndarray]:
    if isinstance(value, (tuple, list)):
        return [np.asarray(v) for v in value]
    return [np.asarray(value)]


class UnrolledStepParams(TargetParams):
    generator: GeneratorRef = Field(
        description="Called as generator(rng, **gen_args): a {name: array} table holding the sequence, one initial "
        "array per state, and the constants (weights) the step takes."
    )
    gen_args: dict[str, Any] = Field({}, description="Keyword arguments for the generator.")
    reference: Ref = Field(
        description="The grader's step, with the target's signature, returning the new states "
        "(one array, or a tuple in the order of `states`)."
    )
    sequence: Name = Field("X", description="The generator's key of the sequence [batch, time, ...].")
    step_arg: Name = Field("x", description="The name the per-step slice sequence[:, t] takes in `args`.")
    states: list[Name] = Field(
        ["h"], min_length=1, description="The state names, in the order the function takes and returns them."
    )
    args: list[Name] | None = Field(
        None,
        description="The function's argument order (default: step_arg, the "
        "states, then the generator's other keys in their order).",
    )
    atol: float = Field(1e-5, ge=0, description="Absolute tolerance.")
    rtol: float = Field(1e-5, ge=0, description="Relative tolerance.")
    partial: bool = Field(False, description="Give the fraction of steps that match (default: all or nothing).")
    method: Method = Field("call", description=METHOD_DOC)
    follows: dict[str, Name] = Field(
        {},
        description='{state: the state it is computed from}, e.g. { h = "c" } for an LSTM: when both are '
        "wrong at a step, the message names the one the mistake is in and says the other follows.",
    )

    @model_validator(mode="after")
    def _args_complete(self) -> UnrolledStepParams:
        if self.args is not None and (self.step_arg not in self.args or any(s not in self.args for s in self.states)):
            raise ParamError.told("errors.param.args_incomplete", "args")
        for state, source in self.follows.items():
            if state not in self.states or source not in self.states or state == source:
                raise ParamError.told("errors.param.follows", "follows")
        return self


@register
class UnrolledStep(CheckKind):
    name = "unrolled_step"
    Params = UnrolledStepParams
    evidence = "hidden-target"

    def _layout(self, check: CheckSpec, gen: dict[str, np.ndarray]) -> tuple[str, str, list[str], list[str]]:
        p = check.params
        seq, step_arg = p.get("sequence", "X"), p.get("step_arg", "x")
        states = list(p.get("states", ["h"]))
        missing = [k for k in [seq, *states] if k not in gen]
        if missing:
            raise SpecError.told(
                "errors.spec.generator_returned_no", generator=p["generator"], missing=", ".join(map(repr, missing))
            )
        consts = [k for k in gen if k != seq and k not in states]
        args = list(p.get("args") or [step_arg, *states, *consts])
        return seq, step_arg, states, args

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        p = check.params
        gen = ctx.ref(p["generator"])(ctx.rng(check.id), **p.get("gen_args", {}))
        seq, step_arg, states, args = self._layout(check, gen)
        ref = ctx.ref(p["reference"])
        X = np.asarray(gen[seq])
        consts = {k: v for k, v in gen.items() if k != seq and k not in states}
        current = {s: np.asarray(gen[s]) for s in states}
        plan = Plan(inputs=dict(consts))
        expected: list[list[np.ndarray]] = []
        for t in range(X.shape[1]):
            step_inputs = {step_arg: X[:, t], **current}
            for name, arr in step_inputs.items():
                plan.inputs[f"{name}__t{t}"] = arr
            call_args = [f"{a}__t{t}" if a in step_inputs else a for a in args]
            plan.requests.append(
                {
                    "id": f"t{t}",
                    "op": "call",
                    "target": p["target"],
                    "method": p.get("method", "call"),
                    "args": call_args,
                }
            )
            new = _tuple(ref(*[step_inputs[a] if a in step_inputs else consts[a] for a in args]))
            expected.append(new)
            # Teacher forcing: the next step starts from the grader's own state.
            current = {s: v.astype(np.asarray(gen[s]).dtype) for s, v in zip(states, new)}
        plan.private = {"expected": expected, "states": states}
        return plan

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        target = p["target"]
        expected: list[list[np.ndarray]] = plan.private["expected"]
        states: list[str] = plan.private["states"]
        n = len(expected)
        outs = [outputs.get(f"t{t}") for t in range(n)]
        if all(o is None or not o.ok for o in outs):
            return self.missing(check, ctx, next((o for o in outs if o is not None), None), f"`{target}`")
        atol, rtol = float(p.get("atol", 1e-5)), float(p.get("rtol", 1e-5))
        ok_steps = 0
        first: str | None = None
        worst = 0.0
        for t, (out, want) in enumerate(zip(outs, expected)):
            problem = self._step_problem(ctx, target, t, out, want, states, atol, rtol, p.get("follows", {}))
            if problem is None:
                ok_steps += 1
                continue
            text, diff = problem
            worst = max(worst, diff)
            if first is None:
                first = text
        details = {"steps": n, "steps_ok": ok_steps}
        if first is None:
            names = ", ".join(states)
            return self.result(
                check,
                ctx,
                1,
                ctx.text("checks.steps.evaluate.matches_grader_reference_at", target=target, n=n, names=names),
                details,
            )
        frac = ok_steps / n if p.get("partial", False) else 0.0
        lead = ctx.text("checks.steps.evaluate.was_called_once_per", target=target, ok_steps=ok_steps, n=n, first=first)
        return self.result(check, ctx, frac, lead, details)

    def _step_problem(
        self,
        ctx: GradeContext,
        target: str,
        t: int,
        out: ProbeOutput | None,
        want: list[np.ndarray],
        states: list[str],
        atol: float,
        rtol: float,
        follows: dict[str, str] | None = None,
    ) -> tuple[str, float] | None:
        where = ctx.text("checks.steps.step_problem.step", t=t + 1)
        if out is None:
            return ctx.text("checks.steps.step_problem.not_run", where=where), 0.0
        if not out.ok:
            return ctx.text("checks.steps.step_problem.raised", where=where, error=out.error), 0.0
        got = out.arrays
        if len(got) != len(want):
            return ctx.text(
                counted("checks.steps.step_problem.returned_value_expected", len(got)),
                where=where,
                len_got=len(got),
                len_want=len(want),
                states=", ".join(states),
            ), 0.0
        follows = follows or {}
        wrong = [
            s
            for s, gg, ee in zip(states, got, want)
            if not (
                gg.shape == ee.shape
                and np.issubdtype(gg.dtype, np.number)
                and np.allclose(gg.astype(np.float64), ee.astype(np.float64), atol=atol, rtol=rtol)
            )
        ]
        # A state computed from another wrong one is wrong because of it: name the source first.
        order = sorted(range(len(states)), key=lambda i: states[i] in follows and follows[states[i]] in wrong)
        for i in order:
            name, g, e = states[i], got[i], want[i]
            if tuple(g.shape) != tuple(e.shape):
                return ctx.text(
                    "checks.steps.step_problem.has_shape_expected",
                    where=where,
                    name=name,
                    got_shape=fmt_shape(g.shape),
                    expected_shape=fmt_shape(e.shape),
                ), 0.0
            if not np.issubdtype(g.dtype, np.number):
                return ctx.text("checks.steps.step_problem.not_numeric", where=where, name=name), 0.0
            g64, e64 = g.astype(np.float64), e.astype(np.float64)
            if not np.all(np.isfinite(g64)):
                return ctx.text("checks.steps.step_problem.contains_nan_or_infinity", where=where, name=name), float(
                    "inf"
                )
            if not np.allclose(g64, e64, atol=atol, rtol=rtol):
                diff = float(np.max(np.abs(g64 - e64)))
                right = [
                    s
                    for s, gg, ee in zip(states, got, want)
                    if gg.shape == ee.shape
                    and np.issubdtype(gg.dtype, np.number)
                    and np.allclose(gg.astype(np.float64), ee.astype(np.float64), atol=atol, rtol=rtol)
                ]
                also = (
                    ctx.text(
                        "checks.steps.step_problem.right"
                        if len(right) == 1
                        else "checks.steps.step_problem.right_many",
                        right=join_and(right, ctx.lang),
                    )
                    if right
                    else ""
                )
                after = [s for s in wrong if follows.get(s) == name]
                if after:
                    also += ctx.text(
                        "checks.steps.step_problem.wrong_because_of", name=name, after=join_and(after, ctx.lang)
                    )
                return ctx.text(
                    "checks.steps.step_problem.has_right_shape_but",
                    where=where,
                    name=name,
                    expected_shape=fmt_shape(e.shape),
                    diff=diff,
                    atol=atol,
                    also=also,
                ), diff
        return None
