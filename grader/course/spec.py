"""Exercise specs: which checks an exercise has, their points, thresholds and limits.

A spec is a TOML file (one per exercise), validated by pydantic models: the tables
here (`ExerciseTable`, `LimitsTable`, `QuizTable`, `CheckHeader`) and, for the rest of
each check's table, the `Params` model its kind declares (grader/checks/<kind>.py).
Unknown keys and wrongly typed values are errors naming the file, the line and the
nearest valid key. `load_spec` needs no course; `load_spec_set` also resolves what a
spec points at in its course (reference functions, quiz questions) and keeps a broken
spec from taking the others down with it.
"""

from __future__ import annotations

import inspect
import re
import tomllib
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError, field_validator

from grader.checks import KINDS, CheckKind
from grader.checks.base import CheckSpec
from grader.checks.params import (
    PATTERN_WORDS,
    Bilingual,
    Name,
    ParamError,
    QuestionId,
    QuizRef,
    RefTo,
    SpecModel,
    texts,
)
from grader.course.tomlpos import Positions, positions
from grader.course.validation import first_problem, raise_problem, suggestion
from grader.errors import SpecError
from grader.results.attempt import CheckGroup

if TYPE_CHECKING:
    from grader.course.loader import Course

ID_RE = re.compile(r"^[a-z0-9]+\.[a-z0-9_]+$")
CHECK_ID = r"^[A-Za-z0-9_][A-Za-z0-9_.:-]*$"
NOTEBOOK = r"\.ipynb$"
PATTERN_WORDS[CHECK_ID] = "be made of letters, digits and _ . : -"
PATTERN_WORDS[NOTEBOOK] = "be a notebook file name (ending in .ipynb)"


@dataclass(frozen=True)
class Limits:
    cell_timeout_s: float = 120.0
    total_timeout_s: float = 300.0
    memory_mb: int = 4096
    max_processes: int = 256
    output_kb: int = 512
    file_size_mb: int = 256
    probe_timeout_s: float = 120.0
    disk_mb: int = 512  # everything the kernel writes (run folder, /tmp), when root
    inodes: int = 20000  # files and folders it may create there


_L = Limits()


class LimitsTable(SpecModel):
    """`[limits]`: the sandbox of the notebook's kernel. Defaults are `Limits()`'s."""

    cell_timeout_s: float = Field(_L.cell_timeout_s, gt=0, description="Seconds one code cell may run.")
    total_timeout_s: float = Field(
        _L.total_timeout_s, gt=0, description="Seconds the whole notebook may run, all cells together."
    )
    memory_mb: int = Field(_L.memory_mb, gt=0, description="Memory of the kernel and its children, in MB.")
    max_processes: int = Field(_L.max_processes, gt=0, description="Processes and threads the kernel may have.")
    output_kb: int = Field(_L.output_kb, gt=0, description="Output kept from the notebook, in KB; the rest is cut.")
    file_size_mb: int = Field(_L.file_size_mb, gt=0, description="Largest file the kernel may write, in MB.")
    probe_timeout_s: float = Field(
        _L.probe_timeout_s, gt=0, description="Seconds the grader's probes may take after the last cell."
    )
    disk_mb: int = Field(
        _L.disk_mb, gt=0, description="MB the kernel may write in its run folder and /tmp (when grade runs as root)."
    )
    inodes: int = Field(_L.inodes, gt=0, description="Files and folders the kernel may create there.")

    def limits(self) -> Limits:
        return Limits(**self.model_dump())


class QuizTable(SpecModel):
    """`[quiz]`: the free-text question of the quiz bank that goes with the exercise."""

    question: QuestionId = Field(description="A question id of the course's quiz bank (quizzes/*.toml).")
    points: float | None = Field(None, ge=0, description="Points of the question here (default: the bank's).")


class CheckHeader(SpecModel):
    """Keys every `[[checks]]` table has, whatever its kind."""

    id: str = Field(pattern=CHECK_ID, description="The check's id, unique in the spec (letters, digits, _).")
    kind: Name = Field(description="The check kind (one of the kinds below).")
    points: float = Field(ge=0, description="Points the check is worth; partial credit is a fraction of them.")
    title: Bilingual | None = Field(None, description="What the check tests, shown with the result (default: the id).")
    hint: Bilingual | None = Field(
        None,
        description="Added to the message when the check does not pass: what is wrong and where to look "
        "(which variable, output, axis or time step), without the formula or the code.",
    )
    recipe: Bilingual | None = Field(
        None,
        description="The full explanation (formula, code, the book's recipe), shown under the hint only "
        "with `grade submit --hints full` or once the member has failed the check in two "
        "earlier attempts; never by the self-check.",
    )
    after: list[str] = Field(
        [],
        description="Ids of checks of this spec whose failure makes this one's evidence "
        "meaningless: the grader evaluates those first.",
    )


class ExerciseTable(SpecModel):
    """The top level of a spec file."""

    id: str = Field(description="The exercise id, such as 'ch15.ex4' (course id, a dot, the exercise).")
    notebook: str = Field(pattern=NOTEBOOK, description="The notebook's file name in exercises/ and solutions/.")
    title: Bilingual | None = Field(None, description="The exercise's title (default: the id).")
    limits: LimitsTable = Field(
        LimitsTable.model_validate({}), description="The sandbox limits (table `[limits]`, keys below)."
    )
    quiz: QuizTable | None = Field(None, description="The quiz question (table `[quiz]`, keys below).")
    checks: list[dict[str, Any]] = Field([], description="The checks (tables `[[checks]]`, keys below).")

    @field_validator("id")
    @classmethod
    def _id_form(cls, value: str) -> str:
        if not ID_RE.match(value):
            raise ParamError(f"exercise id {value!r} should look like 'ch15.ex4'")
        return value


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
        return str(self.error)


@dataclass
class SpecSet:
    specs: dict[str, ExerciseSpec]
    problems: list[SpecProblem]


# --- loading ---------------------------------------------------------------------------------


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read spec: {exc}", str(path)) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        where = f"{path}:{m.group(1)}" if m else str(path)
        raise SpecError(f"not valid TOML: {exc}", where) from None


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
    label = f"check {cid!r}" if cid else f"check #{i + 1}"
    try:
        head = CheckHeader.model_validate({k: v for k, v in raw.items() if k in head_keys})
    except ValidationError as exc:
        raise_problem(first_problem(exc, CheckHeader, where=label, missing_owner="every check"), file, pos, base)
    kind = kinds.get(head.kind)
    if kind is None:
        line = pos.line((*base, "kind"))
        raise SpecError(
            f"{label}: unknown check kind {head.kind!r} {suggestion(head.kind, sorted(kinds), 'kinds')}".replace(
                "(valid kinds:", "(known:"
            ),
            f"{file}:{line}",
        )
    params_model = kind.Params
    if params_model is None:
        raise SpecError(
            f"{label}: check kind {head.kind!r} declares no parameter model (a `Params` class on "
            "the kind; see docs/specs.md)",
            f"{file}:{pos.line(base)}",
        )
    rest = {k: v for k, v in raw.items() if k not in head_keys}
    try:
        options = params_model.model_validate(rest)
        kind.check_options(options)
    except ValidationError as exc:
        raise_problem(
            first_problem(
                exc, params_model, where=label, extra_keys=sorted(head_keys), missing_owner=f"check kind {head.kind!r}"
            ),
            file,
            pos,
            base,
        )
    except ParamError as exc:
        line = pos.line((*base, *exc.key))
        raise SpecError(f"{label}: {exc.message}", f"{file}:{line}") from None
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
            raise SpecError(f"{label}: {exc}", f"{file}:{pos.line(base)}") from None
    return check


def _where(check: CheckSpec) -> tuple[str | int, ...]:
    """The path of a check's table in its spec (the checks array if it was made in code)."""
    return ("checks",) if check.index is None else ("checks", check.index)


def _check_ids(checks: list[CheckSpec], file: str, pos: Positions) -> None:
    seen: set[str] = set()
    for c in checks:
        if c.id in seen:
            raise SpecError(f"duplicate check id {c.id!r}", f"{file}:{pos.line((*_where(c), 'id'))}")
        seen.add(c.id)
    ids = [c.id for c in checks]
    for c in checks:
        for j, other in enumerate(c.after):
            where = f"{file}:{pos.line((*_where(c), 'after', j))}"
            if other == c.id:
                raise SpecError(f"check {c.id!r}: 'after' names the check itself", where)
            if other not in seen:
                raise SpecError(
                    f"check {c.id!r}: 'after' names {other!r}, which is not a check of this spec "
                    f"{suggestion(other, ids, 'check ids')}",
                    where,
                )
    after = {c.id: c.after for c in checks}
    for c in checks:
        cycle = _cycle(c.id, after)
        if cycle:
            raise SpecError(
                f"check {c.id!r}: 'after' goes round in a circle ({' → '.join(cycle)})",
                f"{file}:{pos.line((*_where(c), 'after'))}",
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


# --- what a spec points at in its course -------------------------------------------------------

Mark = RefTo | QuizRef


def references(
    model: Any,
    tp: Any = None,
    path: tuple[str | int, ...] = (),  # noqa: ANN401
) -> Iterator[tuple[tuple[str | int, ...], str, Mark]]:
    """Every value of a validated model that points into the course: a `Ref` (a reference
    function) or a `QuestionId` (a quiz question), as (key path, value, its mark)."""
    from pydantic import BaseModel

    if isinstance(model, BaseModel):
        for name, f in type(model).model_fields.items():
            value = getattr(model, name)
            key = f.alias or name
            mark = next((m for m in f.metadata if isinstance(m, (RefTo, QuizRef))), None)
            if mark is not None and isinstance(value, str):
                yield (*path, key), value, mark
            else:
                yield from references(value, f.annotation, (*path, key))
        return
    if tp is None:
        return
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        args = typing.get_args(tp)
        mark = next((m for m in args[1:] if isinstance(m, (RefTo, QuizRef))), None)
        if mark is not None and isinstance(model, str):
            yield path, model, mark
            return
        yield from references(model, args[0], path)
    elif origin in (typing.Union, types.UnionType):
        for member in typing.get_args(tp):
            yield from references(model, member, path)
    elif origin is list and isinstance(model, list):
        (item,) = typing.get_args(tp) or (None,)
        for i, v in enumerate(model):
            yield from references(v, item, (*path, i))
    elif origin is dict and isinstance(model, dict):
        args = typing.get_args(tp)
        for k, v in model.items():
            yield from references(v, args[1] if len(args) == 2 else None, (*path, k))


def resolve_references(spec: ExerciseSpec, course: Course, quiz_ids: set[str] | None = None) -> None:
    """Every reference function of the spec exists (and takes the keywords the spec gives it),
    and its quiz question is in the bank (`quiz_ids`, when the course has one)."""
    for check in spec.checks:
        if check.options is None:
            continue
        base = _where(check)
        seen: set[tuple[str | int, ...]] = set()
        for path, dotted, mark in references(check.options):
            if path in seen:  # a union member visited twice
                continue
            seen.add(path)
            key = ".".join(str(p) for p in path)
            if isinstance(mark, QuizRef):
                if quiz_ids is not None and dotted not in quiz_ids:
                    raise SpecError(
                        f"check {check.id!r}: {key} {dotted!r} is not in the quiz bank "
                        f"{suggestion(dotted, sorted(quiz_ids), 'question ids')}",
                        spec.where((*base, *path)),
                    )
                continue
            try:
                fn = course.reference(dotted)
            except SpecError as exc:
                raise SpecError(f"check {check.id!r}: {key} = {dotted!r}: {exc}", spec.where((*base, *path))) from None
            if mark.kwargs is None and not mark.positional:
                continue
            # The keywords sit beside the reference, in the same table (nested ones too).
            table: Any = check.params
            for part in path[:-1]:
                if isinstance(table, dict) and isinstance(part, str):
                    table = table.get(part, {})
                elif isinstance(table, list) and isinstance(part, int) and part < len(table):
                    table = table[part]
                else:
                    table = {}
            kwargs = table.get(mark.kwargs, {}) if mark.kwargs and isinstance(table, dict) else {}
            try:
                sig = inspect.signature(fn)
            except (TypeError, ValueError):
                continue  # a builtin without a signature: nothing to compare
            try:
                sig.bind(*([None] * mark.positional), **kwargs)
            except TypeError as exc:
                name = dotted.split(":")[1]
                if mark.kwargs and kwargs:
                    raise SpecError(
                        f"check {check.id!r}: {dotted}, called as {name}{mark.call}, does not take "
                        f"these {mark.kwargs}: {exc}",
                        spec.where((*base, *path[:-1], mark.kwargs)),
                    ) from None
                raise SpecError(
                    f"check {check.id!r}: {key} = {dotted!r} cannot be called as {name}{mark.call}: {exc}",
                    spec.where((*base, *path)),
                ) from None
    if spec.quiz and quiz_ids is not None and spec.quiz not in quiz_ids:
        raise SpecError(
            f"[quiz] question {spec.quiz!r} is not in the quiz bank "
            f"{suggestion(spec.quiz, sorted(quiz_ids), 'question ids')}",
            spec.where(("quiz", "question")),
        )


def _meant_for(path: Path) -> tuple[str | None, str | None]:
    """The exercise id and notebook a spec file names, as far as it can be read."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raw = {}
    exercise = raw.get("id") if isinstance(raw.get("id"), str) else None
    notebook = raw.get("notebook") if isinstance(raw.get("notebook"), str) else f"{path.stem}.ipynb"
    return exercise, notebook


def _quiz_ids(course: Course) -> set[str] | None:
    """The question ids of the course's bank (its [[question]] tables), read without loading
    the scorer; None when there is no bank or a file of it does not parse (the bank reports
    its own errors: `grade quiz validate`)."""
    if not course.quizzes_dir.is_dir():
        return None
    ids: set[str] = set()
    for path in sorted(course.quizzes_dir.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        questions = data.get("question", [])
        if isinstance(questions, list):
            ids |= {q["id"] for q in questions if isinstance(q, dict) and isinstance(q.get("id"), str)}
    return ids


def load_spec_set(folder: Path, course: Course | None = None) -> SpecSet:
    """Every spec of `folder`; each broken one becomes a SpecProblem instead of an error.
    With a course, references and quiz questions are resolved too."""
    if not folder.is_dir():
        raise SpecError("specs folder does not exist", str(folder))
    specs: dict[str, ExerciseSpec] = {}
    problems: list[SpecProblem] = []
    quiz_ids = _quiz_ids(course) if course is not None else None
    for path in sorted(folder.glob("*.toml")):
        try:
            spec = load_spec(path)
            if spec.id in specs:
                raise SpecError(f"exercise id {spec.id!r} is also used by {specs[spec.id].path}", spec.where(("id",)))
            if course is not None:
                resolve_references(spec, course, quiz_ids)
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
