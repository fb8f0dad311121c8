"""The course as it travels to remote workers, and the course a worker grades with."""

from __future__ import annotations

import atexit
import hashlib
import io
import shutil
import tarfile
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.batch.collect import hidden
from grader.errors import SpecError

if TYPE_CHECKING:
    from grader.course.loader import Course


@dataclass(frozen=True)
class CourseBundle:
    """What a remote worker needs of the course: course.toml, specs, references, quiz bank."""

    sha256: str
    data: bytes  # tar.gz, paths relative to the course folder


def course_bundle(course: Course) -> CourseBundle:
    """Pack the grading-relevant course folders (kilobytes; no notebooks, no gradebook)."""
    root = course.root

    def skip(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        name = Path(info.name).name
        if hidden(name) or name == "__pycache__":
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0  # the same course packs to the same bytes: one cache entry per worker
        return info

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        tar.add(root / "course.toml", arcname="course.toml", filter=skip)
        for folder in (course.specs_dir, course.refs_dir, course.quizzes_dir):
            if not folder.is_dir():
                continue
            try:
                rel = folder.resolve().relative_to(root)
            except ValueError:
                raise SpecError.told("errors.batch.folder_outside_course", folder=folder, root=root) from None
            for p in sorted(folder.rglob("*")):
                if p.is_file() and not any(
                    hidden(part) or part == "__pycache__" for part in p.relative_to(folder).parts
                ):
                    tar.add(p, arcname=(rel / p.relative_to(folder)).as_posix(), filter=skip)
    data = buf.getvalue()
    return CourseBundle(hashlib.sha256(data).hexdigest(), data)


_UNPACKED: dict[str, Path] = {}
_COURSES: dict[str, Course] = {}
_COURSES_LOCK = threading.Lock()  # a Dask worker may run several tasks in threads


def _unpack(bundle: CourseBundle) -> Path:
    """The bundle as a private folder of this process (mkdtemp: no guessable shared path)."""
    if bundle.sha256 in _UNPACKED:
        return _UNPACKED[bundle.sha256]
    if hashlib.sha256(bundle.data).hexdigest() != bundle.sha256:
        raise SpecError.told("errors.batch.bundle_damaged")
    where = Path(tempfile.mkdtemp(prefix="grade-course-"))
    atexit.register(shutil.rmtree, where, True)
    with tarfile.open(fileobj=io.BytesIO(bundle.data), mode="r:gz") as tar:
        tar.extractall(where, filter="data")
    _UNPACKED[bundle.sha256] = where
    return where


def course_for(course: str | CourseBundle | Course) -> Course:
    """The course a worker grades with: the caller's own object in-process, else loaded
    once per process from a folder path or an unpacked bundle."""
    from grader.course.loader import Course, load_course

    if isinstance(course, Course):
        return course
    key = course.sha256 if isinstance(course, CourseBundle) else str(course)
    with _COURSES_LOCK:
        if key not in _COURSES:
            root = _unpack(course) if isinstance(course, CourseBundle) else Path(course)
            _COURSES[key] = load_course(root)
        return _COURSES[key]
