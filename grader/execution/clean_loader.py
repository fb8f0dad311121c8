"""The clean loader: measure the student's saved models where no student code runs.

Run as `python -m grader.execution.clean_loader` inside a sandbox of its own (the
runner wraps it exactly like the student's kernel). It imports Keras at once, while
the notebook is still running, then waits for one line on stdin: a JSON object
{"job": "<folder>"}. The folder holds

- `job.json`: {"models": {target: file name in models/}, "rounds": [round folder, ...]};
- `models/`: the files the probe saved with model.save(), copied there by the grader
  after the student's kernel and all its processes were killed;
- per round, `wanted.json` (the clean requests, as the probe takes them) and
  `inputs.npz` (their hidden inputs).

Each model is loaded with `keras.saving.load_model(path, safe_mode=True)`: no Lambda
bytecode, no class the notebook defined. The loader writes `loads.json` (what loaded,
and why not, and how long its start and the loads took), then answers each round's requests with the probe's own code
(probe_kernel.py) on the loaded models, so the grader reads the same plain data
(`out.json`, `out.npz`) it reads from the kernel's probe. It exits when done; the
grader kills its sandbox before reading anything it wrote.

Keras' safe mode has had bypasses (CVE-2025-1550, CVE-2025-8747): that is why this
process is sandboxed like the student's kernel and never runs in the grader.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
import zipfile
from pathlib import Path
from typing import Any

# A loaded file's config is read to restore an optimizer on its own; it is small.
MAX_CONFIG_BYTES = 8 * 2**20


def _quiet() -> None:
    """Stdout to /dev/null (the loader answers through files); TensorFlow's logs and Python's
    warnings off."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore")
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


# Libraries `import keras` loads only for features a loader never uses (the scikit-learn
# wrappers, pandas inputs, plotting, notebook display), each inside `try: import ...
# except ImportError`. Marked absent here, they cost nothing: about 2 of the ~8 CPU seconds
# the loader spends importing Keras per notebook (benchmarks/notebook_cpu.py). No saved
# model can need them: safe mode loads Keras' own classes only.
NOT_NEEDED = ("sklearn", "pandas", "matplotlib", "IPython")


def _skip_unneeded_imports() -> None:
    for name in NOT_NEEDED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None: `import name` raises ImportError


def _warm_up() -> Any:
    """Import Keras and call one tiny model, so the runtime is ready before the work comes.

    An eager call, as most checks make (`method = "call"`): `predict` here would trace a
    function for a model that is thrown away, ~0.5 CPU s per notebook for nothing."""
    _skip_unneeded_imports()
    import keras
    import numpy as np

    try:
        tiny = keras.Sequential([keras.Input(shape=(None, 1)), keras.layers.SimpleRNN(2), keras.layers.Dense(1)])
        tiny(np.zeros((1, 3, 1), dtype="float32"))
    except Exception:  # noqa: BLE001 - only a warm-up; the real loads report their own errors
        pass
    return keras


def _chain(exc: BaseException) -> str:
    """The error and what caused it: Keras wraps the useful part ("Could not locate class")."""
    parts: list[str] = []
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen and len(parts) < 4:
        seen.add(id(cur))
        text = f"{type(cur).__name__}: {str(cur).strip()}"
        if text not in parts:  # Keras re-raises the same error from another frame
            parts.append(text)
        cur = cur.__cause__ or cur.__context__
    return " <- ".join(parts)


def classify_load_error(exc: BaseException) -> tuple[str, str]:
    """(failure code, short detail) for a model file that did not load in safe mode."""
    import re

    text = _chain(exc)
    if "safe_mode" in text or "arbitrary code execution" in text:
        first = text.split(". ")[0]
        return "unsafe", first[:300]
    names = re.findall(r"Could not locate (?:class|function) '([^']+)'", text)
    if names:
        return "custom", ", ".join(dict.fromkeys(names))[:200]
    return "load_failed", text.splitlines()[0][:300] if text else type(exc).__name__


def _restore_optimizer(keras: Any, model: Any, path: Path) -> str:
    """After a load without compiling (a custom loss or metric), bring back the optimizer
    alone from the file's compile config, so its settings can still be checked."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                return "config.json is too large"
            config = json.loads(zf.read(info).decode("utf-8"))
        opt_cfg = (config.get("compile_config") or {}).get("optimizer")
        if not opt_cfg:
            return ""
        optimizer = keras.optimizers.deserialize(opt_cfg)
        model.compile(optimizer=optimizer)
        return ""
    except Exception as exc:  # noqa: BLE001 - the optimizer checks then say it is missing
        return f"{type(exc).__name__}: {str(exc)[:200]}"


def load_models(keras: Any, models_dir: Path, models: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load every model file in safe mode. Returns (namespace of loaded models, load report)."""
    ns: dict[str, Any] = {}
    report: dict[str, Any] = {}
    for target, name in models.items():
        path = models_dir / name
        entry: dict[str, Any] = {"ok": False}
        try:
            try:
                model = keras.saving.load_model(path, safe_mode=True, compile=True)
            except Exception as exc:  # noqa: BLE001 - retried without the training configuration
                code, _ = classify_load_error(exc)
                if code == "unsafe":
                    raise
                model = keras.saving.load_model(path, safe_mode=True, compile=False)
                entry["compile_error"] = classify_load_error(exc)[1]
                problem = _restore_optimizer(keras, model, path)
                if problem:
                    entry["optimizer_error"] = problem
            if not isinstance(model, keras.Model):
                raise TypeError(f"the file holds a {type(model).__name__}, not a model")
        except Exception as exc:  # noqa: BLE001 - anything in the file is the student's
            entry["failure"], entry["error"] = classify_load_error(exc)
            report[target] = entry
            continue
        entry["ok"] = True
        ns[target.split(".")[0]] = _Holder.wrap(target, model, ns.get(target.split(".")[0]))
        report[target] = entry
    return ns, report


class _Holder:
    """Stands for a notebook object whose attribute is the model (target "a.b")."""

    @staticmethod
    def wrap(target: str, model: Any, existing: Any) -> Any:
        _head, *rest = target.split(".")
        if not rest:
            return model
        root = existing if isinstance(existing, _Holder) else _Holder()
        node = root
        for part in rest[:-1]:
            child = getattr(node, part, None)
            if not isinstance(child, _Holder):
                child = _Holder()
                setattr(node, part, child)
            node = child
        setattr(node, rest[-1], model)
        return root


def run_job(job_dir: Path, timings: dict[str, float]) -> None:
    keras = sys.modules["keras"]
    from grader.execution.probe_kernel import __grade_probe_run__

    t0 = time.monotonic()
    job = json.loads((job_dir / "job.json").read_text(encoding="utf-8"))
    ns, report = load_models(keras, job_dir / "models", dict(job.get("models", {})))
    timings["load_s"] = time.monotonic() - t0
    (job_dir / "loads.json").write_text(json.dumps({"models": report, "timings": timings}), encoding="utf-8")
    loaded = {t for t, e in report.items() if e.get("ok")}
    for name in job.get("rounds", []):
        round_dir = job_dir / name
        wanted = json.loads((round_dir / "wanted.json").read_text(encoding="utf-8"))
        todo = [r for r in wanted if r.get("target") in loaded]
        (round_dir / "requests.json").write_text(json.dumps(todo), encoding="utf-8")
        __grade_probe_run__(str(round_dir), ns)
    timings["answer_s"] = time.monotonic() - t0 - timings["load_s"]
    (job_dir / "loads.json").write_text(json.dumps({"models": report, "timings": timings}), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    import argparse

    t0 = time.monotonic()
    parser = argparse.ArgumentParser(prog="grader.execution.clean_loader")
    # Lower priority than the student's kernel while Keras is imported, so that this start
    # does not slow the notebook down; the grader gives the priority back with the work.
    parser.add_argument("--nice", type=int, default=0)
    args = parser.parse_args(argv)
    if args.nice:
        try:
            os.nice(args.nice)
        except OSError:
            pass
    _quiet()
    _warm_up()
    timings = {"ready_s": time.monotonic() - t0}
    line = sys.stdin.readline()
    timings["idle_s"] = time.monotonic() - t0 - timings["ready_s"]
    if not line.strip():
        return 0  # the grader had no model for us (the notebook stopped early)
    try:
        job_dir = Path(json.loads(line)["job"])
    except (ValueError, KeyError, TypeError):
        print('clean_loader: expected a line {"job": folder}', file=sys.stderr)
        return 2
    run_job(job_dir, timings)
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    # Everything is written and closed: skip TensorFlow's slow interpreter teardown, which
    # the grader would otherwise wait for.
    sys.stderr.flush()
    os._exit(code)
