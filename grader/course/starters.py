"""Derive starter notebooks from the solutions, and detect drift between them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader import notebook as nbio
from grader.course.loader import Course
from grader.errors import SpecError


@dataclass
class StarterState:
    name: str
    state: str  # "ok" | "written" | "drifted" | "missing" | "orphan"

    @property
    def problem(self) -> bool:
        return self.state in ("drifted", "missing", "orphan")


def starter_text(solution_path: Path) -> str:
    nb, _ = nbio.load(solution_path)
    return nbio.dumps(nbio.make_starter(nb, str(solution_path)))


def sync_starters(course: Course, *, check: bool = False) -> list[StarterState]:
    """Write (or with `check`, only compare) every starter derived from `solutions/`."""
    solutions = sorted(course.solutions_dir.glob("*.ipynb"))
    if not solutions:
        raise SpecError.told("errors.course.no_solutions", str(course.solutions_dir))
    states: list[StarterState] = []
    course.exercises_dir.mkdir(parents=True, exist_ok=True)
    for sol in solutions:
        target = course.exercises_dir / sol.name
        text = starter_text(sol)
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current == text:
            states.append(StarterState(sol.name, "ok"))
        elif check:
            states.append(StarterState(sol.name, "missing" if current is None else "drifted"))
        else:
            target.write_text(text, encoding="utf-8")
            states.append(StarterState(sol.name, "written"))
    names = {s.name for s in solutions}
    for extra in sorted(course.exercises_dir.glob("*.ipynb")):
        if extra.name not in names:
            states.append(StarterState(extra.name, "orphan"))
    return states
