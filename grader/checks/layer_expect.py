"""`layer_expect`: what a model's layers must look like, read from `describe`.

The probe describes the model (layer classes, configs, wrapped layers); every
expectation in the spec is matched against that description here.

Spec keys: `LayerExpectParams` and `Expectation` below (reference: docs/specs.md).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, PositiveInt, model_validator

from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, register
from grader.checks.params import Bilingual, ParamError, SpecModel, TargetParams
from grader.i18n import counted, join_or
from grader.results.attempt import CheckResult


def as_list(value: Any) -> list[Any]:  # noqa: ANN401
    """A spec value that may be one item or several, as a list (None: no items)."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def expectations_result(
    kind: CheckKind, check: CheckSpec, ctx: GradeContext, problems: list[str], all_met: str
) -> CheckResult:
    """A check of the spec's `expect` list, `problems` the messages of the expectations not met:
    full marks and the entry `all_met` when there are none, else a share for each one met (none
    with `partial = false`) and the problems after the target's name."""
    p = check.params
    target, n = p["target"], len(p["expect"])
    details = {"expectations": n, "met": n - len(problems)}
    if not problems:
        return kind.result(check, ctx, 1, ctx.text(all_met, target=target, n=n), details)
    frac = (n - len(problems)) / n if p.get("partial", True) else 0.0
    return kind.result(check, ctx, frac, f"`{target}`: " + "; ".join(problems) + ".", details)


def wrong_class(layer: dict[str, Any], classes: list[Any], ctx: GradeContext) -> str | None:
    """The problem of a layer of none of `classes` (None when it is one, or any class will do)."""
    if classes and layer.get("class") not in classes:
        return ctx.text(
            "checks.layer_expect.problems.expected", found=layer.get("class"), classes=join_or(classes, ctx.lang)
        )
    return None


def _unwrap(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def value_matches(found: Any, expected: Any) -> bool:
    if isinstance(expected, list):
        return (
            isinstance(found, list)
            and len(found) == len(expected)
            and all(value_matches(f, e) for f, e in zip(found, expected))
        )
    found = _unwrap(found)
    if isinstance(expected, bool) or isinstance(found, bool):
        return found is expected
    if isinstance(expected, (int, float)) and isinstance(found, (int, float)):
        return float(found) == float(expected)
    return found == expected


def _from_config(entry: dict[str, Any]) -> dict[str, Any]:
    """A serialised layer inside a nested model's config, shaped like a described layer."""
    cfg = entry.get("config")
    if not isinstance(cfg, dict):
        cfg = {}
    info: dict[str, Any] = {"class": entry.get("class_name", "?"), "name": cfg.get("name", ""), "config": cfg}
    inner = cfg.get("layer") or cfg.get("cell")
    if isinstance(inner, dict) and "class_name" in inner:
        info["layer"] = _from_config(inner)
    return info


def _nested(layer: dict[str, Any]) -> list[dict[str, Any]]:
    """Layers of a nested Sequential/Functional model, from its config."""
    cfg = layer.get("config")
    entries = cfg.get("layers") if isinstance(cfg, dict) else None
    if not isinstance(entries, list):
        return []
    return [_from_config(e) for e in entries if isinstance(e, dict) and "class_name" in e]


def top_layers(desc: dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(desc.get("layers"), list):
        layers = desc["layers"]
    elif isinstance(desc.get("layer"), dict):
        layers = [desc["layer"]]
    else:
        layers = []
    return [lay for lay in layers if isinstance(lay, dict) and lay.get("class") != "InputLayer"]


def all_layers(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for lay in layers:
        out.append(lay)
        out.extend(all_layers([n for n in _nested(lay) if n.get("class") != "InputLayer"]))
    return out


def wrapped_classes(layer: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for key in ("layer", "cell", "forward_layer"):
        inner = layer.get(key)
        if isinstance(inner, dict):
            found.add(str(inner.get("class")))
            found |= wrapped_classes(inner)
            for n in all_layers(_nested(inner)):
                found.add(str(n.get("class")))
                found |= wrapped_classes(n)
    return found


def _is_subsequence(needle: list[Any], hay: list[Any]) -> bool:
    it = iter(hay)
    return all(any(value_matches(h, n) for h in it) for n in needle)


def config_of(layer: dict[str, Any]) -> dict[str, Any]:
    """A described layer's config table (empty when the description has none)."""
    cfg = layer.get("config")
    return cfg if isinstance(cfg, dict) else {}


def layer_label(layer: dict[str, Any]) -> str:
    """How messages name a layer: its class and, when it has one, its name ("LSTM 'enc'")."""
    name = layer.get("name")
    return f"{layer.get('class', '?')} '{name}'" if name else str(layer.get("class", "?"))


def shown_value(value: Any) -> str:  # noqa: ANN401
    """A config value as messages quote it: a one-item list as its item, a string in quotes."""
    value = _unwrap(value)
    return repr(value) if isinstance(value, str) else str(value)


def model_layers(
    kind: CheckKind, check: CheckSpec, ctx: GradeContext, outputs: dict[str, ProbeOutput]
) -> tuple[dict[str, Any], list[dict[str, Any]]] | CheckResult:
    """The described model and its top-level layers, or the result that explains why not."""
    target = check.params["target"]
    out = outputs.get("describe")
    if out is None or not out.ok:
        return kind.missing(check, ctx, out, f"`{target}`")
    desc = out.value if isinstance(out.value, dict) else {}
    top = top_layers(desc)
    if not top:
        return kind.result(
            check,
            ctx,
            0,
            ctx.text(
                "checks.layer_expect.model_layers.not_model_with_layers",
                target=target,
                found_type=desc.get("type", "?"),
            ),
        )
    return desc, top


def describe_plan(check: CheckSpec) -> Plan:
    """Ask the probe for the plain-data description of the check's target."""
    return Plan(requests=[{"id": "describe", "op": "describe", "target": check.params["target"]}])


Classes = str | list[str]


class Expectation(SpecModel):
    """One expectation of `layer_expect` (a table of its `expect` list)."""

    at: int | None = Field(
        None,
        description="A layer index (0 = first, -1 = last; InputLayers are skipped). "
        "Without it, any layer that matches will do, nested models' too.",
    )
    class_: Classes | None = Field(
        None, alias="class", description='A class name or a list of acceptable ones ("GRU", ["GRU", "LSTM"]).'
    )
    wraps: Classes | None = Field(
        None,
        description="The class (or classes) a wrapper such as TimeDistributed "
        "must wrap, directly or inside a wrapped Sequential.",
    )
    config: dict[str, Any] | None = Field(
        None,
        description="Config keys and their expected values; a number matches a one-element tuple "
        "(kernel_size = 4 matches (4,)); strings compare exactly.",
    )
    collect: str | None = Field(
        None,
        description="With `values`: over all layers that match class and config, "
        "the values of this config key, in layer order ...",
    )
    values: list[Any] | None = Field(
        None, description="... must contain these, in this order (e.g. dilation_rate containing 1, 2, 4, 8)."
    )
    min_count: PositiveInt = Field(1, description="At least this many layers must match (not with `at`).")
    what: Bilingual | None = Field(None, description='A name for the expectation in messages ("the first layer").')

    @model_validator(mode="after")
    def _combinations(self) -> Expectation:
        if (self.collect is None) != (self.values is None):
            raise ParamError.told("errors.param.collect_with_values", "collect" if self.collect is None else "values")
        if self.at is not None and (self.collect is not None or self.min_count != 1):
            raise ParamError.told("errors.param.at_alone", "at")
        return self


class LayerExpectParams(TargetParams):
    expect: list[Expectation] = Field(min_length=1, description="The expectations, each a table (keys below).")
    partial: bool = Field(
        True,
        description="Give the fraction of expectations met (each expectation is one condition); false: all or nothing.",
    )


@register
class LayerExpect(CheckKind):
    name = "layer_expect"
    Params = LayerExpectParams
    evidence = "clean"
    other_evidence = ("self-reported",)

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        return describe_plan(check)

    # --- one expectation ------------------------------------------------------

    def _what(self, e: dict[str, Any], ctx: GradeContext) -> str:
        if isinstance(e.get("what"), dict):
            return e["what"].get(ctx.lang) or e["what"].get("en", "")
        if isinstance(e.get("what"), str):
            return e["what"]
        classes = join_or(as_list(e.get("class")), ctx.lang) or ctx.text("checks.layer_expect.what.layer_2")
        wraps = join_or(as_list(e.get("wraps")), ctx.lang)
        if "at" in e:
            at = int(e["at"])
            pos = {
                0: ctx.text("checks.layer_expect.what.first_layer"),
                -1: ctx.text("checks.layer_expect.what.last_layer"),
            }.get(at, ctx.text("checks.layer_expect.what.layer_3", position=at + 1 if at >= 0 else at))
            return pos
        if wraps:
            return ctx.text("checks.layer_expect.what.layer_wrapping", classes=classes, wraps=wraps)
        return ctx.text("checks.layer_expect.what.layer", classes=classes)

    def _problems(self, layer: dict[str, Any], e: dict[str, Any], ctx: GradeContext) -> list[str]:
        """What is wrong with this layer for this expectation (empty = it matches)."""
        wrong = wrong_class(layer, as_list(e.get("class")), ctx)
        if wrong:
            return [wrong]  # the rest would only repeat that it is the wrong layer
        probs: list[str] = []
        wraps = as_list(e.get("wraps"))
        if wraps and not (wrapped_classes(layer) & set(wraps)):
            inner = ", ".join(sorted(wrapped_classes(layer))) or ctx.text("checks.layer_expect.problems.nothing")
            probs.append(
                ctx.text("checks.layer_expect.problems.wraps_expected", inner=inner, wraps=join_or(wraps, ctx.lang))
            )
        cfg = config_of(layer)
        for key, want in (e.get("config") or {}).items():
            if key not in cfg:
                probs.append(ctx.text("checks.layer_expect.problems.has_no_setting", key=key))
            elif not value_matches(cfg[key], want):
                probs.append(
                    ctx.text(
                        "checks.layer_expect.problems.expected_2",
                        key=key,
                        got_value=shown_value(cfg[key]),
                        want_value=shown_value(want),
                    )
                )
        return probs

    def _check_one(self, e: dict[str, Any], top: list[dict[str, Any]], ctx: GradeContext) -> str | None:
        what = self._what(e, ctx)
        if "at" in e:
            at = int(e["at"])
            if not -len(top) <= at < len(top):
                entry = counted("checks.layer_expect.check_one.model_has_only_layers", len(top))
                return ctx.text(entry, what=what, len_top=len(top))
            layer = top[at]
            probs = self._problems(layer, e, ctx)
            if probs:
                return f"{what} ({layer_label(layer)}): {'; '.join(probs)}"
            return None
        layers = all_layers(top)
        matching = [lay for lay in layers if not self._problems(lay, e, ctx)]
        if "collect" in e:
            key, want = e["collect"], list(e["values"])
            found = [_unwrap(config_of(lay).get(key)) for lay in matching]
            if _is_subsequence(want, found):
                return None
            classes = as_list(e.get("class"))
            sel = join_or(classes, ctx.lang) or ctx.text("checks.layer_expect.check_one.layer")
            if not matching:
                # Nothing to read the values from: say which layers are missing, not "[none]".
                of_class = [lay for lay in layers if not classes or lay.get("class") in classes]
                cond = ", ".join(f"{k}={shown_value(v)}" for k, v in (e.get("config") or {}).items())
                if of_class and cond:
                    return ctx.text(
                        counted("checks.layer_expect.check_one.none_layers_has_so", len(of_class)),
                        key=key,
                        len_of_class=len(of_class),
                        sel=sel,
                        cond=cond,
                    )
                return ctx.text("checks.layer_expect.check_one.model_has_no_layer", key=key, sel=sel)
            shown = ", ".join(shown_value(v) for v in found)
            if "what" not in e:
                cond = ", ".join(f"{k}={shown_value(v)}" for k, v in (e.get("config") or {}).items())
                what = ctx.text(
                    "checks.layer_expect.check_one.the_layers_with"
                    if cond
                    else "checks.layer_expect.check_one.the_layers",
                    sel=sel,
                    cond=cond,
                )
            return ctx.text(
                "checks.layer_expect.check_one.expected_in_this_order",
                key=key,
                what=what,
                shown=shown,
                wanted_order=", ".join(shown_value(v) for v in want),
            )
        need = int(e.get("min_count", 1))
        if len(matching) >= need:
            return None
        classes = as_list(e.get("class"))
        near = [lay for lay in layers if not classes or lay.get("class") in classes]
        if near:
            detail = "; ".join(f"{layer_label(lay)}: {', '.join(self._problems(lay, e, ctx))}" for lay in near[:3])
            if need == 1:
                return ctx.text("checks.layer_expect.check_one.missing", what=what, detail=detail)
            return ctx.text(
                "checks.layer_expect.check_one.expected_at_least_found",
                need=need,
                what=what,
                len_matching=len(matching),
                detail=detail,
            )
        present = ", ".join(dict.fromkeys(str(lay.get("class")) for lay in layers)) or ctx.text(
            "checks.layer_expect.check_one.none"
        )
        return ctx.text("checks.layer_expect.check_one.missing_model_has", what=what, present=present)

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        found = model_layers(self, check, ctx, outputs)
        if isinstance(found, CheckResult):
            return found
        _desc, top = found
        problems = [m for m in (self._check_one(e, top, ctx) for e in p["expect"]) if m]
        return expectations_result(
            self, check, ctx, problems, "checks.layer_expect.evaluate.has_expected_layers_expectations"
        )
