"""The report's names that other packages import (the batch and results layers read the
roster; tests read attempts as the report does). The code lives in `roster`, `meeting`
and `progress`; this module only gathers the names so those imports keep one home."""

from __future__ import annotations

from grader.report.common import DEFAULT_TZ, Text, pick, yymmdd
from grader.report.meeting import Assignment, Guest, Meeting, NextMeeting, Section, load_meeting, load_meetings
from grader.report.progress import Context, Progress, Records, load_attempts, load_records
from grader.report.roster import Member, Roster, find_roster, load_roster

__all__ = [
    "DEFAULT_TZ",
    "Assignment",
    "Context",
    "Guest",
    "Meeting",
    "Member",
    "NextMeeting",
    "Progress",
    "Records",
    "Roster",
    "Section",
    "Text",
    "find_roster",
    "load_attempts",
    "load_meeting",
    "load_meetings",
    "load_records",
    "load_roster",
    "pick",
    "yymmdd",
]
