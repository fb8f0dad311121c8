"""`value_matches`: a table the student filled in, against the grader's own answer.

The probe exports the notebook variable as plain JSON (`value` op); the grader
computes the right table itself with a reference function and compares entry
by entry, so one wrong entry costs only its share of the points. Messages name
the wrong entries and what is wrong with them (too high, too low, which axis of
a shape) without giving away the right value, unless the spec says `reveal`.

Spec keys: `ValueMatchesParams` below (reference: docs/specs.md).

Shapes may be written as tuples or lists; a string such as "(5, 32)" is read
as the tuple it spells (at most MAX_LITERAL_CHARS characters and MAX_LITERAL_DEPTH
brackets deep: parsing a 6 MB string took 10 s and 1 GB of the grader's memory).
"""

from __future__ import annotations

import ast
import math
from typing import Any

from pydantic import Field

from grader.checks.base import CheckKind, CheckSpec, GradeContext, Plan, ProbeOutput, register
from grader.checks.params import KeywordRef, Name, TargetParams
from grader.errors import SpecError
from grader.i18n import counted
from grader.results.attempt import CheckResult

# A value such as "(5, 32)" or "[None, 10, 64]" is a few characters long.
MAX_LITERAL_CHARS = 200
MAX_LITERAL_DEPTH = 8
_SHOW_CHARS = 80


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _show(v: Any, limit: int = _SHOW_CHARS) -> str:
    """The value as the student would write it, cut at about `limit` characters (a message
    quotes it; a notebook value can be megabytes)."""
    if isinstance(v, dict) and "__type__" in v:
        text = f"<{v['__type__']}>"
    elif _is_number(v):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        text = f"{v:,}" if isinstance(v, int) else f"{v:g}"
    elif isinstance(v, list):
        parts: list[str] = []
        used = 0
        for x in v:
            if used > limit:
                parts.append("…")
                break
            part = "None" if x is None else _show(x, limit - used)
            parts.append(part)
            used += len(part) + 2
        text = "(" + ", ".join(parts) + ")"
    else:
        text = repr(v[: limit + 1] if isinstance(v, str) else v)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _too_long(v: Any) -> bool:
    """A string the grader will not parse as a literal: too long, or nested too deeply."""
    if not isinstance(v, str):
        return False
    text = v.strip()
    if len(text) > MAX_LITERAL_CHARS:
        return True
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest > MAX_LITERAL_DEPTH


def _literal(v: Any) -> Any:
    """A string that spells a tuple/list/number, read as that value (never evaluated as code).
    Only short, shallow strings are parsed (`_too_long`); the rest stay text."""
    if isinstance(v, str) and not _too_long(v):
        try:
            parsed = ast.literal_eval(v.strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return v
        if isinstance(parsed, tuple):
            return list(parsed)
        if isinstance(parsed, (list, int, float)) and not isinstance(parsed, bool):
            return parsed
    return v


def _num_eq(found: float, expected: float, atol: float, rtol: float) -> bool:
    return math.isfinite(found) and abs(found - expected) <= atol + rtol * abs(expected)


def compare(found: Any, expected: Any, ctx: GradeContext, atol: float = 0.0, rtol: float = 0.0) -> str | None:
    """None when `found` is right, else a short reason that does not give the answer away."""
    if found is None and expected is not None:
        return ctx.text("checks.values.compare.not_filled_in_none")
    if isinstance(found, dict) and "__type__" in found:
        return ctx.text("checks.values.compare.not_plain_value", found_type=found["__type__"])
    if _too_long(found):
        return ctx.text(
            "checks.values.compare.you_wrote_text_characters",
            len_found=len(found),
            max_chars=MAX_LITERAL_CHARS,
            max_depth=MAX_LITERAL_DEPTH,
        )
    found = _literal(found)
    if isinstance(expected, list):
        if not isinstance(found, list):
            return ctx.text("checks.values.compare.you_wrote_expected_tuple", show_found=_show(found))
        if len(found) != len(expected):
            return ctx.text("checks.values.compare.you_wrote_which_has", show_found=_show(found))
        bad = [i for i, (f, e) in enumerate(zip(found, expected)) if compare(f, e, ctx, atol, rtol)]
        if bad:
            axes = ", ".join(str(i) for i in bad)
            return ctx.text("checks.values.compare.you_wrote_axis_wrong", show_found=_show(found), axes=axes)
        return None
    if expected is None:
        return None if found is None else ctx.text("checks.values.compare.you_wrote_3", show_found=_show(found))
    if isinstance(expected, bool):
        return None if found is expected else ctx.text("checks.values.compare.you_wrote_4", show_found=_show(found))
    if _is_number(expected):
        if not _is_number(found):
            return ctx.text("checks.values.compare.you_wrote_expected_number", show_found=_show(found))
        if _num_eq(float(found), float(expected), atol, rtol):
            return None
        side = (
            ctx.text("checks.values.compare.too_high")
            if found > expected
            else ctx.text("checks.values.compare.too_low")
        )
        return ctx.text("checks.values.compare.you_wrote", show_found=_show(found), side=side)
    if isinstance(expected, str) and isinstance(found, str):
        return (
            None
            if found.strip().lower() == expected.strip().lower()
            else ctx.text("checks.values.compare.you_wrote_5", show_found=_show(found))
        )
    return None if found == expected else ctx.text("checks.values.compare.you_wrote_2", show_found=_show(found))


def _items(expected: Any, fields: list[str] | None) -> list[tuple[Any, str | None]]:
    """(entry key, field or None) for every item to compare."""
    keys = list(expected) if isinstance(expected, dict) else list(range(len(expected)))
    items: list[tuple[Any, str | None]] = []
    for k in keys:
        v = expected[k]
        if isinstance(v, dict):
            items.extend((k, f) for f in v if fields is None or f in fields)
        else:
            items.append((k, None))
    return items


def _filled(found: Any, key: Any, fld: str | None, is_dict: bool) -> bool:
    """Whether the student wrote anything (not None) for this item."""
    if is_dict:
        entry = found.get(str(key)) if isinstance(found, dict) else None
    else:
        entry = found[key] if isinstance(found, list) and key < len(found) else None
    if fld is not None:
        entry = entry.get(fld) if isinstance(entry, dict) else None
    return entry is not None


class ValueMatchesParams(TargetParams):
    reference: KeywordRef = Field(
        description="Called as reference(**ref_args): the right value, a dict {entry: value} or a list; a value "
        "may itself be a dict of fields {field: value}, each field then one item."
    )
    ref_args: dict[str, Any] = Field({}, description="Keyword arguments for the reference (e.g. the table's cases).")
    fields: list[Name] | None = Field(None, description="Only compare these fields (default: all the reference has).")
    atol: float = Field(0.0, ge=0, description="Absolute tolerance for numbers (0: exact).")
    rtol: float = Field(0.0, ge=0, description="Relative tolerance for numbers.")
    partial: bool = Field(True, description="Give the fraction of items right; false: all or nothing.")
    reveal: bool = Field(False, description="Also show the expected value of wrong items.")


@register
class ValueMatches(CheckKind):
    name = "value_matches"
    Params = ValueMatchesParams
    evidence = "hidden-target"

    def plan(self, check: CheckSpec, ctx: GradeContext) -> Plan:
        p = check.params
        expected = ctx.ref(p["reference"])(**p.get("ref_args", {}))
        if not isinstance(expected, (dict, list)) or not expected:
            raise SpecError.told("errors.spec.reference_returns_nothing", reference=p["reference"])
        return Plan(requests=[{"id": "value", "op": "value", "target": p["target"]}], private={"expected": expected})

    def evaluate(self, check: CheckSpec, ctx: GradeContext, plan: Plan, outputs: dict[str, ProbeOutput]) -> CheckResult:
        p = check.params
        target = p["target"]
        out = outputs.get("value")
        if out is None or not out.ok:
            return self.missing(check, ctx, out, f"`{target}`")
        expected = plan.private["expected"]
        found = out.value
        is_dict = isinstance(expected, dict)
        if found is None:
            return self.result(check, ctx, 0, ctx.text("checks.values.evaluate.still_none_fill_in", target=target))
        if is_dict and not isinstance(found, dict):
            keys = ", ".join(repr(k) for k in expected)
            return self.result(
                check,
                ctx,
                0,
                ctx.text(
                    "checks.values.evaluate.should_be_dict_with", target=target, keys=keys, show_found=_show(found)
                ),
            )
        if not is_dict and not isinstance(found, list):
            return self.result(
                check,
                ctx,
                0,
                ctx.text(
                    counted("checks.values.evaluate.should_be_list_entries", len(expected)),
                    target=target,
                    len_expected=len(expected),
                    show_found=_show(found),
                ),
            )
        fields = p.get("fields")
        atol, rtol = float(p.get("atol", 0.0)), float(p.get("rtol", 0.0))
        items = _items(expected, fields)
        if not any(_filled(found, key, fld, is_dict) for key, fld in items):
            return self.result(
                check, ctx, 0, ctx.text("checks.values.evaluate.not_filled_in_yet", target=target, len_items=len(items))
            )
        problems: list[str] = []
        missing_entries: list[str] = []
        wrong = 0
        for key, fld in items:
            label = str(key) if is_dict else ctx.text("checks.values.evaluate.entry", key=key + 1)
            has = (str(key) in found) if is_dict else key < len(found)
            if not has:
                wrong += 1
                if label not in missing_entries:
                    missing_entries.append(label)
                continue
            entry = found[str(key)] if is_dict else found[key]
            exp = expected[key] if fld is None else expected[key][fld]
            if fld is not None:
                if not isinstance(entry, dict):
                    wrong += 1
                    problems.append(ctx.text("checks.values.evaluate.expected_dict_with", label=label, fld=fld))
                    continue
                if fld not in entry:
                    wrong += 1
                    problems.append(ctx.text("checks.values.evaluate.missing", label=label, fld=fld))
                    continue
                entry, label = entry[fld], f"{label}.{fld}"
            why = compare(entry, exp, ctx, atol, rtol)
            if why:
                wrong += 1
                if p.get("reveal", False):
                    why += ctx.text("checks.values.evaluate.expected", show_exp=_show(exp))
                problems.append(f"{label} ({why})")
        n = len(items)
        details = {"items": n, "items_ok": n - wrong}
        if not wrong:
            return self.result(
                check, ctx, 1, ctx.text("checks.values.evaluate.all_entries_match_grader", target=target, n=n), details
            )
        parts = []
        if missing_entries:
            parts.append(ctx.text("checks.values.evaluate.missing_entries") + ", ".join(missing_entries))
        if problems:
            parts.append(ctx.text("checks.values.evaluate.wrong") + "; ".join(problems))
        frac = (n - wrong) / n if p.get("partial", True) else 0.0
        return self.result(
            check,
            ctx,
            frac,
            ctx.text("checks.values.evaluate.some_right", target=target, right=n - wrong, n=n, parts=". ".join(parts)),
            details,
        )
