"""The grader's own peak memory while it grades hostile notebooks, against an honest one.

    .venv/bin/python benchmarks/grader_memory.py [--with-known-gaps] [CASE ...]

Each case is the exercise-2 solution with one hostile change, graded in a fresh
`python` process (the grader only: the kernel is another process) that reports its
peak RSS (ru_maxrss). Printed: case, status, peak RSS, ratio to the honest notebook,
wall time, and the start of the result's message.

Cases: `display` (a 200 MB PNG in display_data), `npz` (a post_run_cell hook rewrites
the probe's out.npz: each array output becomes a 256 KB member that inflates to 256 MB), `literal` (a 3.5 MB string
for a value the grader reads with ast.literal_eval), `json` (a 6 MB value: out.json
over its cap), `answer` (a 2 MB quiz answer). With --with-known-gaps also `frames`:
one iopub message of 300 frames of 1 MB each; zmq's cap is per frame, so this one
still reaches the grader (see docs/sandbox.md).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "02_rnn_shapes.ipynb"

# After every cell (the probe's included) the hook replaces out.npz in the probe folder the
# cell named with members that inflate to 256 MB each, named like the probe's array outputs.
NPZ_HOOK = textwrap.dedent(r"""
    import io as _io, json as _j, os as _o, re as _re, zipfile as _z
    import numpy as _np
    def _bomb(result):
        # The probe folder is not listable, but the probe cell's own source names it.
        for d in set(_re.findall(r"[\w/.-]*/\.probe-[0-9a-f]+", result.info.raw_cell or "")):
            try:
                ids = [k for k, v in _j.load(open(_o.path.join(d, "out.json"))).items() if v.get("n_arrays")]
            except Exception:
                continue
            head = _io.BytesIO()
            _np.lib.format.write_array_header_1_0(head, {"descr": "<f8", "fortran_order": False,
                                                         "shape": (2**25,)})
            with _z.ZipFile(_o.path.join(d, "out.npz"), "w", _z.ZIP_DEFLATED, compresslevel=1) as z:
                for rid in ids:
                    with z.open(rid + "::0.npy", "w", force_zip64=True) as f:
                        f.write(head.getvalue())
                        for _ in range(16):
                            f.write(bytes(2**24))
    get_ipython().events.register("post_run_cell", _bomb)
""")

FRAMES = textwrap.dedent("""
    k = get_ipython().kernel
    k.session.send(k.iopub_socket, "stream", {"name": "stdout", "text": "x"},
                   buffers=[b"x" * 2**20] * 300)
""")


def _after(nb: nbformat.NotebookNode, marker: str, code: str) -> nbformat.NotebookNode:
    """Insert a code cell right after the first cell whose source contains `marker`."""
    at = next(i for i, c in enumerate(nb.cells) if marker in c.source)
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(code))
    return nb


def _answer(nb: nbformat.NotebookNode, text: str) -> nbformat.NotebookNode:
    cell = next(c for c in nb.cells if "answer:ch15.ex2" in c.metadata.get("tags", []))
    cell.source = text
    return nb


def build(case: str, nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    if case == "normal":
        return nb
    if case == "display":
        return _after(
            nb,
            "import keras",
            "from IPython.display import display\ndisplay({'image/png': 'A' * (200 * 2**20)}, raw=True)",
        )
    if case == "npz":
        return _after(nb, "import keras", NPZ_HOOK)
    if case == "literal":
        return _after(nb, "predictions = {", "predictions['simple_last']['shape'] = '(' + '1, ' * 1_200_000 + ')'")
    if case == "json":
        return _after(nb, "predictions = {", "predictions['simple_last']['shape'] = 'x' * (6 * 2**20)")
    if case == "answer":
        return _answer(nb, "RNN 층의 입력은 3차원입니다. " * 60_000)
    if case == "frames":
        return _after(nb, "import keras", FRAMES)
    raise SystemExit(f"unknown case {case!r}")


def grade_one(path: Path) -> None:
    """In the child: grade, then print the result and this process's peak RSS as JSON."""
    from grader.course.loader import load_course
    from grader.grading import grade_file

    result, _ = grade_file(load_course(ROOT), path, lang="en", seed=1)
    print(
        json.dumps(
            {
                "status": str(result.status),
                "score": result.score,
                "max_score": result.max_score,
                "message": result.message,
                "checks": [[c.id, c.passed, c.message[:160]] for c in result.checks],
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--with-known-gaps", action="store_true", help="also the multi-frame message case")
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    if args.one:
        grade_one(args.one)
        return 0
    cases = args.cases or ["normal", "display", "npz", "literal", "json", "answer"]
    if args.with_known_gaps and "frames" not in cases:
        cases.append("frames")
    if "normal" not in cases:
        cases.insert(0, "normal")
    rows = []
    with tempfile.TemporaryDirectory(prefix="grade-bench-memory-") as tmp:
        for case in cases:
            nb = build(case, nbformat.read(SOLUTION, as_version=4))
            path = Path(tmp) / case / SOLUTION.name
            path.parent.mkdir()
            nbformat.write(nb, path)
            t0 = time.monotonic()
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=900
            )
            wall = time.monotonic() - t0
            if out.returncode != 0:
                print(f"{case}: the grader failed\n{out.stderr[-3000:]}", file=sys.stderr)
                return 1
            doc = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append((case, doc, wall))
            print(
                f"{case:8} {doc['status']:8} {doc['score']:g}/{doc['max_score']:g}  peak {doc['peak_mb']:7.1f} MB  "
                f"{wall:6.1f} s",
                flush=True,
            )
    base = rows[0][1]["peak_mb"]
    print(f"\n{'case':8} {'status':8} {'score':>7} {'peak RSS':>10} {'÷ normal':>9} {'time':>7}  message")
    for case, doc, wall in rows:
        # Why points were lost: the run's message, else the first failed check's.
        note = doc["message"] or next((f"{cid}: {m}" for cid, passed, m in doc["checks"] if not passed), "")
        print(
            f"{case:8} {doc['status']:8} {doc['score']:>3g}/{doc['max_score']:<3g} {doc['peak_mb']:8.1f} MB "
            f"{doc['peak_mb'] / base:9.2f} {wall:6.1f} s  {' '.join(note.split())[:100]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
