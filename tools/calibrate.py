"""Calibrate an exercise's quality thresholds over 20 grader seeds.

Runs the solution notebook once in the sandbox, then probes the same kernel
with the hidden data of 20 seeds. For every `model_metric` check it prints the
solution's metric and each baseline's on every seed, and how many pass the
spec's threshold. Goal: the solution passes on >= 19 seeds, every trivial
baseline on none. Usage: python tools/calibrate.py 04_forecast7 [--seeds 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from grader.checks import GradeContext
from grader.checks.metric import METRICS, metric_value
from grader.course.loader import find_course
from grader.grading import load_submission, plan_checks
from grader.execution.runner import run_notebook


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("exercise", help="notebook stem, e.g. 04_forecast7")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--course", default=None)
    args = ap.parse_args(argv)
    course = find_course(args.course)
    path = course.solutions_dir / f"{args.exercise}.ipynb"
    sub = load_submission(course, path, "calibration")
    checks = [c for c in sub.spec.checks if c.kind == "model_metric"]
    if not checks:
        print(f"{path.name}: no model_metric checks to calibrate")
        return 0
    rounds, ctxs, all_plans = [], [], []
    for seed in range(1, args.seeds + 1):
        ctx = GradeContext(seed=seed, lang="en", course=course, spec=sub.spec)
        plans, reqs, inputs = plan_checks(checks, ctx)
        rounds.append((reqs, inputs))
        ctxs.append(ctx)
        all_plans.append(plans)
    t0 = time.monotonic()
    first, *rest = rounds
    outcome = run_notebook(sub.nb, sub.spec.limits, probe_requests=first[0], probe_inputs=first[1],
                           extra_rounds=rest)
    print(f"{path.name}: status {outcome.status} in {time.monotonic() - t0:.1f} s "
          f"(cells {outcome.timings.get('cells_s', 0):.1f} s) {outcome.message}")
    probes = [outcome.probe, *outcome.extra_probes]
    for check in checks:
        p = check.params
        direction = METRICS[p["metric"]][1]
        thr = float(p["threshold"])

        def passes(v: float) -> bool:
            return v <= thr if direction == "lower" else v >= thr

        sol, bases = [], {name: [] for name in p.get("baselines", {})}
        for ctx, plans, probe in zip(ctxs, all_plans, probes):
            plan = plans[check.id]
            out = probe.get(f"{check.id}/predict")
            targets = plan.private["targets"]
            if out is not None and out.ok:
                pred = out.arrays[0]
                if p.get("select") == "last_step":
                    pred = pred[:, -1]
                if pred.ndim == targets.ndim + 1 and pred.shape[-1] == 1 and p["metric"] != "accuracy":
                    pred = pred[..., 0]
                sol.append(metric_value(p["metric"], targets, pred))
            for name, dotted in p.get("baselines", {}).items():
                bp = ctx.ref(dotted)(plan.private["inputs"], targets, ctx.rng(check.id, name))
                bases[name].append(metric_value(p["metric"], targets, np.asarray(bp)))
        print(f"\n[{check.id}] {p['metric']} threshold {thr:g} ({direction} is better), {len(ctxs)} seeds")
        rows = [("solution", sol)] + list(bases.items())
        for name, vals in rows:
            if not vals:
                print(f"  {name:10} no values (probe failed: {outcome.probe_error})")
                continue
            ok = sum(passes(v) for v in vals)
            print(f"  {name:10} min {min(vals):.4g}  median {float(np.median(vals)):.4g}  "
                  f"max {max(vals):.4g}  passes {ok}/{len(vals)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
