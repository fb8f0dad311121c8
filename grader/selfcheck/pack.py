"""The practice pack: what a self-check needs of the course, without its references.

A self-check judges the notebook on the *practice seed*, a seed no graded attempt
uses. Judging needs what the course's reference functions return for that seed
(the practice inputs, the expected outputs, the targets and baselines of a metric).
Where the course folder holds `exercises/refs/`, the self-check's worker process
calls them there. A class deployment ships no references: `grade selfcheck-pack`
(grader/selfcheck/packwrite.py) records, once, what every check's references returned
for the practice seed, and the worker replays those records instead of calling them
(grader/selfcheck/replay.py). This module is the pack's format and the worker's way
of reading one.

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

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grader.checks import GradeContext
from grader.errors import SpecError
from grader.selfcheck.replay import Call, ReplayContext

if TYPE_CHECKING:
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


def practice_seed(course: Course) -> int:
    """The course's practice seed: `[selfcheck] practice_seed`, else the default."""
    raw = (course.raw.get("selfcheck") or {}).get("practice_seed", DEFAULT_PRACTICE_SEED)
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < GRADED_SEEDS:
        raise SpecError.told(
            "selfcheck.pack.practice_seed_too_small", str(course.root / "course.toml"), least=GRADED_SEEDS
        )
    return raw


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The pack.json of `folder`, or None when it holds no pack of this format."""
    try:
        doc = json.loads((folder / PACK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == FORMAT else None


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
