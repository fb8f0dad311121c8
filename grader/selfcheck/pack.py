"""The practice pack: what a self-check needs of the course, without its references.

A self-check judges the notebook on the *practice seed*, a seed no graded attempt
uses. Judging needs what the course's reference functions return for that seed
(the practice inputs, the expected outputs, the targets and baselines of a metric).
Where the course folder holds `exercises/refs/`, the self-check's worker process
calls them there. A class deployment ships no references: `grade selfcheck-pack`
records, once, what every check's references returned for the practice seed, and
the worker replays those records instead of calling them. The kinds' own `plan`
and `evaluate` run unchanged in both cases (grading.plan_checks and
grading.evaluate_checks); only `ctx.ref` differs:

- recording: `RecordingContext.ref` calls the reference and keeps its arguments'
  fingerprint and its result;
- replaying: `ReplayContext.ref` returns the kept result of the next call, after
  checking that the arguments are the ones recorded.

A check is left out of the pack when shipping its record would give a graded answer
away: its reference answer is the same for every seed (the table of exercise 2, a
fixed layer stack). The self-check then says the check cannot run from the pack.

Layout of a pack folder (also a course folder `load_course` reads):

    course.toml            [course] of the course, specs = "specs", quizzes = "quizzes"
    specs/*.toml           the exercise specs, copied
    quizzes/*.toml         the quiz bank, only when the pack is written with the quiz
    pack.json              format, course id, practice seed, digest, per exercise its checks
    practice/<stem>.json   per exercise: recorded calls per check, and the checks left out
    practice/<stem>.npz    their arrays
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grader.checks import KINDS, GradeContext
from grader.errors import SpecError

if TYPE_CHECKING:
    from grader.checks.base import CheckSpec
    from grader.course.loader import Course
    from grader.course.spec import ExerciseSpec

FORMAT = 1
# Graded attempts draw their seed from [0, 2**31) (grading.grade_submission): a practice seed
# at or above 2**31 is one no graded attempt ever uses. "15" for the chapter.
GRADED_SEEDS = 2**31
DEFAULT_PRACTICE_SEED = GRADED_SEEDS + 15
# Where `grade selfcheck-pack` writes by default: inside the installed package, so that
# `pip install git+https://...` (Colab) carries the pack along.
INSTALLED = Path(__file__).resolve().with_name("packs")
PACK_FILE = "pack.json"

# Why a check is not in the pack (the self-check shows the text for each, render.REASONS).
FIXED_ANSWER = "fixed_answer"  # its reference answer does not depend on the seed
JUDGE_NEEDS_REFS = "judge_needs_refs"  # its evaluate() calls references the pack cannot replay
UNSTORABLE = "unstorable"  # a reference returned something the pack cannot store
NO_QUIZ_BANK = "no_quiz_bank"  # the pack was written without the quiz bank


class PackMismatch(SpecError):
    """The pack's record does not fit the call being replayed (another grader or course version)."""


def practice_seed(course: Course) -> int:
    """The course's practice seed: `[selfcheck] practice_seed`, else the default."""
    raw = (course.raw.get("selfcheck") or {}).get("practice_seed", DEFAULT_PRACTICE_SEED)
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < GRADED_SEEDS:
        raise SpecError(
            f"[selfcheck] practice_seed must be an integer of at least 2**31 ({GRADED_SEEDS}), so that "
            "no graded attempt (seeds below 2**31) uses it",
            str(course.root / "course.toml"),
        )
    return raw


# --- values <-> JSON + arrays ------------------------------------------------------


class Unstorable(TypeError):
    """A reference returned a value the pack has no form for."""


def encode(value: Any, arrays: dict[str, np.ndarray], prefix: str) -> Any:  # noqa: ANN401
    """JSON data for `value`; arrays go into `arrays` under keys starting with `prefix`."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if np.isfinite(f) else {"__float__": repr(f)}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise Unstorable("an array of Python objects")
        key = f"{prefix}{len(arrays)}"
        arrays[key] = value
        return {"__nd__": key}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, arrays, prefix) for v in value]}
    if isinstance(value, list):
        return [encode(v, arrays, prefix) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise Unstorable("a dict with keys that are not strings")
        if any(k.startswith("__") for k in value):
            raise Unstorable("a dict whose keys look like the pack's own markers")
        return {k: encode(v, arrays, prefix) for k, v in value.items()}
    raise Unstorable(f"a {type(value).__name__}")


def decode(obj: Any, arrays: Any) -> Any:  # noqa: ANN401
    """The value `encode` stored; every array is a fresh copy (kinds may change what they get)."""
    if isinstance(obj, list):
        return [decode(v, arrays) for v in obj]
    if isinstance(obj, dict):
        if "__nd__" in obj:
            return np.array(arrays[obj["__nd__"]], copy=True)
        if "__tuple__" in obj:
            return tuple(decode(v, arrays) for v in obj["__tuple__"])
        if "__float__" in obj:
            return float(obj["__float__"])
        return {k: decode(v, arrays) for k, v in obj.items()}
    return obj


def fingerprint(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """A digest of a reference call's arguments (arrays by bytes, generators by state)."""
    h = hashlib.sha256()

    def feed(v: Any) -> None:  # noqa: ANN401
        if isinstance(v, np.ndarray):
            h.update(f"nd{v.dtype.str}{v.shape}".encode())
            h.update(np.ascontiguousarray(v).tobytes())
        elif isinstance(v, np.random.Generator):
            h.update(b"rng" + json.dumps(v.bit_generator.state, sort_keys=True, default=str).encode())
        elif isinstance(v, dict):
            h.update(b"{")
            for k in sorted(v, key=str):
                h.update(repr(k).encode())
                feed(v[k])
            h.update(b"}")
        elif isinstance(v, (list, tuple)):
            h.update(b"[" if isinstance(v, list) else b"(")
            for x in v:
                feed(x)
            h.update(b"]")
        else:
            h.update(f"{type(v).__name__}:{v!r}".encode())

    feed(list(args))
    feed(kwargs)
    return h.hexdigest()[:32]


# --- recording and replaying reference calls ----------------------------------------


@dataclass
class Call:
    ref: str
    args: str  # fingerprint
    result: Any


@dataclass
class RecordingContext(GradeContext):
    """Calls the course's references and remembers each call (in order)."""

    calls: list[Call] = field(default_factory=list)

    def ref(self, dotted: str) -> Callable[..., Any]:
        fn = self.course.reference(dotted)

        def call(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            digest = fingerprint(args, kwargs)  # before the call: it advances a generator's state
            out = fn(*args, **kwargs)
            self.calls.append(Call(dotted, digest, copy.deepcopy(out)))
            return out

        return call


@dataclass
class ReplayContext(GradeContext):
    """Answers the references' calls from a record, in the order they were made."""

    calls: list[Call] = field(default_factory=list)
    arrays: Any = None
    position: int = 0

    def ref(self, dotted: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            if self.position >= len(self.calls):
                raise PackMismatch(f"the practice pack has no record of a call to {dotted}")
            rec = self.calls[self.position]
            if rec.ref != dotted or rec.args != fingerprint(args, kwargs):
                raise PackMismatch(f"the practice pack recorded other data for {dotted}")
            self.position += 1
            return decode(rec.result, self.arrays)

        return call


@dataclass
class MemoContext(GradeContext):
    """Calls the course's references once per distinct set of arguments: the practice seed is
    fixed, so a worker answers repeated self-checks (and the baselines it computes ahead,
    while the kernel runs the probe) from `memo`, shared by every context of one course."""

    memo: dict[tuple[str, str], Any] = field(default_factory=dict)

    def ref(self, dotted: str) -> Callable[..., Any]:
        fn = self.course.reference(dotted)

        def call(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            key = (dotted, fingerprint(args, kwargs))
            if key not in self.memo:
                out = fn(*args, **kwargs)
                self.memo[key] = copy.deepcopy(out)
                return out
            return copy.deepcopy(self.memo[key])

        return call


def _judge_refs(kind: Any) -> bool:  # noqa: ANN401
    """Whether a kind's evaluate() calls references (read from its source)."""
    try:
        return ".ref(" in inspect.getsource(type(kind).evaluate)
    except (OSError, TypeError):
        return True


def _metric_baselines(check: CheckSpec, ctx: GradeContext, plan: Any) -> None:  # noqa: ANN401
    # The calls model_metric.evaluate makes, with the same arguments, so that the replay
    # answers them: ctx.ref(dotted)(inputs, targets, ctx.rng(check id, baseline name)).
    for bname, dotted in check.params.get("baselines", {}).items():
        ctx.ref(dotted)(plan.private["inputs"], plan.private["targets"], ctx.rng(check.id, bname))


# Kinds whose evaluate() calls references: how to make those calls ahead, at record time.
JUDGE_RECORDERS: dict[str, Callable[[CheckSpec, GradeContext, Any], None]] = {"model_metric": _metric_baselines}


def record_check(course: Course, spec: ExerciseSpec, check: CheckSpec, seed: int, judging: bool = True) -> list[Call]:
    """The reference calls one kernel check makes for `seed` when planning (and judging)."""
    from grader.grading import plan_checks

    ctx = RecordingContext(seed=seed, lang="en", course=course, spec=spec)
    plans, _, _ = plan_checks([check], ctx)
    recorder = JUDGE_RECORDERS.get(check.kind)
    if recorder is not None and judging:
        recorder(check, ctx, plans[check.id])
    return ctx.calls


def _same(a: Any, b: Any) -> bool:  # noqa: ANN401
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and np.array_equal(a, b)
        )
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def leaves_answer(check: CheckSpec, calls: list[Call], other: list[Call]) -> bool:
    """True when the check's reference answer is the same under another seed: the practice
    record would then be the graded answer too."""
    ref = check.params.get("reference")
    if not ref:
        return False
    mine = [c.result for c in calls if c.ref == ref]
    theirs = [c.result for c in other if c.ref == ref]
    return bool(mine) and _same(mine, theirs)


# --- one exercise ---------------------------------------------------------------------


@dataclass
class ExercisePractice:
    """What the pack holds for one exercise: each kept check's calls, and what was left out."""

    doc: dict[str, Any]
    arrays: dict[str, np.ndarray]


def build_exercise(course: Course, spec: ExerciseSpec, seed: int, with_quiz: bool) -> ExercisePractice:
    from grader.grading import all_checks

    arrays: dict[str, np.ndarray] = {}
    checks: dict[str, Any] = {}
    left_out: dict[str, Any] = {}
    for check in all_checks(spec, course):
        kind = KINDS[check.kind]
        about = {"title": check.title, "points": check.points, "kind": check.kind}
        if not kind.needs_kernel:
            if not with_quiz:
                left_out[check.id] = dict(about, reason=NO_QUIZ_BANK)
            continue
        if _judge_refs(kind) and check.kind not in JUDGE_RECORDERS:
            left_out[check.id] = dict(about, reason=JUDGE_NEEDS_REFS)
            continue
        calls = record_check(course, spec, check, seed)
        if leaves_answer(check, calls, record_check(course, spec, check, seed + 1, judging=False)):
            left_out[check.id] = dict(about, reason=FIXED_ANSWER)
            continue
        mine: dict[str, np.ndarray] = {}
        try:
            encoded = [{"ref": c.ref, "args": c.args, "result": encode(c.result, mine, f"{check.id}/")} for c in calls]
        except Unstorable:
            left_out[check.id] = dict(about, reason=UNSTORABLE)
            continue
        arrays.update(mine)
        checks[check.id] = {"calls": encoded}
    doc = {"exercise": spec.id, "notebook": spec.notebook, "seed": seed, "checks": checks, "left_out": left_out}
    return ExercisePractice(doc, arrays)


def _stem(spec: ExerciseSpec) -> str:
    return Path(spec.notebook).stem


def digest(practice: dict[str, ExercisePractice], files: dict[str, bytes]) -> str:
    """One digest over the recorded data and the copied files, to tell a stale pack."""
    h = hashlib.sha256()
    for ex in sorted(practice):
        p = practice[ex]
        h.update(json.dumps(p.doc, sort_keys=True).encode())
        for key in sorted(p.arrays):
            a = p.arrays[key]
            h.update(f"{key}{a.dtype.str}{a.shape}".encode())
            h.update(np.ascontiguousarray(a).tobytes())
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()


def _course_files(course: Course, with_quiz: bool) -> dict[str, bytes]:
    """The text files the pack copies: specs, the quiz bank when asked, a course.toml of its own."""
    files: dict[str, bytes] = {}
    for spec in course.specs.values():
        files[f"specs/{spec.path.name}"] = spec.path.read_bytes()
    if with_quiz and course.quizzes_dir.is_dir():
        for p in sorted(course.quizzes_dir.glob("*.toml")):
            files[f"quizzes/{p.name}"] = p.read_bytes()
    files["course.toml"] = _pack_course_toml(course).encode("utf-8")
    return files


def _toml_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a TOML basic string is a JSON string


def _pack_course_toml(course: Course) -> str:
    title = ", ".join(f"{k} = {_toml_string(v)}" for k, v in sorted(course.title.items()))
    lines = [
        "# A practice pack written by `grade selfcheck-pack`: the course's specs and the records of its",
        "# references for the practice seed, without the references themselves. Do not edit; write it again.",
        "[course]",
        f"id = {_toml_string(course.id)}",
        f"title = {{ {title} }}",
        f"timezone = {_toml_string(course.timezone)}",
        'specs = "specs"',
        'quizzes = "quizzes"',
        'refs = "refs"            # absent on purpose',
        'exercises = "exercises"  # absent: the notebooks are the members\'',
        'solutions = "solutions"  # absent on purpose',
        "",
        "[selfcheck]",
        f"practice_seed = {practice_seed(course)}",
    ]
    return "\n".join(lines) + "\n"


def build_pack(course: Course, with_quiz: bool) -> tuple[dict[str, ExercisePractice], dict[str, bytes], dict[str, Any]]:
    seed = practice_seed(course)
    practice = {spec.id: build_exercise(course, spec, seed, with_quiz) for spec in course.specs.values()}
    files = _course_files(course, with_quiz)
    manifest = {
        "format": FORMAT,
        "course": course.id,
        "seed": seed,
        "quiz": with_quiz,
        "exercises": {ex: f"practice/{_stem(course.specs[ex])}" for ex in practice},
        "digest": digest(practice, files),
    }
    return practice, files, manifest


def write_pack(course: Course, out: Path, *, with_quiz: bool) -> dict[str, Any]:
    """Write the pack for every exercise into `out` (replacing what was there). Returns its manifest."""
    practice, files, manifest = build_pack(course, with_quiz)
    if out.exists() and not (out / PACK_FILE).is_file() and any(out.iterdir()):
        raise SpecError("is not empty and holds no practice pack; choose an empty folder", str(out))
    tmp = out.with_name(out.name + ".writing")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "practice").mkdir(parents=True)
    for name, data in files.items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_bytes(data)
    for ex, p in practice.items():
        base = tmp / manifest["exercises"][ex]
        base.with_suffix(".json").write_text(json.dumps(p.doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        np.savez_compressed(base.with_suffix(".npz"), **p.arrays)  # type: ignore[arg-type]
    (tmp / PACK_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return manifest


def pack_problems(course: Course, out: Path) -> list[str]:
    """What is out of date in the pack at `out` for this course ([] when it is current)."""
    manifest = read_manifest(out)
    if manifest is None:
        return [f"{out}: no practice pack here (run grade selfcheck-pack)"]
    _, _, fresh = build_pack(course, bool(manifest.get("quiz")))
    if manifest.get("digest") != fresh["digest"]:
        return [
            f"{out}: the practice pack is out of date with the course (run grade selfcheck-pack"
            + (" --with-quiz" if manifest.get("quiz") else "")
            + ")"
        ]
    return []


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads((folder / PACK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == FORMAT else None


# --- reading a pack (the self-check's worker) ------------------------------------------


@dataclass
class Pack:
    root: Path
    manifest: dict[str, Any]
    _loaded: dict[str, tuple[dict[str, Any], Any]] = field(default_factory=dict)

    def practice(self, exercise: str) -> tuple[dict[str, Any], Any] | None:
        """(exercise document, its arrays) or None when the pack has nothing for `exercise`."""
        if exercise not in self._loaded:
            rel = (self.manifest.get("exercises") or {}).get(exercise)
            if not isinstance(rel, str):
                return None
            base = self.root / rel
            doc = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
            with np.load(base.with_suffix(".npz"), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            self._loaded[exercise] = (doc, arrays)
        return self._loaded[exercise]

    def replay_context(self, exercise: str, check_id: str, base: GradeContext) -> ReplayContext | None:
        found = self.practice(exercise)
        if found is None or check_id not in found[0].get("checks", {}):
            return None
        doc, arrays = found
        calls = [Call(c["ref"], c["args"], c["result"]) for c in doc["checks"][check_id]["calls"]]
        return ReplayContext(
            seed=base.seed,
            lang=base.lang,
            course=base.course,
            spec=base.spec,
            answers=base.answers,
            calls=calls,
            arrays=arrays,
        )


def load_pack_course(root: Path) -> Course:
    """A pack's folder as a course. Its specs name references the pack replays instead, so
    they are read without looking for those references in a refs folder absent on purpose."""
    import dataclasses
    from functools import cached_property

    from grader.course import spec as specmod
    from grader.course.loader import Course, load_course

    class PackCourse(Course):
        @cached_property
        def spec_set(self) -> Any:  # noqa: ANN401
            loader = getattr(specmod, "load_spec_set", None)
            if loader is not None:
                return loader(self.specs_dir)  # no course: references stay unresolved
            return _Specs(specmod.load_specs(self.specs_dir))

        @property
        def specs(self) -> dict[str, ExerciseSpec]:
            return self.spec_set.specs

    plain = load_course(root)
    return PackCourse(**{f.name: getattr(plain, f.name) for f in dataclasses.fields(plain)})


@dataclass
class _Specs:
    specs: dict[str, Any]
    problems: list[Any] = field(default_factory=list)


def installed_packs() -> list[Path]:
    """Pack folders installed with the package (grader/selfcheck/packs/<course id>/)."""
    if not INSTALLED.is_dir():
        return []
    return sorted(p for p in INSTALLED.iterdir() if p.is_dir() and (p / PACK_FILE).is_file())


def open_pack(folder: Path) -> Pack | None:
    manifest = read_manifest(folder)
    return Pack(folder.resolve(), manifest) if manifest is not None else None


def course_pack_folder(course: Course) -> Path | None:
    """A course folder's own pack (`[selfcheck] pack`, a folder relative to course.toml)."""
    rel = (course.raw.get("selfcheck") or {}).get("pack")
    if isinstance(rel, str) and rel:
        return course.root / rel
    return None
