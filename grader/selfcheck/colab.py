"""`python -m grader.selfcheck.colab`: install what the self-check needs that Colab lacks.

The notebooks' first cell installs the grader in Colab with `pip install --no-deps`:
its full dependency list would pull in `tensorflow-cpu` beside Colab's own TensorFlow.
This script then installs only the modules the self-check's worker imports and Colab
may not have (the quiz scorer's analysers), at the versions the package requires.
`--dry-run` prints the pip command instead of running it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import subprocess
import sys

# Import name -> distribution name, for what grader.selfcheck.worker loads beyond NumPy.
NEEDED = {
    "kiwipiepy": "kiwipiepy",
    "rapidfuzz": "rapidfuzz",
    "snowballstemmer": "snowballstemmer",
    "nbformat": "nbformat",
    "nbclient": "nbclient",
    "jupyter_client": "jupyter_client",
    "pydantic": "pydantic",
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _own_requirements() -> list[str]:
    """The requirements of the distribution that installed `grader` (whatever its name)."""
    names = importlib.metadata.packages_distributions().get("grader") or ["grade"]
    for name in names:
        try:
            return list(importlib.metadata.requires(name) or [])
        except importlib.metadata.PackageNotFoundError:
            continue
    return []


def requirement(dist: str) -> str:
    """The package's own requirement for `dist` ("kiwipiepy>=0.20"), else the bare name."""
    reqs = _own_requirements()
    for req in reqs:
        head = re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0]
        if _norm(head) == _norm(dist) and "extra ==" not in req:
            return req.split(";")[0].strip()
    return dist


def missing() -> list[str]:
    return [requirement(dist) for mod, dist in NEEDED.items() if importlib.util.find_spec(mod) is None]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    todo = missing()
    if not todo:
        from grader.i18n import default_lang, text

        print(f"grade: {text('selfcheck.colab.has_everything', default_lang())}")
        return 0
    cmd = [sys.executable, "-m", "pip", "install", "-q", *todo]
    if "--dry-run" in args:
        print(" ".join(cmd))
        return 0
    return subprocess.run(cmd, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
