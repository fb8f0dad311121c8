"""One probe round-trip: the requests and hidden inputs written to a fresh folder, the probe
pasted into the kernel under clean globals, and what it wrote read back within size caps
once the kernel is dead."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grader.checks.base import ProbeOutput
from grader.execution import bounded
from grader.execution.cells import ANSI
from grader.execution.outcome import RunOutcome
from grader.i18n import text

if TYPE_CHECKING:
    # Only run_probe needs the kernel's side: read_probe also serves the self-check's worker,
    # whose start-up should not pay for nbclient, jupyter_client and zmq (tests/execution).
    from grader.course.spec import Limits
    from grader.execution.kernel import CappedClient
    from grader.execution.sandbox import Sandbox

PROBE_SOURCE = (Path(__file__).with_name("probe_kernel.py")).read_text(encoding="utf-8")
MAX_PROBE_JSON = bounded.MAX_JSON_BYTES
SAVE_PREFIX = "grade:save/"  # ids of the probe's own save requests


def _probe_cell_source(probe_dir: Path) -> str:
    """The probe's text, then a call of it under fresh globals (only the builtins):
    whatever the notebook bound to `np`, `json`, `list`, `open`... does not reach it."""
    return (
        PROBE_SOURCE + "\n__grade_probe_run__.__class__(__grade_probe_run__.__code__, "
        "{'__builtins__': __grade_probe_run__.__builtins__, '__name__': '__grade_probe__'})"
        + f"({str(probe_dir)!r}, None)\n"
    )


@dataclass
class ProbeRound:
    """One round of requests, split by where they are answered."""

    kernel: list[dict[str, Any]]
    kernel_inputs: dict[str, np.ndarray]
    clean: list[dict[str, Any]]
    clean_inputs: dict[str, np.ndarray]


def split_round(requests: list[dict[str, Any]], inputs: dict[str, np.ndarray]) -> ProbeRound:
    """Kernel requests with only their own inputs; clean requests with theirs. The hidden
    inputs of a clean request never enter the student's kernel."""
    kernel = [r for r in requests if r.get("where") != "clean"]
    clean = [r for r in requests if r.get("where") == "clean"]

    def inputs_of(reqs: list[dict[str, Any]]) -> dict[str, np.ndarray]:
        names = {a for r in reqs for a in r.get("args", [])}
        return {k: v for k, v in inputs.items() if k in names}

    return ProbeRound(kernel, inputs_of(kernel), clean, inputs_of(clean))


def model_files(rounds: list[ProbeRound]) -> dict[str, str]:
    """{target: file name} for every model a clean request names, in order of appearance."""
    files: dict[str, str] = {}
    for rnd in rounds:
        for r in rnd.clean:
            target = str(r["target"])
            if target in files:
                continue
            stem = re.sub(r"[^A-Za-z0-9_.-]", "_", target).strip(".") or "model"
            name, n = f"{stem}.keras", 1
            while name in files.values():
                n += 1
                name = f"{stem}-{n}.keras"
            files[target] = name
    return files


def save_requests(models: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"id": f"{SAVE_PREFIX}{target}", "op": "save", "target": target, "file": name}
        for target, name in models.items()
    ]


async def run_probe(
    client: CappedClient,
    workdir: Path,
    sandbox: Sandbox,
    requests: list[dict[str, Any]],
    inputs: dict[str, np.ndarray],
    limits: Limits,
    outcome: RunOutcome,
) -> Path | None:
    """Run one probe round in the kernel. Returns its folder, to be read once the kernel
    is dead; None when there was nothing to ask or the probe cell failed."""
    import nbformat
    from nbclient.exceptions import CellExecutionError

    from grader.execution.cells import error_line

    if not requests:
        return None
    # A fresh, unguessable folder created only now: student code that ran
    # earlier could not have seen these inputs or prepared fake outputs there.
    probe_dir = workdir / f".probe-{secrets.token_hex(8)}"
    probe_dir.mkdir(parents=True)
    (probe_dir / "models").mkdir()
    for d in (probe_dir, probe_dir / "models"):
        sandbox.give_to_kernel(d)
    inputs_file = probe_dir / "inputs.npz"
    try:
        (probe_dir / "requests.json").write_text(json.dumps(requests), encoding="utf-8")
        np.savez(inputs_file, **inputs)  # type: ignore[arg-type]  # mypy checks **inputs against allow_pickle: bool
        cell = nbformat.v4.new_code_cell(_probe_cell_source(probe_dir))
        client.nb.cells.append(cell)
        client.output_budget = max(client.output_budget, 64 * 1024)
        client.timeout = int(limits.probe_timeout_s)
        try:
            await client.async_execute_cell(cell, len(client.nb.cells) - 1)
        except CellExecutionError as exc:
            outcome.probe_error = error_line(exc)
            return None
        finally:
            client.nb.cells.pop()
        return probe_dir
    finally:
        # The hidden inputs exist only while the probe runs.
        inputs_file.unlink(missing_ok=True)


def read_json(path: Path, limit: int) -> Any:
    """A JSON file a sandboxed process wrote, or None if it is not a plain file under `limit`."""
    if not regular_file(path, limit):
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def regular_file(path: Path, limit: int) -> bool:
    """A plain file (not a symlink, FIFO or device) of at most `limit` bytes."""
    import stat

    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size <= limit


def read_probe(
    probe_dir: Path, requests: list[dict[str, Any]], outcome: RunOutcome, lang: str = "en"
) -> dict[str, ProbeOutput]:
    """Read what the probe wrote; anything malformed is the student's, never a grader crash.
    Why something was not read is said in `lang`.

    Sizes are checked before anything is parsed or inflated (`bounded`): out.json has a
    byte cap, and of out.npz only the arrays the requests produced are read, each within
    its own and a total cap taken from the zip headers. An oversized array fails its own
    request with a message that says so; the other requests keep their results."""
    try:
        results = bounded.read_json(probe_dir / "out.json", MAX_PROBE_JSON)
    except bounded.TooLarge as exc:
        outcome.probe_error = text("execution.probe.too_large", lang, why=exc.said(lang))
        return {}
    except (OSError, ValueError):  # missing, a FIFO or symlink, not UTF-8 JSON
        outcome.probe_error = text("execution.probe.unreadable", lang)
        return {}
    if not isinstance(results, dict):
        outcome.probe_error = text("execution.probe.not_object", lang)
        return {}
    wanted = {str(r["id"]) for r in requests}
    counts: dict[str, int] = {}
    for rid, r in results.items():
        if rid not in wanted or not isinstance(r, dict):
            continue
        try:
            counts[rid] = max(0, min(int(r.get("n_arrays", 0) or 0), 1000))
        except (TypeError, ValueError):
            counts[rid] = 0
    names = [f"{rid}::{i}" for rid, n in counts.items() for i in range(n)]
    arrays: dict[str, np.ndarray] = {}
    refused: dict[str, str] = {}
    if names:
        try:
            arrays, refused = bounded.load_arrays(probe_dir / "out.npz", names, lang=lang)
        except bounded.TooLarge as exc:
            outcome.probe_error = text("execution.probe.too_large", lang, why=exc.said(lang))
            return {}
        except Exception as exc:  # noqa: BLE001 - anything the student left there is suspect
            outcome.probe_error = text("execution.probe.broken", lang, error_type=type(exc).__name__)
            return {}
    found: dict[str, ProbeOutput] = {}
    for rid, n in counts.items():
        r = results[rid]
        why = next((refused[k] for k in (f"{rid}::{i}" for i in range(n)) if k in refused), None)
        if why is not None:
            found[rid] = ProbeOutput(ok=False, error=text("execution.probe.not_read", lang, why=why))
            continue
        found[rid] = ProbeOutput(
            ok=r.get("ok") is True,
            value=r.get("value"),
            arrays=[arrays[f"{rid}::{i}"] for i in range(n) if f"{rid}::{i}" in arrays],
            error=ANSI.sub("", str(r.get("error", "")))[:1000],
        )
    return found
