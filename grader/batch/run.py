"""A batch from the submitter's side: prepare each submission, hand it to an executor,
record each result as it arrives.

The division of labour (docs/scaling.md): the submitting process reads every notebook,
decides its member and its submitted-at time, skips what was graded before, and is the
only one that writes the gradebook (one result at a time, as results arrive). Executors
(this process, the local pool, a Dask cluster) run `work.grade_one` on plain data. Anything
that goes wrong around a worker becomes an `error` result for that one submission.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.batch import work
from grader.batch.collect import Found
from grader.batch.members import MemberDecision, MemberRules, peek_notebook
from grader.batch.pool import Job, LocalPool, run_in_process
from grader.batch.submitted import SubmittedAt
from grader.errors import GradeError, Phrase

if TYPE_CHECKING:
    from grader.checks.hints import HintsOption
    from grader.course.loader import Course
    from grader.results.attempt import Attempt
    from grader.results.gradebook import Gradebook


@dataclass
class BatchItem:
    """One submission of the batch, and (once done) its result."""

    index: int
    found: Found
    member: str = ""
    decision: MemberDecision | None = None
    data: bytes | None = field(default=None, repr=False)
    exercise: str | None = None  # as the submitter reads it (metadata, file name)
    plan: work.KernelPlan | None = None
    submitted_at: dt.datetime | None = None
    submitted_from: str = ""
    result: Attempt | None = None
    skipped: bool = False  # graded before: `result` is the recorded attempt
    grader_failure: bool = False  # the grader, not the notebook, failed: not recorded
    record_error: str = ""  # graded, but the gradebook refused the attempt

    @property
    def path(self) -> Path:
        return self.found.path

    @property
    def problem(self) -> bool:
        """Counts towards exit code 1: could not be graded or recorded."""
        invalid = self.result is not None and self.result.status == "invalid" and not self.skipped
        return self.grader_failure or bool(self.record_error) or invalid


def exercise_of(course: Course, doc: dict[str, Any] | None, path: Path) -> str | None:
    """The exercise as grading will decide it (metadata, else the file name); None if unknown."""
    from grader.course.names import notebook_for_name

    meta = doc.get("metadata") if isinstance(doc, dict) else None
    grade = meta.get("grade") if isinstance(meta, dict) else None
    hint = grade.get("exercise") if isinstance(grade, dict) else None
    if isinstance(hint, str):
        return hint if hint in course.specs else None
    notebook = notebook_for_name(path.name, (s.notebook for s in course.specs.values()))
    spec = course.spec_by_notebook_name(notebook) if notebook else None
    return spec.id if spec else None


def _shell(item: BatchItem, status: str, message: str, *, name_exercise: bool = False) -> Attempt:
    """A result for a submission no worker graded (unreadable, or the grader failed).

    The exercise is named only for grader failures: the notebook itself may be fine, and
    the summary should say which exercise to submit again."""
    from grader import __version__
    from grader.results.attempt import Attempt, Status

    exercise = (item.exercise or "") if name_exercise else ""
    return Attempt(
        exercise=exercise,
        member=item.member,
        status=Status(status),
        checks=[],
        duration_s=0.0,
        path=str(item.path),
        message=message,
        grader_version=__version__,
        graded_at=dt.datetime.now(dt.UTC),
    )


class Batch:
    """Grades a list of submissions with one executor and records each result as it arrives."""

    def __init__(
        self,
        course: Course,
        found: Iterable[Found],
        *,
        rules: MemberRules | None = None,
        seed: int | None = None,
        lang: str = "ko",
        book: Gradebook | None = None,
        on_done: Callable[[BatchItem], None] | None = None,
        regrade: bool = False,
        warm: bool = True,
        submitted: SubmittedAt | None = None,
        hints: HintsOption = "brief",
        quiz_lang: str = "lang",
    ) -> None:
        self.course = course
        self.hints = hints
        self.items = [BatchItem(i, f) for i, f in enumerate(found)]
        self.rules = rules or MemberRules.for_course(course)
        self.seed, self.lang, self.book, self.on_done = seed, lang, book, on_done
        self.quiz_lang = quiz_lang
        self.regrade, self.warm = regrade, warm
        self.submitted = submitted or SubmittedAt([i.path for i in self.items])
        self._queue: deque[BatchItem] = deque()  # decided, to be graded (`_scan`)
        self._ready: deque[BatchItem] = deque()  # and read, to be handed out
        self._workers = 1

    # --- preparing, on the submitter ---------------------------------------------------

    def _scan(self) -> None:
        """Before any kernel starts: read each file once, decide its member, exercise and
        time, and skip what the gradebook has graded before (one look-up for the folder).
        What is left to grade is queued; its bytes are read again when a worker takes it, so
        the submitter holds one notebook at a time however large the folder."""
        from grader.notebook import read_bytes

        pending: list[tuple[BatchItem, str]] = []
        for item in self.items:
            try:
                data = read_bytes(item.path)
            except GradeError as exc:
                self._decide(item, None)
                self._finish(item, _shell(item, "invalid", exc.line(self.lang)))
                continue
            doc = peek_notebook(data)
            try:
                self._decide(item, data, doc=doc, strict=True)
            except GradeError as exc:
                self._finish(item, _shell(item, "invalid", exc.line(self.lang)))
                continue
            item.exercise = exercise_of(self.course, doc, item.path)
            item.submitted_at, item.submitted_from = self.submitted.of(item.path, data)
            item.plan = work.plan_for(self.course, item.exercise, doc) if item.exercise else None
            pending.append((item, hashlib.sha256(data).hexdigest()))
        keys = [(sha, item.exercise, item.member) for item, sha in pending if item.exercise]
        priors = self.book.graded_many(keys) if self.book is not None and not self.regrade and keys else {}
        for item, sha in pending:
            prior = priors.get((sha, item.exercise or "", item.member))
            if prior is not None:
                item.skipped = True
                self._done(item, prior)
            else:
                self._queue.append(item)

    def _prepare(self, item: BatchItem) -> bool:
        """The bytes of a queued submission, read as a worker takes it; False (and the item
        finished as invalid) when the file cannot be read any more."""
        from grader.notebook import read_bytes

        try:
            item.data = read_bytes(item.path)
        except GradeError as exc:
            self._finish(item, _shell(item, "invalid", exc.line(self.lang)))
            return False
        return True

    def _decide(
        self, item: BatchItem, data: bytes | None, *, doc: dict[str, Any] | None = None, strict: bool = False
    ) -> None:
        try:
            item.decision = self.rules.decide(item.found, data, doc=doc)
            item.member = item.decision.member
        except GradeError:
            if strict:
                raise
            item.member = ""

    def _fill(self, depth: int) -> None:
        """Read queued submissions until `depth` are ready to grade (or none are left)."""
        while len(self._ready) < depth and self._queue:
            item = self._queue.popleft()
            if self._prepare(item):
                self._ready.append(item)

    def _take(self, prefer: work.KernelPlan | None, depth: int) -> BatchItem | None:
        """The next submission to grade: one that fits the worker's spare kernel if any of
        the next few does, else the first in line."""
        self._fill(depth)
        if not self._ready:
            return None
        if prefer is not None:
            for i, item in enumerate(self._ready):
                if item.plan == prefer:
                    del self._ready[i]
                    return item
        return self._ready.popleft()

    def _job(self, item: BatchItem, course_arg: Any, *, spares: bool, depth: int) -> Job:  # noqa: ANN401
        self._fill(depth)
        upcoming = self._ready[0].plan if self._ready else None
        # A spare only when this worker is likely to get another notebook: each of the other
        # workers takes one first. The last notebooks start none that nobody would use.
        likely = len(self._ready) + len(self._queue) >= self._workers
        ahead = (work.start_spare, (course_arg, upcoming)) if spares and self.warm and upcoming and likely else None
        # Looked up now, not bound at import: tests replace `work.grade_one` with a stand-in.
        return Job(
            work.grade_one,
            (course_arg, str(item.path), item.data, item.member, self.seed, self.lang, self.quiz_lang),
            tag=item,
            ahead=ahead,
            ahead_key=upcoming if ahead else None,
        )

    # --- results, on the submitter ---------------------------------------------------------

    def _outcome(self, job: Job, kind: str, value: Any) -> None:  # noqa: ANN401
        item: BatchItem = job.tag
        if kind == "ok":
            self._received(item, value)
        else:
            self._failed(item, value)

    def _failed(self, item: BatchItem, why: str | Phrase) -> None:
        item.grader_failure = True
        said = Phrase("batch.failed.not_recorded", {"why": why}).said(self.lang)
        self._finish(item, _shell(item, "error", said, name_exercise=True))

    def _received(self, item: BatchItem, reply: dict[str, Any]) -> None:
        """A worker's `Attempt.to_dict()`; a reply that does not parse is a grader failure."""
        from grader.results.attempt import Attempt

        try:
            attempt = Attempt.from_dict(reply)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self._failed(item, Phrase("batch.failed.not_an_attempt", {"error": f"{type(exc).__name__}: {exc}"}))
            return
        self._finish(item, attempt)

    def _finish(self, item: BatchItem, result: Attempt) -> None:
        from grader.results.gradebook import AlreadyGraded
        from grader.results.record import record_attempt

        if item.decision is not None:
            result.member_source, result.member_note = item.decision.source, item.decision.note(self.lang)
        result.submitted_at = result.submitted_at or item.submitted_at
        result.submitted_from = result.submitted_from or item.submitted_from
        if not item.grader_failure:
            from grader.checks.hints import reveal

            reveal(result, self.course, self.lang, self.hints, self.book)
        # The gradebook is written here only, in the submitting process, one attempt at a time.
        if self.book is not None and result.status != "invalid" and not item.grader_failure:
            try:
                result.attempt_id = record_attempt(self.book, result, item.data, regrade=self.regrade)
            except AlreadyGraded as exc:  # another grader recorded it meanwhile: theirs stands
                item.skipped = True
                result = exc.attempt
            except GradeError as exc:  # disk full, locked: this attempt is lost, the batch goes on
                item.record_error = str(exc)
                lost = Phrase("batch.not_recorded", {"error": exc}).said(self.lang)
                result.message = "; ".join(m for m in (result.message, lost) if m)
        self._done(item, result)

    def _done(self, item: BatchItem, result: Attempt) -> None:
        item.result = result
        item.data = None  # the bytes are in the gradebook now; free them
        if self.on_done:
            self.on_done(item)

    # --- executors -------------------------------------------------------------------------

    def run(self, *, workers: int = 1, scheduler: str | None = None) -> list[BatchItem]:
        """Grade everything; returns the items in submission order."""
        from grader.signals import sigterm_as_interrupt

        self.course.specs  # noqa: B018 - load every spec now, before any worker starts
        # SIGTERM (a CI job cancelled, `kill`) takes the same way out as Ctrl-C: workers
        # are stopped and their kernels killed instead of being orphaned.
        with sigterm_as_interrupt():
            depth = 2 * max(1, workers)
            self._workers = 1 if scheduler else max(1, workers)
            self._scan()
            if not self._queue:
                return self.items  # nothing to grade (all skipped or invalid): start nothing
            if scheduler:
                from grader.batch.dask import run_on_dask

                run_on_dask(
                    scheduler,
                    self.course,
                    lambda bundle: self._next(bundle, None, spares=False, depth=depth),
                    self._outcome,
                )
            elif workers > 1 and len(self._ready) + len(self._queue) > 1:
                pool = LocalPool(min(workers, len(self._ready) + len(self._queue)))
                root = str(self.course.root)
                pool.run(lambda prefer: self._next(root, prefer, spares=True, depth=depth), self._outcome)
            else:
                run_in_process(lambda prefer: self._next(self.course, prefer, spares=True, depth=2), self._outcome)
        return self.items

    def _next(self, course_arg: Any, prefer: Any, *, spares: bool, depth: int) -> Job | None:  # noqa: ANN401
        item = self._take(prefer, depth)
        return self._job(item, course_arg, spares=spares, depth=depth) if item is not None else None


def run_batch(
    course: Course,
    found: Iterable[Found],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    member: str | None = None,
    pattern: Any = None,
    seed: int | None = None,  # noqa: ANN401
    lang: str = "ko",
    book: Gradebook | None = None,
    on_done: Callable[[BatchItem], None] | None = None,
    regrade: bool = False,
    warm: bool = True,
    rules: MemberRules | None = None,
    submitted: SubmittedAt | None = None,
    hints: HintsOption = "brief",
    quiz_lang: str = "lang",
) -> list[BatchItem]:
    """Grade submissions sequentially (workers=1), in `workers` local processes, or on the
    Dask scheduler at `scheduler`; record each in `book` as it arrives, once per notebook,
    exercise and member unless `regrade`. `warm`: start each next kernel ahead. `hints`: the
    level of help failed checks give (grader/checks/hints.py)."""
    rules = rules or MemberRules.for_course(course, member=member, pattern=pattern)
    batch = Batch(
        course,
        found,
        rules=rules,
        seed=seed,
        lang=lang,
        book=book,
        on_done=on_done,
        regrade=regrade,
        warm=warm,
        submitted=submitted,
        hints=hints,
        quiz_lang=quiz_lang,
    )
    return batch.run(workers=workers, scheduler=scheduler)


def summary_counts(items: Sequence[BatchItem]) -> dict[str, int]:
    """How many of each status, in the documented order, and how many were skipped."""
    from grader.results.attempt import STATUSES

    counts = {s: 0 for s in STATUSES}
    for it in items:
        if it.skipped:
            continue
        status = it.result.status.value if it.result is not None else "error"
        counts[status] = counts.get(status, 0) + 1
    counts["skipped"] = sum(1 for it in items if it.skipped)
    return counts
