"""Nice values of a sandbox's processes: spares and clean loaders wait niced, then get the
grader's own priority back when they have work.

A nice value belongs to each thread (TensorFlow's pool threads too), and a thread or process
inherits it from the thread that starts it. A kernel or loader that has just started is still
starting threads, though: one started by a thread not yet changed, after its process's threads
were listed, would keep the old value. So the passes repeat until one finds nothing left to
change; from then on every newcomer inherits the new value."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.execution.sandbox import Sandbox

# Enough for a kernel's start-up burst of threads; one still starting threads after them keeps
# a few stragglers at the old value, which costs speed, never a grade.
PASSES = 50


def own_priority() -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)


def set_priority(sandbox: Sandbox, pid: int | None, value: int) -> bool:
    """Give every thread of the processes of `sandbox` (or, without cgroups, of `pid` and its
    descendants) the nice `value`. False if the system refused: lowering a value takes root."""
    if pid is None:
        return False
    for _ in range(PASSES):
        changed = False
        for tid in _threads(sandbox, pid):
            try:
                if os.getpriority(os.PRIO_PROCESS, tid) == value:
                    continue
                os.setpriority(os.PRIO_PROCESS, tid, value)
                changed = True
            except PermissionError:
                return False
            except OSError:
                continue  # the thread just ended
        if not changed:
            break
    return True


def _threads(sandbox: Sandbox, pid: int) -> list[int]:
    from grader.execution.kernel import descendants

    cg = sandbox.cgroups
    pids = set().union(*(cg.pids(d) for d in set(cg.dirs.values()))) if cg is not None and cg.dirs else set()
    pids |= descendants(pid)
    tids: list[int] = []
    for p in pids:
        try:
            tids += [int(t) for t in os.listdir(f"/proc/{p}/task")]
        except (OSError, ValueError):
            continue
    return tids
