"""`model_metric`: the student's model on fresh data, scored by the grader.

Only the inputs enter the kernel. Targets and baselines stay here, and the
metric is computed here: a loss the notebook printed counts for nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.errors import SpecError
from grader.results.attempt import CheckResult
from grader.course.spec import CheckSpec
from grader.checks.base import CheckKind, GradeContext, Plan, ProbeOutput, fmt_shape, register

METRICS = {
    "mse": (lambda y, p: float(np.mean((y - p) ** 2)), "lower", "MSE"),
    "mae": (lambda y, p: float(np.mean(np.abs(y - p))), "lower", "MAE"),
    "accuracy": (lambda y, p: float(np.mean(np.argmax(p, axis=-1) == y)), "higher", "accuracy"),
}


def metric_value(name: str, targets: np.ndarray, preds: np.ndarray) -> float:
    fn = METRICS[name][0]
    return fn(targets.astype(np.float64) if name != "accuracy" else targets, preds.astype(np.float64))


@register
class ModelMetric(CheckKind):
    name = "model_metric"
    required = ("target", "generator", "metric", "threshold")
    # Predictions of the saved model, made by the clean loader; a spec whose target is a plain
    # function (not a model) declares "hidden-target": the kernel predicts, the targets stay here.
    evidence = "clean"
    other_evidence = ("hidden-target",)

    def validate(self, check: CheckSpec) -> None:
        super().validate(check)
        if check.params["metric"] not in METRICS:
            raise SpecError(f"metric must be one of {', '.join(METRICS)}")

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        p = check.params
        inputs, targets = ctx.ref(p["generator"])(ctx.rng(check.id), **p.get("gen_args", {}))
        names = p.get("args") or list(inputs)
        return Plan(
            requests=[{"id": "predict", "op": "call", "target": p["target"], "method": p.get("method", "auto"),
                       "args": names}],
            inputs=inputs,
            private={"targets": targets, "inputs": inputs},
        )

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan,
                 outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        target = p["target"]
        metric = p["metric"]
        _, direction, label = METRICS[metric]
        threshold = float(p["threshold"])
        out = outputs.get("predict")
        if out is None or not out.ok:
            return self.missing(check, ctx, out, f"`{target}`")
        targets: np.ndarray = plan.private["targets"]
        preds = out.arrays[0] if out.arrays else np.empty(0)
        if p.get("select") == "last_step":
            # A sequence-to-sequence model is scored on its forecast at the last time step.
            if preds.ndim != 3:
                return self.result(check, ctx, 0, ctx.t(
                    f"`{target}` returned {fmt_shape(preds.shape)}; a sequence-to-sequence model should return "
                    "[batch, time steps, outputs].",
                    f"`{target}`의 출력이 {fmt_shape(preds.shape)}입니다. 시퀀스-투-시퀀스 모델은 "
                    "[배치, 타임 스텝, 출력] 크기를 반환해야 합니다."))
            preds = preds[:, -1]
        want = targets.shape if metric != "accuracy" else (*targets.shape, -1)
        if metric != "accuracy" and preds.shape != targets.shape:
            squeezed = np.squeeze(preds, axis=-1) if preds.ndim == targets.ndim + 1 and preds.shape[-1] == 1 else None
            if squeezed is None or squeezed.shape != targets.shape:
                return self.result(check, ctx, 0, ctx.t(
                    f"`{target}` returned predictions of shape {fmt_shape(preds.shape)}; "
                    f"the targets have shape {fmt_shape(targets.shape)}.",
                    f"`{target}`의 예측 크기가 {fmt_shape(preds.shape)}입니다. "
                    f"타깃 크기는 {fmt_shape(targets.shape)}입니다."))
            preds = squeezed
        if metric == "accuracy" and (preds.ndim != targets.ndim + 1 or preds.shape[0] != targets.shape[0]):
            return self.result(check, ctx, 0, ctx.t(
                f"`{target}` returned {fmt_shape(preds.shape)}; expected class probabilities "
                f"of shape {fmt_shape(want)}.",
                f"`{target}`의 출력이 {fmt_shape(preds.shape)}입니다. 클래스 확률 {fmt_shape(want)}이어야 합니다."))
        if not np.all(np.isfinite(preds)):
            return self.result(check, ctx, 0, ctx.t(
                f"`{target}` produced NaN or infinite predictions: the training probably diverged.",
                f"`{target}`의 예측에 NaN 또는 무한대가 있습니다. 학습이 발산했을 수 있습니다."))
        value = metric_value(metric, targets, preds)
        details: dict[str, Any] = {metric: value, "threshold": threshold, "n": int(targets.shape[0])}
        base_txt = []
        for bname, dotted in p.get("baselines", {}).items():
            bpred = ctx.ref(dotted)(plan.private["inputs"], targets, ctx.rng(check.id, bname))
            bval = metric_value(metric, targets, np.asarray(bpred))
            details[f"baseline_{bname}"] = bval
            base_txt.append(f"{bname} {bval:.4g}")
        passed = value <= threshold if direction == "lower" else value >= threshold
        cmp_ = "≤" if direction == "lower" else "≥"
        base = ctx.t(f" Baselines: {', '.join(base_txt)}.", f" 기준 모델: {', '.join(base_txt)}.") if base_txt else ""
        n = targets.shape[0]
        if passed:
            return self.result(check, ctx, 1, ctx.t(
                f"{label} {value:.4g} on {n} fresh samples (needed {cmp_} {threshold:g}).{base}",
                f"처음 보는 샘플 {n}개에서 {label} {value:.4g} (기준 {cmp_} {threshold:g}).{base}"), details)
        frac = 0.0
        partial = p.get("partial")
        if partial:
            p_thr, p_frac = float(partial[0]), float(partial[1])
            if (value <= p_thr) if direction == "lower" else (value >= p_thr):
                frac = p_frac
        return self.result(check, ctx, frac, ctx.t(
            f"{label} {value:.4g} on {n} fresh samples; needed {cmp_} {threshold:g}.{base}",
            f"처음 보는 샘플 {n}개에서 {label} {value:.4g}; 기준은 {cmp_} {threshold:g}입니다.{base}"), details)
