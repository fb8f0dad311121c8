"""`causal`: a sequence model's output at step t may depend only on inputs up to t.

The grader makes an input x and a copy x' whose steps from `t0` on are
replaced by other values, asks the kernel for the model's outputs on both, and
compares them here: outputs before `t0` must be identical (within `atol`), and
outputs from `t0` on must change (so a constant model, or one that ignores its
input, does not pass). The message names the first time step whose output
moved although only later inputs changed.

Spec keys: `CausalParams` below (reference: docs/specs.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, PositiveInt, model_validator

from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, fmt_shape, register
from grader.checks.params import METHOD_DOC, GeneratorRef, Method, ParamError, TargetParams
from grader.results.attempt import CheckResult


def _t0(check: CheckSpec, steps: int) -> int:
    t0 = int(check.params.get("t0", steps // 2))
    return t0 + steps if t0 < 0 else t0


class CausalParams(TargetParams):
    input: list[PositiveInt] | None = Field(
        None, min_length=2, description="Shape of the noise input [batch, time steps, features] (time is axis 1)."
    )
    generator: GeneratorRef | None = Field(
        None, description="Instead of noise: called as generator(rng, **gen_args); its first array is the input."
    )
    gen_args: dict[str, Any] = Field({}, description="Keyword arguments for the generator.")
    t0: int | None = Field(
        None, description="The first perturbed time step (default: the middle; negative counts from the end)."
    )
    method: Method = Field("auto", description=METHOD_DOC)
    atol: float = Field(1e-5, ge=0, description="How much an output before t0 may move.")
    min_change: float = Field(
        1e-4,
        ge=0,
        description="How much the outputs from t0 on must move at least "
        "(a model that ignores its input is not shown causal).",
    )

    @model_validator(mode="after")
    def _input(self) -> CausalParams:
        if self.input is None and self.generator is None:
            raise ParamError.told("errors.param.causal_needs_input")
        if self.input is not None:
            steps = self.input[1]
            t0 = steps // 2 if self.t0 is None else self.t0
            if not 0 < (t0 + steps if t0 < 0 else t0) < steps:
                raise ParamError.told("errors.param.t0_outside", "t0", last=steps - 1)
        return self


@register
class Causal(CheckKind):
    name = "causal"
    Params = CausalParams
    evidence = "clean"
    other_evidence = ("self-reported",)

    def unmet(self, check: CheckSpec, ctx: GradeContext, result: CheckResult) -> str:
        target = check.params["target"]
        if "first_leaking_step" in result.details:
            return ctx.text("checks.causal.unmet.not_causal", target=target)
        return super().unmet(check, ctx, result)

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        p = check.params
        rng = ctx.rng(check.id)
        if p.get("generator"):
            made = ctx.ref(p["generator"])(rng, **p.get("gen_args", {}))
            x = np.asarray(next(iter(made.values())), dtype=np.float32)
        else:
            x = rng.normal(size=[int(s) for s in p["input"]]).astype(np.float32)
        t0 = _t0(check, x.shape[1])
        x2 = x.copy()
        x2[:, t0:] = rng.normal(size=x2[:, t0:].shape).astype(np.float32)
        method = p.get("method", "auto")
        return Plan(
            requests=[
                {"id": "base", "op": "call", "target": p["target"], "method": method, "args": ["x"]},
                {"id": "perturbed", "op": "call", "target": p["target"], "method": method, "args": ["x2"]},
            ],
            inputs={"x": x, "x2": x2},
            private={"t0": t0, "shape": list(x.shape)},
        )

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        target = p["target"]
        t0, shape = plan.private["t0"], plan.private["shape"]
        steps = shape[1]
        for rid in ("base", "perturbed"):
            out = outputs.get(rid)
            if out is None or not out.ok:
                return self.missing(check, ctx, out, f"`{target}`")
        a, b = outputs["base"].arrays, outputs["perturbed"].arrays
        if len(a) != 1 or len(b) != 1:
            return self.result(
                check,
                ctx,
                0,
                ctx.text("checks.causal.evaluate.returned_outputs_expected_one", target=target, count=len(a)),
            )
        y, y2 = a[0].astype(np.float64), b[0].astype(np.float64)
        if y.ndim < 2 or y.shape[0] != shape[0] or y.shape[1] != steps or y.shape != y2.shape:
            return self.result(
                check,
                ctx,
                0,
                ctx.text(
                    "checks.causal.evaluate.returned_for_input_checking",
                    target=target,
                    output_shape=fmt_shape(y.shape),
                    shown_shape=fmt_shape(shape),
                    shape=shape[0],
                    steps=steps,
                ),
            )
        if not (np.all(np.isfinite(y)) and np.all(np.isfinite(y2))):
            return self.result(
                check, ctx, 0, ctx.text("checks.causal.evaluate.produced_nan_or_infinite", target=target)
            )
        per_step = np.abs(y - y2).reshape(y.shape[0], steps, -1).max(axis=(0, 2))
        atol = float(p.get("atol", 1e-5))
        min_change = float(p.get("min_change", 1e-4))
        leaks = np.nonzero(per_step[:t0] > atol)[0]
        details: dict[str, Any] = {
            "t0": t0,
            "max_past_change": float(per_step[:t0].max()),
            "max_future_change": float(per_step[t0:].max()),
        }
        if leaks.size:
            first = int(leaks[0])
            details["first_leaking_step"] = first
            return self.result(
                check,
                ctx,
                0,
                ctx.text(
                    "checks.causal.evaluate.looks_into_future_only",
                    target=target,
                    t0=t0,
                    first=first,
                    change=per_step[first],
                    size=leaks.size,
                ),
                details,
            )
        if per_step[t0:].max() <= min_change:
            return self.result(
                check, ctx, 0, ctx.text("checks.causal.evaluate.outputs_did_not_change", target=target, t0=t0), details
            )
        return self.result(
            check, ctx, 1, ctx.text("checks.causal.evaluate.causal_changing_inputs_from", target=target, t0=t0), details
        )
