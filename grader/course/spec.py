"""Exercise specs: which checks an exercise has, their points, thresholds and limits.

A spec is a TOML file (one per exercise), validated by pydantic models: the tables
of `tables` (`ExerciseTable`, `LimitsTable`, `QuizTable`, `CheckHeader`) and, for the rest of
each check's table, the `Params` model its kind declares (grader/checks/<kind>.py).
Unknown keys and wrongly typed values are errors naming the file, the line and the
nearest valid key. `load_spec` needs no course; `load_spec_set` also resolves what a
spec points at in its course (`references`: reference functions, quiz questions) and
keeps a broken spec from taking the others down with it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from grader.checks import KINDS, CheckKind
from grader.checks.base import CheckSpec
from grader.checks.params import ParamError, texts
from grader.course.references import check_path, quiz_ids, references, resolve_references
from grader.course.tables import (
    CHECK_ID,
    ID_RE,
    NOTEBOOK,
    CheckHeader,
    ExerciseTable,
    Limits,
    LimitsTable,
    QuizTable,
)
from grader.course.tomlpos import Positions, positions
from grader.course.validation import first_problem, raise_problem
from grader.course.wording import suggest
from grader.errors import Phrase, SpecError
from grader.results.attempt import CheckGroup

if TYPE_CHECKING:
    from grader.course.loader import Course

__all__ = [
    "CHECK_ID",
    "ID_RE",
    "NOTEBOOK",
    "CheckHeader",
    "ExerciseSpec",
    "ExerciseTable",
    "Limits",
    "LimitsTable",
    "QuizTable",
    "SpecProblem",
    "SpecSet",
    "load_spec",
    "load_spec_set",
    "load_specs",
    "references",
    "resolve_references",
]


# --- what the engine works with ------------------------------------------------------------


@dataclass
class ExerciseSpec:
    id: str
    notebook: str
    title: dict[str, str]
    limits: Limits
    checks: list[CheckSpec]
    path: Path
    quiz: str | None = None
    quiz_points: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    positions: Positions | None = field(default=None, repr=False, compare=False)

    @property
    def code_checks(self) -> list[CheckSpec]:
        return [c for c in self.checks if CheckGroup.of(c.kind) is CheckGroup.CODE]

    def where(self, path: tuple[str | int, ...] = ()) -> str:
        """ "file:line" of a key path of the document (the file alone if no line is known)."""
        line = self.positions.line(path) if self.positions is not None and path else None
        return f"{self.path}:{line}" if line else str(self.path)


@dataclass
class SpecProblem:
    """A spec that could not be used: the error, and which exercise it was meant to be."""

    path: Path
    error: SpecError  # its text is the whole one-line error, "file:line: …"
    exercise: str | None = None  # from the file, when it got that far
    notebook: str | None = None  # likewise, else guessed from the file name

    @property
    def message(self) -> str:
        """The whole one-line error, in English (JSON keeps this)."""
        return str(self.error)

    def said(self, lang: str) -> str:
        """The whole one-line error in `lang`, "file:line: …"."""
        return self.error.line(lang)


@dataclass
class SpecSet:
    specs: dict[str, ExerciseSpec]
    problems: list[SpecProblem]


# --- loading ---------------------------------------------------------------------------------


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError.told("errors.spec.cannot_read", str(path), exc=exc) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        where = f"{path}:{m.group(1)}" if m else str(path)
        raise SpecError.told("errors.spec.not_toml", where, exc=exc) from None


def load_spec(path: Path) -> ExerciseSpec:
    """One spec file, validated (its references are resolved by `resolve_references`)."""
    text, raw = _read(path)
    pos = positions(text)
    file = str(path)
    try:
        top = ExerciseTable.model_validate(raw)
    except ValidationError as exc:
        raise_problem(first_problem(exc, ExerciseTable, missing_owner=""), file, pos)
    checks = [_load_check(c, i, KINDS, file, pos) for i, c in enumerate(top.checks)]
    _check_ids(checks, file, pos)
    quiz = top.quiz
    return ExerciseSpec(
        id=top.id,
        notebook=top.notebook,
        title=texts(top.title) or texts(top.id),
        limits=top.limits.limits(),
        checks=checks,
        path=path,
        quiz=quiz.question if quiz else None,
        quiz_points=float(quiz.points or 0) if quiz else 0.0,
        positions=pos,
    )


def _load_check(raw: dict[str, Any], i: int, kinds: dict[str, Any], file: str, pos: Positions) -> CheckSpec:
    base = ("checks", i)
    head_keys = set(CheckHeader.keys())
    cid = raw.get("id") if isinstance(raw.get("id"), str) else None
    label = check_label(cid, i)
    try:
        head = CheckHeader.model_validate({k: v for k, v in raw.items() if k in head_keys})
    except ValidationError as exc:
        raise_problem(
            first_problem(exc, CheckHeader, where=label, missing_owner=Phrase("errors.spec.owner.every_check")),
            file,
            pos,
            base,
        )
    kind = kinds.get(head.kind)
    if kind is None:
        line = pos.line((*base, "kind"))
        raise SpecError.told(
            "errors.spec.unknown_kind",
            f"{file}:{line}",
            label=label,
            kind=head.kind,
            near=suggest(head.kind, sorted(kinds), "kinds"),
        )
    params_model = kind.Params
    if params_model is None:
        raise SpecError.told("errors.spec.no_params_model", f"{file}:{pos.line(base)}", label=label, kind=head.kind)
    rest = {k: v for k, v in raw.items() if k not in head_keys}
    try:
        options = params_model.model_validate(rest)
        kind.check_options(options)
    except ValidationError as exc:
        raise_problem(
            first_problem(
                exc,
                params_model,
                where=label,
                extra_keys=sorted(head_keys),
                missing_owner=Phrase("errors.spec.owner.kind", {"kind": head.kind}),
            ),
            file,
            pos,
            base,
        )
    except ParamError as exc:
        line = pos.line((*base, *exc.key))
        raise SpecError.told("errors.spec.param", f"{file}:{line}", label=label, message=exc.message) from None
    check = CheckSpec(
        id=head.id,
        kind=head.kind,
        points=float(head.points),
        title=texts(head.title) or texts(head.id),
        hint=texts(head.hint),
        params=options.model_dump(by_alias=True, exclude_none=True),
        options=options,
        after=list(head.after),
        index=i,
        recipe=texts(head.recipe),
    )
    if type(kind).validate is not CheckKind.validate:
        # A kind that still checks some rules in its own validate(): those errors know no
        # key, so they point at the check's first line.
        try:
            kind.validate(CheckSpec(check.id, check.kind, check.points, check.title, check.hint, rest))
        except SpecError as exc:
            raise SpecError.told("errors.spec.in_check", f"{file}:{pos.line(base)}", label=label, cause=exc) from None
    return check


def check_label(cid: str | None, index: int) -> Phrase:
    """How messages name a check: by its id, else by its place among the spec's checks."""
    if cid:
        return Phrase("errors.spec.check_named", {"check_id": cid})
    return Phrase("errors.spec.check_numbered", {"n": index + 1})


def _check_ids(checks: list[CheckSpec], file: str, pos: Positions) -> None:
    seen: set[str] = set()
    for c in checks:
        if c.id in seen:
            raise SpecError.told(
                "errors.spec.duplicate_check", f"{file}:{pos.line((*check_path(c), 'id'))}", check_id=c.id
            )
        seen.add(c.id)
    ids = [c.id for c in checks]
    for c in checks:
        for j, other in enumerate(c.after):
            where = f"{file}:{pos.line((*check_path(c), 'after', j))}"
            if other == c.id:
                raise SpecError.told("errors.spec.after_itself", where, check_id=c.id)
            if other not in seen:
                raise SpecError.told(
                    "errors.spec.after_unknown",
                    where,
                    check_id=c.id,
                    other=other,
                    near=suggest(other, ids, "check ids"),
                )
    after = {c.id: c.after for c in checks}
    for c in checks:
        cycle = _cycle(c.id, after)
        if cycle:
            raise SpecError.told(
                "errors.spec.after_cycle",
                f"{file}:{pos.line((*check_path(c), 'after'))}",
                check_id=c.id,
                cycle=" → ".join(cycle),
            )


def _cycle(start: str, after: dict[str, list[str]]) -> list[str] | None:
    """A path start → … → start through `after`, if there is one."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in after.get(node, []):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def _meant_for(path: Path) -> tuple[str | None, str | None]:
    """The exercise id and notebook a spec file names, as far as it can be read."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raw = {}
    exercise = raw.get("id") if isinstance(raw.get("id"), str) else None
    notebook = raw.get("notebook") if isinstance(raw.get("notebook"), str) else f"{path.stem}.ipynb"
    return exercise, notebook


def load_spec_set(folder: Path, course: Course | None = None) -> SpecSet:
    """Every spec of `folder`; each broken one becomes a SpecProblem instead of an error.
    With a course, references and quiz questions are resolved too."""
    if not folder.is_dir():
        raise SpecError.told("errors.spec.no_folder", str(folder))
    specs: dict[str, ExerciseSpec] = {}
    problems: list[SpecProblem] = []
    known_questions = quiz_ids(course) if course is not None else None
    for path in sorted(folder.glob("*.toml")):
        try:
            spec = load_spec(path)
            if spec.id in specs:
                raise SpecError.told(
                    "errors.spec.duplicate_exercise", spec.where(("id",)), exercise=spec.id, other=specs[spec.id].path
                )
            if course is not None:
                resolve_references(spec, course, known_questions)
        except SpecError as exc:
            exercise, notebook = _meant_for(path)
            if exercise in specs and specs[exercise].path != path:
                exercise = None  # a duplicate id: the exercise itself is the other file's
            problems.append(SpecProblem(path=path, error=exc, exercise=exercise, notebook=notebook))
            continue
        specs[spec.id] = spec
    return SpecSet(specs, problems)


def load_specs(folder: Path) -> dict[str, ExerciseSpec]:
    """Every spec of `folder`; the first broken one raises."""
    found = load_spec_set(folder)
    if found.problems:
        raise found.problems[0].error
    return found.specs
