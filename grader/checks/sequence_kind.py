"""`sequence_kind`: is a model sequence-to-sequence, sequence-to-vector or vector-to-sequence?

The grader calls the model on two sequences that differ only in length
([batch, L0, features] and [batch, L1, features]) and on a plain vector
([batch, vector_size]), then classifies it from how the output shapes behave:

- `seq2seq`: takes sequences; the output's time axis follows the input length.
- `seq2vec`: takes sequences; one output per sequence, the same shape for every
  length, no time axis ([batch, units]).
- `seq2fixed`: takes sequences; a fixed-length sequence comes out whatever the
  input length (an encoder-decoder).
- `vec2seq`: takes vectors; a sequence comes out ([batch, steps, units]).
- `vec2vec`: takes vectors; a vector comes out (not a sequence model at all).

A model of the wrong kind gets a message naming the kind it actually is and the
shapes that show it. Exact sizes are the `output_shape` kind's business.

Spec keys: `SequenceKindParams` below (reference: docs/specs.md).
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, PositiveInt, model_validator

from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, fmt_shape, register
from grader.checks.params import METHOD_DOC, Method, ParamError, TargetParams
from grader.results.attempt import CheckResult

SeqKindName = Literal["seq2seq", "seq2vec", "seq2fixed", "vec2seq", "vec2vec"]
SEQUENCE_KINDS: tuple[str, ...] = get_args(SeqKindName)

_NAMES = {
    "seq2seq": "checks.sequence_kind.name.seq2seq",
    "seq2vec": "checks.sequence_kind.name.seq2vec",
    "seq2fixed": "checks.sequence_kind.name.seq2fixed",
    "vec2seq": "checks.sequence_kind.name.vec2seq",
    "vec2vec": "checks.sequence_kind.name.vec2vec",
}


def _shape(out: ProbeOutput | None) -> list[int] | None:
    if out is None or not out.ok or len(out.arrays) != 1:
        return None
    return [int(s) for s in out.arrays[0].shape]


def classify_sequence_input(shape0: list[int], shape1: list[int]) -> str:
    """The kind of a model that accepted sequences of two lengths and returned these shapes."""
    if shape0 != shape1:
        return "seq2seq"
    return "seq2fixed" if len(shape0) >= 3 else "seq2vec"


def classify_vector_input(shape: list[int]) -> str:
    return "vec2seq" if len(shape) >= 3 else "vec2vec"


def kind_name(kind: str, ctx: GradeContext) -> str:
    return ctx.text(_NAMES[kind]) if kind in _NAMES else kind


class SequenceKindParams(TargetParams):
    expect: SeqKindName | list[SeqKindName] = Field(
        description="The kind the model must be, or a list of acceptable kinds."
    )
    features: PositiveInt = Field(description="Features per time step of the probing sequences.")
    vector_size: PositiveInt | None = Field(None, description="Size of the probing vector (default: `features`).")
    lengths: list[PositiveInt] = Field(
        [7, 12], min_length=2, max_length=2, description="The two lengths of the probing sequences (different)."
    )
    batch: PositiveInt = Field(3, description="Batch size of every probe.")
    method: Method = Field("auto", description=METHOD_DOC)

    @model_validator(mode="after")
    def _sane(self) -> SequenceKindParams:
        if isinstance(self.expect, list) and not self.expect:
            raise ParamError.told("errors.param.expect_empty", "expect")
        if self.lengths[0] == self.lengths[1]:
            raise ParamError.told("errors.param.lengths_equal", "lengths")
        return self


@register
class SequenceKind(CheckKind):
    name = "sequence_kind"
    Params = SequenceKindParams
    evidence = "clean"
    other_evidence = ("self-reported",)

    def _expect(self, check: CheckSpec) -> list[str]:
        e = check.params["expect"]
        return list(e) if isinstance(e, (list, tuple)) else [e]

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        p = check.params
        rng = ctx.rng(check.id)
        batch, features = int(p.get("batch", 3)), int(p["features"])
        l0, l1 = (int(n) for n in p.get("lengths", [7, 12]))
        # The shorter sequence is a prefix of the longer one: only the length differs.
        long = rng.normal(size=(batch, max(l0, l1), features)).astype("float32")
        plan = Plan(
            inputs={
                "seq0": long[:, :l0],
                "seq1": long[:, :l1],
                "vec": rng.normal(size=(batch, int(p.get("vector_size", features)))).astype("float32"),
            }
        )
        method = p.get("method", "auto")
        for name in ("seq0", "seq1", "vec"):
            plan.requests.append({"id": name, "op": "call", "target": p["target"], "method": method, "args": [name]})
        return plan

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        target = p["target"]
        expect = self._expect(check)
        seq0, seq1, vec = (outputs.get(k) for k in ("seq0", "seq1", "vec"))
        if seq0 is None or seq1 is None or vec is None:
            return self.missing(check, ctx, next((o for o in (seq0, seq1, vec) if o is not None), None), f"`{target}`")
        s0, s1, sv = _shape(seq0), _shape(seq1), _shape(vec)
        in0, in1, inv = (fmt_shape(plan.inputs[k].shape) for k in ("seq0", "seq1", "vec"))

        def why(o: ProbeOutput) -> str:
            if not o.ok:
                return o.error
            return ctx.text("checks.sequence_kind.why.returned_outputs_instead_one", count=len(o.arrays))

        found: dict[str, str] = {}
        if s0 is not None and s1 is not None:
            found["seq"] = classify_sequence_input(s0, s1)
        if sv is not None:
            found["vec"] = classify_vector_input(sv)
        one_length = (s0 is None) != (s1 is None)
        if not any(k in expect for k in found.values()) and one_length:
            # Sequences of one length only (a fixed time axis): that is the thing to fix.
            ok_in, bad_in, bad = (in0, in1, seq1) if s0 is not None else (in1, in0, seq0)
            return self.result(
                check,
                ctx,
                0,
                ctx.text(
                    "checks.sequence_kind.evaluate.accepts_sequence_but_not",
                    target=target,
                    ok_in=ok_in,
                    bad_in=bad_in,
                    why_bad=why(bad),
                ),
            )
        if not found:
            errors = {o.error for o in (seq0, seq1, vec) if not o.ok}
            if len(errors) == 1 and not any(o.ok for o in (seq0, seq1, vec)):
                # The same failure for every input (not defined, still None): say it once.
                return self.missing(check, ctx, seq0, f"`{target}`")
            return self.result(
                check,
                ctx,
                0,
                ctx.text(
                    "checks.sequence_kind.evaluate.could_not_be_called",
                    target=target,
                    in0=in0,
                    why_seq=why(seq0),
                    inv=inv,
                    why_vec=why(vec),
                ),
            )
        # A model that accepts both kinds of input is whichever of the two the spec wants.
        kind = next((k for k in found.values() if k in expect), found.get("seq") or found["vec"])
        details = {"kind": kind, "seq_shapes": [s0, s1], "vector_shape": sv}
        if kind == found.get("seq"):
            l0, l1 = plan.inputs["seq0"].shape[1], plan.inputs["seq1"].shape[1]
            if kind == "seq2seq":
                how = ctx.text(
                    "checks.sequence_kind.evaluate.output_follows_input_length",
                    l0=l0,
                    out0=fmt_shape(s0),
                    l1=l1,
                    out1=fmt_shape(s1),
                )
            elif kind == "seq2vec":
                how = ctx.text("checks.sequence_kind.evaluate.returns_one_vector_per", out0=fmt_shape(s0), l0=l0, l1=l1)
            else:
                how = ctx.text(
                    "checks.sequence_kind.evaluate.returns_sequence_fixed_length", out0=fmt_shape(s0), l0=l0, l1=l1
                )
        else:
            how = ctx.text("checks.sequence_kind.evaluate.takes_vector_returns", inv=inv, vec_out=fmt_shape(sv))
        name = kind_name(kind, ctx)
        if kind in expect:
            return self.result(
                check,
                ctx,
                1,
                ctx.text("checks.sequence_kind.evaluate.model", target=target, name=name, how=how),
                details,
            )
        wanted = ctx.text("checks.sequence_kind.evaluate.or").join(kind_name(k, ctx) for k in expect)
        return self.result(
            check,
            ctx,
            0,
            ctx.text(
                "checks.sequence_kind.evaluate.should_be_model_but", target=target, wanted=wanted, name=name, how=how
            ),
            details,
        )
