"""Quiz scores kept on disk, keyed by the answer: the first answer a worker scores loads the
Korean analyser (seconds), so an answer scored before is read back instead.

The cache is `~/.cache/grade/selfcheck-quiz/` (`$XDG_CACHE_HOME`); a key covers the
scorer's code, the bank, the question, the answer and the language, so any change of
those scores the answer again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from grader.selfcheck.protocol import plain


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "grade" / "selfcheck-quiz"


def _quiz_key(check: Any, ctx: Any) -> str:  # noqa: ANN401
    """Everything a quiz score depends on: the scorer's code, the bank, the answer, the language."""
    import grader.quiz

    h = hashlib.sha256()
    for folder in (Path(grader.quiz.__file__).parent, ctx.course.quizzes_dir):
        for p in sorted(folder.glob("*.py" if folder.name == "quiz" else "*.toml")):
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    qid = check.params.get("question", check.id)
    h.update(
        json.dumps(
            [check.id, qid, check.points, check.params, ctx.lang, ctx.answers.get(qid)], sort_keys=True, default=str
        ).encode()
    )
    return h.hexdigest()


def cached_quiz(check: Any, ctx: Any) -> tuple[Any, str]:  # noqa: ANN401
    """(the cached result of this answer or None, its cache key; "" when it has none)."""
    from grader.results.attempt import CheckResult

    try:
        key = _quiz_key(check, ctx)
    except OSError:
        return None, ""
    try:
        return CheckResult.from_dict(json.loads((cache_dir() / f"{key}.json").read_text(encoding="utf-8"))), key
    except (OSError, ValueError, KeyError, TypeError):
        return None, key


def scored_quiz(checks: list[Any], ctx: Any) -> dict[str, Any]:  # noqa: ANN401
    """The quiz checks' results, from the cache when this answer was scored before (the first
    score of a worker loads the Korean analyser, which takes seconds), else scored and kept."""
    from grader.checks import KINDS, Plan

    out: dict[str, Any] = {}
    for check in checks:
        hit, key = cached_quiz(check, ctx)
        if hit is not None:
            out[check.id] = hit
            continue
        res = KINDS[check.kind].evaluate(check, ctx, Plan(), {})
        out[check.id] = res
        if not key:
            continue
        path = cache_dir() / f"{key}.json"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(res.to_dict(), ensure_ascii=False, default=plain), encoding="utf-8")
            tmp.replace(path)
        except OSError:
            pass  # no cache: the next self-check scores the answer again
    return out
