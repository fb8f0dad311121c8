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

from grader.checks.params import METHOD_DOC, GeneratorRef, Method, Name, ParamError, Ref, TargetParams
from grader.errors import SpecError
from grader.results.attempt import CheckResult
from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, fmt_shape, register


def _tuple(value: Any) -> list[np.ndarray]:
    if isinstance(value, (tuple, list)):
        return [np.asarray(v) for v in value]
    return [np.asarray(value)]


class UnrolledStepParams(TargetParams):
    generator: GeneratorRef = Field(
        description="Called as generator(rng, **gen_args): a {name: array} table holding the sequence, one initial "
                    "array per state, and the constants (weights) the step takes.")
    gen_args: dict[str, Any] = Field({}, description="Keyword arguments for the generator.")
    reference: Ref = Field(description="The grader's step, with the target's signature, returning the new states "
                                       "(one array, or a tuple in the order of `states`).")
    sequence: Name = Field("X", description="The generator's key of the sequence [batch, time, ...].")
    step_arg: Name = Field("x", description="The name the per-step slice sequence[:, t] takes in `args`.")
    states: list[Name] = Field(["h"], min_length=1, description="The state names, in the order the function takes "
                                                                "and returns them.")
    args: list[Name] | None = Field(None, description="The function's argument order (default: step_arg, the "
                                                      "states, then the generator's other keys in their order).")
    atol: float = Field(1e-5, ge=0, description="Absolute tolerance.")
    rtol: float = Field(1e-5, ge=0, description="Relative tolerance.")
    partial: bool = Field(False, description="Give the fraction of steps that match (default: all or nothing).")
    method: Method = Field("call", description=METHOD_DOC)

    @model_validator(mode="after")
    def _args_complete(self) -> "UnrolledStepParams":
        if self.args is not None and (self.step_arg not in self.args or any(s not in self.args for s in self.states)):
            raise ParamError("'args' must name the step argument and every state", "args")
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
            raise SpecError(f"generator {p['generator']} returned no {', '.join(missing)}")
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
            plan.requests.append({"id": f"t{t}", "op": "call", "target": p["target"],
                                  "method": p.get("method", "call"), "args": call_args})
            new = _tuple(ref(*[step_inputs[a] if a in step_inputs else consts[a] for a in args]))
            expected.append(new)
            # Teacher forcing: the next step starts from the grader's own state.
            current = {s: v.astype(np.asarray(gen[s]).dtype) for s, v in zip(states, new)}
        plan.private = {"expected": expected, "states": states}
        return plan

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan,
                 outputs: dict[str, ProbeOutput]) -> CheckResult:
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
            problem = self._step_problem(ctx, target, t, out, want, states, atol, rtol)
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
            return self.result(check, ctx, 1, ctx.t(
                f"`{target}` matches the grader's reference at all {n} time steps of a hidden sequence "
                f"(returning {names}).",
                f"`{target}`가 숨겨진 시퀀스의 {n}개 타임 스텝 모두에서 채점기의 기준 구현과 일치합니다 "
                f"({names} 반환)."), details)
        frac = ok_steps / n if p.get("partial", False) else 0.0
        lead = ctx.t(
            f"`{target}` was called once per time step with the grader's correct state; it matched at "
            f"{ok_steps} of {n} steps. First mismatch: {first}",
            f"`{target}`를 타임 스텝마다 채점기의 올바른 상태로 호출했습니다. {n}개 중 {ok_steps}개 스텝에서 "
            f"일치했습니다. 처음 어긋난 곳: {first}")
        return self.result(check, ctx, frac, lead, details)

    def _step_problem(self, ctx: GradeContext, target: str, t: int, out: ProbeOutput | None,
                      want: list[np.ndarray], states: list[str], atol: float, rtol: float
                      ) -> tuple[str, float] | None:
        where = ctx.t(f"step {t + 1}", f"{t + 1}번째 스텝")
        if out is None:
            return ctx.t(f"{where}: not run.", f"{where}: 실행되지 않음."), 0.0
        if not out.ok:
            return ctx.t(f"{where} raised {out.error}.", f"{where}에서 오류: {out.error}."), 0.0
        got = out.arrays
        if len(got) != len(want):
            return ctx.t(
                f"{where}: returned {len(got)} value(s); expected {len(want)} ({', '.join(states)}).",
                f"{where}: 값 {len(got)}개를 반환했습니다. {len(want)}개({', '.join(states)})가 필요합니다."), 0.0
        for name, g, e in zip(states, got, want):
            if tuple(g.shape) != tuple(e.shape):
                return ctx.t(
                    f"{where}: {name} has shape {fmt_shape(g.shape)}, expected {fmt_shape(e.shape)}.",
                    f"{where}: {name}의 크기가 {fmt_shape(g.shape)}입니다. {fmt_shape(e.shape)}이어야 합니다."), 0.0
            if not np.issubdtype(g.dtype, np.number):
                return ctx.t(f"{where}: {name} is not numeric.", f"{where}: {name}가 숫자 배열이 아닙니다."), 0.0
            g64, e64 = g.astype(np.float64), e.astype(np.float64)
            if not np.all(np.isfinite(g64)):
                return ctx.t(f"{where}: {name} contains NaN or infinity.",
                             f"{where}: {name}에 NaN 또는 무한대가 있습니다."), float("inf")
            if not np.allclose(g64, e64, atol=atol, rtol=rtol):
                diff = float(np.max(np.abs(g64 - e64)))
                right = [s for s, gg, ee in zip(states, got, want)
                         if gg.shape == ee.shape and np.issubdtype(gg.dtype, np.number)
                         and np.allclose(gg.astype(np.float64), ee.astype(np.float64), atol=atol, rtol=rtol)]
                also = ctx.t(f" ({', '.join(right)} {'is' if len(right) == 1 else 'are'} right)",
                             f" ({', '.join(right)}는 맞음)") if right else ""
                return ctx.t(
                    f"{where}: {name} has the right shape {fmt_shape(e.shape)} but wrong values "
                    f"(largest difference {diff:.3g}, tolerance {atol:g}){also}.",
                    f"{where}: {name}의 크기 {fmt_shape(e.shape)}는 맞지만 값이 다릅니다 "
                    f"(최대 차이 {diff:.3g}, 허용 {atol:g}){also}."), diff
        return None
