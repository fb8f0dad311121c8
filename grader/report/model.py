"""The report's names that other packages import (the batch and results layers read the
roster; tests read attempts as the report does). The code lives in `roster`, `meeting`,
`records`, `progress` and `figures`; this module only gathers the names so those imports keep one home.

The roster is imported at once (cheap, and what `grade submit` needs); the rest on first
use, so reading a roster does not load the Markdown and gradebook machinery."""

from __future__ import annotations

import importlib
from typing import Any

from grader.report.common import DEFAULT_TZ, Text, pick, yymmdd
from grader.report.roster import Member, Roster, find_roster, load_roster

_LATER = {
    "Assignment": "meeting",
    "Guest": "meeting",
    "Meeting": "meeting",
    "NextMeeting": "meeting",
    "Section": "meeting",
    "load_meeting": "meeting",
    "load_meetings": "meeting",
    "Context": "progress",
    "Progress": "figures",
    "Records": "records",
    "load_attempts": "records",
    "load_records": "records",
}


def __getattr__(name: str) -> Any:  # noqa: ANN401 - PEP 562: whichever name was asked for
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"grader.report.{module}"), name)


__all__ = [
    "DEFAULT_TZ",
    "Member",
    "Roster",
    "Text",
    "find_roster",
    "load_roster",
    "pick",
    "yymmdd",
    *_LATER,
]
