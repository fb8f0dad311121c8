"""A notebook handed in, loaded and identified: which exercise it is (`--exercise`, its
metadata, its file name as copies get renamed) and whose (`--member`, metadata, the OS user).
"""

from __future__ import annotations

import getpass
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader import notebook as nbio
from grader.course.loader import Course
from grader.course.names import exercise_names, notebook_for_name
from grader.course.spec import ExerciseSpec
from grader.errors import UnknownExercise


@dataclass
class Submission:
    """A loaded, identified notebook ready to run."""

    path: Path
    data: bytes
    nb: nbformat.NotebookNode
    spec: ExerciseSpec
    member: str
    answers: dict[str, str]


def exercise_named(course: Course, name: str) -> ExerciseSpec:
    """The exercise `--exercise NAME` means: its id (ch15.ex4), the id's last part (ex4), its
    notebook (04_forecast7.ipynb), the notebook's slug (04_forecast7) or its number (04)."""
    wanted = name.strip()
    for spec in course.specs.values():
        if wanted in exercise_names(spec.id, spec.notebook):
            return spec
    course.refuse_broken_exercise(wanted)
    known = ", ".join(f"{s.id} ({Path(s.notebook).stem})" for s in sorted(course.specs.values(), key=lambda s: s.id))
    raise UnknownExercise.told("errors.grading.no_such_exercise", wanted=wanted, known=known)


def identify(course: Course, nb: nbformat.NotebookNode, path: Path, exercise: str | None = None) -> ExerciseSpec:
    """The exercise: `exercise` (--exercise) when given, else the notebook metadata, else the
    file name (also as copies are renamed: "Copy of …", "… (1)", "…의 사본")."""
    if exercise:
        return exercise_named(course, exercise)
    hint = nbio.exercise_hint(nb)
    if hint:
        if hint in course.specs:
            return course.specs[hint]
        course.refuse_broken_spec(hint, path)  # its spec is broken: say that, not "unknown"
        raise UnknownExercise.told(
            "errors.grading.metadata_names_unknown", str(path), exercise=hint, known=", ".join(sorted(course.specs))
        )
    # The file name, also as Colab, Drive and browsers rename copies ("Copy of 04_forecast7
    # (1).ipynb", "sora_04_forecast7.ipynb"): the same notebook as far as the course goes.
    # NFC first: macOS writes names decomposed (의 as two jamo), which no pattern would match.
    name = unicodedata.normalize("NFC", path.name)
    notebook = notebook_for_name(name, (s.notebook for s in course.specs.values()))
    spec = course.spec_by_notebook_name(notebook) if notebook else None
    if spec:
        return spec
    course.refuse_broken_spec(None, path)
    names = ", ".join(sorted(s.notebook for s in course.specs.values()))
    raise UnknownExercise.told("errors.grading.cannot_tell", str(path), names=names)


def load_submission(
    course: Course, path: Path, member: str | None = None, data: bytes | None = None, exercise: str | None = None
) -> Submission:
    if data is None:
        nb, data = nbio.load(path)
    else:
        nb = nbio.parse(data, str(path))
    spec = identify(course, nb, path, exercise)
    answers = nbio.answers(nb, str(path))
    who = member or nbio.member_hint(nb) or _os_user()
    return Submission(path=path, data=data, nb=nb, spec=spec, member=who, answers=answers)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"
