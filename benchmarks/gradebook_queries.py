"""The figures `grade status` and `grade export` need, on a large gradebook: the SQL of
grader/results/queries.py against the Python loops over every row that the grader of
commit 0825e77 ran (its gradebook module is kept as tests/results/data/gradebook_v1.py).

    .venv/bin/python benchmarks/gradebook_queries.py [--attempts 20000] [--members 40]

Writes a schema-v1 gradebook with the old module (bulk insert, three checks an attempt),
copies it, upgrades the copy in place (timed), then times best-per-(member, exercise)
and the export rows both ways (best of three runs each) and checks that the answers
agree. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.course.loader import natural_key
from grader.results.export import export_rows
from grader.results.gradebook import Gradebook


def _old_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gradebook_v1", ROOT / "tests" / "results" / "data" / "gradebook_v1.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _old_export_rows(book: Any) -> list[dict[str, Any]]:  # noqa: ANN401
    """grader/export.py at 0825e77: best() and a pass over every attempt, in Python."""
    best = book.best()
    counts: dict[tuple[str, str], int] = {}
    last: dict[tuple[str, str], dt.datetime] = {}
    for a in book.attempts():
        key = (a.member, a.exercise)
        counts[key] = counts.get(key, 0) + 1
        last[key] = a.created_at
    out = []
    for member, exercise in sorted(best, key=lambda k: (natural_key(k[0]), natural_key(k[1]))):
        b = best[(member, exercise)]
        when = last[(member, exercise)].astimezone(dt.UTC).replace(microsecond=0)
        out.append(
            {
                "member": member,
                "exercise": exercise,
                "best_score": b.score,
                "max_score": b.max_score,
                "attempts": counts[(member, exercise)],
                "last_attempt": when.isoformat().replace("+00:00", "Z"),
            }
        )
    return out


def _fill(old: ModuleType, path: Path, n: int, members: int) -> None:
    rng = random.Random(0)
    t0 = dt.datetime(2021, 9, 1, tzinfo=dt.UTC)
    names = [f"m{i:02d}" for i in range(members)]
    exercises = [f"ch15.ex{i}" for i in range(1, 9)]
    rows, checks = [], []
    for i in range(1, n + 1):
        score = float(rng.randrange(6))
        rows.append(
            {
                "id": i,
                "created_at": t0 + dt.timedelta(minutes=rng.randrange(200_000)),
                "member": rng.choice(names),
                "exercise": rng.choice(exercises),
                "status": "graded",
                "score": score,
                "max_score": 5.0,
                "code_score": score,
                "code_max": 5.0,
                "seed": i,
                "duration_s": 10.0,
                "grader_version": "0.1.0",
                "path": "x.ipynb",
                "message": "",
                "notebook_sha256": None,
                "extra": "{}",
            }
        )
        checks += [
            {
                "attempt_id": i,
                "check_id": f"c{k}",
                "kind": "value_matches",
                "title": "",
                "passed": True,
                "points": 1.0,
                "max_points": 1.0,
                "message": "",
                "details": "{}",
            }
            for k in range(3)
        ]
    book = old.Gradebook(str(path))
    with book.engine.begin() as conn:
        conn.execute(old.attempts.insert(), rows)
        conn.execute(old.checks.insert(), checks)
    book.close()


def _best_of(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:  # noqa: ANN401
    best, out = float("inf"), None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _comparable(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The figures both exports have (the old one wrote UTC as Z and had no later columns)."""
    return [
        (
            r["member"],
            r["exercise"],
            r["best_score"],
            r["max_score"],
            r["attempts"],
            dt.datetime.fromisoformat(r["last_attempt"].replace("Z", "+00:00")),
        )
        for r in rows
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=40)
    args = parser.parse_args()
    old = _old_module()
    with tempfile.TemporaryDirectory(prefix="grade-gb-bench-") as tmp:
        v1, v2 = Path(tmp) / "v1.db", Path(tmp) / "v2.db"
        _fill(old, v1, args.attempts, args.members)
        shutil.copy(v1, v2)
        t = time.perf_counter()
        Gradebook(str(v2)).close()
        upgrade_s = time.perf_counter() - t
        with old.Gradebook(str(v1)) as before, Gradebook(str(v2)) as now:
            old_best_s, old_best = _best_of(before.best)
            new_best_s, new_best = _best_of(now.best)
            old_export_s, old_rows = _best_of(lambda: _old_export_rows(before))
            new_export_s, new_rows = _best_of(lambda: export_rows(now))
        assert {k: v.id for k, v in old_best.items()} == {k: v.attempt_id for k, v in new_best.items()}
        assert _comparable(old_rows) == _comparable(new_rows)
    print(
        json.dumps(
            {
                "attempts": args.attempts,
                "checks": 3 * args.attempts,
                "groups": len(new_best),
                "upgrade_v1_to_v2_s": round(upgrade_s, 3),
                "best_python_loop_s": round(old_best_s, 4),
                "best_sql_s": round(new_best_s, 4),
                "export_python_loop_s": round(old_export_s, 4),
                "export_sql_s": round(new_export_s, 4),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
