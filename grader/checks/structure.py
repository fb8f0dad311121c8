"""`model_path`: the layers a model's output cannot do without.

A recurrent layer "somewhere in the model" is not an RNN: an unused branch, or a
linear shortcut that reaches the output around it, would pass such a test. This
kind reads the layer graph that `describe` reports (what feeds what, including
the operations a functional model records for `x[:, 0]` or keras.ops calls) and
asks whether every path from an input to the output passes through the spec's
stages, in order: "a recurrent layer", or "a TimeDistributed Conv2D, then a
recurrent layer". A model used as a layer is followed inside.

Structure cannot tell a sequence model that reads every time step from one that
keeps only its first step's output. With `time_probe`, the grader also calls the
model on hidden inputs and on copies that differ only in time: its output must
change when every step after the first is replaced ("later_steps"), and when
the steps are played backwards ("order").

Spec parameters:
- `target`: the model in the notebook.
- `stages`: a non-empty list of tables, each one layer the paths must pass:
  - `class`: a class name or a list of acceptable ones.
  - `wraps`: the class (or classes) a wrapper must hold (TimeDistributed(Conv2D)).
  - `config`: config keys and their values (as in `layer_expect`).
  - `what`: { en, ko } naming the layer in messages ("a recurrent layer").
- `paths`: "every" (default: no path may bypass a stage) or "any" (one path is enough).
- `time_probe`: optional table:
  - `input`: the input shape ([batch, steps, ...]; time is axis 1), or
    `generator` + `gen_args` ("module:function" returning the inputs, or
    (inputs, targets)); the first array is used.
  - `tests`: any of "later_steps", "order" (default both).
  - `step`: { en, ko } naming one time step in messages (default "time step").
  - `min_change`: how much the output must move at least (default 1e-4).
  - `method`: how to call the model (default "auto").
- `partial`: the fraction of conditions met (each stage and each time test is
  one condition; default true).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, PositiveInt, model_validator

from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, register
from grader.checks.layer_expect import as_list, config_of, top_layers, value_matches, wrapped_classes
from grader.checks.params import METHOD_DOC, Method, Name, ParamError, Ref, SpecModel, TargetParams, Text
from grader.i18n import counted, join_or
from grader.results.attempt import CheckResult

TimeTest = Literal["later_steps", "order"]
TIME_TESTS: tuple[TimeTest, ...] = ("later_steps", "order")
MAX_SHOWN = 12  # layers shown of a path in a message


class Stage(SpecModel):
    class_: Name | list[Name] | None = Field(
        None, alias="class", description="The layer's class, or a list of acceptable classes."
    )
    wraps: Name | list[Name] | None = Field(
        None, description="The class (or classes) a wrapper such as TimeDistributed must hold, directly or inside."
    )
    config: dict[str, Any] = Field(
        {},
        description="Config keys and the values they must have (a number "
        "matches a one-element list: kernel_size = 4 matches [4]).",
    )
    what: Text | None = Field(
        None, description='Names the layer in messages ("a recurrent layer"); default: its classes.'
    )

    @model_validator(mode="after")
    def _something(self) -> Stage:
        if not self.class_ and not self.wraps:
            raise ParamError.told("errors.param.stage_needs_class", "class")
        return self


class TimeProbe(SpecModel):
    input: list[PositiveInt] | None = Field(
        None, min_length=2, description="Shape of the hidden input, batch first, time second."
    )
    generator: Ref | None = Field(
        None, description="Instead of `input`: makes it, called as generator(rng, **gen_args); the first array is used."
    )
    gen_args: dict[str, Any] = Field({}, description="Keyword arguments for the generator.")
    tests: list[TimeTest] = Field(
        list(TIME_TESTS),
        min_length=1,
        description='"later_steps": the output must change when every step '
        'after the first is replaced; "order": it must change when the steps are played backwards.',
    )
    step: Text | None = Field(None, description='Names one time step in messages (default "time step").')
    min_change: float = Field(1e-4, gt=0, description="How much some output must move for a change to count.")
    method: Method = Field("auto", description=METHOD_DOC)

    @model_validator(mode="after")
    def _one_source(self) -> TimeProbe:
        if (self.input is None) == (self.generator is None):
            raise ParamError.told("errors.param.time_probe_source", "input")
        if self.input is not None and (self.input[0] < 2 or self.input[1] < 2):
            raise ParamError.told("errors.param.time_probe_small", "input")
        return self


class ModelPathParams(TargetParams):
    stages: list[Stage] = Field(
        min_length=1, description="The layers every path from an input to the output must pass, in this order."
    )
    paths: Literal["every", "any"] = Field(
        "every", description='"every": no path may go around a stage; "any": one path through all of them is enough.'
    )
    time_probe: TimeProbe | None = Field(
        None, description="Also call the model on inputs that differ only in time, to see that it reads every step."
    )
    partial: bool = Field(
        True, description="Give the fraction of conditions met (each stage and each time test is one)."
    )


def _article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _text(value: Any, ctx: GradeContext, default: str = "") -> str:
    if isinstance(value, dict):
        return value.get(ctx.lang) or value.get("en") or default
    return value if isinstance(value, str) else default


def stage_matches(layer: dict[str, Any], stage: dict[str, Any]) -> bool:
    """Whether one described layer is what the stage asks for."""
    classes = as_list(stage.get("class"))
    if classes and layer.get("class") not in classes:
        return False
    wraps = as_list(stage.get("wraps"))
    if wraps and not (wrapped_classes(layer) & set(wraps)):
        return False
    cfg = config_of(layer)
    return all(key in cfg and value_matches(cfg[key], want) for key, want in (stage.get("config") or {}).items())


class _Graph:
    """A described model graph, walked for the least (or most) stages a path reaches."""

    def __init__(self, graph: dict[str, Any], layers: list[dict[str, Any]]):
        self.layers = layers
        nodes = [n for n in graph.get("nodes", []) if isinstance(n, dict) and isinstance(n.get("name"), str)]
        self.nodes = {n["name"]: n for n in nodes}
        names = set(self.nodes)
        self.inputs = [i for i in graph.get("inputs", []) if i in names]
        self.outputs = [o for o in graph.get("outputs", []) if o in names]
        if not self.outputs and nodes:
            self.outputs = [nodes[-1]["name"]]

    def desc(self, node: dict[str, Any]) -> dict[str, Any]:
        i = node.get("layer")
        if isinstance(i, int) and 0 <= i < len(self.layers) and isinstance(self.layers[i], dict):
            return self.layers[i]
        if isinstance(node.get("desc"), dict):
            return node["desc"]
        return {"class": node.get("class", "?")}

    def walk(self, stages: list[dict[str, Any]], start: int, worst: bool) -> tuple[int, list[str]]:
        """(stages reached at the output, the path that reaches that few/many) from `start`."""
        memo: dict[str, tuple[int, list[str]]] = {}
        active: set[str] = set()
        pick = min if worst else max

        def at(name: str) -> tuple[int, list[str]]:
            if name in memo:
                return memo[name]
            node = self.nodes[name]
            active.add(name)
            parents = [p for p in node.get("inbound", []) if p in self.nodes and p not in active]
            if parents and name not in self.inputs:
                before, path = pick((at(p) for p in parents), key=lambda r: r[0])
            else:
                before, path = start, []
            active.discard(name)
            reached, label = self.step(node, stages, before, worst)
            memo[name] = (reached, path + ([label] if label else []))
            return memo[name]

        if not self.outputs:
            return start, []
        return pick((at(o) for o in self.outputs), key=lambda r: r[0])

    def step(self, node: dict[str, Any], stages: list[dict[str, Any]], before: int, worst: bool) -> tuple[int, str]:
        cls = str(node.get("class", "?"))
        if cls == "InputLayer":
            return before, ""
        inner = node.get("graph")
        if isinstance(inner, dict) and inner.get("nodes"):
            reached, path = _Graph(inner, []).walk(stages, before, worst)
            return reached, f"{cls}({' → '.join(path)})" if path else cls
        desc = self.desc(node)
        label = cls
        wrapped = desc.get("layer") if isinstance(desc.get("layer"), dict) else None
        if wrapped is not None:
            label = f"{cls}({wrapped.get('class', '?')})"
        if before < len(stages) and stage_matches(desc, stages[before]):
            return before + 1, label
        return before, label


def linear_graph(top: list[dict[str, Any]]) -> dict[str, Any]:
    """The layers in order, as a graph: for a description without one."""
    names = [f"#{i}" for i in range(len(top))]
    return {
        "nodes": [
            {"name": n, "class": lay.get("class", "?"), "inbound": names[i - 1 : i], "layer": i}
            for i, (n, lay) in enumerate(zip(names, top))
        ],
        "inputs": names[:1],
        "outputs": names[-1:],
    }


def stages_reached(desc: dict[str, Any], stages: list[dict[str, Any]], every: bool) -> tuple[int, list[str]]:
    """How many stages, in order, the model's paths reach (the worst path with `every`), and
    that path's layers."""
    graph = desc.get("graph")
    layers = desc.get("layers")
    if not isinstance(layers, list):
        layers = []
    if not isinstance(graph, dict) or not graph.get("nodes"):
        top = top_layers(desc)
        graph, layers = linear_graph(top), top
    return _Graph(graph, layers).walk(stages, 0, worst=every)


def _show_path(path: list[str]) -> str:
    if len(path) > MAX_SHOWN:
        path = path[: MAX_SHOWN // 2] + ["…"] + path[-MAX_SHOWN // 2 :]
    return " → ".join(["Input", *path])


@register
class ModelPath(CheckKind):
    name = "model_path"
    Params = ModelPathParams
    evidence = "clean"
    other_evidence = ("self-reported",)

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        p = check.params
        plan = Plan(requests=[{"id": "describe", "op": "describe", "target": p["target"]}])
        probe = p.get("time_probe")
        if probe:
            rng = ctx.rng(check.id, "time")
            if probe.get("generator"):
                made = ctx.ref(probe["generator"])(rng, **probe.get("gen_args", {}))
                made = made[0] if isinstance(made, tuple) else made
                x = np.asarray(next(iter(made.values())), dtype=np.float32)
            else:
                x = rng.normal(size=[int(s) for s in probe["input"]]).astype(np.float32)
            variants = {"x": x}
            tests = list(probe.get("tests", TIME_TESTS))
            if "later_steps" in tests:
                later = x.copy()
                # Every step after the first comes from another sample: real data, other content.
                later[:, 1:] = np.roll(x, 1, axis=0)[:, 1:]
                variants["later"] = later
            if "order" in tests:
                variants["reversed"] = np.ascontiguousarray(x[:, ::-1])
            plan.inputs = variants
            method = probe.get("method", "auto")
            for name in variants:
                plan.requests.append(
                    {"id": f"time_{name}", "op": "call", "target": p["target"], "method": method, "args": [name]}
                )
            plan.private["tests"] = tests
        return plan

    def unmet(self, check: CheckSpec, ctx: GradeContext, result: CheckResult) -> str:
        target = check.params["target"]
        missing = result.details.get("missing_stage")
        if isinstance(missing, int) and 0 <= missing < len(check.params["stages"]):
            what = _text(
                check.params["stages"][missing].get("what"), ctx, ctx.text("checks.structure.unmet.required_layer")
            )
            return ctx.text("checks.structure.unmet.has_no_between_input", target=target, what=what)
        return super().unmet(check, ctx, result)

    def _stage_problem(self, check: CheckSpec, ctx: GradeContext, reached: int, path: list[str]) -> str:
        p = check.params
        stages = p["stages"]
        target = p["target"]
        what = _text(stages[reached].get("what"), ctx, join_or(as_list(stages[reached].get("class")), ctx.lang))
        shown = _show_path(path)
        every = p.get("paths", "every") == "every"
        if reached == 0:
            if every:
                return ctx.text("checks.structure.stage_problem.has_no_on_way", target=target, what=what, shown=shown)
            return ctx.text("checks.structure.stage_problem.no_path_from_input", target=target, what=what)
        prev = _text(stages[reached - 1].get("what"), ctx, join_or(as_list(stages[reached - 1].get("class")), ctx.lang))
        return ctx.text(
            "checks.structure.stage_problem.has_no_after_on", target=target, what=what, prev=prev, shown=shown
        )

    def _time_problems(
        self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]
    ) -> tuple[list[str], dict[str, Any]] | CheckResult:
        p = check.params
        probe = p["time_probe"]
        target = p["target"]
        step = _text(probe.get("step"), ctx, ctx.text("checks.structure.time_problems.time_step"))
        min_change = float(probe.get("min_change", 1e-4))
        names = ["x"] + [n for t, n in (("later_steps", "later"), ("order", "reversed")) if t in plan.private["tests"]]
        arrays = {}
        for name in names:
            out = outputs.get(f"time_{name}")
            if out is None or not out.ok or len(out.arrays) != 1:
                return self.missing(check, ctx, out, f"`{target}`")
            arrays[name] = out.arrays[0].astype(np.float64)
        base = arrays["x"]
        problems: list[str] = []
        details: dict[str, Any] = {}
        for test, name in (("later_steps", "later"), ("order", "reversed")):
            if name not in arrays:
                continue
            other = arrays[name]
            if other.shape != base.shape or not (np.all(np.isfinite(base)) and np.all(np.isfinite(other))):
                change = float("inf") if other.shape != base.shape else float("nan")
            else:
                change = float(np.max(np.abs(other - base))) if base.size else 0.0
            details[f"change_{test}"] = change
            if change == change and change > min_change:  # NaN fails
                continue
            if test == "later_steps":
                problems.append(
                    ctx.text("checks.structure.time_problems.output_stayed_same_when", target=target, step=step)
                )
            else:
                problems.append(
                    ctx.text("checks.structure.time_problems.output_stayed_same_when_2", target=target, step=step)
                )
        return problems, details

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        target = p["target"]
        stages = p["stages"]
        out = outputs.get("describe")
        if out is None or not out.ok:
            return self.missing(check, ctx, out, f"`{target}`")
        desc = out.value if isinstance(out.value, dict) else {}
        if not top_layers(desc):
            return self.result(
                check,
                ctx,
                0,
                ctx.text(
                    "checks.structure.evaluate.not_model_with_layers", target=target, found_type=desc.get("type", "?")
                ),
                {"missing_stage": 0},
            )
        every = p.get("paths", "every") == "every"
        reached, path = stages_reached(desc, stages, every)
        problems: list[str] = []
        details: dict[str, Any] = {"stages": len(stages), "stages_met": reached, "path": _show_path(path)}
        if reached < len(stages):
            problems.append(self._stage_problem(check, ctx, reached, path))
            details["missing_stage"] = reached
        conditions = len(stages)
        met = reached
        if p.get("time_probe"):
            timed = self._time_problems(check, ctx, plan, outputs)
            if isinstance(timed, CheckResult):
                return timed
            time_problems, time_details = timed
            details.update(time_details)
            conditions += len(plan.private["tests"])
            met += len(plan.private["tests"]) - len(time_problems)
            problems += time_problems
        details.update(conditions=conditions, met=met)
        if not problems:
            names = [_text(s.get("what"), ctx, join_or(as_list(s.get("class")), ctx.lang)) for s in stages]
            if ctx.lang == "en":
                names = [_article(n) for n in names]
            seen = ctx.text("checks.structure.evaluate.every_path" if every else "checks.structure.evaluate.a_path")
            text = ctx.text(
                counted("checks.structure.evaluate.passes", len(stages)),
                seen=seen,
                target=target,
                names=ctx.text("checks.structure.evaluate.then").join(names),
                path=_show_path(path),
            )
            return self.result(check, ctx, 1, text, details)
        frac = met / conditions if p.get("partial", True) else 0.0
        return self.result(check, ctx, frac, "; ".join(problems) + ".", details)
