"""`model_metric`: the student's model on fresh data, scored by the grader.

Only the inputs enter the kernel. Targets and baselines stay here, and the
metric is computed here: a loss the notebook printed counts for nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

import numpy as np
from pydantic import Field, StringConstraints, model_validator

from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, fmt_shape, register
from grader.checks.params import (
    METHOD_DOC,
    REF_PATTERN,
    GeneratorRef,
    Method,
    Name,
    ParamError,
    RefTo,
    TargetParams,
)
from grader.results.attempt import CheckResult

METRICS = {
    "mse": (lambda y, p: float(np.mean((y - p) ** 2)), "lower", "MSE"),
    "mae": (lambda y, p: float(np.mean(np.abs(y - p))), "lower", "MAE"),
    "accuracy": (lambda y, p: float(np.mean(np.argmax(p, axis=-1) == y)), "higher", "accuracy"),
}


# How messages name the baselines the course's references provide (other names are shown as
# the spec spells them).
BASELINE_NAMES = {
    "naive": "checks.metric.baseline.naive",
    "linear": "checks.metric.baseline.linear",
    "constant": "checks.metric.baseline.constant",
    "random": "checks.metric.baseline.random",
    "first_frame": "checks.metric.baseline.first_frame",
}
_LABELS = {
    "mse": "checks.metric.label.mse",
    "mae": "checks.metric.label.mae",
    "accuracy": "checks.metric.label.accuracy",
}


def baseline_name(name: str, ctx: GradeContext) -> str:
    return ctx.text(BASELINE_NAMES[name]) if name in BASELINE_NAMES else name


def metric_value(name: str, targets: np.ndarray, preds: np.ndarray) -> float:
    fn = METRICS[name][0]
    return fn(targets.astype(np.float64) if name != "accuracy" else targets, preds.astype(np.float64))


# `ref(3, None, "(inputs, targets, rng)")` spelt out: a type checker reads an alias, not a call
BaselineRef: TypeAlias = Annotated[
    str, StringConstraints(pattern=REF_PATTERN), RefTo(3, None, "(inputs, targets, rng)")
]


class ModelMetricParams(TargetParams):
    generator: GeneratorRef = Field(
        description="Makes fresh data: called as generator(rng, **gen_args), returns (inputs, targets) with "
        "inputs a {name: array} table. The targets never enter the kernel."
    )
    gen_args: dict[str, Any] = Field({}, description="Keyword arguments for the generator (e.g. n = 1000).")
    metric: Literal["mse", "mae", "accuracy"] = Field(
        description="What the grader computes from the predictions: mse and mae (lower is better) or "
        "accuracy of the arg-max class (higher is better)."
    )
    threshold: float = Field(
        description="The value to reach: at most this for mse/mae, at least this for "
        "accuracy. Write the calibration figures beside it."
    )
    partial: list[float] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="[second threshold, fraction]: that fraction of the points for reaching only the second one.",
    )
    baselines: dict[str, BaselineRef] = Field(
        {},
        description="Named baselines scored on the same data and shown in the message: "
        "called as baseline(inputs, targets, rng), returning predictions.",
    )
    compare: str | None = Field(
        None, description="A baseline (a key of `baselines`) the message compares the model with, in percent."
    )
    select: Literal["last_step"] | None = Field(
        None, description='"last_step": score a sequence-to-sequence model on its output at the last time step.'
    )
    args: list[Name] | None = Field(
        None, description="Which input arrays to pass, in order (default: all, in the generator's order)."
    )
    method: Method = Field("auto", description=METHOD_DOC)

    @model_validator(mode="after")
    def _known_baseline(self) -> ModelMetricParams:
        if self.compare is not None and self.compare not in self.baselines:
            if not self.baselines:
                raise ParamError.told("errors.param.compare_no_baselines", "compare")
            raise ParamError.told("errors.param.compare_unknown", "compare", known=", ".join(map(repr, self.baselines)))
        return self


@register
class ModelMetric(CheckKind):
    name = "model_metric"
    Params = ModelMetricParams
    # Predictions of the saved model, made by the clean loader; a spec whose target is a plain
    # function (not a model) declares "hidden-target": the kernel predicts, the targets stay here.
    evidence = "clean"
    other_evidence = ("hidden-target",)

    def _comparison(self, ctx: GradeContext, label: str, value: float, bval: float, bname: str, direction: str) -> str:
        """One sentence: how far the model is from one baseline, in percent of the baseline."""
        name = baseline_name(bname, ctx)
        if not bval or not np.isfinite(bval):
            return ""
        rel = (value - bval) / abs(bval) * 100
        if abs(rel) < 0.5:
            return ctx.text("checks.metric.comparison.about", label=label, name=name)
        better = rel < 0 if direction == "lower" else rel > 0
        key = "checks.metric.comparison.below" if rel < 0 else "checks.metric.comparison.above"
        verdict = ctx.text("checks.metric.comparison.better" if better else "checks.metric.comparison.worse")
        return ctx.text(key, label=label, name=name, percent=f"{abs(rel):.0f}%", verdict=verdict)

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        p = check.params
        inputs, targets = ctx.ref(p["generator"])(ctx.rng(check.id), **p.get("gen_args", {}))
        names = p.get("args") or list(inputs)
        return Plan(
            requests=[
                {"id": "predict", "op": "call", "target": p["target"], "method": p.get("method", "auto"), "args": names}
            ],
            inputs=inputs,
            private={"targets": targets, "inputs": inputs},
        )

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        target = p["target"]
        metric = p["metric"]
        _, direction, _ = METRICS[metric]
        label = ctx.text(_LABELS[metric])
        threshold = float(p["threshold"])
        out = outputs.get("predict")
        if out is None or not out.ok:
            return self.missing(check, ctx, out, f"`{target}`")
        targets: np.ndarray = plan.private["targets"]
        preds = out.arrays[0] if out.arrays else np.empty(0)
        if p.get("select") == "last_step":
            # A sequence-to-sequence model is scored on its forecast at the last time step.
            if preds.ndim != 3:
                return self.result(
                    check,
                    ctx,
                    0,
                    ctx.text(
                        "checks.metric.evaluate.returned_sequence_sequence_model",
                        target=target,
                        preds_shape=fmt_shape(preds.shape),
                    ),
                )
            preds = preds[:, -1]
        want = targets.shape if metric != "accuracy" else (*targets.shape, -1)
        if metric != "accuracy" and preds.shape != targets.shape:
            squeezed = np.squeeze(preds, axis=-1) if preds.ndim == targets.ndim + 1 and preds.shape[-1] == 1 else None
            if squeezed is None or squeezed.shape != targets.shape:
                return self.result(
                    check,
                    ctx,
                    0,
                    ctx.text(
                        "checks.metric.evaluate.returned_predictions_shape_targets",
                        target=target,
                        preds_shape=fmt_shape(preds.shape),
                        targets_shape=fmt_shape(targets.shape),
                    ),
                )
            preds = squeezed
        if metric == "accuracy" and (preds.ndim != targets.ndim + 1 or preds.shape[0] != targets.shape[0]):
            return self.result(
                check,
                ctx,
                0,
                ctx.text(
                    "checks.metric.evaluate.returned_expected_class_probabilities",
                    target=target,
                    preds_shape=fmt_shape(preds.shape),
                    want_shape=fmt_shape(want),
                ),
            )
        if not np.all(np.isfinite(preds)):
            return self.result(
                check, ctx, 0, ctx.text("checks.metric.evaluate.produced_nan_or_infinite", target=target)
            )
        value = metric_value(metric, targets, preds)
        details: dict[str, Any] = {metric: value, "threshold": threshold, "n": int(targets.shape[0])}
        base_txt = []
        for bname, dotted in p.get("baselines", {}).items():
            bpred = ctx.ref(dotted)(plan.private["inputs"], targets, ctx.rng(check.id, bname))
            bval = metric_value(metric, targets, np.asarray(bpred))
            details[f"baseline_{bname}"] = bval
            base_txt.append(f"{baseline_name(bname, ctx)} {bval:.4g}")
        passed = value <= threshold if direction == "lower" else value >= threshold
        cmp_ = "≤" if direction == "lower" else "≥"
        base = ctx.text("checks.metric.evaluate.baselines", base_txt=", ".join(base_txt)) if base_txt else ""
        if p.get("compare") and f"baseline_{p['compare']}" in details:
            base += self._comparison(ctx, label, value, details[f"baseline_{p['compare']}"], p["compare"], direction)
        n = targets.shape[0]
        if passed:
            return self.result(
                check,
                ctx,
                1,
                ctx.text(
                    "checks.metric.evaluate.on_fresh_samples_needed_2",
                    label=label,
                    value=value,
                    n=n,
                    cmp_=cmp_,
                    threshold=threshold,
                    base=base,
                ),
                details,
            )
        frac = 0.0
        partial = p.get("partial")
        if partial:
            p_thr, p_frac = float(partial[0]), float(partial[1])
            if (value <= p_thr) if direction == "lower" else (value >= p_thr):
                frac = p_frac
        return self.result(
            check,
            ctx,
            frac,
            ctx.text(
                "checks.metric.evaluate.on_fresh_samples_needed",
                label=label,
                value=value,
                n=n,
                cmp_=cmp_,
                threshold=threshold,
                base=base,
            ),
            details,
        )
