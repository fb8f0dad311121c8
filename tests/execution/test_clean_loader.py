"""The clean loader: facts about models come from a sandbox that runs no student code.

The forgeries below are notebooks with no model at all that earned 9–10 code points
of exercises 1 and 3 when shapes, layers and predictions were measured inside the
student's kernel: a `sys.settrace` hook that rewrites the probe's results, a
`post_run_cell` hook that rewrites its files, a forked child that keeps writing
into the probe folder, duck-typed objects with Keras class names and
`get_config()`, NumPy lambdas returning zeros of the right shape, and Keras
models that are only Lambda layers (safe mode refuses them). Now each must earn
none of those points, with a message that says why.
"""

from __future__ import annotations

import json
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import make_notebook, write_notebook

from grader.checks import KINDS
from grader.execution import clean_loader
from grader.execution.probe_io import SAVE_PREFIX, model_files, save_requests, split_round

# --- how a forging notebook answers any request, given the probe's source is public ------

FORGE = r'''
import json, os, glob, re
import numpy as np

SHAPES = {  # what each target "returns" for an input x
    "seq2seq_model": lambda x: (x.shape[0], x.shape[1], 2 if x.shape[-1] == 3 else 1),
    "seq2vec_model": lambda x: (x.shape[0], 4),
    "vec2seq_model": lambda x: (x.shape[0], 10, 2),
    "fixed_model": lambda x: (x.shape[0], 1),
}

def fake_layer(cls, name, units, rs, shape):
    return {"class": cls, "name": name, "params": 440,
            "config": {"name": name, "units": units, "return_sequences": rs}, "output_shape": shape}

def fake_describe(target):
    last = target == "fixed_model"
    rnn = [fake_layer("SimpleRNN", f"rnn{i}", 20, not (last and i == 2),
                      [None, 20] if last and i == 2 else [None, None, 20]) for i in range(3)]
    dense = fake_layer("Dense", "dense", 1, None, [None, 1] if last else [None, None, 1])
    return {"type": "Sequential", "module": "keras.src.models.sequential", "layers": rnn + [dense]}

def forge(requests, inputs, probe_dir):
    """Forged answers for every request: results for out.json, arrays for out.npz."""
    results, arrays = {}, {}
    for req in requests:
        rid, op, target = req["id"], req["op"], req["target"]
        if op == "call" and target in SHAPES and req.get("args") and req["args"][0] in inputs:
            out = np.zeros(SHAPES[target](inputs[req["args"][0]]), "float32")
            arrays[f"{rid}::0"] = out
            results[rid] = {"ok": True, "n_arrays": 1, "value": {"shapes": [list(out.shape)], "tuple": False}}
        elif op == "describe":
            results[rid] = {"ok": True, "value": fake_describe(target)}
        elif op == "save":
            # No model to save: a file with the right name, and a claim that it worked.
            with open(os.path.join(probe_dir, "models", req["file"]), "wb") as f:
                f.write(b"PK\x05\x06" + bytes(18))
            results[rid] = {"ok": True, "value": {"file": req["file"]}}
    return results, arrays

def rewrite(probe_dir):
    try:
        with open(os.path.join(probe_dir, "requests.json")) as f:
            requests = json.load(f)
    except (OSError, ValueError):
        return
    try:
        inputs = dict(np.load(os.path.join(probe_dir, "inputs.npz")))
    except OSError:
        inputs = {}
    results, arrays = forge(requests, inputs, probe_dir)
    np.savez(os.path.join(probe_dir, "out.npz"), **arrays)
    with open(os.path.join(probe_dir, "out.json"), "w") as f:
        json.dump(results, f)

PROBE_IN_CELL = r"'(/[^']*/\.probe-[0-9a-f]+)'"

def probe_dirs(cell_text=""):
    """The probe's folder: listed beside the notebook's home if the sandbox lets it, else
    read from the probe cell's own text (it names its folder), else from a note left by
    a pre_run_cell hook."""
    found = set(glob.glob(os.path.join(os.path.dirname(os.getcwd()), ".probe-*")))
    found |= set(re.findall(PROBE_IN_CELL, cell_text))
    try:
        with open(os.path.join(os.environ["HOME"], ".probe-path")) as f:
            found |= {line.strip() for line in f if line.strip()}
    except OSError:
        pass
    return sorted(found)

def note_probe_dir(info):
    named = re.findall(PROBE_IN_CELL, info.raw_cell or "")
    if named:
        with open(os.path.join(os.environ["HOME"], ".probe-path"), "a") as f:
            f.write("\n".join(named) + "\n")

get_ipython().events.register("pre_run_cell", note_probe_dir)
'''

SETTRACE = (
    FORGE
    + """
import sys

def tracer(frame, event, arg):
    # The probe saves its arrays, then writes out.json: rewrite both on their way out.
    if event == "call" and frame.f_code.co_name == "savez":
        probe = frame.f_back
        if probe is not None and probe.f_code.co_name == "__grade_probe_run__":
            loc = probe.f_locals
            results, arrays = forge(loc["requests"], loc["inputs"], loc["probe_dir"])
            loc["results"].clear()
            loc["results"].update(results)
            frame.f_locals["kwds"].update(arrays)
    return None

sys.settrace(tracer)
"""
)

POST_RUN_CELL = (
    FORGE
    + """
def after_probe(result):
    for d in probe_dirs(result.info.raw_cell or ""):
        rewrite(d)

get_ipython().events.register("post_run_cell", after_probe)
"""
)

FORKED_CHILD = (
    FORGE
    + """
import io, time

def forged_bytes(d):
    with open(os.path.join(d, "requests.json")) as f:
        requests = json.load(f)
    try:
        inputs = dict(np.load(os.path.join(d, "inputs.npz")))
    except OSError:
        inputs = {}
    results, arrays = forge(requests, inputs, d)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return json.dumps(results).encode(), buf.getvalue()

def put(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)  # whoever reads sees the old file or the forged one, whole

if os.fork() == 0:
    # The child outlives the cell: it prepares the forgery as soon as the probe's folder
    # appears, and replaces the probe's outputs the moment they are written.
    ready = {}
    end = time.time() + 120
    while time.time() < end:
        for d in probe_dirs():
            if d not in ready:
                try:
                    ready[d] = forged_bytes(d)
                except Exception:
                    continue  # its inputs are still being written
            out_json = os.path.join(d, "out.json")
            try:
                with open(out_json, "rb") as f:
                    current = f.read()
                if current != ready[d][0]:
                    put(os.path.join(d, "out.npz"), ready[d][1])
                    put(out_json, ready[d][0])
            except OSError:
                pass
        time.sleep(0.0005)
    os._exit(0)
"""
)

NUMPY_LAMBDAS_1 = """
import numpy as np
seq2seq_model = lambda x: np.zeros((x.shape[0], x.shape[1], 2), "float32")
seq2vec_model = lambda x: np.zeros((x.shape[0], 4), "float32")
vec2seq_model = lambda x: np.zeros((x.shape[0], 10, 2), "float32")
"""

NUMPY_LAMBDAS_3 = """
import numpy as np
fixed_model = lambda x: np.zeros((x.shape[0], 1), "float32")
seq2seq_model = lambda x: np.zeros((x.shape[0], x.shape[1], 1), "float32")
"""

DUCK_TYPED_3 = """
import numpy as np

class Shape:
    def __init__(self, shape):
        self.shape = tuple(shape)

def layer(cls, name, rs, shape):
    config = {"name": name, "units": 20 if cls == "SimpleRNN" else 1, "return_sequences": rs,
              "activation": "tanh", "trainable": True}
    methods = {"get_config": lambda self: dict(config), "count_params": lambda self: 440,
               "name": name, "output": Shape(shape), "__module__": "keras.src.layers"}
    return type(cls, (), methods)()

def model(layers, out):
    methods = {"layers": layers, "inputs": [Shape((None, None, 1))], "__module__": "keras.src.models.sequential",
               "count_params": lambda self: 1341, "get_config": lambda self: {"name": "sequential"},
               "predict": lambda self, x, verbose=0: out(x), "__call__": lambda self, x: out(x),
               "save": lambda self, path, *a, **k: open(path, "wb").write(b"PK" + bytes(64))}
    return type("Sequential", (), methods)()

fixed_model = model([layer("SimpleRNN", "r1", True, (None, None, 20)), layer("SimpleRNN", "r2", True, (None, None, 20)),
                     layer("SimpleRNN", "r3", False, (None, 20)), layer("Dense", "d", None, (None, 1))],
                    lambda x: np.zeros((len(x), 1), "float32"))
seq2seq_model = model([layer("SimpleRNN", f"r{i}", True, (None, None, 20)) for i in range(3)]
                      + [layer("Dense", "d", None, (None, None, 1))],
                      lambda x: np.zeros((x.shape[0], x.shape[1], 1), "float32"))
"""

LAMBDA_LAYERS_1 = """
import keras
seq2seq_model = keras.Sequential([keras.Input(shape=(None, 3)),
                                  keras.layers.Lambda(lambda x: keras.ops.zeros_like(x)[..., :2])])
seq2vec_model = keras.Sequential([keras.Input(shape=(None, 3)),
                                  keras.layers.Lambda(lambda x: keras.ops.zeros_like(x)[:, 0, :1] * keras.ops.ones((1, 4)))])
vec2seq_model = keras.Sequential([keras.Input(shape=(5,)), keras.layers.RepeatVector(10),
                                  keras.layers.Lambda(lambda x: keras.ops.zeros_like(x)[..., :2])])
"""

# name: (notebook file, exercise, code cell, the checks it used to pass on forged data)
FORGERIES = {
    "settrace_hook": ("01_seq2seq_uses.ipynb", "ch15.ex1", SETTRACE, None),
    "post_run_cell_hook": ("01_seq2seq_uses.ipynb", "ch15.ex1", POST_RUN_CELL, None),
    "forked_child": ("03_return_sequences.ipynb", "ch15.ex3", FORKED_CHILD, None),
    "numpy_lambdas_ex1": ("01_seq2seq_uses.ipynb", "ch15.ex1", NUMPY_LAMBDAS_1, "not_keras"),
    "numpy_lambdas_ex3": ("03_return_sequences.ipynb", "ch15.ex3", NUMPY_LAMBDAS_3, "not_keras"),
    "duck_typed_ex3": ("03_return_sequences.ipynb", "ch15.ex3", DUCK_TYPED_3, "not_keras"),
    "lambda_layers_ex1": ("01_seq2seq_uses.ipynb", "ch15.ex1", LAMBDA_LAYERS_1, "unsafe"),
}


def forgery_notebook(name: str, folder: Path) -> Path:
    """The forging notebook `name`, written as its exercise's file in `folder`."""
    file, exercise, code, _ = FORGERIES[name]
    folder.mkdir(parents=True, exist_ok=True)
    nb = make_notebook([("markdown", f"# {name}"), ("code", textwrap.dedent(code))], exercise=exercise)
    return write_notebook(folder / file, nb)


# --- plain helpers of the runner -----------------------------------------------------


def test_clean_inputs_never_go_to_the_kernel():
    reqs = [
        {"id": "a/call", "op": "call", "target": "f", "args": ["a__x"]},
        {"id": "b/case0", "op": "call", "target": "model", "args": ["b__x0"], "where": "clean"},
        {"id": "b/describe", "op": "describe", "target": "model", "where": "clean"},
    ]
    inputs = {"a__x": np.zeros(2), "b__x0": np.ones(3)}
    rnd = split_round(reqs, inputs)
    assert [r["id"] for r in rnd.kernel] == ["a/call"] and set(rnd.kernel_inputs) == {"a__x"}
    assert [r["id"] for r in rnd.clean] == ["b/case0", "b/describe"] and set(rnd.clean_inputs) == {"b__x0"}


def test_each_model_is_saved_once_under_a_plain_name():
    rnd = split_round(
        [
            {"id": "x", "op": "call", "target": "model", "where": "clean"},
            {"id": "y", "op": "describe", "target": "model", "where": "clean"},
            {"id": "z", "op": "call", "target": "a/../b", "where": "clean"},
        ],
        {},
    )
    files = model_files([rnd])
    assert files == {"model": "model.keras", "a/../b": "a_.._b.keras"}
    saves = save_requests(files)
    assert [s["op"] for s in saves] == ["save", "save"]
    assert all(s["id"].startswith(SAVE_PREFIX) for s in saves)


@pytest.mark.parametrize(
    "error, code",
    [
        (
            ValueError(
                "Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. "
                "This carries a potential risk of arbitrary code execution; pass `safe_mode=False`"
            ),
            "unsafe",
        ),
        (TypeError("Could not locate class 'LNSimpleRNNCell'. Make sure custom classes are decorated"), "custom"),
        (OSError("File is not a zip file"), "load_failed"),
    ],
)
def test_load_errors_are_told_apart(error, code):
    assert clean_loader.classify_load_error(error)[0] == code


def test_custom_class_found_in_the_cause_keras_wraps_it_in():
    try:
        try:
            raise TypeError("Could not locate class 'LNSimpleRNNCell'. Make sure custom classes are decorated")
        except TypeError as inner:
            raise TypeError("<class 'Sequential'> could not be deserialized properly") from inner
    except TypeError as outer:
        code, detail = clean_loader.classify_load_error(outer)
    assert code == "custom" and detail == "LNSimpleRNNCell"


# --- forgeries, through the real runner, the clean loader and the checks ---------------


@pytest.fixture(scope="module")
def forged(course, tmp_path_factory):
    """Every forgery graded once (two at a time), in English and with a fixed seed."""
    from grader.grading import grade_file

    base = tmp_path_factory.mktemp("forgeries")

    def grade(name: str):
        path = forgery_notebook(name, base / name)
        result, _ = grade_file(course, path, lang="en", seed=13, member="forger")
        return name, result

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(grade, FORGERIES))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FORGERIES))
def test_forgery_earns_no_model_points(name, forged):
    result = forged[name]
    assert result.status == "graded", result.message
    code = [c for c in result.checks if c.kind != "quiz"]
    model_checks = [c for c in code if KINDS[c.kind].evidence == "clean"]
    assert model_checks and all(c.evidence == "clean" for c in model_checks)
    assert sum(c.points for c in model_checks) == 0, [(c.id, c.message) for c in model_checks if c.points]
    assert result.score == 0, [(c.id, c.points) for c in result.checks if c.points]
    expected = FORGERIES[name][3]
    if expected is not None:
        for c in model_checks:
            assert c.details.get("clean_failure") == expected, (c.id, c.message)
            assert "earns nothing" in c.message and "safe mode" in c.message


@pytest.mark.slow
def test_forgery_messages_name_the_reason(forged):
    lam = {c.id: c.message for c in forged["lambda_layers_ex1"].checks}
    assert "safe mode refused to load it" in lam["seq2seq_shape"] and "Lambda" in lam["seq2seq_shape"]
    duck = {c.id: c.message for c in forged["duck_typed_ex3"].checks}
    assert "a `Sequential` object, not a Keras model" in duck["fixed_layers"]
    numpy = {c.id: c.message for c in forged["numpy_lambdas_ex1"].checks}
    assert "a `function` object, not a Keras model" in numpy["seq2vec_kind"]


@pytest.mark.slow
def test_hooks_and_children_only_reach_the_save_requests(forged):
    """What the hooks forge for the save requests (a claim and a fake file) fails to load;
    the files they write can no longer hold shapes or layer descriptions."""
    for name in ("settrace_hook", "post_run_cell_hook", "forked_child"):
        for c in forged[name].checks:
            if c.kind != "quiz" and KINDS[c.kind].evidence == "clean":
                assert c.details.get("clean_failure") in (None, "load_failed"), (name, c.id, c.message)
                assert "earns nothing" in c.message or "not defined" in c.message, (name, c.id, c.message)
    for name in ("settrace_hook", "post_run_cell_hook"):  # in the kernel's own thread: no race
        hooked = [c for c in forged[name].checks if c.kind != "quiz"]
        assert all(c.details.get("clean_failure") == "load_failed" for c in hooked if c.evidence == "clean"), [
            c.message for c in hooked
        ]


def test_loader_marks_the_libraries_it_never_uses_absent():
    """Keras imports scikit-learn, pandas, matplotlib and IPython inside try/except ImportError;
    the loader makes each of those imports fail at once instead of paying for it."""
    import subprocess
    import sys

    script = textwrap.dedent("""
        from grader.execution.clean_loader import NOT_NEEDED, _skip_unneeded_imports
        _skip_unneeded_imports()
        import numpy, json
        for name in NOT_NEEDED:
            try:
                __import__(name)
            except ImportError:
                continue
            raise SystemExit(f"{name} was imported")
        print(len(NOT_NEEDED))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "4"


# --- the loader on real models, outside any kernel --------------------------------------


@pytest.mark.slow
def test_loader_after_its_warm_up_loads_models_without_the_skipped_libraries(tmp_path):
    import subprocess
    import sys

    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        import numpy as np
        from grader.execution.clean_loader import NOT_NEEDED, _warm_up, load_models
        keras = _warm_up()
        loaded = [n for n in NOT_NEEDED if sys.modules.get(n) is not None]
        assert not loaded, loaded
        folder = Path({str(tmp_path)!r})
        model = keras.Sequential([keras.Input(shape=(None, 1)), keras.layers.LSTM(3), keras.layers.Dense(2)])
        model.compile(optimizer="adam", loss="mse")
        model.save(folder / "m.keras")
        ns, report = load_models(keras, folder, {{"m": "m.keras"}})
        assert report["m"]["ok"], report
        x = np.ones((2, 5, 1), "float32")
        assert np.allclose(ns["m"](x), model(x))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.slow
def test_loader_answers_like_the_probe_and_refuses_lambda(tmp_path):
    """Run the loader's job code on files saved here: a plain model is described and
    called exactly as the probe would; a Lambda model is refused in safe mode."""
    import subprocess
    import sys

    script = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        import numpy as np
        import keras
        job = Path({str(tmp_path)!r})
        (job / "models").mkdir()
        good = keras.Sequential([keras.Input(shape=(None, 2)), keras.layers.GRU(4), keras.layers.Dense(3)])
        good.compile(optimizer=keras.optimizers.Adam(clipnorm=0.5), loss="mse")
        good.save(job / "models" / "good.keras")
        bad = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Lambda(lambda x: x * 0)])
        bad.save(job / "models" / "bad.keras")
        (job / "round-0").mkdir()
        np.savez(job / "round-0" / "inputs.npz", x=np.ones((5, 7, 2), "float32"))
        wanted = [{{"id": "c", "op": "call", "target": "good", "method": "auto", "args": ["x"]}},
                  {{"id": "d", "op": "describe", "target": "good"}},
                  {{"id": "e", "op": "describe", "target": "bad"}}]
        (job / "round-0" / "wanted.json").write_text(json.dumps(wanted))
        (job / "job.json").write_text(json.dumps({{"models": {{"good": "good.keras", "bad": "bad.keras"}},
                                                   "rounds": ["round-0"]}}))
        from grader.execution.clean_loader import run_job
        run_job(job, {{}})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    loads = json.loads((tmp_path / "loads.json").read_text())["models"]
    assert loads["good"]["ok"] and not loads["bad"]["ok"] and loads["bad"]["failure"] == "unsafe"
    out = json.loads((tmp_path / "round-0" / "out.json").read_text())
    assert set(out) == {"c", "d"}  # nothing is asked of a model that did not load
    assert out["c"]["ok"] and out["c"]["value"]["shapes"] == [[5, 3]]
    desc = out["d"]["value"]
    assert [lay["class"] for lay in desc["layers"]] == ["GRU", "Dense"]
    assert desc["optimizer"]["class"] == "Adam" and desc["optimizer"]["config"]["clipnorm"] == 0.5
    with np.load(tmp_path / "round-0" / "out.npz") as npz:
        assert npz["c::0"].shape == (5, 3)
