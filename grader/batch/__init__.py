"""Many submissions at once: collect them, decide who submitted each, grade them
here, in local worker processes or on a Dask cluster, and record each result.

The division of labour (docs/scaling.md):

- The submitting process reads every notebook, decides its member, and is the
  only one that writes the gradebook (one result at a time, as results arrive).
- A worker gets plain data: the course (a folder path, or a small tarball of
  course.toml, specs, references and quiz bank for remote machines), the
  notebook's bytes, the member and the seed. It returns `Attempt.to_dict()`,
  which the submitter reads back with `Attempt.from_dict()`.
  `grade_one` is that function; every executor runs the very same one.
- Anything that goes wrong around a worker (an exception, a killed worker
  process, a lost Dask worker or scheduler) becomes an `error` result for that
  one submission; the batch goes on.

This module imports nothing heavy at import time: `grade --help` and the
instructor pool import it.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import nbformat

from grader import notebook as nbio
from grader.errors import GradeError, SpecError

if TYPE_CHECKING:
    from grader.course.loader import Course
    from grader.results.attempt import Attempt
    from grader.results.gradebook import Gradebook

# --- thread caps ----------------------------------------------------------------


def available_cores() -> int:
    """Cores this process may run on (CPU affinity / container limits), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def thread_share(slots: int, cores: int | None = None) -> int:
    """Threads one grading slot may use when `slots` kernels share the machine."""
    return max(1, (cores or available_cores()) // max(1, slots))


def cap_threads(slots: int) -> None:
    """Give the kernels this process starts their share of the cores, no more.

    N kernels each running TensorFlow with its default pools (one intra-op
    thread per core, plus inter-op threads) would run N x cores threads on the
    machine: they fight for the cores, and each context switch costs the
    training loop more than a smaller pool does. So each slot gets
    cores // slots intra-op (and OpenMP/oneDNN) threads and one inter-op thread
    (the chapter's small sequential models have little inter-op parallelism).
    The sandbox passes exactly these variables on to the kernel (`Sandbox.env`).
    Used as the process-pool initializer and run on every Dask worker.
    """
    share = str(thread_share(slots))
    for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ[var] = share
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"


# --- collecting submissions -------------------------------------------------------


@dataclass
class Found:
    """One file to grade, and the directory argument it was found under (if any)."""

    path: Path
    root: Path | None = None

    @property
    def folder_member(self) -> str | None:
        """The first folder below the directory argument: submissions/<member>/…"""
        if self.root is None:
            return None
        parts = self.path.relative_to(self.root).parts
        return (parts[0].strip() or None) if len(parts) > 1 else None


def _hidden(name: str) -> bool:
    # .ipynb_checkpoints, .git, .venv, macOS ._ files: never submissions.
    return name.startswith(".")


def collect(paths: Sequence[Path]) -> tuple[list[Found], list[str]]:
    """Files to grade from file and directory arguments, and warnings.

    A directory is searched recursively for *.ipynb (hidden folders and files,
    such as .ipynb_checkpoints, skipped; symlinked folders not followed), sorted
    by path. Files named directly are kept whatever their name (grading says
    why one is not a notebook). Argument order is kept; a file reached twice is
    graded once.
    """
    found: list[Found] = []
    warnings: list[str] = []
    seen: set[Path] = set()

    def add(f: Found) -> None:
        key = f.path.resolve() if f.path.exists() else f.path.absolute()
        if key not in seen:
            seen.add(key)
            found.append(f)

    for arg in paths:
        if not arg.is_dir():
            add(Found(arg))
            continue
        inside: list[Path] = []
        for folder, dirs, files in os.walk(arg):
            dirs[:] = [d for d in dirs if not _hidden(d)]
            inside += [Path(folder) / f for f in files if f.endswith(".ipynb") and not _hidden(f)]
        if not inside:
            warnings.append(f"{arg}: no notebooks (*.ipynb) in this folder")
        for p in sorted(inside, key=lambda p: p.relative_to(arg).as_posix()):
            add(Found(p, root=arg))
    if not found:
        raise GradeError("nothing to grade: " + "; ".join(warnings))
    return found, warnings


# --- who submitted -------------------------------------------------------------------

def compile_member_pattern(template: str) -> re.Pattern[str]:
    """`{member}/*.ipynb` → a regex matching the end of a POSIX path at a folder boundary.

    `{member}` is one folder or file-name part (the shortest that fits), `*` any
    characters within one part, `**` any number of folders, `?` one character.

    A template rather than a raw regex: it reads like the folder layout it
    describes and cannot be mistyped into something that matches everything.
    """
    if template.count("{member}") != 1:
        raise GradeError("--member-from needs exactly one {member} placeholder, e.g. '{member}/*.ipynb'")
    rest = template.replace("{member}", "")
    if "{" in rest or "}" in rest:
        raise GradeError("--member-from: {member} is the only placeholder; other braces are not allowed")
    anchored = template.startswith("/")
    if template.startswith("./"):
        template = template[2:]
    out = []
    for tok in re.split(r"(\{member\}|\*\*|\*|\?)", template):
        if tok == "{member}":
            out.append(r"(?P<member>[^/]+?)")  # lazy: alice_04_v2.ipynb with {member}_*.ipynb is alice
        elif tok == "**":
            out.append(r".*")
        elif tok == "*":
            out.append(r"[^/]*")
        elif tok == "?":
            out.append(r"[^/]")
        else:
            out.append(re.escape(tok))
    return re.compile(("^" if anchored else r"(?:^|/)") + "".join(out) + "$")


def _metadata_member(data: bytes | None) -> str | None:
    """`grade.member` from the notebook metadata, read leniently (grading validates)."""
    if not data:
        return None
    try:
        nb = nbformat.from_dict(json.loads(data.decode("utf-8")))
        return nbio.member_hint(nb) if isinstance(nb.get("metadata"), dict) else None
    except (ValueError, AttributeError):
        return None


def decide_member(found: Found, data: bytes | None, *, member: str | None = None,
                  pattern: re.Pattern[str] | None = None) -> str:
    """--member > --member-from > notebook metadata > folder under a directory argument > OS user.

    A path that does not match an explicit --member-from raises: recording the
    attempt under the wrong name is worse than not grading it.
    """
    if member and member.strip():
        return member.strip()
    if pattern is not None:
        # The path below the directory argument first (so '{member}/**' means the first folder
        # there), then the path as given (so 'submissions/{member}/*.ipynb' works too).
        tries = [found.path.relative_to(found.root).as_posix()] if found.root is not None else []
        m = next((m for m in (pattern.search(s) for s in [*tries, found.path.as_posix()]) if m), None)
        who = m.group("member").strip() if m else ""
        if not who:
            raise GradeError("the path does not match the --member-from pattern, so the member is unknown; "
                             "rename it or pass --member", str(found.path))
        return who
    from grader.grading import _os_user

    return _metadata_member(data) or found.folder_member or _os_user()


# --- the course, as it travels to workers ------------------------------------------------


@dataclass(frozen=True)
class CourseBundle:
    """What a remote worker needs of the course: course.toml, specs, references, quiz bank."""

    sha256: str
    data: bytes  # tar.gz, paths relative to the course folder


def course_bundle(course: "Course") -> CourseBundle:
    """Pack the grading-relevant course folders (kilobytes; no notebooks, no gradebook)."""
    root = course.root

    def skip(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        name = Path(info.name).name
        if _hidden(name) or name == "__pycache__":
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0  # the same course packs to the same bytes: one cache entry per worker
        return info

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        tar.add(root / "course.toml", arcname="course.toml", filter=skip)
        for folder in (course.specs_dir, course.refs_dir, course.quizzes_dir):
            if not folder.is_dir():
                continue
            try:
                rel = folder.resolve().relative_to(root)
            except ValueError:
                raise SpecError(f"cannot send the course to remote workers: {folder} is outside the "
                                f"course folder {root}") from None
            for p in sorted(folder.rglob("*")):
                if p.is_file() and not any(_hidden(part) or part == "__pycache__"
                                           for part in p.relative_to(folder).parts):
                    tar.add(p, arcname=(rel / p.relative_to(folder)).as_posix(), filter=skip)
    data = buf.getvalue()
    return CourseBundle(hashlib.sha256(data).hexdigest(), data)


_UNPACKED: dict[str, Path] = {}
_COURSES: dict[str, "Course"] = {}
_COURSES_LOCK = threading.Lock()  # a Dask worker may run several tasks in threads


def _unpack(bundle: CourseBundle) -> Path:
    """The bundle as a private folder of this process (mkdtemp: no guessable shared path)."""
    if bundle.sha256 in _UNPACKED:
        return _UNPACKED[bundle.sha256]
    if hashlib.sha256(bundle.data).hexdigest() != bundle.sha256:
        raise SpecError("the course bundle arrived damaged (checksum mismatch)")
    where = Path(tempfile.mkdtemp(prefix="grade-course-"))
    atexit.register(shutil.rmtree, where, True)
    with tarfile.open(fileobj=io.BytesIO(bundle.data), mode="r:gz") as tar:
        tar.extractall(where, filter="data")
    _UNPACKED[bundle.sha256] = where
    return where


def _course_for(course: "str | CourseBundle | Course") -> "Course":
    from grader.course.loader import Course, load_course

    if isinstance(course, Course):  # in-process: the caller's own object, as grade_file would use
        return course
    key = course.sha256 if isinstance(course, CourseBundle) else str(course)
    with _COURSES_LOCK:
        if key not in _COURSES:
            root = _unpack(course) if isinstance(course, CourseBundle) else Path(course)
            _COURSES[key] = load_course(root)
        return _COURSES[key]


# --- grading one submission (runs in a worker) ----------------------------------------------


def grade_one(course_root: "str | CourseBundle | Course", name: str, data: bytes, member: str | None,
              seed: int | None, lang: str = "ko") -> dict[str, Any]:
    """Grade one notebook given as bytes; returns `Attempt.to_dict()` (plain data for any executor).

    `name` is the path as the submitter knows it: it names the exercise (file
    name) and appears in messages. The kernel's sandbox is an allow-list, so
    nothing of the submitter (its gradebook, the course) needs naming. Never
    raises for a bad notebook (an `invalid` result); the caller turns anything
    else into an `error` result.
    """
    from grader.grading import grade_file
    course = _course_for(course_root)
    result, _ = grade_file(course, Path(name), member=member, seed=seed, lang=lang, data=data)
    return result.to_dict()


GradeFn = Callable[..., dict[str, Any]]

# --- the batch ---------------------------------------------------------------------------------


@dataclass
class BatchItem:
    """One submission of the batch, and (once graded) its result."""

    index: int
    found: Found
    member: str = ""
    data: bytes | None = field(default=None, repr=False)
    result: "Attempt | None" = None
    grader_failure: bool = False   # the grader, not the notebook, failed: not recorded
    record_error: str = ""         # graded, but the gradebook refused the attempt

    @property
    def path(self) -> Path:
        return self.found.path

    @property
    def problem(self) -> bool:
        """Counts towards exit code 1: could not be graded or recorded."""
        invalid = self.result is not None and self.result.status == "invalid"
        return self.grader_failure or bool(self.record_error) or invalid


def _shell(item: BatchItem, status: str, message: str, course: "Course | None" = None) -> "Attempt":
    """A result for a submission no worker graded (unreadable, or the grader failed).

    The exercise is named (from the file name) only for grader failures: the notebook
    itself may be fine, and the summary should say which exercise to submit again."""
    import datetime as dt

    from grader import __version__
    from grader.results.attempt import Attempt

    exercise = ""
    if course is not None:
        spec = course.spec_by_notebook_name(item.path.name)
        exercise = spec.id if spec else ""
    return Attempt(exercise=exercise, member=item.member, status=status, checks=[], duration_s=0.0,
                   path=str(item.path), message=message, grader_version=__version__,
                   graded_at=dt.datetime.now(dt.timezone.utc))


class Batch:
    """Grades a list of submissions with one executor and records each result as it arrives."""

    def __init__(self, course: "Course", found: Iterable[Found], *, member: str | None = None,
                 pattern: re.Pattern[str] | None = None, seed: int | None = None, lang: str = "ko",
                 book: "Gradebook | None" = None,
                 on_done: Callable[[BatchItem], None] | None = None,
                 grade_fn: GradeFn = grade_one) -> None:
        self.course = course
        self.items = [BatchItem(i, f) for i, f in enumerate(found)]
        self.member, self.pattern, self.seed, self.lang = member, pattern, seed, lang
        self.book, self.on_done, self.grade_fn = book, on_done, grade_fn

    # --- the submitter's side ---------------------------------------------------

    def _prepare(self, item: BatchItem) -> bool:
        """Read the file and decide the member; False (and finished) when it cannot be graded."""
        if item.data is not None:
            return True
        from grader.notebook import read_bytes

        try:
            data = read_bytes(item.path)
        except GradeError as exc:
            item.member = self._member_or_blank(item, None)
            self._finish(item, _shell(item, "invalid", str(exc)))
            return False
        try:
            item.member = decide_member(item.found, data, member=self.member, pattern=self.pattern)
        except GradeError as exc:
            self._finish(item, _shell(item, "invalid", str(exc)))
            return False
        item.data = data
        return True

    def _member_or_blank(self, item: BatchItem, data: bytes | None) -> str:
        try:
            return decide_member(item.found, data, member=self.member, pattern=self.pattern)
        except GradeError:
            return ""

    def _args(self, item: BatchItem, course_arg: "str | CourseBundle | Any") -> tuple[Any, ...]:
        return (course_arg, str(item.path), item.data, item.member, self.seed, self.lang)

    def _failed(self, item: BatchItem, exc: BaseException | str) -> None:
        if isinstance(exc, str):
            why = exc
        else:
            first = str(exc).splitlines()[0] if str(exc).strip() else ""
            why = type(exc).__name__ + (f": {first}" if first else "")
        item.grader_failure = True
        self._finish(item, _shell(item, "error", f"the grader failed on this submission ({why}); "
                                               "it was not recorded: submit it again", self.course))

    def _received(self, item: BatchItem, reply: dict[str, Any]) -> None:
        """A worker's `Attempt.to_dict()`; a reply that does not parse is a grader failure."""
        from grader.results.attempt import Attempt

        try:
            attempt = Attempt.from_dict(reply)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self._failed(item, f"its reply was not an attempt ({type(exc).__name__}: {exc})")
            return
        self._finish(item, attempt)

    def _finish(self, item: BatchItem, result: "Attempt") -> None:
        # The gradebook is written here only, in the submitting process, one attempt at a time.
        if self.book is not None and result.status != "invalid" and not item.grader_failure:
            try:
                result.attempt_id = self.book.record(result, item.data)
            except GradeError as exc:  # disk full, locked: this attempt is lost, the batch goes on
                item.record_error = str(exc)
                result.message = "; ".join(m for m in (result.message, f"not recorded: {exc}") if m)
        item.result = result
        item.data = None  # the bytes are in the gradebook now; free them
        if self.on_done:
            self.on_done(item)

    # --- executors ------------------------------------------------------------------

    def run(self, *, workers: int = 1, scheduler: str | None = None) -> list[BatchItem]:
        """Grade everything; returns the items in submission order."""
        self.course.specs  # noqa: B018 - a broken spec is a one-line error now, not N error results
        import signal

        # SIGTERM (a CI job cancelled, `kill`) takes the same way out as Ctrl-C: workers
        # are stopped and their kernels killed instead of being orphaned.
        main = threading.current_thread() is threading.main_thread()
        old = signal.getsignal(signal.SIGTERM) if main else None
        if main and old in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _term_as_interrupt)
        try:
            if scheduler:
                self._run_dask(scheduler)
            elif workers > 1 and len(self.items) > 1:
                self._run_pool(min(workers, len(self.items)))
            else:
                self._run_here()
        finally:
            if main and old in (signal.SIG_DFL, None):
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
        return self.items

    def _run_here(self) -> None:
        course_arg = self.course if self.grade_fn is grade_one else str(self.course.root)
        for item in self.items:
            if not self._prepare(item):
                continue
            try:
                result = self.grade_fn(*self._args(item, course_arg))
            except Exception as exc:  # noqa: BLE001 - one submission's grader failure stays its own
                self._failed(item, exc)
                continue
            self._received(item, result)

    def _run_pool(self, workers: int) -> None:
        """Local worker processes, one submission each at a time.

        Each worker has its own pipe, so a worker that dies (a segfault, the OOM
        killer, a stray kill) costs exactly the submission it was grading (an
        `error` result) and is replaced; nobody else is re-run or disturbed. Our own
        pool rather than ProcessPoolExecutor: that one marks the whole pool broken
        when one worker dies and sends SIGTERM to the others, which would also cut
        short their kernels' cleanup when the batch is being stopped.
        """
        pool = _LocalPool(workers, slots=workers)
        queue = deque(self.items)
        course_root = str(self.course.root)
        send_failures: dict[int, int] = {}

        def fill() -> None:
            for slot in list(pool.slots):
                while slot.item is None and queue:
                    item = queue.popleft()
                    if not self._prepare(item):
                        continue
                    try:
                        slot.send(item, (self.grade_fn, self._args(item, course_root)))
                    except OSError:  # this idle worker had died: replace it, try once more
                        slot.item = None
                        slot = pool.replace(slot)
                        send_failures[item.index] = send_failures.get(item.index, 0) + 1
                        if send_failures[item.index] >= 3:
                            self._failed(item, "no grading process could be started")
                        else:
                            queue.appendleft(item)

        try:
            while True:
                fill()
                if not pool.busy():
                    break
                for slot, (kind, value) in pool.wait():
                    item = slot.take()
                    if kind == "ok":
                        self._received(item, value)
                    else:
                        self._failed(item, value)
        except BaseException:
            pool.stop()  # Ctrl-C / SIGTERM: the workers' kernels are cleaned up, not orphaned
            raise
        pool.close()

    def _run_dask(self, scheduler: str) -> None:
        """A Dask cluster: the same `grade_one` on remote workers; results come back here."""
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise GradeError("--scheduler needs Dask: pip install 'homl-grade[dask]'") from None
        import asyncio
        import concurrent.futures

        try:
            # How long to try: Dask's own setting (distributed.comm.timeouts.connect, 30 s by default).
            client = Client(scheduler)
        except (OSError, TimeoutError, ValueError) as exc:
            raise GradeError(f"cannot reach the Dask scheduler at {scheduler} "
                             f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
        try:
            slots = dask_cap_threads(client)
            bundle = client.scatter(course_bundle(self.course), broadcast=True)
            queue = deque(self.items)
            inflight: dict[str, BatchItem] = {}
            futures: dict[str, Any] = {}
            results = as_completed()

            def refill() -> None:
                # Bounded like the local pool: the scheduler holds at most two per worker thread.
                limit = max(4, 2 * slots)
                while queue and len(inflight) < limit:
                    item = queue.popleft()
                    if not self._prepare(item):
                        continue
                    fut = client.submit(self.grade_fn, *self._args(item, bundle), pure=False,
                                        key=f"grade-{item.index}-{os.urandom(4).hex()}")
                    inflight[fut.key] = item
                    futures[fut.key] = fut
                    results.add(fut)

            refill()
            for fut in results:
                item = inflight.pop(fut.key)
                futures.pop(fut.key, None)
                try:
                    result = fut.result()
                except (Exception, asyncio.CancelledError, concurrent.futures.CancelledError) as exc:
                    # KilledWorker (a worker died too often), a lost scheduler, an exception in
                    # grade_one: this submission's error result, not the batch's end.
                    self._failed(item, exc)
                else:
                    self._received(item, result)
                fut.release()
                refill()
        except BaseException:
            # Interrupted: take the queued and running tasks off the cluster too.
            with contextlib.suppress(Exception):
                client.cancel(list(futures.values()))
            raise
        finally:
            client.close()


def _worker_init(slots: int) -> None:
    """A local pool worker: its share of the cores, and stopping is the submitter's call."""
    import logging
    import signal

    cap_threads(slots)
    # Stopping is the submitter's call (one SIGTERM, which `run_notebook` turns into a clean
    # stop of the kernel); a stray SIGINT would end an idle worker with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # nbclient's cell tasks, cancelled by that stop, would each log "Task exception was
    # never retrieved" on stderr; the submitter reports the interruption already.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)


def _term_with_parent(parent: int) -> None:
    """SIGTERM this worker when the submitter dies (Linux), so a killed submitter's workers
    stop their kernels cleanly instead of grading on for nobody."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(1)


def _worker_main(conn: Any, slots: int, parent: int) -> None:
    """A worker process: receive (function, arguments), send back ("ok", result) or ("error", why)."""
    # Out of the terminal's process group: Ctrl-C reaches only the submitter, which then
    # stops each worker with exactly one SIGTERM (a second signal during a kernel's cleanup
    # would kill the worker before it removed the kernel's processes and folder).
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    _term_with_parent(parent)
    _worker_init(slots)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if msg is None:
            return
        fn, args = msg
        try:
            reply: tuple[str, Any] = ("ok", fn(*args))
        except KeyboardInterrupt:
            return  # stopped (SIGTERM) after its kernel was cleaned up: take no further work
        except BaseException as exc:  # noqa: BLE001 - a grader bug is this submission's error result
            first = str(exc).splitlines()[0] if str(exc).strip() else ""
            reply = ("error", type(exc).__name__ + (f": {first}" if first else ""))
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


class _Slot:
    """One worker process, its pipe, and the submission it is grading."""

    def __init__(self, ctx: Any, slots: int) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, slots, os.getpid()), name="grade-worker")
        self.proc.start()
        child.close()
        self.item: BatchItem | None = None

    def send(self, item: BatchItem, msg: Any) -> None:
        self.item = item
        self.conn.send(msg)

    def take(self) -> BatchItem:
        item, self.item = self.item, None
        assert item is not None
        return item


class _LocalPool:
    """N spawned worker processes (fresh interpreters: nothing of the submitter's threads
    or gradebook connections is inherited), with their thread caps."""

    def __init__(self, workers: int, slots: int) -> None:
        import multiprocessing as mp

        self.ctx = mp.get_context("spawn")
        self.cap = slots
        self.slots = [_Slot(self.ctx, slots) for _ in range(workers)]

    def idle(self) -> list[_Slot]:
        return [s for s in self.slots if s.item is None]

    def busy(self) -> list[_Slot]:
        return [s for s in self.slots if s.item is not None]

    def wait(self) -> list[tuple[_Slot, tuple[str, Any]]]:
        """Block until some busy workers answer or die; their outcomes."""
        from multiprocessing.connection import wait

        busy = self.busy()
        ready = set(wait([s.conn for s in busy] + [s.proc.sentinel for s in busy]))
        out = []
        for slot in busy:
            if slot.conn not in ready and slot.proc.sentinel not in ready:
                continue
            try:
                if slot.conn.poll():
                    out.append((slot, slot.conn.recv()))
                    continue
            except (EOFError, OSError):
                pass
            slot.proc.join(5)
            code = slot.proc.exitcode
            out.append((slot, ("error", f"its grading process died (exit code {code})")))
            self.replace(slot)
        return out

    def replace(self, dead: _Slot) -> _Slot:
        """A fresh worker in the dead one's place (the caller deals with the dead one's item)."""
        fresh = _Slot(self.ctx, self.cap)
        with contextlib.suppress(Exception):
            dead.conn.close()
        self.slots[self.slots.index(dead)] = fresh
        return fresh

    def close(self) -> None:
        for s in self.slots:
            with contextlib.suppress(Exception):
                s.conn.send(None)
        for s in self.slots:
            s.proc.join(10)
            if s.proc.is_alive():
                s.proc.kill()
                s.proc.join(2)

    def stop(self) -> None:
        """SIGTERM once to each worker (a busy one stops its kernel and cleans up, an idle
        one just ends), then time to finish; only what is still alive after that is killed.
        Exactly one SIGTERM each: a second one during the kernel cleanup would kill the
        worker before it removed the kernel's processes and folder."""
        procs = [s.proc for s in self.slots if s.proc.is_alive()]
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.terminate()
        deadline = time.monotonic() + 20
        for proc in procs:
            proc.join(max(0.1, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(2)


def _term_as_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt("SIGTERM")


def dask_cap_threads(client: Any) -> int:
    """Cap threads on every Dask worker by how many task slots share its host; returns the slots.

    Workers on one host (`dask worker --nworkers 2 --nthreads 1`, or a
    LocalCluster) are separate processes that cannot see each other, so the
    submitter counts the slots per host and tells each worker its share.
    Workers that join later keep Dask's own default (OMP_NUM_THREADS=1).
    """
    try:
        info = client.scheduler_info(n_workers=-1)["workers"]
    except TypeError:  # distributed before 2025: no n_workers, and all workers listed
        info = client.scheduler_info()["workers"]
    by_host: dict[str, list[str]] = {}
    slots: dict[str, int] = {}
    for addr, w in info.items():
        host = w.get("host") or addr
        by_host.setdefault(host, []).append(addr)
        slots[host] = slots.get(host, 0) + int(w.get("nthreads") or 1)
    for host, addrs in by_host.items():
        client.run(cap_threads, slots[host], workers=addrs)
    return sum(slots.values())


def run_batch(course: "Course", found: Iterable[Found], *, workers: int = 1, scheduler: str | None = None,
              member: str | None = None, pattern: re.Pattern[str] | None = None, seed: int | None = None,
              lang: str = "ko", book: "Gradebook | None" = None,
              on_done: Callable[[BatchItem], None] | None = None,
              grade_fn: GradeFn = grade_one) -> list[BatchItem]:
    """Grade submissions sequentially (workers=1), in `workers` local processes, or on the
    Dask scheduler at `scheduler`; record each in `book` as it arrives. Open the gradebook
    before calling: opening it registers its folder as hidden from every kernel."""
    batch = Batch(course, found, member=member, pattern=pattern, seed=seed, lang=lang, book=book,
                  on_done=on_done, grade_fn=grade_fn)
    return batch.run(workers=workers, scheduler=scheduler)


def summary_counts(items: Sequence[BatchItem]) -> dict[str, int]:
    """How many of each status, in the DESIGN order."""
    from grader.results.attempt import STATUSES

    counts = {s: 0 for s in STATUSES}
    for it in items:
        status = it.result.status.value if it.result is not None else "error"
        counts[status] = counts.get(status, 0) + 1
    return counts
