"""`model_config`: key/value expectations on a model's optimizer and layers.

Reads the probe's `describe` of one notebook object (a compiled model, a layer)
and tests each expectation of the spec against it. Generic: "the optimizer
clips gradients", "every recurrent layer has recurrent_dropout > 0", "every
SimpleRNN uses relu", "the RNN layers wrap an LNSimpleRNNCell".

Spec keys: `ModelConfigParams`, `ConfigExpectation` and `Condition` below (reference:
docs/specs.md).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import Field, NonNegativeInt, model_validator

from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, register
from grader.checks.layer_expect import (
    all_layers,
    as_list,
    describe_plan,
    expectations_result,
    layer_label,
    top_layers,
    value_matches,
)
from grader.checks.params import Bilingual, Name, ParamError, SpecModel, TargetParams
from grader.i18n import counted, join_or
from grader.results.attempt import CheckResult

Op = Literal["==", "!=", ">", ">=", "<", "<=", "in", "not_in", "present", "absent"]
OPS: tuple[str, ...] = get_args(Op)
_MISSING = object()


def _number(v: Any) -> float | None:
    if isinstance(v, list) and len(v) == 1:
        v = v[0]
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return None


def holds(found: Any, op: str, want: Any) -> bool:
    """Whether `found <op> want`; a missing value fails every op but `absent`."""
    if op == "absent":
        return found is _MISSING or found is None
    if found is _MISSING:
        return False
    if op == "present":
        return found is not None
    if op == "==":
        return value_matches(found, want)
    if op == "!=":
        return not value_matches(found, want)
    if op in ("in", "not_in"):
        inside = any(value_matches(found, w) for w in as_list(want))
        return inside if op == "in" else not inside
    f, w = _number(found), _number(want)
    if f is None or w is None:
        return False
    return {">": f > w, ">=": f >= w, "<": f < w, "<=": f <= w}[op]


def lookup(node: Any, key: str) -> Any:
    """A value of a described layer or optimizer: class/name/params, a config key, or cell./layer. paths."""
    if not isinstance(node, dict):
        return _MISSING
    head, _, rest = key.partition(".")
    if rest and head in ("cell", "layer", "forward_layer", "backward_layer"):
        inner = node.get(head)
        if not isinstance(inner, dict):
            cfg = node.get("config")
            raw = cfg.get(head) if isinstance(cfg, dict) else None
            inner = (
                {"class": raw.get("class_name"), "config": raw.get("config")}
                if isinstance(raw, dict) and "class_name" in raw
                else None
            )
        return lookup(inner, rest) if inner is not None else _MISSING
    if rest:
        # Into a config value that is itself a table (an initializer, a regularizer):
        # "recurrent_initializer.class_name", "recurrent_initializer.config.gain".
        value = lookup(node, head)
        for part in rest.split("."):
            if not isinstance(value, dict) or part not in value:
                return _MISSING
            value = value[part]
        return value
    if key in ("class", "name", "params", "output_shape"):
        return node.get(key, _MISSING)
    seen = 0
    while isinstance(node, dict) and seen < 5:  # wrappers (Bidirectional, RNN): look inside
        cfg = node.get("config")
        if isinstance(cfg, dict) and key in cfg:
            return cfg[key]
        node = node.get("layer") or node.get("forward_layer") or node.get("cell")
        seen += 1
    return _MISSING


def _show(v: Any, ctx: GradeContext) -> str:  # noqa: ANN401
    if v is _MISSING:
        return ctx.text("checks.model_config.show.not_set")
    if isinstance(v, list) and len(v) == 1:
        v = v[0]
    return repr(v) if isinstance(v, str) else str(v)


def _cond_text(c: dict[str, Any], ctx: GradeContext) -> str:
    op = c.get("op", "==")
    if op == "present":
        return ctx.text("checks.model_config.show.key_set", key=c["key"])
    if op == "absent":
        return ctx.text("checks.model_config.show.key_not_set", key=c["key"])
    return f"{c['key']} {op} {_show(c.get('value'), ctx)}"


class Condition(SpecModel):
    """A condition {key, op, value} of `model_config`."""

    key: Name = Field(
        description='A config key, or "class", "name", "params"; "cell.<key>" and "layer.<key>" '
        'look inside the cell or layer an RNN or wrapper holds (e.g. "cell.class"); other dotted keys '
        'go into a config value that is a table ("recurrent_initializer.config.gain"). '
        "A key the layer lacks is looked up in the layer it wraps."
    )
    op: Op = Field(
        "==",
        description="How the value found compares with `value`; present: set and not None; "
        "absent: missing or None. Numbers match one-element lists.",
    )
    value: Any = Field(None, description="What to compare with (needed by every op but present and absent).")

    @model_validator(mode="after")
    def _value_given(self) -> Condition:
        if self.op not in ("present", "absent") and "value" not in self.model_fields_set:
            raise ParamError.told("errors.param.op_needs_value", "op", op=self.op)
        return self


class ConfigExpectation(SpecModel):
    """One expectation of `model_config` (a table of its `expect` list): either a condition
    (key, op, value), or `any` / `all` of a list of them."""

    on: Literal["layers", "optimizer", "model"] = Field("layers", description="What the expectation is about.")
    class_: str | list[str] | None = Field(
        None,
        alias="class",
        description='For "layers", the layer classes it applies to (default: every layer but '
        'InputLayer, nested models included); for "optimizer", the classes the '
        "optimizer may be.",
    )
    key: Name | None = Field(None, description="The condition's key (see Condition).")
    op: Op = Field("==", description="The condition's op (see Condition).")
    value: Any = Field(None, description="The condition's value (see Condition).")
    any: list[Condition] | None = Field(
        None,
        min_length=1,
        description="Instead of key/op/value: at least one of these must hold (clipnorm > 0 or clipvalue > 0).",
    )
    all_: list[Condition] | None = Field(
        None, alias="all", min_length=1, description="Instead of key/op/value: all of these must hold."
    )
    match: Literal["all", "any"] = Field(
        "all", description='For "layers": every selected layer must satisfy it, or at least one.'
    )
    min_count: NonNegativeInt = Field(1, description='For "layers": the least number of selected layers.')
    what: Bilingual | None = Field(None, description="A name for the expectation in messages.")

    @model_validator(mode="after")
    def _one_form(self) -> ConfigExpectation:
        forms = [k for k, v in (("key", self.key), ("any", self.any), ("all", self.all_)) if v is not None]
        if len(forms) > 1:
            raise ParamError.told("errors.param.one_form", forms[1])
        if self.key is not None and self.op not in ("present", "absent") and "value" not in self.model_fields_set:
            raise ParamError.told(
                "errors.param.op_needs_value", "op" if "op" in self.model_fields_set else "key", op=self.op
            )
        return self


class ModelConfigParams(TargetParams):
    expect: list[ConfigExpectation] = Field(min_length=1, description="The expectations (keys below).")
    partial: bool = Field(
        True,
        description="Give the fraction of expectations met (each one is a condition: "
        "clipping right and dropout wrong earn half); false: all or nothing.",
    )


@register
class ModelConfig(CheckKind):
    name = "model_config"
    Params = ModelConfigParams
    evidence = "clean"
    other_evidence = ("self-reported",)

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        return describe_plan(check)

    # --- one expectation ----------------------------------------------------------

    def _conds(self, e: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        if "any" in e:
            return "any", e["any"]
        if "all" in e:
            return "all", e["all"]
        if "key" in e:
            return "all", [e]
        return "all", []

    def _node_problem(self, node: dict[str, Any], e: dict[str, Any], ctx: GradeContext) -> str | None:
        """Why this layer/optimizer fails the expectation's condition (None = it holds)."""
        mode, conds = self._conds(e)
        results = [(c, lookup(node, c["key"])) for c in conds]
        ok = [holds(f, c.get("op", "=="), c.get("value")) for c, f in results]
        if not conds or (any(ok) if mode == "any" else all(ok)):
            return None
        found = ", ".join(dict.fromkeys(f"{c['key']}: {_show(f, ctx)}" for c, f in results))
        if mode == "any":
            wanted = join_or([_cond_text(c, ctx) for c in conds], ctx.lang)
            return ctx.text("checks.model_config.node_problem.needs_found_2", wanted=wanted, found=found)
        failed = [c for c, good in zip(conds, ok) if not good]
        wanted = ", ".join(_cond_text(c, ctx) for c in failed)
        return ctx.text("checks.model_config.node_problem.needs_found", wanted=wanted, found=found)

    def _what(self, e: dict[str, Any], ctx: GradeContext) -> str | None:
        w = e.get("what")
        if isinstance(w, dict):
            return w.get(ctx.lang) or w.get("en")
        return w if isinstance(w, str) else None

    def _check_one(self, e: dict[str, Any], desc: dict[str, Any], ctx: GradeContext, target: str) -> str | None:
        on = e.get("on", "layers")
        what = self._what(e, ctx)
        prefix = f"{what}: " if what else ""
        if on == "model":
            problem = self._node_problem(
                {"class": desc.get("type"), "params": desc.get("params"), "config": desc}, e, ctx
            )
            return f"{prefix}{ctx.text('checks.model_config.check_one.model')} {problem}" if problem else None
        if on == "optimizer":
            opt = desc.get("optimizer")
            if not isinstance(opt, dict):
                return prefix + ctx.text("checks.model_config.check_one.has_no_optimizer_compile", target=target)
            classes = as_list(e.get("class"))
            if classes and opt.get("class") not in classes:
                return prefix + ctx.text(
                    "checks.model_config.check_one.optimizer_expected",
                    found=opt.get("class"),
                    classes=join_or(classes, ctx.lang),
                )
            problem = self._node_problem(opt, e, ctx)
            return (
                prefix
                + ctx.text("checks.model_config.check_one.optimizer", optimizer=opt.get("class"), problem=problem)
                if problem
                else None
            )
        layers = all_layers(top_layers(desc))
        classes = as_list(e.get("class"))
        selected = [lay for lay in layers if not classes or lay.get("class") in classes]
        need = int(e.get("min_count", 1))
        if len(selected) < need:
            sel = " / ".join(classes) or ctx.text("checks.model_config.check_one.layer")
            present = ", ".join(dict.fromkeys(str(lay.get("class")) for lay in layers)) or ctx.text(
                "checks.model_config.check_one.none"
            )
            return prefix + ctx.text(
                counted("checks.model_config.check_one.expected_at_least_layer", need),
                need=need,
                sel=sel,
                len_selected=len(selected),
                present=present,
            )
        problems = [(lay, self._node_problem(lay, e, ctx)) for lay in selected]
        bad = [(lay, pr) for lay, pr in problems if pr]
        if not bad or (e.get("match", "all") == "any" and len(bad) < len(selected)):
            return None
        sep = ctx.text("checks.model_config.check_one.text")
        shown = "; ".join(f"{layer_label(lay)}{sep}{pr}" for lay, pr in bad[:3])
        if e.get("match", "all") == "any":
            return prefix + ctx.text("checks.model_config.check_one.no_layer_satisfies", shown=shown)
        return prefix + shown

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        target = p["target"]
        out = outputs.get("describe")
        if out is None or not out.ok:
            return self.missing(check, ctx, out, f"`{target}`")
        desc = out.value if isinstance(out.value, dict) else {}
        problems = [m for m in (self._check_one(e, desc, ctx, target) for e in p["expect"]) if m]
        return expectations_result(
            self, check, ctx, problems, "checks.model_config.evaluate.configured_as_asked_expectations"
        )
