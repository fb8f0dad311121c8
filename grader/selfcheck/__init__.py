"""Self-check: see the exercise's checks on the running kernel, in seconds, before submitting.

In the notebook (the last cell of every starter)::

    from grader import selfcheck
    selfcheck()                    # every check of this notebook's exercise
    selfcheck("windows")           # one check (its id); selfcheck("quiz") for the quiz
    selfcheck(exercise="04_forecast7", lang="en", notebook="my_copy.ipynb")

The checks run on the live objects: the models already trained and the functions
already defined, on a practice seed no graded attempt uses. Quiz answers are read
from the saved notebook file. Nothing of the notebook runs again, no attempt is
recorded and the gradebook is never opened. Inside a graded run it does nothing.
`selfcheck.run(...)` returns the report instead of showing it. docs/selfcheck.md says
which checks a self-check can make and how its evidence differs from a graded attempt.

This package is importable as `grader.selfcheck` and the module itself is callable;
importing it loads only the standard library and this package's kernel side, and (in a
notebook kernel) starts the worker process the checks are judged in.

The modules, by where they run:

- kernel side (standard library only): `kernel` (one self-check: `run`, `selfcheck`,
  `Report`), `locate` (graded run, Colab, which notebook), `freshness` (the saved file
  against the kernel's history), `client` (the worker process and its pipe), `render`
  (the table and the text), `protocol` (what both sides name);
- worker process: `worker` (the process and its requests), `session` (one plan and its
  evaluate), `source` (the notebook, exercise, course or pack), `selection` (which checks,
  what cannot run), `quizcache` (quiz scores kept on disk);
- the practice pack: `pack` (its format, reading one), `packwrite` (`grade selfcheck-pack`),
  `replay` (reference calls recorded, replayed, memoised), `codec` (values as JSON and
  arrays, argument fingerprints); `colab` installs what the worker needs in Colab;
  `setupcell` is the set-up cell that opens every course notebook (the grader knows it
  to import a notebook's libraries ahead).
"""

from __future__ import annotations

import sys
import types
from typing import Any

from grader.selfcheck.client import prestart, stop_worker, worker_status
from grader.selfcheck.kernel import Report, run, selfcheck

__all__ = ["Report", "run", "selfcheck", "stop_worker", "worker_status"]


class _CallableModule(types.ModuleType):
    """`from grader import selfcheck; selfcheck()`: the module answers a call like the function."""

    def __call__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        return selfcheck(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
prestart()
