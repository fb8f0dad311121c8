"""Many submissions at once: collect them, decide who submitted each and when, skip what
was graded before, grade the rest here, in local worker processes or on a Dask cluster,
and record each result.

One job per module (docs/scaling.md has the whole picture):

- `collect`    which files: arguments as given, folders searched for notebooks
- `members`    who submitted each, and a note of how that was decided
- `submitted`  when each was handed in (--submitted-at, the commit, the modified time)
- `run`        the submitter's side: prepare, hand out, record once (`run_batch`)
- `work`       what a worker runs: `grade_one` (bytes in, `Attempt.to_dict()` out), and
               the spare kernel started ahead for the next notebook
- `pool`       the local worker pool (also used by `grade check`)
- `dask`       the same jobs on a Dask cluster
- `bundle`     the course as it travels to remote workers
- `threads`    each worker's share of the cores

This package imports nothing heavy at import time: `grade --help` imports it.
"""

from __future__ import annotations

from grader.batch.bundle import CourseBundle, course_bundle, course_for
from grader.batch.collect import Found, collect
from grader.batch.members import MemberDecision, MemberRules, compile_member_pattern, decide_member
from grader.batch.run import Batch, BatchItem, run_batch, summary_counts
from grader.batch.threads import available_cores, cap_threads, thread_share

__all__ = [
    "Batch",
    "BatchItem",
    "CourseBundle",
    "Found",
    "MemberDecision",
    "MemberRules",
    "available_cores",
    "cap_threads",
    "collect",
    "compile_member_pattern",
    "course_bundle",
    "course_for",
    "decide_member",
    "run_batch",
    "summary_counts",
    "thread_share",
]
