"""The self-check's grader side: a process of its own, started by the student's kernel.

`python -m grader.selfcheck.worker` reads one JSON request per line on stdin and
answers each with one JSON line on its stdout (anything else the course's code
prints goes to stderr). It plans the checks with the practice seed, calling the
course's references (a course folder with `exercises/refs/`) or replaying a
practice pack (grader/selfcheck/pack.py); the kernel runs the probe on its live
objects; the worker reads the probe's files and judges them with the same
`evaluate` as a graded attempt (grader/selfcheck/session.py). Targets, expected
outputs and the quiz rubric stay in this process; the kernel only ever holds the
practice inputs.

Requests:
    {"op": "plan", "dir": D, "notebook": path or null, "exercise": name or null,
     "cwd": folder, "lang": "ko" | "en" | null, "only": [check names] or null}
        -> writes D/requests.json and D/inputs.npz for the probe; answers what will run
    {"op": "evaluate", "dir": D}
        -> reads D/out.json and D/out.npz (bounded); answers the check results
    {"op": "prepare", ...as plan, without "dir"} -> a plan made ahead (the notebook's first cell),
        whose loads, reference results and quiz score stay for the plan that follows
    {"op": "status"} -> pid and which heavy modules are loaded

The worker lives as long as its kernel: it ends on end of input (the kernel died or
closed the pipe) or after IDLE_S without a request. It never opens the gradebook.
"""

from __future__ import annotations

import json
import os
import select
import sys
import threading
from pathlib import Path
from typing import Any

from grader.i18n import both
from grader.selfcheck import session
from grader.selfcheck.protocol import PASSED_ENV, Refused, plain

IDLE_S = 20 * 60
HEAVY = ("tensorflow", "keras", "torch", "kiwipiepy", "sqlalchemy", "psycopg", "nbclient", "dask")


def _warm() -> None:
    """Imports the evaluate step needs, while the kernel is busy with the probe."""
    import grader.execution.probe_io
    import grader.grading  # noqa: F401


def _preload_analyser() -> None:
    """Load the Korean analyser the quiz scorer needs, before the first answer asks for it."""
    import importlib.util

    if importlib.util.find_spec("kiwipiepy") is None:
        return
    try:
        from grader.quiz.normalize import kiwi

        kiwi()
    except Exception:  # noqa: BLE001 - the scorer reports its own failure when it runs
        pass


class Worker:
    """Answers the requests of one kernel; holds the session between its plan and its evaluate."""

    def __init__(self, preload: bool = False) -> None:
        self.session: session.Session | None = None
        self.quiz_jobs: dict[str, Any] = {}  # cache key -> the job scoring that answer
        self.prepared: list[str] = []  # exercises a `prepare` planned ahead
        self.warm = threading.Thread(target=_warm, name="selfcheck-warm", daemon=True)
        self.warm.start()
        if preload:
            threading.Thread(target=_preload_analyser, name="selfcheck-analyser", daemon=True).start()

    def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        op = req.get("op")
        env = req.get("env")
        if isinstance(env, dict):
            for key in PASSED_ENV:
                value = env.get(key)
                if isinstance(value, str) and value:
                    os.environ[key] = value
                else:
                    os.environ.pop(key, None)
        try:
            if op == "plan":
                return self.plan(req)
            if op == "prepare":
                return self.prepare(req)
            if op == "evaluate":
                return self.evaluate(req)
            if op == "status":
                return self.status()
            return {"ok": False, "error": both("selfcheck.worker.unknown_request", op=op)}
        except Refused as exc:
            return exc.reply()

    def status(self) -> dict[str, Any]:
        top = {m.split(".")[0] for m in sys.modules}
        return {
            "ok": True,
            "pid": os.getpid(),
            "modules": sorted(m for m in HEAVY if m in top),
            "prepared": list(self.prepared),
        }

    def _quiz_job(self, check: Any, ctx: Any) -> Any:  # noqa: ANN401
        """The job scoring this answer: one already running for the same key, else a new one."""
        from grader.grading import _Background
        from grader.selfcheck.quizcache import cached_quiz, scored_quiz

        _, key = cached_quiz(check, ctx)
        job = self.quiz_jobs.get(key) if key else None
        if job is None:
            job = _Background(scored_quiz, [check], ctx)
            job.key = key
            if key:
                self.quiz_jobs[key] = job
        return job

    def plan(self, req: dict[str, Any]) -> dict[str, Any]:
        self.session, reply = session.plan(req, self._quiz_job)
        return reply

    def prepare(self, req: dict[str, Any]) -> dict[str, Any]:
        """A plan made ahead and thrown away: what it loads, computes and scores stays (the
        course, the references' results, the quiz scorer and this answer's score)."""
        import shutil
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="grade-selfcheck-prepare-"))
        try:
            reply = self.plan(dict(req, dir=str(folder)))
            if self.session is not None and self.session.ahead is not None:
                self.session.ahead.join()
            if reply.get("ok"):
                self.prepared.append(reply["exercise"])
            return {"ok": bool(reply.get("ok")), "prepared": reply.get("exercise", "")}
        finally:
            self.session = None
            shutil.rmtree(folder, ignore_errors=True)

    def evaluate(self, req: dict[str, Any]) -> dict[str, Any]:
        s, self.session = self.session, None
        return session.evaluate(s, Path(req["dir"]), self.quiz_jobs, self.warm)


def serve(stdin: Any, out: Any, idle_s: float = IDLE_S, preload: bool = True) -> None:  # noqa: ANN401
    worker = Worker(preload=preload)
    fd = stdin.fileno()
    buf = b""
    while True:
        ready, _, _ = select.select([fd], [], [], idle_s)
        if not ready:
            return  # the kernel has not asked for a while: it starts a new worker when it does
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return  # the kernel closed the pipe or died
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                reply = (
                    worker.handle(req)
                    if isinstance(req, dict)
                    else {"ok": False, "error": both("selfcheck.worker.not_an_object")}
                )
            except ValueError:
                reply = {"ok": False, "error": both("selfcheck.worker.not_json")}
            except Exception as exc:  # noqa: BLE001 - report it to the kernel, keep serving
                import traceback

                traceback.print_exc()
                reply = {"ok": False, "error": both("selfcheck.worker.failed", kind=type(exc).__name__, exc=exc)}
            out.write(json.dumps(reply, ensure_ascii=False, default=plain) + "\n")
            out.flush()


def main() -> int:
    # Replies go through a private copy of stdout; what the course's code prints goes to stderr.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin, out)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)
