"""The self-check's grader side: a process of its own, started by the student's kernel.

`python -m grader.selfcheck.worker` reads one JSON request per line on stdin and
answers each with one JSON line on its stdout (anything else the course's code
prints goes to stderr). It plans the checks with the practice seed, calling the
course's references (a course folder with `exercises/refs/`) or replaying a
practice pack (grader/selfcheck/pack.py); the kernel runs the probe on its live
objects; the worker reads the probe's files and judges them with the same
`evaluate` as a graded attempt. Targets, expected outputs and the quiz rubric stay
in this process; the kernel only ever holds the practice inputs.

Requests:
    {"op": "plan", "dir": D, "notebook": path or null, "exercise": name or null,
     "cwd": folder, "lang": "ko" | "en" | null, "only": [check names] or null}
        -> writes D/requests.json and D/inputs.npz for the probe; answers what will run
    {"op": "evaluate", "dir": D}
        -> reads D/out.json and D/out.npz (bounded); answers the check results
    {"op": "prepare", ...as plan, without "dir"} -> a plan made ahead (the notebook's first cell),
        whose loads, reference results and quiz score stay for the plan that follows
    {"op": "status"} -> pid and which heavy modules are loaded

The worker lives as long as its kernel: it ends on end of input (the kernel died or
closed the pipe) or after IDLE_S without a request. It never opens the gradebook.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.i18n import both
from grader.selfcheck.protocol import PASSED_ENV

IDLE_S = 20 * 60
# How long a self-check waits for the quiz score, from the start of its plan. A longer score
# (the analyser's first load on a busy machine) goes on in the background; the next
# self-check finds it done.
QUIZ_WAIT_S = 15.0
TRAINING_PREFIX = "selfcheck:training/"
# Kinds that score what a model learned: the self-check says when their model was never trained.
TRAINED_KINDS = ("model_metric",)
HEAVY = ("tensorflow", "keras", "torch", "kiwipiepy", "sqlalchemy", "psycopg", "nbclient", "dask")


class Refused(Exception):
    """A request the worker cannot serve; the message is for the student (both languages)."""

    def __init__(self, en: str, ko: str) -> None:
        super().__init__(en)
        self.en, self.ko = en, ko

    @classmethod
    def told(cls, key: str, /, **fields: Any) -> Refused:  # noqa: ANN401
        """The catalog entry `key` (grader/i18n/catalog/selfcheck.toml) in both languages."""
        told = both(key, **fields)
        return cls(told["en"], told["ko"])


@dataclass
class Source:
    mode: str  # "course" (its references) or "pack" (a practice pack)
    course: Any  # grader.course.loader.Course
    pack: Any = None  # grader.selfcheck.pack.Pack in "pack" mode
    where: str = ""


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


def _warm() -> None:
    """Imports the evaluate step needs, while the kernel is busy with the probe."""
    import grader.execution.bounded
    import grader.grading  # noqa: F401


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def read_outputs(folder: Path, requests: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """What the probe wrote in `folder`: ({request id: ProbeOutput}, a problem with the files or "").

    The graded path's reader (probe_io.read_probe) on the same bounded primitives, without
    importing the runner (nbclient, jupyter_client, zmq: seconds of a worker's start on a busy
    machine). tests/selfcheck/test_worker.py feeds both the same files, hostile ones included."""
    from grader.checks import ProbeOutput
    from grader.execution import bounded

    try:
        results = bounded.read_json(folder / "out.json", bounded.MAX_JSON_BYTES)
    except bounded.TooLarge as exc:
        return {}, f"the probe output is too large ({exc})"
    except (OSError, ValueError):
        return {}, "the probe produced no readable output"
    if not isinstance(results, dict):
        return {}, "the probe output could not be read (not a JSON object)"
    wanted = {str(r["id"]) for r in requests}
    counts: dict[str, int] = {}
    for rid, r in results.items():
        if rid not in wanted or not isinstance(r, dict):
            continue
        try:
            counts[rid] = max(0, min(int(r.get("n_arrays", 0) or 0), 1000))
        except (TypeError, ValueError):
            counts[rid] = 0
    names = [f"{rid}::{i}" for rid, n in counts.items() for i in range(n)]
    arrays: dict[str, Any] = {}
    refused: dict[str, str] = {}
    if names:
        try:
            arrays, refused = bounded.load_arrays(folder / "out.npz", names)
        except bounded.TooLarge as exc:
            return {}, f"the probe output is too large ({exc})"
        except Exception as exc:  # noqa: BLE001 - anything the kernel left there is suspect
            return {}, f"the probe output could not be read ({type(exc).__name__})"
    found: dict[str, Any] = {}
    for rid, n in counts.items():
        r = results[rid]
        why = next((refused[k] for k in (f"{rid}::{i}" for i in range(n)) if k in refused), None)
        if why is not None:
            found[rid] = ProbeOutput(ok=False, error=f"the grader did not read this output: {why}")
            continue
        found[rid] = ProbeOutput(
            ok=r.get("ok") is True,
            value=r.get("value"),
            arrays=[arrays[f"{rid}::{i}"] for i in range(n) if f"{rid}::{i}" in arrays],
            error=_ANSI.sub("", str(r.get("error", "")))[:1000],
        )
    return found, ""


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "grade" / "selfcheck-quiz"


def _quiz_key(check: Any, ctx: Any) -> str:  # noqa: ANN401
    """Everything a quiz score depends on: the scorer's code, the bank, the answer, the language."""
    import hashlib

    import grader.quiz

    h = hashlib.sha256()
    for folder in (Path(grader.quiz.__file__).parent, ctx.course.quizzes_dir):
        for p in sorted(folder.glob("*.py" if folder.name == "quiz" else "*.toml")):
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    qid = check.params.get("question", check.id)
    h.update(
        json.dumps(
            [check.id, qid, check.points, check.params, ctx.lang, ctx.answers.get(qid)], sort_keys=True, default=str
        ).encode()
    )
    return h.hexdigest()


def cached_quiz(check: Any, ctx: Any) -> tuple[Any, str]:  # noqa: ANN401
    """(the cached result of this answer or None, its cache key; "" when it has none)."""
    from grader.results.attempt import CheckResult

    try:
        key = _quiz_key(check, ctx)
    except OSError:
        return None, ""
    try:
        return CheckResult.from_dict(json.loads((_cache_dir() / f"{key}.json").read_text(encoding="utf-8"))), key
    except (OSError, ValueError, KeyError, TypeError):
        return None, key


def scored_quiz(checks: list[Any], ctx: Any) -> dict[str, Any]:  # noqa: ANN401
    """The quiz checks' results, from the cache when this answer was scored before (the first
    score of a worker loads the Korean analyser, which takes seconds), else scored and kept."""
    from grader.checks import KINDS, Plan

    out: dict[str, Any] = {}
    for check in checks:
        hit, key = cached_quiz(check, ctx)
        if hit is not None:
            out[check.id] = hit
            continue
        res = KINDS[check.kind].evaluate(check, ctx, Plan(), {})
        out[check.id] = res
        if not key:
            continue
        path = _cache_dir() / f"{key}.json"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(res.to_dict(), ensure_ascii=False, default=_plain), encoding="utf-8")
            tmp.replace(path)
        except OSError:
            pass  # no cache: the next self-check scores the answer again
    return out


def _names(spec: Any) -> set[str]:  # noqa: ANN401
    stem = Path(spec.notebook).stem
    return {spec.id, spec.id.split(".")[-1], spec.notebook, stem, stem.split("_")[0]}


def _pick(course: Any, exercise: str | None, nb: Any, path: Path | None) -> Any:  # noqa: ANN401
    from grader.errors import GradeError
    from grader.grading import identify

    if exercise:
        found = [s for s in course.specs.values() if exercise in _names(s)]
        if len(found) == 1:
            return found[0]
        known = ", ".join(sorted(Path(s.notebook).stem for s in course.specs.values()))
        raise Refused.told("selfcheck.worker.pick.exercise_names_no_exercise", exercise=exercise, known=known)
    if nb is None or path is None:
        raise Refused.told("selfcheck.worker.pick.cannot_tell_which_exercise")
    try:
        return identify(course, nb, path)
    except GradeError as exc:
        raise Refused.told("selfcheck.worker.pick.call_selfcheck_exercise_forecast", exc=exc) from None


_COURSES: dict[str, tuple[tuple[Any, ...], Any]] = {}


def _memo(course: Any) -> dict[tuple[str, str], Any]:  # noqa: ANN401
    """Reference results by (function, arguments) for one loaded course; a reloaded course
    (a file changed) starts with an empty one."""
    memo = getattr(course, "_selfcheck_memo", None)
    if memo is None:
        memo = {}
        course._selfcheck_memo = memo
    return memo


def _judge_ahead(checks: list[Any], contexts: dict[str, Any], plans: dict[str, Any]) -> None:
    """The references judging will call (a metric's baselines), computed while the kernel runs
    the probe; evaluate then finds them in the memo."""
    from grader.selfcheck.pack import JUDGE_RECORDERS, MemoContext

    for check in checks:
        ctx, recorder = contexts.get(check.id), JUDGE_RECORDERS.get(check.kind)
        if isinstance(ctx, MemoContext) and recorder is not None and check.id in plans:
            # A failure is evaluate's to report: it makes the same call again.
            with contextlib.suppress(Exception):
                recorder(check, ctx, plans[check.id])


_NOTEBOOKS: dict[str, tuple[tuple[int, int], Any, dict[str, str]]] = {}


def _stamp(root: Path) -> tuple[Any, ...]:
    """What a loaded course depends on: course.toml and the files of its specs and refs folders."""
    files = [root / "course.toml"]
    for sub in ("exercises/specs", "exercises/refs", "specs", "refs", "quizzes"):
        folder = root / sub
        if folder.is_dir():
            files += sorted(folder.iterdir())
    out = []
    for f in files:
        try:
            st = f.stat()
            out.append((str(f), st.st_mtime_ns, st.st_size))
        except OSError:
            continue
    return tuple(out)


def load_course_cached(root: Path, *, pack: bool = False) -> Any:  # noqa: ANN401
    """The course at `root` (a pack's folder with `pack`), loaded once per worker and again
    when one of its files changes."""
    from grader.course.loader import load_course
    from grader.selfcheck.pack import load_pack_course

    key = f"{'pack:' if pack else ''}{root.resolve()}"
    stamp = _stamp(root)
    hit = _COURSES.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    if hit is not None:  # changed: its reference modules are imported again too
        prefix = f"grade_course_{hit[1].id}_".replace(".", "_")
        for name in [m for m in sys.modules if m.startswith(prefix)]:
            del sys.modules[name]
    course = load_pack_course(root) if pack else load_course(root)
    course.specs  # noqa: B018 - load the specs now: a broken one is told here, once
    _COURSES[key] = (stamp, course)
    return course


def _find_upwards(start: Path) -> Path | None:
    for folder in [start, *start.parents]:
        if (folder / "course.toml").is_file():
            return folder
    return None


def resolve_source(notebook: Path | None, cwd: Path, exercise: str | None, nb: Any) -> tuple[Source, Any]:  # noqa: ANN401
    """The course (or pack) to judge with, and the exercise's spec.

    GRADE_COURSE, then GRADE_SELFCHECK_PACK, then a course.toml above the notebook or the
    current folder, then the packs installed with the package (Colab)."""
    from grader.errors import GradeError
    from grader.selfcheck import pack as packs

    def from_course(root: Path, where: str) -> Source:
        course = load_course_cached(root)
        if course.refs_dir.is_dir():
            return Source("course", course, where=where)
        own = packs.course_pack_folder(course)
        for folder in ([own] if own else []) + packs.installed_packs():
            p = packs.open_pack(folder)
            if p is not None and p.manifest.get("course") == course.id:
                return Source("pack", load_course_cached(folder, pack=True), p, where=str(folder))
        raise Refused.told("selfcheck.worker.from_course.course_folder_has_neither", root=root)

    def from_pack(folder: Path) -> Source | None:
        p = packs.open_pack(folder)
        return Source("pack", load_course_cached(p.root, pack=True), p, where=str(p.root)) if p is not None else None

    try:
        if os.environ.get("GRADE_COURSE"):
            src = from_course(Path(os.environ["GRADE_COURSE"]), "GRADE_COURSE")
            return src, _pick(src.course, exercise, nb, notebook)
        if os.environ.get("GRADE_SELFCHECK_PACK"):
            named = from_pack(Path(os.environ["GRADE_SELFCHECK_PACK"]))
            if named is None:
                where = os.environ["GRADE_SELFCHECK_PACK"]
                raise Refused.told("selfcheck.worker.resolve_source.grade_selfcheck_pack_not", where=where)
            return named, _pick(named.course, exercise, nb, notebook)
        for start in ([notebook.parent] if notebook else []) + [cwd]:
            root = _find_upwards(start.resolve())
            if root is not None:
                src = from_course(root, str(root))
                return src, _pick(src.course, exercise, nb, notebook)
        last: Refused | None = None
        for folder in packs.installed_packs():
            found = from_pack(folder)
            if found is None:
                continue
            try:
                return found, _pick(found.course, exercise, nb, notebook)
            except Refused as exc:
                last = exc
        if last is not None:
            raise last
    except GradeError as exc:
        raise Refused(str(exc), str(exc)) from None
    raise Refused.told("selfcheck.worker.resolve_source.no_course_found_no")


def _read_notebook(path: Path | None) -> tuple[Any, dict[str, str], str]:
    """(notebook or None, its answers, a problem with the file or "")."""
    if path is None:
        return None, {}, "missing"
    from grader import notebook as nbio
    from grader.errors import GradeError

    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        hit = _NOTEBOOKS.get(str(path))
        if hit is not None and hit[0] == stamp:
            return hit[1], dict(hit[2]), ""
        nb, _ = nbio.load(path)
        answers = nbio.answers(nb, str(path))
        _NOTEBOOKS[str(path)] = (stamp, nb, answers)
        return nb, dict(answers), ""
    except OSError:
        return None, {}, "missing"
    except GradeError as exc:
        return None, {}, str(exc)


def _lang(asked: str | None, nb: Any) -> str:  # noqa: ANN401
    if asked in ("ko", "en"):
        return asked
    meta = (nb.metadata.get("grade") or {}) if nb is not None else {}
    if isinstance(meta, dict) and meta.get("lang") in ("ko", "en"):
        return str(meta["lang"])
    env = os.environ.get("GRADE_LANG", "")
    return env if env in ("ko", "en") else "ko"


def _wanted(names: list[tuple[str, str]], only: list[str] | None, spec: Any) -> set[str]:  # noqa: ANN401
    """The ids of the checks `only` names (all of them without `only`); "quiz" names the quiz."""
    if not only:
        return {cid for cid, _ in names}
    wanted: set[str] = set()
    for name in only:
        low = str(name).strip().lower()
        hit = {cid for cid, kind in names if cid.lower() == low or (low == "quiz" and kind == "quiz")}
        if not hit:
            ids = ", ".join(cid for cid, _ in names)
            raise Refused.told("selfcheck.worker.wanted.has_no_check_named", id=spec.id, name=name, ids=ids)
        wanted |= hit
    return wanted


def _prerequisites(checks: list[Any], wanted: set[str]) -> set[str]:
    """The checks `wanted` come after (spec key `after`), transitively."""
    try:
        from grader.checks.depends import after_of
    except ImportError:  # a grader without `after`
        return set()
    by_id = {c.id: c for c in checks}
    todo, seen = list(wanted), set()
    while todo:
        cid = todo.pop()
        for dep in after_of(by_id[cid]) if cid in by_id else []:
            if dep not in seen and dep not in wanted:
                seen.add(dep)
                todo.append(dep)
    return seen


def _after(checks: list[Any], results: list[Any], ctx: Any) -> list[Any]:  # noqa: ANN401
    """What the graded path does once every check is judged: `after` turns the checks whose
    prerequisites failed into "not checked" (grading.evaluate_checks)."""
    try:
        from grader.checks.depends import apply_after
    except ImportError:
        return results
    return apply_after(checks, results, ctx)


def self_evidence(kind: Any, check: Any) -> str:  # noqa: ANN401
    """Where a self-check's evidence comes from: 'practice' (the kernel's outputs on practice
    inputs, judged here against answers the kernel never holds), 'self-reported' (facts the
    kernel reports about its own objects), or 'file' (read from the saved notebook).

    model_metric declares "clean" because a graded attempt predicts in the clean loader; its
    targets stay with the grader either way, so here it counts as practice data."""
    if not kind.needs_kernel:
        return "file"
    if kind.evidence_of(check) == "hidden-target" or kind.name == "model_metric":
        return "practice"
    return "self-reported"


def _preload_analyser() -> None:
    """Load the Korean analyser the quiz scorer needs, before the first answer asks for it."""
    import importlib.util

    if importlib.util.find_spec("kiwipiepy") is None:
        return
    try:
        from grader.quiz.normalize import kiwi

        kiwi()
    except Exception:  # noqa: BLE001 - the scorer reports its own failure when it runs
        pass


class Worker:
    def __init__(self, preload: bool = False) -> None:
        self.session: Session | None = None
        self.quiz_jobs: dict[str, Any] = {}  # cache key -> the job scoring that answer
        self.prepared: list[str] = []  # exercises a `prepare` planned ahead
        self.warm = threading.Thread(target=_warm, name="selfcheck-warm", daemon=True)
        self.warm.start()
        if preload:
            threading.Thread(target=_preload_analyser, name="selfcheck-analyser", daemon=True).start()

    def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        op = req.get("op")
        env = req.get("env")
        if isinstance(env, dict):
            for key in PASSED_ENV:
                value = env.get(key)
                if isinstance(value, str) and value:
                    os.environ[key] = value
                else:
                    os.environ.pop(key, None)
        try:
            if op == "plan":
                return self.plan(req)
            if op == "prepare":
                return self.prepare(req)
            if op == "evaluate":
                return self.evaluate(req)
            if op == "status":
                top = {m.split(".")[0] for m in sys.modules}
                return {
                    "ok": True,
                    "pid": os.getpid(),
                    "modules": sorted(m for m in HEAVY if m in top),
                    "prepared": list(self.prepared),
                }
            return {"ok": False, "error": both("selfcheck.worker.unknown_request", op=op)}
        except Refused as exc:
            return {"ok": False, "error": {"en": exc.en, "ko": exc.ko}}

    def _quiz_job(self, check: Any, ctx: Any) -> Any:  # noqa: ANN401
        """The job scoring this answer: one already running for the same key, else a new one."""
        from grader.grading import _Background

        _, key = cached_quiz(check, ctx)
        job = self.quiz_jobs.get(key) if key else None
        if job is None:
            job = _Background(scored_quiz, [check], ctx)
            job.key = key
            if key:
                self.quiz_jobs[key] = job
        return job

    def plan(self, req: dict[str, Any]) -> dict[str, Any]:
        t0 = time.monotonic()
        from grader.checks import KINDS, GradeContext
        from grader.grading import all_checks, plan_checks
        from grader.selfcheck import pack as packs

        folder = Path(req["dir"])
        path = Path(req["notebook"]) if req.get("notebook") else None
        nb, answers, problem = _read_notebook(path)
        src, spec = resolve_source(
            path if nb is not None else None, Path(req.get("cwd") or "."), req.get("exercise"), nb
        )
        lang = _lang(req.get("lang"), nb)
        seed = packs.practice_seed(src.course)
        base = GradeContext(seed=seed, lang=lang, course=src.course, spec=spec, answers=answers)
        practice = src.pack.practice(spec.id) if src.pack is not None else None
        left_out: dict[str, Any] = practice[0].get("left_out", {}) if practice else {}
        every = all_checks(spec, src.course)
        # Left out of the pack and not even built here (the quiz, when the pack has no bank).
        absent = {cid: about for cid, about in left_out.items() if cid not in {c.id for c in every}}
        wanted = _wanted(
            [(c.id, c.kind) for c in every] + [(cid, a.get("kind", "")) for cid, a in absent.items()],
            req.get("only"),
            spec,
        )
        shown = set(wanted)
        wanted |= _prerequisites(every, wanted)  # judged too, so that "not checked" reads as graded
        checks = [c for c in every if c.id in wanted]
        unavailable = [
            _unavailable(about, cid, about["reason"], lang) for cid, about in absent.items() if cid in wanted
        ]
        contexts: dict[str, Any] = {}
        plans: dict[str, Any] = {}
        requests: list[dict[str, Any]] = []
        inputs: dict[str, Any] = {}
        kept: list[Any] = []
        # Scored from the start, on threads of their own: the first answer a worker scores loads
        # the Korean analyser. A job still running from an earlier self-check is joined, not repeated.
        quiz = [(c, self._quiz_job(c, base)) for c in checks if not KINDS[c.kind].needs_kernel and nb is not None]
        for check in checks:
            kind = KINDS[check.kind]
            about = {"title": check.title, "points": check.points, "kind": check.kind}
            if not kind.needs_kernel:
                if nb is None:
                    unavailable.append(_unavailable(about, check.id, "no_notebook", lang, problem))
                    continue
                kept.append(check)
                continue
            ctx = packs.MemoContext(
                seed=seed, lang=lang, course=src.course, spec=spec, answers=answers, memo=_memo(src.course)
            )
            if src.pack is not None:
                left = left_out.get(check.id)
                if left is not None:
                    unavailable.append(_unavailable(about, check.id, left["reason"], lang))
                    continue
                ctx = src.pack.replay_context(spec.id, check.id, base)
                if ctx is None:
                    unavailable.append(_unavailable(about, check.id, "no_practice_data", lang))
                    continue
            try:
                p, r, i = plan_checks([check], ctx)
            except packs.PackMismatch:
                unavailable.append(_unavailable(about, check.id, "stale_pack", lang))
                continue
            except Exception as exc:  # noqa: BLE001 - a course reference that fails: that check only
                unavailable.append(_unavailable(about, check.id, "plan_failed", lang, f"{type(exc).__name__}: {exc}"))
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
        self.session = Session(
            checks=kept,
            contexts=contexts,
            plans=plans,
            requests=requests,
            unavailable=unavailable,
            quiz=quiz,
            base=base,
            lang=lang,
            exercise=spec.id,
            ahead=ahead,
            shown=shown,
            started=t0,
        )
        return {
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
            "unavailable": unavailable,
            "notebook_problem": problem if path is not None else "",
            "plan_s": round(time.monotonic() - t0, 4),
        }

    def prepare(self, req: dict[str, Any]) -> dict[str, Any]:
        """A plan made ahead and thrown away: what it loads, computes and scores stays (the
        course, the references' results, the quiz scorer and this answer's score)."""
        import shutil
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="grade-selfcheck-prepare-"))
        try:
            reply = self.plan(dict(req, dir=str(folder)))
            if self.session is not None and self.session.ahead is not None:
                self.session.ahead.join()
            if reply.get("ok"):
                self.prepared.append(reply["exercise"])
            return {"ok": bool(reply.get("ok")), "prepared": reply.get("exercise", "")}
        finally:
            self.session = None
            shutil.rmtree(folder, ignore_errors=True)

    def evaluate(self, req: dict[str, Any]) -> dict[str, Any]:
        t0 = time.monotonic()
        s = self.session
        if s is None:
            raise Refused.told("selfcheck.worker.evaluate.evaluate_before_plan")
        self.session = None
        self.warm.join()
        t_warm = time.monotonic() - t0
        from grader.checks import KINDS
        from grader.grading import evaluate_checks

        if s.ahead is not None:
            s.ahead.join()
        found, probe_error = read_outputs(Path(req["dir"]), s.requests)
        offline: dict[str, Any] = {}
        unavailable = list(s.unavailable)
        t_quiz = time.monotonic()
        for check, job in s.quiz:
            about = {"title": check.title, "points": check.points, "kind": check.kind}
            try:
                scored = job.result(max(0.0, QUIZ_WAIT_S - (time.monotonic() - s.started)))
            except Exception as exc:  # noqa: BLE001 - the scorer failed: say so, judge the rest
                self.quiz_jobs.pop(job.key, None)
                unavailable.append(_unavailable(about, check.id, "plan_failed", s.lang, f"{type(exc).__name__}: {exc}"))
                continue
            if scored is not None:
                offline[check.id] = scored[check.id]
                self.quiz_jobs.pop(job.key, None)
            elif check.id in s.shown:
                unavailable.append(_unavailable(about, check.id, "quiz_pending", s.lang))
        t_quiz = time.monotonic() - t_quiz
        results, judged = [], []
        for check in s.checks:
            if check.kind == "quiz" and check.id not in offline:
                continue
            ctx = s.contexts.get(check.id, s.base)
            plans = {check.id: s.plans[check.id]} if check.id in s.plans else {}
            results += evaluate_checks([check], ctx, plans, found, probe_error, offline)
            judged.append(check)
        results = _after(judged, results, s.base)
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
            "unavailable": unavailable,
            "training": training,
            "probe_error": probe_error,
            "evaluate_s": round(time.monotonic() - t0, 4),
            "warm_wait_s": round(t_warm, 4),
            "quiz_wait_s": round(t_quiz, 4),
        }


def _unavailable(about: dict[str, Any], cid: str, reason: str, lang: str, detail: str = "") -> dict[str, Any]:
    title = about.get("title") or {}
    text = title.get(lang) or title.get("en") or cid if isinstance(title, dict) else str(title)
    return {
        "id": cid,
        "title": text,
        "points": about.get("points", 0),
        "kind": about.get("kind", ""),
        "reason": reason,
        "detail": detail,
    }


def _plain(value: Any) -> Any:  # noqa: ANN401
    """NumPy scalars in check details, as JSON numbers."""
    return value.item() if hasattr(value, "item") else str(value)


def serve(stdin: Any, out: Any, idle_s: float = IDLE_S, preload: bool = True) -> None:  # noqa: ANN401
    worker = Worker(preload=preload)
    fd = stdin.fileno()
    buf = b""
    while True:
        ready, _, _ = select.select([fd], [], [], idle_s)
        if not ready:
            return  # the kernel has not asked for a while: it starts a new worker when it does
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return  # the kernel closed the pipe or died
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                reply = (
                    worker.handle(req)
                    if isinstance(req, dict)
                    else {"ok": False, "error": both("selfcheck.worker.not_an_object")}
                )
            except ValueError:
                reply = {"ok": False, "error": both("selfcheck.worker.not_json")}
            except Exception as exc:  # noqa: BLE001 - report it to the kernel, keep serving
                import traceback

                traceback.print_exc()
                reply = {"ok": False, "error": both("selfcheck.worker.failed", kind=type(exc).__name__, exc=exc)}
            out.write(json.dumps(reply, ensure_ascii=False, default=_plain) + "\n")
            out.flush()


def main() -> int:
    # Replies go through a private copy of stdout; what the course's code prints goes to stderr.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin, out)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)
