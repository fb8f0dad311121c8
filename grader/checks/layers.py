"""`layer_config`: rules over a group of a model's layers, read from `describe`.

Where `layer_expect` looks for layers one expectation at a time, this kind picks
a group of layers (by default the recurrent ones, in order) and states rules
by position in the group: "every recurrent layer but the last returns
sequences", "the last one does not", "layer 2 has 1,120 parameters". Besides
config values it can check what the probe measured on the built model:
parameter counts and output shapes (or just their rank).

Spec keys: `LayerConfigParams` and `Rule` below (reference: docs/specs.md).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, fmt_shape, register
from grader.checks.calls import shape_matches
from grader.checks.layer_expect import (
    all_layers,
    as_list,
    layer_label,
    model_layers,
    shown_value,
    value_matches,
    wrong_class,
)
from grader.checks.params import Bilingual, KeywordRef, ParamError, SpecModel, TargetParams
from grader.errors import SpecError
from grader.i18n import counted
from grader.results.attempt import CheckResult

RECURRENT = ("SimpleRNN", "LSTM", "GRU", "RNN", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")
WHICH = ("all", "all_but_last", "last", "first", "all_but_first")
RULE_KEYS = {"which", "class", "config", "output_rank", "output_shape", "params", "what"}


def config_value(layer: dict[str, Any], key: str) -> tuple[bool, Any]:
    """(found, value) of a config key, looking into wrapped layers when the wrapper lacks it."""
    node: Any = layer
    while isinstance(node, dict):
        cfg = node.get("config")
        if isinstance(cfg, dict) and key in cfg:
            return True, cfg[key]
        nxt = node.get("layer") or node.get("forward_layer")
        if nxt is None and isinstance(cfg, dict) and isinstance(cfg.get("layer"), dict):
            inner = cfg["layer"]
            nxt = {"class": inner.get("class_name"), "config": inner.get("config")}
        node = nxt
    return False, None


def pick(n: int, which: Any) -> list[int]:
    """Indices of the group that a rule's `which` names."""
    if isinstance(which, int):
        i = which + n if which < 0 else which
        return [i] if 0 <= i < n else []
    return {
        "all": list(range(n)),
        "all_but_last": list(range(n - 1)),
        "last": [n - 1] if n else [],
        "first": [0] if n else [],
        "all_but_first": list(range(1, n)),
    }[which]


class Rule(SpecModel):
    """One rule of `layer_config` (a table of its `rules` list)."""

    which: int | Literal["all", "all_but_last", "last", "first", "all_but_first"] = Field(
        "all",
        description="The layers of the group the rule is about, or an index into the group "
        "(0-based; negative from the end).",
    )
    class_: str | list[str] | None = Field(None, alias="class", description="A class name or a list of them.")
    config: dict[str, Any] | None = Field(
        None,
        description="{key = value}; a key a wrapper lacks (Bidirectional's return_sequences, units) is "
        "looked up in the layer it wraps.",
    )
    output_rank: PositiveInt | None = Field(
        None, description="The number of axes of the layer's output (3 = a sequence)."
    )
    output_shape: list[int] | None = Field(None, description="The layer's output shape; -1 = any size.")
    params: NonNegativeInt | None = Field(None, description="The layer's parameter count.")
    what: Bilingual | None = Field(None, description="Why the rule exists, shown when it fails.")

    @model_validator(mode="after")
    def _says_something(self) -> Rule:
        if all(getattr(self, k) is None for k in ("class_", "config", "output_rank", "output_shape", "params")):
            raise ParamError.told("errors.spec.rule.needs_one")
        return self


class LayerConfigParams(TargetParams):
    select: list[str] | Literal["*"] | None = Field(
        None,
        description='Class names that form the group; "*" for every top-level layer (default: the '
        "recurrent layers SimpleRNN, LSTM, GRU, RNN, Bidirectional, ConvLSTM1D/2D/3D). "
        "Layers inside nested models count too (config only).",
    )
    group: Bilingual | None = Field(None, description='The group\'s name in messages (default "recurrent layer").')
    min_count: NonNegativeInt = Field(1, description="How many layers the group must have at least.")
    max_count: NonNegativeInt | None = Field(None, description="... and at most (default: no limit).")
    rules: list[Rule] = Field([], description="Rules by position in the group (keys below).")
    reference: KeywordRef | None = Field(
        None,
        description="Called as reference(**ref_args): a list with one rule table per layer of the group "
        "(the i-th applies to layer i; the group must have exactly that many layers).",
    )
    ref_args: dict[str, Any] = Field({}, description="Keyword arguments for the reference.")
    partial: bool = Field(False, description="Give the fraction of rules met (default: all or nothing).")

    @model_validator(mode="after")
    def _has_rules(self) -> LayerConfigParams:
        if not self.rules and self.reference is None:
            raise ParamError.told("errors.param.layer_config_needs_rules")
        if self.max_count is not None and self.max_count < self.min_count:
            raise ParamError.told(
                "errors.param.max_below_min", "max_count", max_count=self.max_count, min_count=self.min_count
            )
        return self


@register
class LayerConfig(CheckKind):
    name = "layer_config"
    Params = LayerConfigParams
    evidence = "clean"
    other_evidence = ("self-reported",)

    @staticmethod
    def _validate_rule(r: Any) -> None:
        if not isinstance(r, dict):
            raise SpecError.told("errors.spec.rule.not_table")
        unknown = set(r) - RULE_KEYS
        if unknown:
            raise SpecError.told("errors.spec.rule.unknown_keys", keys=", ".join(map(repr, sorted(unknown))))
        which = r.get("which", "all")
        if not (isinstance(which, int) and not isinstance(which, bool)) and which not in WHICH:
            raise SpecError.told("errors.spec.rule.which", choices=", ".join(map(repr, WHICH)))
        if "config" in r and not isinstance(r["config"], dict):
            raise SpecError.told("errors.spec.rule.config_not_table")
        if not (RULE_KEYS - {"which", "what"}) & set(r):
            raise SpecError.told("errors.spec.rule.needs_one")

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        p = check.params
        private: dict[str, Any] = {}
        if p.get("reference"):
            per_layer = ctx.ref(p["reference"])(**p.get("ref_args", {}))
            rules = []
            for i, r in enumerate(per_layer):
                r = dict(r, which=i)
                self._validate_rule(r)
                rules.append(r)
            private["ref_rules"] = rules
        return Plan(requests=[{"id": "describe", "op": "describe", "target": p["target"]}], private=private)

    # --- pieces -----------------------------------------------------------------

    def _group_name(self, check: CheckSpec, ctx: GradeContext) -> str:
        g = check.params.get("group")
        if isinstance(g, dict):
            return g.get(ctx.lang) or g.get("en", "")
        if isinstance(g, str):
            return g
        if check.params.get("select", list(RECURRENT)) == "*":
            return ctx.text("checks.layers.group_name.layer")
        if "select" in check.params:
            return " / ".join(check.params["select"]) + ctx.text("checks.layers.group_name.layer_2")
        return ctx.text("checks.layers.group_name.recurrent_layer")

    def _layer_problems(self, layer: dict[str, Any], rule: dict[str, Any], ctx: GradeContext) -> list[str]:
        wrong = wrong_class(layer, as_list(rule.get("class")), ctx)
        if wrong:
            return [wrong]  # the rest would only repeat that it is the wrong layer
        probs: list[str] = []
        for key, want in (rule.get("config") or {}).items():
            has, got = config_value(layer, key)
            if not has:
                probs.append(ctx.text("checks.layers.layer_problems.has_no_setting", key=key))
            elif not value_matches(got, want):
                probs.append(
                    ctx.text(
                        "checks.layers.layer_problems.expected_2",
                        key=key,
                        got_value=shown_value(got),
                        want_value=shown_value(want),
                    )
                )
        shape = layer.get("output_shape")
        if "output_rank" in rule or "output_shape" in rule:
            if not isinstance(shape, list):
                probs.append(ctx.text("checks.layers.layer_problems.output_shape_unknown_model"))
            elif "output_rank" in rule and len(shape) != int(rule["output_rank"]):
                probs.append(
                    ctx.text(
                        counted("checks.layers.layer_problems.output_has_axes_expected", len(shape)),
                        shown_shape=fmt_shape(shape),
                        len_shape=len(shape),
                        want_rank=int(rule["output_rank"]),
                    )
                )
            elif "output_shape" in rule:
                want = [-1 if s is None else int(s) for s in rule["output_shape"]]
                got_shape = [-2 if s is None else int(s) for s in shape]  # None only matches a wildcard
                if not shape_matches(got_shape, want):
                    probs.append(
                        ctx.text(
                            "checks.layers.layer_problems.output_shape_expected",
                            shown_shape=fmt_shape(shape),
                            want_shape=fmt_shape(rule["output_shape"]),
                        )
                    )
        if "params" in rule:
            got = layer.get("params")
            if got is None:
                probs.append(ctx.text("checks.layers.layer_problems.parameter_count_unknown_layer"))
            elif int(got) != int(rule["params"]):
                probs.append(
                    ctx.text(
                        "checks.layers.layer_problems.parameters_expected",
                        got=int(got),
                        want_params=int(rule["params"]),
                    )
                )
        return probs

    def _which_text(self, which: Any, n: int, group: str, ctx: GradeContext) -> str:
        if isinstance(which, int):
            i = which + n if which < 0 else which
            return ctx.text("checks.layers.which_text.text", group=group, i=i + 1, n=n)
        return {
            "all": ctx.text("checks.layers.which_text.every", group=group),
            "all_but_last": ctx.text("checks.layers.which_text.every_but_last", group=group),
            "last": ctx.text("checks.layers.which_text.last", group=group),
            "first": ctx.text("checks.layers.which_text.first", group=group),
            "all_but_first": ctx.text("checks.layers.which_text.every_but_first", group=group),
        }[which]

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        found = model_layers(self, check, ctx, outputs)
        if isinstance(found, CheckResult):
            return found
        _desc, top = found
        target = p["target"]
        select = p.get("select", list(RECURRENT))
        group = (
            [lay for lay in top] if select == "*" else [lay for lay in all_layers(top) if lay.get("class") in select]
        )
        gname = self._group_name(check, ctx)
        n = len(group)
        ref_rules: list[dict[str, Any]] = plan.private.get("ref_rules", [])
        rules = list(p.get("rules", [])) + ref_rules
        problems: list[str] = []
        met = 0
        total = len(rules) + 1  # + the count of the group
        lo = len(ref_rules) if ref_rules else int(p.get("min_count", 1))
        hi = len(ref_rules) if ref_rules else p.get("max_count")
        present = " → ".join(str(lay.get("class")) for lay in group) or ctx.text("checks.layers.evaluate.none")
        if n < lo or (hi is not None and n > int(hi)):
            if hi is not None and int(hi) == lo:
                want = ctx.text("checks.layers.evaluate.exactly", lo=lo)
            elif n < lo:
                want = ctx.text("checks.layers.evaluate.at_least", lo=lo)
            else:
                assert hi is not None  # n is not below lo, so it is above hi
                want = ctx.text("checks.layers.evaluate.at_most", hi=int(hi))
            layers_all = ", ".join(str(lay.get("class")) for lay in top)
            problems.append(
                ctx.text(
                    counted("checks.layers.evaluate.has_expected_model_layers", n),
                    n=n,
                    gname=gname,
                    present=present,
                    want=want,
                    layers_all=layers_all,
                )
            )
        else:
            met += 1
        for rule in rules:
            which = rule.get("which", "all")
            idx = pick(n, which)
            if not idx and which not in ("all_but_last", "all_but_first"):
                problems.append(
                    ctx.text(
                        "checks.layers.evaluate.no_such_layer", which=self._which_text(which, max(n, 1), gname, ctx)
                    )
                )
                continue
            bad = []
            for i in idx:
                probs = self._layer_problems(group[i], rule, ctx)
                if probs:
                    where = self._which_text(i, n, gname, ctx)
                    bad.append(f"{where} ({layer_label(group[i])}): {', '.join(probs)}")
            if bad:
                why = rule.get("what")
                why = (why.get(ctx.lang) or why.get("en", "")) if isinstance(why, dict) else (why or "")
                head = self._which_text(which, n, gname, ctx) if not isinstance(which, int) else ""
                text = "; ".join(bad)
                if head and len(idx) > 1:
                    text = f"{head}: {text}"
                problems.append(text + (f" — {why}" if why else ""))
            else:
                met += 1
        details = {"rules": total, "met": met, "group": [str(lay.get("class")) for lay in group]}
        if not problems:
            return self.result(
                check,
                ctx,
                1,
                ctx.text("checks.layers.evaluate.all_layer_rules_hold", target=target, total=total, present=present),
                details,
            )
        frac = met / total if p.get("partial", False) else 0.0
        return self.result(check, ctx, frac, f"`{target}`: " + "; ".join(problems) + ".", details)
