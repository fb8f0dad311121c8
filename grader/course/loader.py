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
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable

from grader.errors import SpecError

if TYPE_CHECKING:
    from grader.course.spec import ExerciseSpec

COURSE_FILE = "course.toml"


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

    @cached_property
    def specs(self) -> dict[str, "ExerciseSpec"]:
        from grader.course.spec import load_specs

        return load_specs(self.specs_dir)

    def spec_by_notebook_name(self, name: str) -> "ExerciseSpec | None":
        for spec in self.specs.values():
            if spec.notebook == name:
                return spec
        return None

    def reference(self, dotted: str) -> Callable[..., Any]:
        """Resolve `module:function` from the course's reference folder."""
        module_name, sep, attr = dotted.partition(":")
        if not sep:
            raise SpecError(f"reference {dotted!r} must look like 'module:function'")
        module = self._ref_module(module_name)
        try:
            return getattr(module, attr)
        except AttributeError:
            raise SpecError(f"reference module {module_name!r} has no {attr!r}") from None

    def _ref_module(self, name: str) -> ModuleType:
        qualified = f"grade_course_{self.id}.{name}".replace(".", "_")
        if qualified in sys.modules:
            return sys.modules[qualified]
        path = self.refs_dir / f"{name}.py"
        if not path.is_file():
            raise SpecError(f"no reference module {name!r} in {self.refs_dir}")
        spec = importlib.util.spec_from_file_location(qualified, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module
        spec.loader.exec_module(module)
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
    where = explicit or os.environ.get("GRADE_COURSE") or Path.cwd()
    raise SpecError(f"no {COURSE_FILE} found (looked in {where} and its parents); "
                    "run grade from the course folder or pass --course DIR")


def load_course(root: Path) -> Course:
    root = root.resolve()
    path = root / COURSE_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"cannot read course file: {exc}", str(path)) from None
    c = raw.get("course", {})
    if "id" not in c:
        raise SpecError("[course] needs an 'id'", str(path))

    def sub(key: str, default: str) -> Path:
        return root / c.get(key, default)

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
    )


def natural_key(text: str) -> list[Any]:
    """Sort key that puts "ex2" before "ex10" and "member9" before "member10"."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]
