"""`training_config`: settings that tame unstable gradients, read from `describe`.

Spec parameters:
- `target`: the compiled model in the notebook.
- `optimizer_any`: optimizer config keys of which at least one must be set to a
  positive number (e.g. ["clipnorm", "clipvalue", "global_clipnorm"]).
- `layers`: recurrent layer classes to inspect (default SimpleRNN, GRU, LSTM, RNN).
- `layer_min`: { config key = number }: every inspected layer's value must be
  greater than this (e.g. recurrent_dropout = 0.0).
"""

from __future__ import annotations

from typing import Any

from ..result import CheckResult
from ..spec import CheckSpec
from .base import CheckKind, GradeContext, Plan, ProbeOutput, register

RECURRENT = ("SimpleRNN", "GRU", "LSTM", "RNN")


def _positive(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0


@register
class TrainingConfig(CheckKind):
    name = "training_config"
    required = ("target",)

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        return Plan(requests=[{"id": "describe", "op": "describe", "target": check.params["target"]}])

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan,
                 outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        target = p["target"]
        out = outputs.get("describe")
        if out is None or not out.ok:
            return self.missing(check, ctx, out, f"`{target}`")
        info = out.value or {}
        problems: list[str] = []
        wanted = p.get("optimizer_any", [])
        if wanted:
            opt = info.get("optimizer")
            if not opt:
                problems.append(ctx.t("the model is not compiled (no optimizer)", "모델이 컴파일되지 않았습니다 (옵티마이저 없음)"))
            elif not any(_positive(opt.get("config", {}).get(k)) for k in wanted):
                problems.append(ctx.t(f"the optimizer ({opt.get('class')}) sets none of {', '.join(wanted)}",
                                      f"옵티마이저({opt.get('class')})에 {', '.join(wanted)} 중 어느 것도 없습니다"))
        classes = tuple(p.get("layers", RECURRENT))
        layers = [l for l in info.get("layers", []) if l.get("class") in classes]
        if p.get("layer_min") and not layers:
            problems.append(ctx.t(f"no {'/'.join(classes)} layer found", f"{'/'.join(classes)} 층이 없습니다"))
        for key, floor in p.get("layer_min", {}).items():
            low = [l.get("name", "?") for l in layers if not (_positive(l.get("config", {}).get(key))
                                                              and l["config"][key] > floor)]
            if low:
                problems.append(ctx.t(f"{key} must be > {floor:g} on {', '.join(low)}",
                                      f"{', '.join(low)}의 {key}는 {floor:g}보다 커야 합니다"))
        if problems:
            return self.result(check, ctx, 0, "; ".join(problems) + ".")
        return self.result(check, ctx, 1, ctx.t(
            f"`{target}` clips its gradients and uses recurrent dropout as asked.",
            f"`{target}`가 그래디언트 클리핑과 순환 드롭아웃을 사용합니다."))
