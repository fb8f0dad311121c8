"""`grade selfcheck-pack`: record the course's references for the practice seed into a pack,
and tell whether a written pack is still the course's.

Every kernel check is planned (and, where JUDGE_RECORDERS knows how, judged) once in a
`RecordingContext`; its calls are kept unless they would hand out a graded answer (the
same under another seed), call references the pack cannot replay, or cannot be stored.
The pack's format, and how the worker reads it, is grader/selfcheck/pack.py.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grader.checks import KINDS
from grader.errors import SpecError
from grader.i18n import text, text_n
from grader.selfcheck.codec import Unstorable, encode
from grader.selfcheck.pack import (
    FIXED_ANSWER,
    FORMAT,
    JUDGE_NEEDS_REFS,
    NO_QUIZ_BANK,
    PACK_FILE,
    UNSTORABLE,
    open_pack,
    practice_seed,
    read_manifest,
)
from grader.selfcheck.replay import JUDGE_RECORDERS, Call, RecordingContext, judge_calls_refs

if TYPE_CHECKING:
    from grader.checks.base import CheckSpec
    from grader.course.loader import Course
    from grader.course.spec import ExerciseSpec


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
        if not kind.needs_kernel:
            if not with_quiz:
                # Without the bank the pack's course cannot build this check at all: its title,
                # points and kind are kept here, so that the self-check can still name it.
                about = {"title": check.title, "points": check.points, "kind": check.kind}
                left_out[check.id] = dict(about, reason=NO_QUIZ_BANK)
            continue
        # The kernel checks left out are still built from the pack's copy of the spec, which
        # holds their titles: the reason is all the record needs.
        if judge_calls_refs(kind) and check.kind not in JUDGE_RECORDERS:
            left_out[check.id] = {"reason": JUDGE_NEEDS_REFS}
            continue
        calls = record_check(course, spec, check, seed)
        if leaves_answer(check, calls, record_check(course, spec, check, seed + 1, judging=False)):
            left_out[check.id] = {"reason": FIXED_ANSWER}
            continue
        mine: dict[str, np.ndarray] = {}
        try:
            encoded = [{"ref": c.ref, "args": c.args, "result": encode(c.result, mine, f"{check.id}/")} for c in calls]
        except Unstorable:
            left_out[check.id] = {"reason": UNSTORABLE}
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
    """The text files the pack copies: specs, the quiz bank when asked, a course.toml of its own.

    The specs are copied whole, byte for byte, although the course holds them: the pack
    travels where the course does not (Colab installs only the package), and the worker
    loads it as a course, so the checks' parameters, titles and hints must be in it. A
    spec's `recipe` comes along too; the self-check never shows it (the brief hint only),
    and it is no secret (`grade submit --hints full` shows it). Byte for byte, so that the
    spec's line numbers in a message are the course's and the digest tells a changed spec."""
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
        raise SpecError.told("selfcheck.pack.folder_not_a_pack", str(out))
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


def pack_problem(course: Course, out: Path) -> str | None:
    """The catalog key of what is wrong with the pack at `out` for this course (missing, or out
    of date), None when it is current."""
    manifest = read_manifest(out)
    if manifest is None:
        return "selfcheck.pack.missing"
    _, _, fresh = build_pack(course, bool(manifest.get("quiz")))
    if manifest.get("digest") != fresh["digest"]:
        return "selfcheck.pack.stale_with_quiz" if manifest.get("quiz") else "selfcheck.pack.stale"
    return None


def pack_problems(course: Course, out: Path, lang: str = "en") -> list[str]:
    """What is out of date in the pack at `out` for this course, in `lang` ([] when it is current)."""
    key = pack_problem(course, out)
    return [] if key is None else [problem_line(out, key, lang)]


def problem_line(out: Path, key: str, lang: str) -> str:
    return f"{out}: {text(key, lang)}"


def summary(out: Path) -> list[dict[str, Any]]:
    """Per exercise of the pack at `out`: the checks it kept and why each other one was left out."""
    pack = open_pack(out)
    if pack is None:
        return []
    rows = []
    for ex in pack.manifest["exercises"]:
        found = pack.practice(ex)
        doc = found[0] if found is not None else {}
        rows.append(
            {
                "exercise": ex,
                "kept": sorted(doc.get("checks", {})),
                "left_out": {cid: v["reason"] for cid, v in doc.get("left_out", {}).items()},
            }
        )
    return rows


# Why a check was left out, in a word for the teacher (the self-check tells students more: render.REASONS).
_LEFT_OUT = {
    FIXED_ANSWER: "selfcheck.pack.left_out_reason.fixed_answer",
    JUDGE_NEEDS_REFS: "selfcheck.pack.left_out_reason.judge_needs_refs",
    UNSTORABLE: "selfcheck.pack.left_out_reason.unstorable",
    NO_QUIZ_BANK: "selfcheck.pack.left_out_reason.no_quiz_bank",
}


def summary_lines(
    course_id: str, manifest: dict[str, Any], rows: list[dict[str, Any]], out: Path, lang: str
) -> list[str]:
    """What `grade selfcheck-pack` prints after writing: the pack, then a line per exercise."""
    lines = [text("selfcheck.pack.written", lang, course=course_id, seed=manifest["seed"], out=str(out))]
    for row in rows:
        n = len(row["kept"])
        line = text_n("selfcheck.pack.kept", n, lang, n=n)
        if row["left_out"]:
            left = ", ".join(
                f"{cid} ({text(_LEFT_OUT[why], lang) if why in _LEFT_OUT else why})"
                for cid, why in row["left_out"].items()
            )
            line += text("selfcheck.pack.left_out", lang, checks=left)
        lines.append(f"  {row['exercise']}: {line}")
    return lines
