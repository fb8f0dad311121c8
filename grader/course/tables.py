"""The pydantic models of a spec file's tables: the top level (`ExerciseTable`), `[limits]`,
`[quiz]` and the keys every `[[checks]]` table has (`CheckHeader`); the rest of a check's
table is its kind's `Params` (grader/checks/<kind>.py). `Limits` is what the engine uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import Field, field_validator

from grader.checks.params import Bilingual, Name, ParamError, QuestionId, SpecModel

ID_RE = re.compile(r"^[a-z0-9]+\.[a-z0-9_]+$")
CHECK_ID = r"^[A-Za-z0-9_][A-Za-z0-9_.:-]*$"
NOTEBOOK = r"\.ipynb$"


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
            raise ParamError.told("errors.param.exercise_id", value=value)
        return value
