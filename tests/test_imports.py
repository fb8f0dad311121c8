"""The package's import structure: every module imports on its own, the module-level import
graph has no circle, checks stay independent of course loading and execution, and the CLI
and the quiz never load TensorFlow.

The graph is read from the source with `ast`: the imports that run when a module is first
imported (module level and class bodies, including try/except), not those inside
functions, `if TYPE_CHECKING:` blocks or `if __name__ == "__main__":` blocks. Importing
`grader.a.b` runs the package `grader.a` too; edges name only what the statement names, so
a package's `__init__` re-exporting its own modules is not counted as a circle.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "grader"
HEAVY = ("tensorflow", "keras")
# Not modules of the grader process: Alembic loads the migration scripts from their files
# (env.py needs Alembic's running context), and kernel_site is `google.colab` for the
# student's kernel only.
NOT_MODULES = ("grader/results/migrations/", "grader/execution/kernel_site/")


def _module_files() -> dict[str, Path]:
    """Module name -> file, for every module of the grader package."""
    out: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "__pycache__" in rel or rel.startswith(NOT_MODULES):
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _module_files()
PACKAGES = {name for name, path in MODULES.items() if path.name == "__init__.py"}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def _import_time_nodes(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements that run when the module is imported."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue  # runs when called, not when imported
        elif isinstance(node, ast.If):
            if _is_type_checking(node.test) or _is_main_guard(node.test):
                yield from _import_time_nodes(node.orelse)
            else:
                yield from _import_time_nodes(node.body)
                yield from _import_time_nodes(node.orelse)
        elif isinstance(node, ast.ClassDef):
            yield from _import_time_nodes(node.body)
        elif isinstance(node, (ast.Try, ast.TryStar)):
            yield from _import_time_nodes(node.body)
            for handler in node.handlers:
                yield from _import_time_nodes(handler.body)
            yield from _import_time_nodes(node.orelse)
            yield from _import_time_nodes(node.finalbody)
        elif isinstance(node, (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)):
            yield from _import_time_nodes(node.body)
            yield from _import_time_nodes(getattr(node, "orelse", []))


def _target(name: str) -> str | None:
    """The deepest grader module that `name` (a dotted import target) is or lies in."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def _imports_of(module: str) -> tuple[set[str], set[str]]:
    """(grader modules, top-level external names) that `module` imports at import time."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if module in PACKAGES else module.rpartition(".")[0]
    inner: set[str] = set()
    outer: set[str] = set()
    for node in _import_time_nodes(tree.body):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            # `from p import x`: x is a module of p, or a name p defines
            names = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in MODULES else stem for a in node.names]
        for name in names:
            if name == "grader" or name.startswith("grader."):
                hit = _target(name)
                if hit is not None and hit != module:
                    inner.add(hit)
            else:
                outer.add(name.split(".")[0])
    return inner, outer


GRAPH: dict[str, set[str]] = {}
EXTERNAL: dict[str, set[str]] = {}
for _name in MODULES:
    GRAPH[_name], EXTERNAL[_name] = _imports_of(_name)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def _path_to(start: str, goal: set[str]) -> list[str] | None:
    """The shortest chain of module-level imports from `start` to a module in `goal`."""
    seen = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            if v in goal:
                return seen[v]
            for w in sorted(GRAPH[v]):
                if w not in seen:
                    seen[w] = [*seen[v], w]
                    nxt.append(w)
        frontier = nxt
    return None


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# --- the graph itself --------------------------------------------------------------------


def test_the_graph_reader_sees_the_package() -> None:
    """A guard for the tests below: a reader that found no edges would pass them all."""
    assert len(MODULES) > 60
    assert "grader.cli.app" in GRAPH["grader.cli"]  # __init__ re-exports main
    assert "grader.errors" in GRAPH["grader.results.gradebook"]
    assert "grader.results.attempt" in GRAPH["grader.checks.base"]
    assert "numpy" in EXTERNAL["grader.checks.base"]
    # a function-level import is not an edge: the CLI imports the grading spine lazily
    assert "grader.grading" not in GRAPH["grader.cli.app"]


def test_the_reader_skips_function_bodies_and_type_checking_blocks() -> None:
    tree = ast.parse(
        textwrap.dedent("""
        import os
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import tensorflow
        else:
            import json
        def f():
            import keras
        class C:
            import re
        try:
            import numpy
        except ImportError:
            import math
        if __name__ == "__main__":
            import sys
    """)
    )
    names = {a.name for node in _import_time_nodes(tree.body) for a in node.names}
    assert names == {"os", "TYPE_CHECKING", "json", "re", "numpy", "math"}


def test_no_import_circle() -> None:
    cycles = _cycles(GRAPH)
    assert not cycles, "import circles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_checks_import_neither_course_nor_execution() -> None:
    bad = sorted(
        f"{m} -> {t}"
        for m in GRAPH
        if _under(m, "grader.checks")
        for t in GRAPH[m]
        if _under(t, "grader.course") or _under(t, "grader.execution")
    )
    assert not bad, "checks depend on course loading or execution: " + ", ".join(bad)


@pytest.mark.parametrize("package", ["grader.cli", "grader.quiz"])
def test_cli_and_quiz_reach_no_tensorflow_at_module_level(package: str) -> None:
    heavy = {m for m, names in EXTERNAL.items() if names & set(HEAVY)}
    chains = []
    for module in sorted(m for m in GRAPH if _under(m, package)):
        chain = _path_to(module, heavy)
        if chain is not None:
            chains.append(" -> ".join(chain) + f" (imports {', '.join(sorted(EXTERNAL[chain[-1]] & set(HEAVY)))})")
    assert not chains, "\n".join(chains)


# --- fresh interpreters ------------------------------------------------------------------

_IMPORT_EACH = """
import importlib, json, sys, traceback
failed = {}
for name in json.loads(sys.argv[1]):
    for key in [k for k in sys.modules if k == "grader" or k.startswith("grader.")]:
        del sys.modules[key]
    try:
        importlib.import_module(name)
    except BaseException:
        failed[name] = traceback.format_exc(limit=-3)
print(json.dumps(failed))
"""


def test_every_module_imports_on_its_own() -> None:
    """Each module with none of grader's modules loaded before it: an import that only works
    after another module happens to be imported (or a circle entered at the wrong module)
    fails here."""
    names = sorted(MODULES)
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH, json.dumps(names)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    failed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not failed, "\n\n".join(f"{name}:\n{text}" for name, text in failed.items())


_RUN_CLI = """
import json, sys
from grader.cli.app import cli
try:
    cli.main(json.loads(sys.argv[1]), prog_name="grade")
    code = 0
except SystemExit as stop:
    code = stop.code
heavy = sorted(k for k in sys.modules if k.split(".")[0] in ("tensorflow", "keras"))
with open(sys.argv[2], "w") as out:
    json.dump({"code": code, "heavy": heavy[:5]}, out)
"""


@pytest.mark.parametrize(
    "args", [["--help"], ["quiz", "score", "ch15.ex3", "--answer", "x", "--json"]], ids=["help", "quiz-score"]
)
def test_commands_leave_tensorflow_unloaded(args: list[str], tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-c", _RUN_CLI, json.dumps(args), str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.is_file(), proc.stderr[-3000:]
    seen = json.loads(report.read_text())
    assert seen["code"] in (0, None), proc.stderr[-3000:]
    assert seen["heavy"] == []
    if "--json" in args:
        assert json.loads(proc.stdout)["question"] == "ch15.ex3"
    else:
        assert "quiz" in proc.stdout and "submit" in proc.stdout


# --- size ----------------------------------------------------------------------------------

MAX_LINES = 400  # CONTRIBUTING.md: small modules of one job


def test_no_module_is_over_the_size_limit() -> None:
    """A module past the limit holds more than one job: split it along a seam, do not squeeze it."""
    sizes = {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert len(sizes) > 60  # the walk found the package
    over = sorted(f"{name} ({n} lines)" for name, n in sizes.items() if n > MAX_LINES)
    assert not over, f"over {MAX_LINES} lines: " + ", ".join(over)
