"""How one run of a notebook ended: what the runner, the probe reader and the grading spine share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.checks.base import ProbeOutput
from grader.i18n import text
from grader.results.attempt import CellError


@dataclass
class RunOutcome:
    status: str = "graded"  # graded | timeout | crashed | error (every code cell raised)
    message: str = ""  # in English; `said(lang)` in the reader's language
    # The catalog entry (execution.toml) and fields `message` was made from, "" for none.
    message_key: str = ""
    message_fields: dict[str, Any] = field(default_factory=dict)
    # Every code cell runs, also after one raised: what each failing cell raised, in order.
    cell_errors: list[CellError] = field(default_factory=list)
    code_cells: int = 0  # code cells with something to run
    # (code cell number, line) of each package-installing line that was not run.
    skipped_installs: list[tuple[int, str]] = field(default_factory=list)
    uses_colab: bool = False  # the notebook imports google.colab (a stand-in here)
    probe: dict[str, ProbeOutput] = field(default_factory=dict)
    # One dict per extra probe round (calibration probes the same kernel many times).
    extra_probes: list[dict[str, ProbeOutput]] = field(default_factory=list)
    probe_error: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    # Seconds each code cell ran, in order (code cell n is entry n - 1), up to the one that
    # ended the run.
    cell_times: list[float] = field(default_factory=list)
    protections: list[str] = field(default_factory=list)
    output_truncated: bool = False
    peak_memory_mb: float | None = None
    interrupted: bool = False  # the grader was asked to stop (Ctrl-C, SIGTERM)
    sandbox: Any = field(default=None, repr=False, compare=False)
    clean_sandbox: Any = field(default=None, repr=False, compare=False)

    def tell(self, status: str, key: str, /, **fields: Any) -> None:  # noqa: ANN401
        """End the run as `status`, saying why with the catalog entry `key`."""
        self.status, self.message_key, self.message_fields = status, key, fields
        self.message = text(key, "en", **fields)

    def said(self, lang: str) -> str:
        """How the run ended, in `lang` ("" when it simply finished)."""
        return text(self.message_key, lang, **self.message_fields) if self.message_key else self.message
