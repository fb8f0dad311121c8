"""Calibrate an exercise's checks on the solution, independent variants and trivial baselines.

Every notebook (the instructor solution, then calibration/variants/<NN_slug>/ok_*.ipynb
and wrong_*.ipynb, written by students who never saw the solution or the specs) runs
once in the sandbox; its kernel is then probed with the hidden data of 20 grader
seeds, and every code check is evaluated for every seed, exactly as grading does
(`after` included). The trivial baselines of each metric check (naive, linear,
constant, first frame, ...) are scored on the same 20 seeds.

The verdicts follow calibration/expected.toml: the solution and every correct variant
must pass every check on at least 19 of 20 seeds; every wrong variant must lose the
points of the checks its mistake should cost on 20 of 20 seeds; every baseline must
fail every metric check on 20 of 20.

    nice -n 10 .venv/bin/python tools/calibrate.py run 04_forecast7 [--seeds 20] [--only NAME ...]
    .venv/bin/python tools/calibrate.py table 04_forecast7      # print the saved table again
    .venv/bin/python tools/calibrate.py report                   # docs/calibration.md from all saved runs

A run is saved to calibration/results/<NN_slug>.json (merged by notebook name with an
earlier run, so `--only` can redo one notebook).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import sys
import time
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from grader.checks import KINDS, GradeContext
from grader.checks.base import CheckSpec
from grader.checks.depends import after_of
from grader.checks.metric import METRICS, metric_value
from grader.course.loader import Course, find_course
from grader.course.spec import ExerciseSpec
from grader.grading import evaluate_checks, load_submission, plan_checks

OK_SEEDS = 19  # a correct notebook passes each check on at least this many seeds
# Checks of shapes and layers: their outcome depends on the model, not on the values a seed
# draws (the probes are random inputs of fixed shapes, or the model's description). Probing
# them 20 times costs minutes of a shared machine and tells nothing more, so they run on the
# first STRUCTURE_SEEDS seeds only; the table says so.
STRUCTURE_KINDS = {"output_shape", "sequence_kind", "layer_expect", "layer_config", "model_config"}
STRUCTURE_SEEDS = 2
GENEROUS = 4.0  # calibration measures the checks, not the time limits: limits × this
EXPECTED = "calibration/expected.toml"


def _load_expected(course: Course, exercise: str) -> dict[str, dict[str, Any]]:
    path = course.root / EXPECTED
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return dict(data.get(exercise, {}))


def notebooks_of(course: Course, exercise: str) -> list[tuple[str, str, str, Path]]:
    """(name, kind, what, path): the solution first, then the variants (ok before wrong)."""
    out = [("solution", "solution", "instructor solution", course.solutions_dir / f"{exercise}.ipynb")]
    folder = course.root / "calibration" / "variants" / exercise
    for path in sorted(folder.glob("*.ipynb"), key=lambda p: (not p.name.startswith("ok_"), p.name)):
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("grade", {})
        variant = meta.get("variant") or {}
        kind = variant.get("kind") or ("ok" if path.name.startswith("ok_") else "wrong")
        what = variant.get("what", "")
        if variant.get("author"):
            what = f"{what} ({variant['author']})" if what else variant["author"]
        out.append((path.stem, kind, what, path))
    return out


def code_checks(spec: ExerciseSpec) -> list[CheckSpec]:
    return [c for c in spec.checks if KINDS[c.kind].needs_kernel]


def seed_invariant(check: CheckSpec) -> bool:
    """Whether the check's outcome cannot depend on the seed (see STRUCTURE_KINDS)."""
    if check.kind == "model_path":
        return not check.params.get("time_probe")
    return check.kind in STRUCTURE_KINDS


def run_one(course: Course, path: Path, seeds: list[int], threads: int | None) -> dict[str, Any]:
    """Run one notebook once; every check's result on every seed."""
    from grader.execution.policy import build_policy
    from grader.execution.runner import run_notebook

    sub = load_submission(course, path, "calibration")
    spec = sub.spec
    checks = code_checks(spec)
    ctxs, plans_all, rounds = [], [], []
    for i, seed in enumerate(seeds):
        ctx = GradeContext(seed=seed, lang="en", course=course, spec=spec)
        plans, reqs, inputs = plan_checks(_for_seed(checks, i), ctx)
        ctxs.append(ctx)
        plans_all.append(plans)
        rounds.append((reqs, inputs))
    limits = replace(
        spec.limits,
        cell_timeout_s=spec.limits.cell_timeout_s * GENEROUS,
        total_timeout_s=spec.limits.total_timeout_s * GENEROUS,
        probe_timeout_s=spec.limits.probe_timeout_s * GENEROUS,
    )
    if threads:
        for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
            os.environ[var] = str(threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    t0 = time.monotonic()
    (first_reqs, first_inputs), *rest = rounds
    outcome = run_notebook(
        sub.nb,
        limits,
        probe_requests=first_reqs,
        probe_inputs=first_inputs,
        extra_rounds=rest,
        policy=build_policy(limits, course_root=course.root),
    )
    wall = time.monotonic() - t0
    probes = [outcome.probe, *outcome.extra_probes]
    per_seed = []
    # Each check on its own: `after` is applied when the table is made, so that a threshold
    # can change without running the notebooks again.
    raw = [_without_after(c) for c in checks]
    for i, (ctx, plans, probe) in enumerate(zip(ctxs, plans_all, probes + [{}] * (len(ctxs) - len(probes)))):
        ctx.run_status, ctx.run_message = outcome.status, outcome.message
        results = evaluate_checks(_for_seed(raw, i), ctx, plans, probe, outcome.probe_error, {})
        per_seed.append(
            [
                {
                    "id": r.id,
                    "passed": r.passed,
                    "points": r.points,
                    "max": r.max_points,
                    "value": _metric_of(r),
                    **({"message": r.message} if i == 0 else {}),
                }
                for r in results
            ]
        )
    return {
        "status": outcome.status,
        "message": outcome.message,
        "wall_s": round(wall, 1),
        "cells_s": round(outcome.timings.get("cells_s", 0.0), 1),
        "cell_times": [round(t, 1) for t in outcome.cell_times],
        "cell_errors": [e.summary for e in outcome.cell_errors],
        "seeds": per_seed,
    }


def _for_seed(checks: list[CheckSpec], index: int) -> list[CheckSpec]:
    """The checks probed on the seed with this index (0-based)."""
    return [c for c in checks if index < STRUCTURE_SEEDS or not seed_invariant(c)]


def _without_after(check: CheckSpec) -> CheckSpec:
    plain = copy.copy(check)
    plain.params = {k: v for k, v in check.params.items() if k != "after"}
    if hasattr(plain, "after"):
        plain.after = []
    return plain


def rejudged(row: dict[str, Any], checks: list[CheckSpec]) -> list[list[dict[str, Any]]]:
    """The row's results with today's thresholds and `after`: a metric check passes by its
    stored value, and a check whose `after` failed earns nothing."""
    by_id = {c.id: c for c in checks}
    # A seed-invariant check probed on the first seeds only stands for every seed.
    invariant = {
        c.id: all(r["passed"] for s in row["seeds"] for r in s if r["id"] == c.id) for c in checks if seed_invariant(c)
    }
    out = []
    for seed in row["seeds"]:
        res = {r["id"]: dict(r) for r in seed}
        for r in res.values():
            check = by_id.get(r["id"])
            if check is not None and check.kind == "model_metric" and r.get("value") is not None:
                r["passed"] = _passes(check, r["value"])
                r["points"] = r["max"] if r["passed"] else 0.0
        failed: dict[str, bool] = {}

        def fails(cid: str, depth: int = 0, failed: dict[str, bool] = failed, res: dict = res) -> bool:
            if cid not in failed:
                deps = after_of(by_id[cid]) if cid in by_id else []
                failed[cid] = (not res[cid]["passed"] if cid in res else not invariant.get(cid, True)) or (
                    depth < 20 and any(fails(d, depth + 1) for d in deps)
                )
            return failed[cid]

        for cid, r in res.items():
            if cid in by_id and any(fails(d) for d in after_of(by_id[cid])):
                r.update(passed=False, points=0.0, not_checked=True)
        out.append([res[r["id"]] for r in seed])
    return out


def _metric_of(result: Any) -> float | None:
    for key in METRICS:
        if isinstance(result.details.get(key), (int, float)):
            return float(result.details[key])
    return None


def baselines(course: Course, spec: ExerciseSpec, seeds: list[int]) -> dict[str, dict[str, list[float]]]:
    """{check id: {baseline: metric per seed}} for every metric check with baselines."""
    out: dict[str, dict[str, list[float]]] = {}
    for check in code_checks(spec):
        p = check.params
        if check.kind != "model_metric" or not p.get("baselines"):
            continue
        vals: dict[str, list[float]] = {name: [] for name in p["baselines"]}
        for seed in seeds:
            ctx = GradeContext(seed=seed, lang="en", course=course, spec=spec)
            plan = KINDS[check.kind].plan(check, ctx)
            targets = plan.private["targets"]
            for name, dotted in p["baselines"].items():
                pred = ctx.ref(dotted)(plan.private["inputs"], targets, ctx.rng(check.id, name))
                vals[name].append(metric_value(p["metric"], targets, np.asarray(pred)))
        out[check.id] = vals
    return out


def _passes(check: CheckSpec, value: float) -> bool:
    direction = METRICS[check.params["metric"]][1]
    thr = float(check.params["threshold"])
    return value <= thr if direction == "lower" else value >= thr


# --- verdicts and tables ------------------------------------------------------------------


def verdict(row: dict[str, Any], checks: list[CheckSpec], expected: dict[str, Any], n: int) -> tuple[bool, str]:
    """(as expected?, what differs) for one notebook's row."""
    seeds = rejudged(row, checks)
    if not seeds:
        return False, f"no results ({row.get('status')}: {row.get('message', '')})"
    skips = set(expected.get(row["name"], {}).get("skips", []))
    # Per check: (seeds it passed, seeds it was probed on).
    full = {
        c.id: (
            sum(1 for s in seeds for r in s if r["id"] == c.id and r["passed"]),
            sum(1 for s in seeds for r in s if r["id"] == c.id),
        )
        for c in checks
        if c.id not in skips
    }
    if row["kind"] in ("solution", "ok"):
        low = [f"{cid} {k}/{t}" for cid, (k, t) in full.items() if k < min(OK_SEEDS, t) or not t]
        return (not low), ("fails " + ", ".join(low)) if low else ""
    loses = list(expected.get(row["name"], {}).get("loses", []))
    if not loses:
        return False, "no expected loss declared in " + EXPECTED
    kept = [f"{cid} {full[cid][0]}/{full[cid][1]}" for cid in loses if cid in full and full[cid][0] > 0]
    unknown = [cid for cid in loses if cid not in full]
    extra = [f"{cid} {t - k}/{t}" for cid, (k, t) in full.items() if cid not in loses and k < min(OK_SEEDS, t)]
    notes = []
    if kept:
        notes.append("keeps " + ", ".join(kept))
    if unknown:
        notes.append("unknown checks " + ", ".join(unknown))
    if extra:
        notes.append("also loses " + ", ".join(extra))
    return not (kept or unknown), "; ".join(notes)


def _cell(check: CheckSpec, seeds: list[list[dict[str, Any]]]) -> str:
    results = [r for s in seeds for r in s if r["id"] == check.id]
    if not results:
        return "–"
    k = sum(r["passed"] for r in results)
    pts = [r["points"] for r in results]
    text = f"{k}/{len(results)}"
    if k < len(results) and max(pts) > 0:
        text += f" ({min(pts):g}–{max(pts):g} pt)" if min(pts) != max(pts) else f" ({min(pts):g} pt)"
    vals = [r["value"] for r in results if r.get("value") is not None]
    if vals:
        text += f" · {_fmt(min(vals))}–{_fmt(max(vals))}"
    return text


def _fmt(v: float) -> str:
    return f"{v:.4f}" if abs(v) < 1 else f"{v:.3f}"


def table(saved: dict[str, Any], course: Course) -> str:
    """The exercise's calibration table, in Markdown."""
    spec = course.spec_by_notebook_name(f"{saved['exercise']}.ipynb")
    checks = code_checks(spec)
    expected = _load_expected(course, saved["exercise"])
    n = saved["n_seeds"]
    head = ["notebook", "kind", "time (cells)"] + [f"{c.id} ({c.points:g})" for c in checks] + ["verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    all_ok = True
    for row in saved["notebooks"]:
        ok, why = verdict(row, checks, expected, n)
        all_ok &= ok
        skips = set(expected.get(row["name"], {}).get("skips", []))
        judged = rejudged(row, checks)
        cells = [("skipped: " if c.id in skips else "") + _cell(c, judged) for c in checks]
        t = f"{row.get('cells_s', 0):.0f} s" if row.get("status") == "graded" else row.get("status", "?")
        lines.append("| " + " | ".join([row["name"], row["kind"], t, *cells, ("✓ " if ok else "✗ ") + why]) + " |")
    caught = expected.get("baselines", {})
    for cid, vals in saved.get("baselines", {}).items():
        check = next(c for c in checks if c.id == cid)
        for name, values in vals.items():
            k = sum(_passes(check, v) for v in values)
            by = caught.get(cid, {}).get(name)
            if k == 0:
                mark = "✓"
            elif by:
                mark = f"✓ passes {k}/{len(values)}: no threshold separates it; {by} carries the skill"
            else:
                mark = f"✗ passes {k}/{len(values)}"
            all_ok &= k == 0 or bool(by)
            cells = [
                f"{k}/{len(values)} · {_fmt(min(values))}–{_fmt(max(values))}" if c.id == cid else "" for c in checks
            ]
            lines.append("| " + " | ".join([f"baseline: {name}", "baseline", "", *cells, mark]) + " |")
    thresholds = ", ".join(
        f"{c.id} {'≤' if METRICS[c.params['metric']][1] == 'lower' else '≥'} {c.params['threshold']:g}"
        for c in checks
        if c.kind == "model_metric"
    )
    meta = (
        f"{n} seeds (checks of shapes and layers: the first {STRUCTURE_SEEDS}, their outcome does not depend on "
        f"the seed); run {saved.get('date', '?')}, load average {saved.get('load', '?')}; "
        f"thresholds: {thresholds or 'none'}. Cells: passing seeds (points when partly earned) · metric range."
    )
    verdict_line = "All rows as expected." if all_ok else "**Some rows are not as expected (✗).**"
    honest = [r for r in saved["notebooks"] if r["kind"] in ("solution", "ok") and r.get("cell_times")]
    timing = ""
    if honest:
        slow_cell = max(honest, key=lambda r: max(r["cell_times"]))
        slow_nb = max(honest, key=lambda r: r.get("cells_s", 0))
        timing = (
            f"\n\nTime: the slowest cell of the solution and the correct variants ran "
            f"{max(slow_cell['cell_times']):.0f} s ({slow_cell['name']}), the slowest notebook "
            f"{slow_nb.get('cells_s', 0):.0f} s ({slow_nb['name']}); the spec's limits are "
            f"{spec.limits.cell_timeout_s:g} s per cell and {spec.limits.total_timeout_s:g} s in all."
        )
    return f"### {saved['exercise']}\n\n{meta} {verdict_line}{timing}\n\n" + "\n".join(lines) + "\n"


def _results_path(course: Course, exercise: str) -> Path:
    return course.root / "calibration" / "results" / f"{exercise}.json"


def cmd_run(args: argparse.Namespace, course: Course) -> int:
    seeds = list(range(1, args.seeds + 1))
    todo = notebooks_of(course, args.exercise)
    if args.only:
        todo = [t for t in todo if t[0] in args.only]
        if not todo:
            print(f"calibrate: no notebook named {', '.join(args.only)}", file=sys.stderr)
            return 2
    spec = course.spec_by_notebook_name(f"{args.exercise}.ipynb")
    if spec is None:
        print(f"calibrate: no exercise {args.exercise}", file=sys.stderr)
        return 2
    path = _results_path(course, args.exercise)
    saved = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if saved.get("n_seeds") != args.seeds:
        saved = {}
    rows = {r["name"]: r for r in saved.get("notebooks", [])}
    for name, kind, what, nb_path in todo:
        print(f"{args.exercise}/{name}: running ...", flush=True)
        row = run_one(course, nb_path, seeds, args.threads)
        row.update(name=name, kind=kind, what=what)
        rows[name] = row
        print(f"  {row['status']} in {row['wall_s']} s (cells {row['cells_s']} s) {row['message']}", flush=True)
        for err in row["cell_errors"]:
            print(f"  cell error: {err}")
    order = [t[0] for t in notebooks_of(course, args.exercise)]
    saved = {
        "exercise": args.exercise,
        "n_seeds": args.seeds,
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "notebooks": sorted(rows.values(), key=lambda r: order.index(r["name"]) if r["name"] in order else 99),
        "baselines": baselines(course, spec, seeds),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(saved, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print()
    print(table(saved, course))
    return 0


def cmd_table(args: argparse.Namespace, course: Course) -> int:
    path = _results_path(course, args.exercise)
    if not path.is_file():
        print(f"calibrate: no saved run for {args.exercise} ({path})", file=sys.stderr)
        return 2
    print(table(json.loads(path.read_text(encoding="utf-8")), course))
    return 0


REPORT_HEAD = """# Calibration of the exercise checks

Generated by `tools/calibrate.py report` from calibration/results/*.json (each made by
`nice -n 10 .venv/bin/python tools/calibrate.py run NN_slug`). Every notebook ran once
in the grader's sandbox; its kernel was then probed with the hidden data of each
grader seed and every code check evaluated as in grading (`after` included). Rows: the
instructor solution, correct (`ok`) and wrong variants from calibration/variants/
(written by students who never saw the solutions, specs or references), and the trivial
baselines of each metric check. A correct notebook must pass every check on at least
19 of 20 seeds; a wrong one must lose the checks calibration/expected.toml names for
its mistake on 20 of 20 ("also loses" lists other checks it failed on some seed); a
baseline must fail on 20 of 20. "time (cells)" is the notebook's own run time on the
machine at the load shown.

"""


def cmd_report(args: argparse.Namespace, course: Course) -> int:
    parts = [REPORT_HEAD]
    for path in sorted((course.root / "calibration" / "results").glob("*.json")):
        parts.append(table(json.loads(path.read_text(encoding="utf-8")), course))
        for row in json.loads(path.read_text(encoding="utf-8"))["notebooks"]:
            if row.get("what"):
                parts.append(f"- `{row['name']}`: {row['what']}")
        parts.append("")
    out = course.root / "docs" / "calibration.md"
    out.write_text("\n".join(parts).rstrip() + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--course", default=None)
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="run the notebooks of one exercise and save the results")
    run.add_argument("exercise", help="notebook stem, e.g. 04_forecast7")
    run.add_argument("--seeds", type=int, default=20)
    run.add_argument("--only", nargs="+", help="only these notebooks (solution, ok_..., wrong_...)")
    run.add_argument("--threads", type=int, default=None, help="cap the kernel's TensorFlow/OpenMP threads")
    tab = sub.add_parser("table", help="print the saved table of one exercise")
    tab.add_argument("exercise")
    sub.add_parser("report", help="write docs/calibration.md from every saved run")
    args = ap.parse_args(argv)
    course = find_course(args.course)
    return {"run": cmd_run, "table": cmd_table, "report": cmd_report}[args.cmd](args, course)


if __name__ == "__main__":
    sys.exit(main())
