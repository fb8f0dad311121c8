"""Stand-ins for `grader.batch.work.grade_one` in tests: instant, and fatal on request.

Module level, so that spawned pool workers import them by name (`batch.fakes`)."""

from __future__ import annotations

import json
import os
from typing import Any


def fake_grade(
    course_root: Any,
    name: str,
    data: bytes,
    member: str | None,
    seed: int | None,  # noqa: ANN401
    lang: str = "ko",
    quiz_lang: str = "lang",
    kernel: Any = None,
) -> dict[str, Any]:  # noqa: ANN401
    """A full-marks attempt for t.ex1; 'poison' in the path kills the worker, 'raises' raises."""
    if "poison" in name:
        os._exit(3)  # what a segfault or the OOM killer does to a worker
    if "raises" in name:
        raise RuntimeError("grader bug")
    env = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")}
    return {
        "exercise": "t.ex1",
        "member": member,
        "status": "graded",
        "score": 1.0,
        "max_score": 1.0,
        "checks": [],
        "duration_s": 0.0,
        "path": name,
        "seed": seed,
        "message": json.dumps({"env": env, "pid": os.getpid(), "kernel": kernel is not None}),
    }


class FakeSpare:
    """What `ahead` prepares, as far as the pool is concerned: something with `discard()`.
    Leaves a file per start and per discard, so the test sees what happened in the worker."""

    def __init__(self, folder: str, tag: str) -> None:
        from pathlib import Path

        self.folder, self.tag = Path(folder), tag
        (self.folder / f"started-{tag}").touch()

    def discard(self) -> None:
        (self.folder / f"discarded-{self.tag}").open("a").write("x")


def fake_spare(folder: str, tag: str) -> FakeSpare:
    return FakeSpare(folder, tag)


def fake_job(name: str, kernel: Any = None) -> dict[str, Any]:  # noqa: ANN401
    if name == "poison":
        os._exit(3)
    return {"name": name, "kernel": kernel.tag if kernel is not None else None, "pid": os.getpid()}


class _NoKernel:
    """A spare that holds no kernel: the fake grading never runs one."""

    tag = "fake-spare"

    def discard(self) -> None:
        pass


def fake_start_spare(course_root: Any, plan: Any) -> _NoKernel:  # noqa: ANN401
    return _NoKernel()
