"""The grader's side of the clean loader (grader/execution/clean_loader.py): the second
sandboxed process, started while the notebook runs, that measures the saved models with no
student code and answers the clean requests."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from grader.checks.base import ProbeOutput
from grader.course.spec import Limits
from grader.execution.cells import ANSI
from grader.execution.kernel import run_parent
from grader.execution.outcome import RunOutcome
from grader.execution.policy import SandboxPolicy
from grader.execution.priority import own_priority, set_priority
from grader.execution.probe_io import SAVE_PREFIX, ProbeRound, read_json, read_probe, regular_file
from grader.execution.sandbox import Sandbox
from grader.i18n import text

MAX_LOADS_JSON = 2**20
# The loader imports Keras while the notebook runs; if the notebook was quicker, the wait
# for its answers includes the rest of that start.
LOADER_START_S = 60.0
LOADER_NICE = 5
# Why the loader stopped short: a catalog entry (execution.toml) and its fields.
Why = tuple[str, dict[str, Any]]


class CleanLoader:
    """The second sandboxed process: loads the saved models in safe mode, with no student
    code, and answers the clean requests (clean_loader.py). Started with the notebook so
    that importing Keras costs no wall time; given work only after the kernel is dead."""

    def __init__(
        self, workdir: Path, sandbox: Sandbox, proc: subprocess.Popen[bytes] | None, problem: Why | None = None
    ):
        # problem: why it could not start (a catalog entry and its fields), None when it did
        self.workdir, self.sandbox, self.proc, self.problem = workdir, sandbox, proc, problem
        self._tracked = False
        self.timings: dict[str, float] = {}  # what the loader says it spent (start, idle, loads)

    @classmethod
    def start(cls, policy: SandboxPolicy) -> CleanLoader:
        workdir = Path(tempfile.mkdtemp(prefix="grade-clean-", dir=run_parent())).resolve()
        sandbox = Sandbox(workdir=workdir, policy=policy)
        sandbox.prepare()
        command = [sys.executable, "-m", "grader.execution.clean_loader"]
        if os.geteuid() == 0:
            # Niced while it starts, only when the grader can give it its priority back.
            command += ["--nice", str(LOADER_NICE)]
        argv = sandbox.wrap(command)
        try:
            # Its own session from the start: its process group is never the grader's.
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=sandbox.home,
                env=sandbox.env(),
                start_new_session=True,
            )
        except OSError as exc:
            return cls(workdir, sandbox, None, ("execution.clean.no_start", {"error": str(exc)}))
        return cls(workdir, sandbox, proc)

    def track(self) -> None:
        """Register its process group with its sandbox (once), for the kill at the end."""
        if self.proc is not None and not self._tracked:
            self._tracked = True
            self.sandbox.track(self.proc.pid)

    async def answer(
        self,
        rounds: list[ProbeRound],
        models: dict[str, str],
        saves: dict[str, ProbeOutput],
        saved_dir: Path,
        limits: Limits,
        lang: str = "en",
    ) -> list[dict[str, ProbeOutput]]:
        """The clean requests' outputs, round by round. A model the probe could not save,
        or the loader could not load, answers each of its requests with `clean_failure` set
        (and why, in `lang`)."""
        failures: dict[str, ProbeOutput] = {}
        usable: dict[str, Path] = {}
        cap = max(1, limits.file_size_mb) * 2**20
        for target, name in models.items():
            out = saves.get(f"{SAVE_PREFIX}{target}")
            src = saved_dir / name
            if out is None:
                failures[target] = ProbeOutput(
                    ok=False, error=text("execution.clean.probe_said_nothing", lang), clean_failure="no_file"
                )
            elif not out.ok:
                code = out.value.get("failure") if isinstance(out.value, dict) else None
                failures[target] = ProbeOutput(
                    ok=False, error=out.error, clean_failure=code if code in ("not_keras", "save_failed") else ""
                )
            elif not regular_file(src, cap):
                failures[target] = ProbeOutput(
                    ok=False,
                    clean_failure="no_file",
                    error=text("execution.clean.model_file", lang, name=name, file_size_mb=limits.file_size_mb),
                )
            else:
                usable[target] = src
        results: list[dict[str, ProbeOutput]] = [{} for _ in rounds]
        loaded: dict[str, ProbeOutput | None] = {}
        if usable:
            loaded = await self._run_job(rounds, models, usable, limits, results, lang)
        failures.update({t: o for t, o in loaded.items() if o is not None})
        for rnd, outs in zip(rounds, results, strict=False):
            for r in rnd.clean:
                if r["target"] in failures:
                    outs[r["id"]] = failures[r["target"]]
        return results

    async def _run_job(
        self,
        rounds: list[ProbeRound],
        models: dict[str, str],
        usable: dict[str, Path],
        limits: Limits,
        results: list[dict[str, ProbeOutput]],
        lang: str,
    ) -> dict[str, ProbeOutput | None]:
        """Hand the files to the loader, wait for it, kill it, then read what it wrote.
        Returns {target: None if it loaded, else the failure}; fills `results` per round."""
        job = self.sandbox.home / f"job-{secrets.token_hex(8)}"
        (job / "models").mkdir(parents=True)
        for target, src in usable.items():
            shutil.copyfile(src, job / "models" / models[target], follow_symlinks=False)
        names = []
        for i, rnd in enumerate(rounds):
            d = job / f"round-{i}"
            d.mkdir()
            wanted = [r for r in rnd.clean if r["target"] in usable]
            (d / "wanted.json").write_text(json.dumps(wanted), encoding="utf-8")
            np.savez(d / "inputs.npz", **rnd.clean_inputs)  # type: ignore[arg-type]  # mypy checks **kwargs against allow_pickle: bool
            for f in d.iterdir():
                self.sandbox.give_to_kernel(f)
            self.sandbox.give_to_kernel(d)
            names.append(d.name)
        (job / "job.json").write_text(
            json.dumps({"models": {t: models[t] for t in usable}, "rounds": names}), encoding="utf-8"
        )
        for p in [*(job / "models").iterdir(), job / "models", job / "job.json", job]:
            self.sandbox.give_to_kernel(p)
        wait = limits.probe_timeout_s * len(rounds) + LOADER_START_S
        self.track()
        self._full_priority()
        told = self.problem or await self._finish(job, wait)
        stopped = text(told[0], lang, **told[1]) if told else ""
        self.sandbox.cleanup()  # dead before anything it wrote is read
        report = read_json(job / "loads.json", MAX_LOADS_JSON)
        loads = report.get("models") if isinstance(report, dict) else None
        if isinstance(report, dict) and isinstance(report.get("timings"), dict):
            self.timings = {
                k: float(v)
                for k, v in report["timings"].items()
                if k in ("ready_s", "idle_s", "load_s", "answer_s") and isinstance(v, (int, float))
            }
        if not isinstance(loads, dict):
            why = stopped or text("execution.clean.reported_nothing", lang)
            if self.sandbox.out_of_memory():
                why = text("execution.clean.out_of_memory", lang, memory_mb=limits.memory_mb)
            return {t: ProbeOutput(ok=False, error=why, clean_failure="loader_failed") for t in usable}
        status: dict[str, ProbeOutput | None] = {}
        for target in usable:
            entry = loads.get(target)
            if isinstance(entry, dict) and entry.get("ok") is True:
                status[target] = None
                continue
            code = entry.get("failure") if isinstance(entry, dict) else None
            error = (
                str(entry.get("error", "")) if isinstance(entry, dict) else text("execution.clean.nothing_for_it", lang)
            )
            status[target] = ProbeOutput(
                ok=False,
                error=ANSI.sub("", error)[:500],
                clean_failure=code if code in ("unsafe", "custom", "load_failed") else "load_failed",
            )
        for i, rnd in enumerate(rounds):
            todo = [r for r in rnd.clean if r["target"] in status and status[r["target"]] is None]
            if not todo:
                continue
            scratch = RunOutcome()
            outs = read_probe(job / f"round-{i}", todo, scratch, lang)
            for r in todo:
                if r["id"] in outs:
                    results[i][r["id"]] = outs[r["id"]]
                else:
                    why = stopped or scratch.probe_error or text("execution.clean.no_answer", lang)
                    results[i][r["id"]] = ProbeOutput(ok=False, error=why, clean_failure="loader_failed")
        return status

    def _full_priority(self) -> None:
        """A root grader starts the loader niced (LOADER_NICE) so that importing Keras yields
        the CPU to the notebook; now that it has the work, it gets the grader's priority back
        (lowering a nice value needs that privilege)."""
        if self.proc is None or os.geteuid() != 0:
            return
        set_priority(self.sandbox, self.proc.pid, own_priority())  # not privileged: it stays niced

    async def _finish(self, job: Path, wait: float) -> Why | None:
        """Send the job, wait for the loader to exit. Returns None, or why it stopped short."""
        proc = self.proc
        assert proc is not None and proc.stdin is not None
        try:
            proc.stdin.write(json.dumps({"job": str(job)}).encode() + b"\n")
            proc.stdin.close()
        except OSError:
            pass  # it already died: its exit status says how
        try:
            code = await asyncio.to_thread(proc.wait, wait)
        except subprocess.TimeoutExpired:
            return "execution.clean.too_slow", {"wait": wait}
        if code == 0:
            return None
        return (
            ("execution.clean.signal", {"signal": -code})
            if code < 0
            else ("execution.clean.exit_status", {"code": code})
        )

    def close(self) -> None:
        """Kill it (a loader never given work just dies) and remove its folder."""
        self.track()
        if self.proc is not None and self.proc.poll() is None:
            try:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
            except OSError:
                pass
        self.sandbox.cleanup()
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.sandbox.dispose()  # unmounts and deletes its run folder
