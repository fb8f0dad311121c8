"""What a self-check judges with, found in the worker: the notebook file and its answers, the
exercise, the language, and the course (its references) or a practice pack.

The course comes from GRADE_COURSE, then GRADE_SELFCHECK_PACK, then a course.toml above
the notebook or the kernel's folder, then the packs installed with the package (Colab).
A loaded course and a parsed notebook are kept for the worker's life and read again only
when one of their files changes.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.selfcheck.protocol import Refused


@dataclass
class Source:
    mode: str  # "course" (its references) or "pack" (a practice pack)
    course: Any  # grader.course.loader.Course
    pack: Any = None  # grader.selfcheck.pack.Pack in "pack" mode
    where: str = ""


# Loaded once per worker: {key: (the files' stamp, the course)}, {path: (stamp, notebook, answers)}.
_COURSES: dict[str, tuple[tuple[Any, ...], Any]] = {}
_NOTEBOOKS: dict[str, tuple[tuple[int, int], Any, dict[str, str]]] = {}


def read_notebook(path: Path | None) -> tuple[Any, dict[str, str], Any]:
    """(notebook or None, its answers, a problem with the file: "", "missing", or the GradeError
    that says what is wrong with it, to be told in the self-check's language)."""
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
        return None, {}, exc


def choose_lang(asked: str | None, nb: Any) -> str:  # noqa: ANN401
    """`lang=` of the call, else the notebook's `grade.lang` metadata, else GRADE_LANG, else Korean."""
    if asked in ("ko", "en"):
        return asked
    meta = (nb.metadata.get("grade") or {}) if nb is not None else {}
    if isinstance(meta, dict) and meta.get("lang") in ("ko", "en"):
        return str(meta["lang"])
    env = os.environ.get("GRADE_LANG", "")
    return env if env in ("ko", "en") else "ko"


def _pick(course: Any, exercise: str | None, nb: Any, path: Path | None) -> Any:  # noqa: ANN401
    from grader.course.names import exercise_names
    from grader.errors import GradeError
    from grader.grading import identify

    if exercise:
        found = [s for s in course.specs.values() if exercise in exercise_names(s.id, s.notebook)]
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


def find_upwards(start: Path) -> Path | None:
    """The nearest folder at or above `start` with a course.toml."""
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
            root = find_upwards(start.resolve())
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
        raise Refused.of(exc) from None
    raise Refused.told("selfcheck.worker.resolve_source.no_course_found_no")
