"""Checks that call the student's functions and models on inputs the grader makes.

- `function_matches`: the student's function against the course's reference
  function, on the same hidden inputs; shapes and values must agree.
- `output_shape`: a model (or function) called on inputs of several batch sizes
  and sequence lengths must return the expected shapes.

Their spec keys are the `Params` models below (reference: docs/specs.md).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, PositiveInt

from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, fmt_shape, register
from grader.checks.params import METHOD_DOC, Bilingual, GeneratorRef, Method, Name, Ref, SpecModel, TargetParams, texts
from grader.i18n import counted
from grader.results.attempt import CheckResult


def _as_tuple(value: Any) -> list[np.ndarray]:
    if isinstance(value, (tuple, list)):
        return [np.asarray(v) for v in value]
    return [np.asarray(value)]


class FunctionMatchesParams(TargetParams):
    generator: GeneratorRef = Field(
        description="Makes the hidden inputs: called as generator(rng, **gen_args), returns {name: array}."
    )
    gen_args: dict[str, Any] = Field({}, description="Keyword arguments for the generator.")
    reference: Ref = Field(description="The grader's own function, called on the same inputs as the target.")
    args: list[Name] | None = Field(
        None,
        description="Which of the generator's arrays to pass, in order "
        "(default: all of them, in the generator's order).",
    )
    method: Method = Field("call", description=METHOD_DOC)
    outputs: list[Bilingual] | None = Field(
        None,
        description="Names of the returned values for messages, each a "
        'string or a {ko, en} table (default: "output 1", '
        '"output 2", …).',
    )
    atol: float = Field(1e-6, ge=0, description="Absolute tolerance on the values.")
    rtol: float = Field(1e-5, ge=0, description="Relative tolerance on the values.")
    partial_for_shape: bool = Field(
        True, description="Half the points when the shapes are right but the values are not."
    )


def _name(value: object, lang: str) -> str:
    """An output's name from the spec, in `lang` (a plain string serves both languages)."""
    named = texts(value)  # type: ignore[arg-type]
    return named.get(lang) or named.get("en") or named.get("ko") or ""


@register
class FunctionMatches(CheckKind):
    """`function_matches`: the student's function against the course's reference function,
    called on the same hidden inputs; the number of returned values, their shapes and their
    values must agree (within `atol` and `rtol`). Right shapes with wrong values earn half
    the points unless `partial_for_shape = false`."""

    name = "function_matches"
    Params = FunctionMatchesParams
    evidence = "hidden-target"

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        p = check.params
        inputs = ctx.ref(p["generator"])(ctx.rng(check.id), **p.get("gen_args", {}))
        names = p.get("args") or list(inputs)
        expected = _as_tuple(ctx.ref(p["reference"])(*[inputs[n] for n in names]))
        return Plan(
            requests=[
                {"id": "call", "op": "call", "target": p["target"], "method": p.get("method", "call"), "args": names}
            ],
            inputs=inputs,
            private={"expected": expected},
        )

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        target = p["target"]
        out = outputs.get("call")
        if out is None or not out.ok:
            return self.missing(check, ctx, out, f"`{target}`")
        expected: list[np.ndarray] = plan.private["expected"]
        got = out.arrays
        if len(got) != len(expected):
            return self.result(
                check,
                ctx,
                0,
                ctx.text(
                    counted("checks.calls.evaluate.returned_value_expected", len(got)),
                    target=target,
                    len_got=len(got),
                    len_expected=len(expected),
                ),
            )
        atol, rtol = float(p.get("atol", 1e-6)), float(p.get("rtol", 1e-5))
        names = (
            [_name(n, ctx.lang) for n in p["outputs"]]
            if p.get("outputs")
            else [ctx.text("checks.calls.evaluate.output_n", n=i + 1) for i in range(len(expected))]
        )
        for name, g, e in zip(names, got, expected):
            if tuple(g.shape) != tuple(e.shape):
                return self.result(
                    check,
                    ctx,
                    0,
                    ctx.text(
                        "checks.calls.evaluate.has_shape_expected",
                        target=target,
                        name=name,
                        got_shape=fmt_shape(g.shape),
                        expected_shape=fmt_shape(e.shape),
                    ),
                    {"found_shape": list(g.shape), "expected_shape": list(e.shape)},
                )
            if not np.issubdtype(g.dtype, np.number) or not np.allclose(
                g.astype(float), e.astype(float), atol=atol, rtol=rtol
            ):
                diff = (
                    float(np.max(np.abs(g.astype(float) - e.astype(float))))
                    if np.issubdtype(g.dtype, np.number)
                    else float("nan")
                )
                return self.result(
                    check,
                    ctx,
                    0.5 if p.get("partial_for_shape", True) else 0,
                    ctx.text(
                        "checks.calls.evaluate.has_right_shape_but",
                        target=target,
                        name=name,
                        expected_shape=fmt_shape(e.shape),
                        diff=diff,
                        atol=atol,
                    ),
                    {"max_abs_diff": diff},
                )
        shapes = ", ".join(fmt_shape(e.shape) for e in expected)
        return self.result(
            check, ctx, 1, ctx.text("checks.calls.evaluate.matches_grader_reference_on", target=target, shapes=shapes)
        )


def shape_matches(found: list[int], expected: list[int | None]) -> bool:
    if len(found) != len(expected):
        return False
    return all(e is None or e == -1 or f == e for f, e in zip(found, expected))


class ShapeCase(SpecModel):
    input: list[PositiveInt] = Field(min_length=1, description="The input's shape, batch first.")
    expect: list[int] = Field(min_length=1, description="The output shape it must give; -1 for any size.")


class OutputShapeParams(TargetParams):
    cases: list[ShapeCase] = Field(min_length=1, description="Input shapes and the output shape each must give.")
    dtype: Literal["float32", "float64", "int32", "int64"] = Field(
        "float32", description="Type of the inputs: normal noise for floats, integers below `vocab` otherwise."
    )
    vocab: PositiveInt = Field(10, description="For integer inputs: they are drawn from 0 … vocab - 1.")
    method: Method = Field("auto", description=METHOD_DOC)
    partial: bool = Field(False, description="Give the fraction of cases right (default: all or nothing).")
    open_axes: list[PositiveInt] = Field(
        [],
        description="Axes of the model's declared input (0 = batch) that must be left open (None), e.g. [1] "
        "for the time axis: Keras runs an RNN declared with a fixed length on other lengths too, "
        "with only a warning, so the calls alone cannot show that the length was left open.",
    )


@register
class OutputShape(CheckKind):
    """`output_shape`: a model (or function) called on inputs of several batch sizes and
    sequence lengths must return the expected shape for each; -1 in an expected shape
    stands for any size."""

    name = "output_shape"
    Params = OutputShapeParams
    evidence = "clean"
    other_evidence = ("self-reported",)

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        p = check.params
        rng = ctx.rng(check.id)
        plan = Plan()
        dtype = p.get("dtype", "float32")
        for i, case in enumerate(p["cases"]):
            shape = [int(s) for s in case["input"]]
            if dtype.startswith("int"):
                x = rng.integers(0, int(p.get("vocab", 10)), size=shape).astype(dtype)
            else:
                x = rng.normal(size=shape).astype(dtype)
            plan.inputs[f"x{i}"] = x
            plan.requests.append(
                {
                    "id": f"case{i}",
                    "op": "call",
                    "target": p["target"],
                    "method": p.get("method", "auto"),
                    "args": [f"x{i}"],
                }
            )
        if p.get("open_axes"):
            plan.requests.append({"id": "describe", "op": "describe", "target": p["target"]})
        return plan

    def _fixed_axes(self, check: CheckSpec, ctx: GradeContext, outputs: dict[str, ProbeOutput]) -> str:
        """Why the declared input does not leave the `open_axes` open ("" when it does, or when
        the target declares no input: a plain function)."""
        out = outputs.get("describe")
        if out is None or not out.ok or not isinstance(out.value, dict):
            return ""
        shapes = out.value.get("input_shape")
        if not isinstance(shapes, list) or not shapes or not isinstance(shapes[0], list):
            return ""
        declared = shapes[0]
        fixed = [a for a in check.params["open_axes"] if a < len(declared) and declared[a] is not None]
        if not fixed:
            return ""
        names = {1: ctx.text("checks.calls.fixed_axes.time_axis")}
        axes = ", ".join(
            ctx.text(
                "checks.calls.fixed_axes.text",
                axis=names.get(a) or ctx.text("checks.calls.fixed_axes.axis", a=a),
                size=declared[a],
            )
            for a in fixed
        )
        target = check.params["target"]
        return ctx.text(
            "checks.calls.fixed_axes.declares_input_as_which", target=target, declared=fmt_shape(declared), axes=axes
        )

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        target = p["target"]
        ok = 0
        problems: list[str] = []
        cases = p["cases"]
        outs = [outputs.get(f"case{i}") for i in range(len(cases))]
        errors = {o.error for o in outs if o is not None and not o.ok}
        if all(o is None or not o.ok for o in outs) and len(errors) <= 1:
            # Same failure for every input (missing model, not built yet): say it once.
            return self.missing(check, ctx, next((o for o in outs if o is not None), None), f"`{target}`")
        for i, case in enumerate(cases):
            out = outputs.get(f"case{i}")
            inp = fmt_shape(case["input"])
            exp = fmt_shape([None if e == -1 else e for e in case["expect"]])
            if out is None or not out.ok:
                problems.append(
                    ctx.text(
                        "checks.calls.evaluate.input_raised",
                        inp=inp,
                        error=out.error if out else ctx.text("checks.calls.evaluate.no_result"),
                    )
                )
                continue
            if len(out.arrays) != 1:
                problems.append(
                    ctx.text("checks.calls.evaluate.input_gave_outputs_expected", inp=inp, count=len(out.arrays))
                )
                continue
            found = list(out.arrays[0].shape)
            if shape_matches(found, case["expect"]):
                ok += 1
            else:
                problems.append(
                    ctx.text("checks.calls.evaluate.input_gave_expected", inp=inp, got_shape=fmt_shape(found), exp=exp)
                )
        fixed = self._fixed_axes(check, ctx, outputs) if p.get("open_axes") else ""
        if not problems and fixed:
            return self.result(check, ctx, 0, fixed + ".", {"cases_ok": ok, "cases": len(cases), "fixed_input": True})
        if not problems:
            return self.result(
                check,
                ctx,
                1,
                ctx.text("checks.calls.evaluate.returns_expected_shapes_for", target=target, len_cases=len(cases)),
            )
        if fixed:
            problems.append(fixed)
        frac = ok / len(cases) if p.get("partial", False) and not fixed else 0.0
        return self.result(
            check,
            ctx,
            frac,
            ctx.text("checks.calls.evaluate.text", target=target, problems="; ".join(problems)),
            {"cases_ok": ok, "cases": len(cases)},
        )
