"""Where the course content lives: `course.toml` and the folders it names.

The engine knows nothing about chapter 15; everything specific to it (notebooks,
specs, reference functions, quiz bank, site config) is found through here.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grader.errors import SpecError

if TYPE_CHECKING:
    from grader.course.spec import ExerciseSpec, SpecProblem, SpecSet

COURSE_FILE = "course.toml"
DEFAULT_TIMEZONE = "Asia/Seoul"


@dataclass
class Course:
    root: Path
    id: str
    title: dict[str, str]
    exercises_dir: Path
    solutions_dir: Path
    specs_dir: Path
    refs_dir: Path
    quizzes_dir: Path
    site_dir: Path
    default_gradebook: str
    raw: dict[str, Any] = field(default_factory=dict)
    # The group's time zone: user-facing times and times typed without an offset.
    timezone: str = DEFAULT_TIMEZONE

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def spec_set(self) -> SpecSet:
        """Every spec, validated and with its references resolved; a broken one is kept
        aside as a SpecProblem so that it blocks only its own exercise."""
        from grader.course.spec import load_spec_set

        return load_spec_set(self.specs_dir, course=self)

    @property
    def specs(self) -> dict[str, ExerciseSpec]:
        """The exercises whose specs are sound, by id."""
        return self.spec_set.specs

    @property
    def spec_problems(self) -> list[SpecProblem]:
        """The specs that could not be used, each with its one-line error."""
        return self.spec_set.problems

    def spec_by_notebook_name(self, name: str) -> ExerciseSpec | None:
        for spec in self.specs.values():
            if spec.notebook == name:
                return spec
        return None

    def broken_spec_for(self, exercise: str | None = None, filename: str | None = None) -> SpecProblem | None:
        """The broken spec a notebook belongs to (by the exercise its metadata names, else its
        file name), so that grading it can say what is wrong instead of "unknown exercise"."""
        from grader.course.names import notebook_for_name

        for problem in self.spec_problems:
            if exercise is not None and problem.exercise == exercise:
                return problem
        if exercise is None and filename is not None:
            name = unicodedata.normalize("NFC", filename)  # as grading.identify reads names
            notebook = notebook_for_name(name, (p.notebook for p in self.spec_problems if p.notebook))
            for problem in self.spec_problems:
                if notebook is not None and problem.notebook == notebook:
                    return problem
        return None

    def refuse_broken_exercise(self, name: str) -> None:
        """Raise SpecError if `--exercise NAME` means an exercise whose spec is broken (NAME in
        any of the forms grading.exercise_named takes: ch15.ex4, ex4, 04_forecast7[.ipynb], 04)."""
        from grader.course.names import exercise_names

        for problem in self.spec_problems:
            if name in exercise_names(problem.exercise, problem.notebook):
                raise SpecError.told("errors.course.exercise_spec_broken", name=name, problem=problem.error)

    def refuse_broken_spec(self, exercise: str | None, path: Path) -> None:
        """Raise SpecError if the notebook at `path` belongs to a broken spec."""
        problem = self.broken_spec_for(exercise, path.name)
        if problem is not None:
            if problem.exercise:
                raise SpecError.told(
                    "errors.course.notebook_spec_broken", str(path), exercise=problem.exercise, problem=problem.error
                )
            raise SpecError.told(
                "errors.course.notebook_spec_file_broken", str(path), file=problem.path.name, problem=problem.error
            )

    def reference(self, dotted: str) -> Callable[..., Any]:
        """Resolve `module:function` from the course's reference folder."""
        module_name, sep, attr = dotted.partition(":")
        if not sep:
            raise SpecError.told("errors.course.reference_form", dotted=dotted)
        module = self._ref_module(module_name)
        found: Callable[..., Any] | None = getattr(module, attr, None)
        if not callable(found):
            from grader.course.wording import suggest

            functions = [
                n
                for n, v in vars(module).items()
                if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == module.__name__
            ]
            near = suggest(attr, functions, "functions")
            if found is None:
                raise SpecError.told("errors.course.reference_missing", module=module_name, name=attr, near=near)
            raise SpecError.told("errors.course.reference_not_function", module=module_name, name=attr, near=near)
        return found

    def _ref_module(self, name: str) -> ModuleType:
        qualified = f"grade_course_{self.id}.{name}".replace(".", "_")
        if qualified in sys.modules:
            return sys.modules[qualified]
        path = self.refs_dir / f"{name}.py"
        if not path.is_file():
            raise SpecError.told("errors.course.no_reference_module", module=name, folder=self.refs_dir)
        spec = importlib.util.spec_from_file_location(qualified, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - course code: its failure is the spec's error
            del sys.modules[qualified]
            raise SpecError.told(
                "errors.course.reference_import_failed", str(path), module=name, error_type=type(exc).__name__, exc=exc
            ) from None
        return module


def _find_upwards(start: Path) -> Path | None:
    start = start.resolve()
    for folder in [start, *start.parents]:
        if (folder / COURSE_FILE).is_file():
            return folder
    return None


def find_course(explicit: str | os.PathLike[str] | None = None, near: Path | None = None) -> Course:
    """Locate the course: explicit folder, GRADE_COURSE, the cwd upwards, then `near` upwards."""
    candidates: list[Path | None] = []
    if explicit:
        candidates.append(Path(explicit))
    elif os.environ.get("GRADE_COURSE"):
        candidates.append(Path(os.environ["GRADE_COURSE"]))
    else:
        candidates.append(_find_upwards(Path.cwd()))
        if near is not None:
            candidates.append(_find_upwards(near if near.is_dir() else near.parent))
    for cand in candidates:
        if cand is not None and (cand / COURSE_FILE).is_file():
            return load_course(cand)
    if explicit:
        raise SpecError.told("errors.course.no_course_file", explicit=explicit, file=COURSE_FILE)
    if os.environ.get("GRADE_COURSE"):
        raise SpecError.told("errors.course.bad_grade_course", value=os.environ["GRADE_COURSE"], file=COURSE_FILE)
    if near is not None:
        raise SpecError.told("errors.course.not_inside_near", file=COURSE_FILE, cwd=Path.cwd(), near=near)
    raise SpecError.told("errors.course.not_inside", file=COURSE_FILE, cwd=Path.cwd())


def load_course(root: Path) -> Course:
    root = root.resolve()
    path = root / COURSE_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError.told("errors.course.cannot_read", str(path), exc=exc) from None
    c = raw.get("course", {})
    if "id" not in c:
        raise SpecError.told("errors.course.needs_id", str(path))

    def sub(key: str, default: str) -> Path:
        folder: str = c.get(key, default)
        return root / folder

    timezone = c.get("timezone", DEFAULT_TIMEZONE)
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise SpecError.told("errors.course.bad_timezone", str(path), timezone=timezone) from None
    title = c.get("title", {})
    if isinstance(title, str):
        title = {"en": title, "ko": title}
    return Course(
        root=root,
        id=c["id"],
        title=title,
        exercises_dir=sub("exercises", "exercises"),
        solutions_dir=sub("solutions", "solutions"),
        specs_dir=sub("specs", "exercises/specs"),
        refs_dir=sub("refs", "exercises/refs"),
        quizzes_dir=sub("quizzes", "quizzes"),
        site_dir=sub("site", "site"),
        default_gradebook=str(sub("gradebook", ".grade/gradebook.db")),
        raw=raw,
        timezone=str(timezone),
    )


def natural_key(text: str) -> list[Any]:
    """Sort key that puts "ex2" before "ex10" and "member9" before "member10"."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]
