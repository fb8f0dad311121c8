"""What a spec points at in its course: reference functions (`module:function` in the
course's refs folder, called with the keywords the spec gives them) and quiz questions of the
course's bank. `resolve_references` refuses a spec whose pointers lead nowhere, naming the
file and line of the key.
"""

from __future__ import annotations

import inspect
import tomllib
import types
import typing
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from grader.checks.base import CheckSpec
from grader.checks.params import QuizRef, RefTo
from grader.course.wording import suggest
from grader.errors import SpecError

if TYPE_CHECKING:
    from grader.course.loader import Course
    from grader.course.spec import ExerciseSpec


def check_path(check: CheckSpec) -> tuple[str | int, ...]:
    """The path of a check's table in its spec (the checks array if it was made in code)."""
    return ("checks",) if check.index is None else ("checks", check.index)


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
        base = check_path(check)
        seen: set[tuple[str | int, ...]] = set()
        for path, dotted, mark in references(check.options):
            if path in seen:  # a union member visited twice
                continue
            seen.add(path)
            key = ".".join(str(p) for p in path)
            if isinstance(mark, QuizRef):
                if quiz_ids is not None and dotted not in quiz_ids:
                    raise SpecError.told(
                        "errors.spec.question_not_in_bank",
                        spec.where((*base, *path)),
                        check_id=check.id,
                        key=key,
                        question=dotted,
                        near=suggest(dotted, sorted(quiz_ids), "question ids"),
                    )
                continue
            try:
                fn = course.reference(dotted)
            except SpecError as exc:
                raise SpecError.told(
                    "errors.spec.bad_reference",
                    spec.where((*base, *path)),
                    check_id=check.id,
                    key=key,
                    dotted=dotted,
                    cause=exc,
                ) from None
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
                    raise SpecError.told(
                        "errors.spec.reference_kwargs",
                        spec.where((*base, *path[:-1], mark.kwargs)),
                        check_id=check.id,
                        dotted=dotted,
                        call=f"{name}{mark.call}",
                        table=mark.kwargs,
                        why=str(exc),
                    ) from None
                raise SpecError.told(
                    "errors.spec.reference_call",
                    spec.where((*base, *path)),
                    check_id=check.id,
                    key=key,
                    dotted=dotted,
                    call=f"{name}{mark.call}",
                    why=str(exc),
                ) from None
    if spec.quiz and quiz_ids is not None and spec.quiz not in quiz_ids:
        raise SpecError.told(
            "errors.spec.quiz_not_in_bank",
            spec.where(("quiz", "question")),
            question=spec.quiz,
            near=suggest(spec.quiz, sorted(quiz_ids), "question ids"),
        )


def quiz_ids(course: Course) -> set[str] | None:
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
