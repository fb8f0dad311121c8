"""Exercise specs: which checks an exercise has, their points, thresholds and limits.

A spec is a TOML file (one per exercise). Keys the engine does not interpret
stay in `CheckSpec.params` for the check kind to read.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import SpecError
from grader.results.attempt import CheckGroup

ID_RE = re.compile(r"^[a-z0-9]+\.[a-z0-9_]+$")


@dataclass(frozen=True)
class Limits:
    cell_timeout_s: float = 120.0
    total_timeout_s: float = 300.0
    memory_mb: int = 4096
    max_processes: int = 256
    output_kb: int = 512
    file_size_mb: int = 256
    probe_timeout_s: float = 120.0
    disk_mb: int = 512               # everything the kernel writes (run folder, /tmp), when root
    inodes: int = 20000              # files and folders it may create there


@dataclass
class CheckSpec:
    id: str
    kind: str
    points: float
    title: dict[str, str]
    hint: dict[str, str]
    params: dict[str, Any]

    def text(self, field_: str, lang: str) -> str:
        values = getattr(self, field_)
        return values.get(lang) or values.get("en") or next(iter(values.values()), "")


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

    @property
    def code_checks(self) -> list[CheckSpec]:
        return [c for c in self.checks if CheckGroup.of(c.kind) is CheckGroup.CODE]


def _bilingual(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"en": value, "ko": value}
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return dict(value)
    raise SpecError(f"{where} must be a string or a table of language = text")


def load_spec(path: Path) -> ExerciseSpec:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"not valid TOML: {exc}", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read spec: {exc}", str(path)) from None
    from grader.checks import KINDS  # local: checks import spec types

    where = str(path)
    for key in ("id", "notebook"):
        if not isinstance(raw.get(key), str):
            raise SpecError(f"missing string key {key!r}", where)
    if not ID_RE.match(raw["id"]):
        raise SpecError(f"exercise id {raw['id']!r} should look like 'ch15.ex4'", where)
    lim = raw.get("limits", {})
    try:
        limits = Limits(**lim)
    except TypeError as exc:
        raise SpecError(f"[limits]: {exc}", where) from None
    checks: list[CheckSpec] = []
    seen: set[str] = set()
    for i, c in enumerate(raw.get("checks", []), start=1):
        cw = f"{where}: check #{i}"
        if not isinstance(c.get("id"), str) or not c["id"]:
            raise SpecError("every check needs an 'id'", cw)
        if c["id"] in seen:
            raise SpecError(f"duplicate check id {c['id']!r}", cw)
        seen.add(c["id"])
        kind = c.get("kind")
        if kind not in KINDS:
            raise SpecError(f"unknown check kind {kind!r} (known: {', '.join(sorted(KINDS))})", cw)
        points = c.get("points")
        if not isinstance(points, (int, float)) or points < 0:
            raise SpecError("'points' must be a number >= 0", cw)
        params = {k: v for k, v in c.items() if k not in ("id", "kind", "points", "title", "hint")}
        check = CheckSpec(
            id=c["id"], kind=kind, points=float(points),
            title=_bilingual(c.get("title", c["id"]), f"{cw} title"),
            hint=_bilingual(c.get("hint"), f"{cw} hint"),
            params=params,
        )
        try:
            KINDS[kind].validate(check)
        except SpecError as exc:
            raise SpecError(str(exc), cw) from None
        checks.append(check)
    quiz = raw.get("quiz", {})
    return ExerciseSpec(
        id=raw["id"],
        notebook=raw["notebook"],
        title=_bilingual(raw.get("title", raw["id"]), f"{where} title"),
        limits=limits,
        checks=checks,
        path=path,
        quiz=quiz.get("question"),
        quiz_points=float(quiz.get("points", 0)),
        extra={k: v for k, v in raw.items() if k not in ("id", "notebook", "title", "limits", "checks", "quiz")},
    )


def load_specs(folder: Path) -> dict[str, ExerciseSpec]:
    specs: dict[str, ExerciseSpec] = {}
    if not folder.is_dir():
        raise SpecError("specs folder does not exist", str(folder))
    for path in sorted(folder.glob("*.toml")):
        spec = load_spec(path)
        if spec.id in specs:
            raise SpecError(f"exercise id {spec.id!r} is also used by {specs[spec.id].path}", str(path))
        specs[spec.id] = spec
    return specs
