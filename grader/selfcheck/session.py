"""One self-check in the worker: `plan` writes the probe's requests and practice inputs for
the kernel, `evaluate` reads what the probe wrote and judges it.

Both are the graded path's own steps (grading.plan_checks, probe_io.read_probe,
grading.evaluate_checks) on the practice seed, with what a self-check adds: the checks a
practice pack leaves out, the training state of the models a metric scores, the quiz
scored on threads of its own from the start, and a metric's baselines computed while the
kernel runs the probe. Targets, expected outputs and the quiz rubric stay in the worker.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import GradeError
from grader.selfcheck.protocol import Refused, said_in
from grader.selfcheck.selection import about, apply_after, prerequisites, self_evidence, unavailable, wanted
from grader.selfcheck.source import choose_lang, read_notebook, resolve_source

# How long a self-check waits for the quiz score, from the start of its plan. A longer score
# (the analyser's first load on a busy machine) goes on in the background; the next
# self-check finds it done.
QUIZ_WAIT_S = 15.0
TRAINING_PREFIX = "selfcheck:training/"
# Kinds that score what a model learned: the self-check says when their model was never trained.
TRAINED_KINDS = ("model_metric",)


@dataclass
class Session:
    """What `plan` prepared for the `evaluate` that follows."""

    checks: list[Any]
    contexts: dict[str, Any]
    plans: dict[str, Any]
    requests: list[dict[str, Any]]
    unavailable: list[dict[str, Any]]
    ahead: Any = None  # the thread computing judging's references meanwhile
    # Quiz checks with the job scoring each (grading._Background), shared with later plans.
    quiz: list[tuple[Any, Any]] = field(default_factory=list)
    shown: set[str] = field(default_factory=set)  # the checks asked for (`after` adds hidden ones)
    started: float = 0.0  # when plan began (the quiz's wait counts from it)
    base: Any = None
    lang: str = "ko"
    exercise: str = ""


def memo(course: Any) -> dict[tuple[str, str], Any]:  # noqa: ANN401
    """Reference results by (function, arguments) for one loaded course; a reloaded course
    (a file changed) starts with an empty one."""
    found = getattr(course, "_selfcheck_memo", None)
    if found is None:
        found = {}
        course._selfcheck_memo = found
    return found


def _judge_ahead(checks: list[Any], contexts: dict[str, Any], plans: dict[str, Any]) -> None:
    """The references judging will call (a metric's baselines), computed while the kernel runs
    the probe; evaluate then finds them in the memo."""
    from grader.selfcheck.replay import JUDGE_RECORDERS, MemoContext

    for check in checks:
        ctx, recorder = contexts.get(check.id), JUDGE_RECORDERS.get(check.kind)
        if isinstance(ctx, MemoContext) and recorder is not None and check.id in plans:
            # A failure is evaluate's to report: it makes the same call again.
            with contextlib.suppress(Exception):
                recorder(check, ctx, plans[check.id])


def plan(req: dict[str, Any], quiz_job: Callable[[Any, Any], Any]) -> tuple[Session, dict[str, Any]]:
    """The `plan` request: the probe's files written in `req["dir"]`, the session for the
    `evaluate` that follows, and the reply (what will run, what cannot and why).
    `quiz_job(check, ctx)` is the job scoring a quiz answer (one already running is reused)."""
    t0 = time.monotonic()
    from grader.checks import KINDS, GradeContext
    from grader.grading import all_checks, plan_checks
    from grader.selfcheck.pack import practice_seed
    from grader.selfcheck.replay import MemoContext, PackMismatch

    folder = Path(req["dir"])
    path = Path(req["notebook"]) if req.get("notebook") else None
    nb, answers, problem = read_notebook(path)
    src, spec = resolve_source(path if nb is not None else None, Path(req.get("cwd") or "."), req.get("exercise"), nb)
    lang = choose_lang(req.get("lang"), nb)
    if isinstance(problem, GradeError):
        problem = said_in(problem, lang)
    seed = practice_seed(src.course)
    base = GradeContext(seed=seed, lang=lang, course=src.course, spec=spec, answers=answers)
    practice = src.pack.practice(spec.id) if src.pack is not None else None
    left_out: dict[str, Any] = practice[0].get("left_out", {}) if practice else {}
    every = all_checks(spec, src.course)
    # Left out of the pack and not even built here (the quiz, when the pack has no bank).
    absent = {cid: facts for cid, facts in left_out.items() if cid not in {c.id for c in every}}
    asked = wanted(
        [(c.id, c.kind) for c in every] + [(cid, a.get("kind", "")) for cid, a in absent.items()],
        req.get("only"),
        spec,
    )
    shown = set(asked)
    asked |= prerequisites(every, asked)  # judged too, so that "not checked" reads as graded
    checks = [c for c in every if c.id in asked]
    missing = [unavailable(facts, cid, facts["reason"], lang) for cid, facts in absent.items() if cid in asked]
    contexts: dict[str, Any] = {}
    plans: dict[str, Any] = {}
    requests: list[dict[str, Any]] = []
    inputs: dict[str, Any] = {}
    kept: list[Any] = []
    # Scored from the start, on threads of their own: the first answer a worker scores loads
    # the Korean analyser. A job still running from an earlier self-check is joined, not repeated.
    quiz = [(c, quiz_job(c, base)) for c in checks if not KINDS[c.kind].needs_kernel and nb is not None]
    for check in checks:
        kind = KINDS[check.kind]
        if not kind.needs_kernel:
            if nb is None:
                missing.append(unavailable(about(check), check.id, "no_notebook", lang, problem))
                continue
            kept.append(check)
            continue
        ctx = MemoContext(seed=seed, lang=lang, course=src.course, spec=spec, answers=answers, memo=memo(src.course))
        if src.pack is not None:
            left = left_out.get(check.id)
            if left is not None:
                missing.append(unavailable(about(check), check.id, left["reason"], lang))
                continue
            ctx = src.pack.replay_context(spec.id, check.id, base)
            if ctx is None:
                missing.append(unavailable(about(check), check.id, "no_practice_data", lang))
                continue
        try:
            p, r, i = plan_checks([check], ctx)
        except PackMismatch:
            missing.append(unavailable(about(check), check.id, "stale_pack", lang))
            continue
        except Exception as exc:  # noqa: BLE001 - a course reference that fails: that check only
            detail = f"{type(exc).__name__}: {exc}"
            missing.append(unavailable(about(check), check.id, "plan_failed", lang, detail))
            continue
        contexts[check.id] = ctx
        plans.update(p)
        requests += [dict(q, one_batch=True) if q.get("op") == "call" else q for q in r]
        inputs.update(i)
        kept.append(check)
    targets = []
    for check in kept:
        if check.kind in TRAINED_KINDS and check.params.get("target") not in targets:
            targets.append(check.params["target"])
    requests += [{"id": f"{TRAINING_PREFIX}{t}", "op": "training", "target": t} for t in targets]
    import numpy as np

    (folder / "requests.json").write_text(json.dumps(requests), encoding="utf-8")
    np.savez(folder / "inputs.npz", **inputs)
    ahead = threading.Thread(target=_judge_ahead, args=(kept, contexts, plans), name="selfcheck-ahead", daemon=True)
    ahead.start()
    session = Session(
        checks=kept,
        contexts=contexts,
        plans=plans,
        requests=requests,
        unavailable=missing,
        quiz=quiz,
        base=base,
        lang=lang,
        exercise=spec.id,
        ahead=ahead,
        shown=shown,
        started=t0,
    )
    reply = {
        "ok": True,
        "exercise": spec.id,
        "notebook": spec.notebook,
        "title": spec.title,
        "lang": lang,
        "mode": src.mode,
        "source": src.where,
        "seed": seed,
        "checks": [c.id for c in kept if c.id in shown],
        "requests": len(requests),
        "training": targets,
        "unavailable": missing,
        "notebook_problem": problem if path is not None else "",
        "plan_s": round(time.monotonic() - t0, 4),
    }
    return session, reply


def evaluate(s: Session | None, folder: Path, quiz_jobs: dict[str, Any], warm: threading.Thread) -> dict[str, Any]:
    """The `evaluate` request: what the probe wrote in `folder`, judged; the reply holds the
    results of the checks asked for, what could not run, and the models' training state.
    A quiz score that is done leaves `quiz_jobs`; `warm` is the thread importing the
    evaluate step's modules since the worker started."""
    t0 = time.monotonic()
    if s is None:
        raise Refused.told("selfcheck.worker.evaluate.evaluate_before_plan")
    warm.join()
    t_warm = time.monotonic() - t0
    from grader.checks import KINDS
    from grader.execution.outcome import RunOutcome
    from grader.execution.probe_io import read_probe
    from grader.grading import evaluate_checks

    if s.ahead is not None:
        s.ahead.join()
    read = RunOutcome()
    found = read_probe(folder, s.requests, read)
    offline: dict[str, Any] = {}
    missing = list(s.unavailable)
    t_quiz = time.monotonic()
    for check, job in s.quiz:
        try:
            scored = job.result(max(0.0, QUIZ_WAIT_S - (time.monotonic() - s.started)))
        except Exception as exc:  # noqa: BLE001 - the scorer failed: say so, judge the rest
            quiz_jobs.pop(job.key, None)
            detail = f"{type(exc).__name__}: {exc}"
            missing.append(unavailable(about(check), check.id, "plan_failed", s.lang, detail))
            continue
        if scored is not None:
            offline[check.id] = scored[check.id]
            quiz_jobs.pop(job.key, None)
        elif check.id in s.shown:
            missing.append(unavailable(about(check), check.id, "quiz_pending", s.lang))
    t_quiz = time.monotonic() - t_quiz
    results, judged = [], []
    for check in s.checks:
        if not KINDS[check.kind].needs_kernel and check.id not in offline:
            continue  # its score is still being made, or failed: said above
        ctx = s.contexts.get(check.id, s.base)
        plans = {check.id: s.plans[check.id]} if check.id in s.plans else {}
        results += evaluate_checks([check], ctx, plans, found, read.probe_error, offline)
        judged.append(check)
    results = apply_after(judged, results, s.base)
    docs = []
    for check, res in zip(judged, results, strict=True):
        if check.id not in s.shown:
            continue
        doc = res.to_dict()
        doc["selfcheck_evidence"] = self_evidence(KINDS[check.kind], check)
        docs.append(doc)
    training = {
        rid[len(TRAINING_PREFIX) :]: out.value
        for rid, out in found.items()
        if rid.startswith(TRAINING_PREFIX) and out.ok and isinstance(out.value, dict)
    }
    return {
        "ok": True,
        "exercise": s.exercise,
        "results": docs,
        "unavailable": missing,
        "training": training,
        "probe_error": read.probe_error,
        "evaluate_s": round(time.monotonic() - t0, 4),
        "warm_wait_s": round(t_warm, 4),
        "quiz_wait_s": round(t_quiz, 4),
    }
