# This file's text is pasted into the student's kernel as the grader's probe cell.
# It must stand alone (no grader imports) and only export plain data: every
# judgement happens later, in the grader process, where the targets are.
#
# Hardening (cheap, best effort; the real guarantee is that forged data is judged
# against targets the kernel never sees):
# - the runner calls this function with fresh globals holding only the builtins,
#   so names the notebook rebinds (`list = ...`, `json = ...`, `np = ...`, `open`)
#   do not reach the probe;
# - out.json is written with a JSON encoder of its own and a freshly created
#   `posix` module, so monkeypatched json.dump(s), builtins.open/print or os.*
#   cannot change what the probe writes;
# - arrays are saved with numpy's implementation-module savez, not `numpy.savez`.
#
# The clean loader (clean_loader.py) runs this same function outside the student's
# kernel, on models it loaded itself: `ns` is then its namespace of loaded models.
# The self-check (grader/selfcheck/) imports it into the student's running kernel and
# calls it on the live namespace with the practice seed's requests: one probe, three callers.
def __grade_probe_run__(probe_dir, ns=None):
    import _imp
    import importlib.machinery as _mach
    import math as _math
    import traceback as _tb

    import numpy as _np

    try:  # a new module object: patches of os.* / posix.* in the notebook do not apply
        _px = _imp.create_builtin(_mach.ModuleSpec("posix", _mach.BuiltinImporter, origin="built-in"))
        _imp.exec_builtin(_px)
        _px.O_RDONLY
    except Exception:
        import posix as _px

    def join(*parts):
        return "/".join(parts)

    def read_bytes(path):
        fd = _px.open(path, _px.O_RDONLY | getattr(_px, "O_NOFOLLOW", 0))
        try:
            chunks = []
            while True:
                b = _px.read(fd, 1 << 20)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks)
        finally:
            _px.close(fd)

    def write_bytes(path, data):
        flags = _px.O_WRONLY | _px.O_CREAT | _px.O_TRUNC | getattr(_px, "O_NOFOLLOW", 0)
        fd = _px.open(path, flags, 0o600)
        try:
            view = memoryview(data)
            while view:
                n = _px.write(fd, view)
                view = view[n:]
        finally:
            _px.close(fd)

    escapes = {i: "\\u%04x" % i for i in range(32)}
    escapes.update({34: '\\"', 92: "\\\\", 10: "\\n", 13: "\\r", 9: "\\t"})

    def encode(value):
        """JSON text for plain data (what `jsonable` returns), without the json module."""
        cls = value.__class__
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if cls is int:
            return int.__repr__(value)
        if cls is float:
            return float.__repr__(value) if _math.isfinite(value) else '"' + float.__repr__(value) + '"'
        if cls is str:
            return '"' + str.translate(value, escapes) + '"'
        if cls is dict:
            return "{" + ", ".join(encode(str(k)) + ": " + encode(v) for k, v in dict.items(value)) + "}"
        if cls in (list, tuple):
            return "[" + ", ".join(encode(v) for v in value) + "]"
        return encode(str(value))

    try:
        from numpy.lib import _npyio_impl as _npyio
    except ImportError:
        from numpy.lib import npyio as _npyio
    savez = getattr(_npyio, "savez", None) or _np.savez

    if ns is None:
        ns = get_ipython().user_ns
    import json as _json  # reading the grader's request list only

    requests = _json.loads(read_bytes(join(probe_dir, "requests.json")).decode("utf-8"))
    inputs_path = join(probe_dir, "inputs.npz")
    try:
        inputs = dict(_np.load(inputs_path))
    except FileNotFoundError:
        inputs = {}

    def resolve(dotted):
        head, *rest = dotted.split(".")
        if head not in ns:
            raise NameError(f"name '{head}' is not defined in the notebook")
        obj = ns[head]
        for part in rest:
            obj = getattr(obj, part)
        return obj

    def to_array(value):
        if hasattr(value, "numpy"):
            value = value.numpy()
        return _np.asarray(value)

    def jsonable(value, depth=0):
        if depth > 6:
            return repr(value)[:200]
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return value if _math.isfinite(value) else repr(value)
        if isinstance(value, (_np.integer,)):
            return int(value)
        if isinstance(value, (_np.floating,)):
            return float(value) if _math.isfinite(float(value)) else repr(float(value))
        if isinstance(value, (list, tuple)):
            return [jsonable(v, depth + 1) for v in value][:10000]
        if isinstance(value, dict):
            return {str(k): jsonable(v, depth + 1) for k, v in list(value.items())[:1000]}
        if isinstance(value, _np.ndarray) and value.size <= 100000:
            return jsonable(value.tolist(), depth + 1)
        if hasattr(value, "numpy"):
            return jsonable(value.numpy(), depth + 1)
        return {"__repr__": repr(value)[:500], "__type__": type(value).__name__}

    def shape_of(t):
        try:
            return [None if d is None else int(d) for d in tuple(t.shape)]
        except Exception:
            return None

    def describe_layer(layer):
        info = {"class": type(layer).__name__, "name": getattr(layer, "name", "")}
        try:
            info["config"] = jsonable(layer.get_config())
        except Exception as exc:
            info["config"] = {"__error__": repr(exc)[:200]}
        try:
            info["params"] = int(layer.count_params())
        except Exception:
            info["params"] = None
        try:
            info["output_shape"] = shape_of(layer.output)
        except Exception:
            info["output_shape"] = None
        for attr in ("cell", "layer", "forward_layer"):
            inner = getattr(layer, attr, None)
            if inner is not None and hasattr(inner, "get_config"):
                info[attr] = describe_layer(inner)
        return info

    def graph_of(model, layers, depth=0):
        """What feeds what inside a model: every operation (layers, and the ops a functional
        model records for `x[:, 0]` or keras.ops calls, which `model.layers` leaves out)
        with the names of the operations it takes its inputs from. A top-level node points
        at its entry in `layers` (index); a node of a nested model carries its own
        description, since nothing else describes it."""
        ops = getattr(model, "_operations", None)
        if ops is None:  # a Sequential keeps its graph in a Functional it builds
            ops = getattr(getattr(model, "_functional", None), "_operations", None)
            owner = getattr(model, "_functional", None)
        else:
            owner = model
        index = {id(l): i for i, l in enumerate(layers or [])}
        if ops is None:
            # Not built yet (a Sequential without Input): its layers in order are its graph.
            names = [getattr(l, "name", str(i)) for i, l in enumerate(layers or [])]
            nodes = [
                {"name": n, "class": type(l).__name__, "inbound": names[i - 1 : i], "layer": i}
                for i, (n, l) in enumerate(zip(names, layers or []))
            ]
            return {"nodes": nodes, "inputs": names[:1], "outputs": names[-1:], "built": False}
        own = getattr(owner, "_nodes", None)
        nodes = []
        for op in list(ops)[:2000]:
            inbound = []
            for k, node in enumerate(getattr(op, "_inbound_nodes", []) or []):
                if isinstance(own, (set, frozenset)) and f"{id(op)}_ib-{k}" not in own:
                    continue  # a node of another model that shares this layer
                for parent in getattr(node, "parent_nodes", []) or []:
                    name = getattr(getattr(parent, "operation", None), "name", None)
                    if name is not None and name not in inbound:
                        inbound.append(str(name))
            entry = {"name": str(getattr(op, "name", "")), "class": type(op).__name__, "inbound": inbound}
            if id(op) in index:
                entry["layer"] = index[id(op)]
            elif type(op).__name__ != "InputLayer" and depth > 0 and hasattr(op, "get_config"):
                entry["desc"] = describe_layer(op)
            if getattr(op, "layers", None) is not None and depth < 3:
                entry["graph"] = graph_of(op, None, depth + 1)  # a model used as a layer
            nodes.append(entry)

        def ends(tensors):
            out = []
            for t in tensors or []:
                hist = getattr(t, "_keras_history", None)
                op = getattr(hist, "operation", None) if hist is not None else None
                if op is not None:
                    out.append(str(op.name))
            return out

        return {
            "nodes": nodes,
            "inputs": ends(getattr(owner, "inputs", None)),
            "outputs": ends(getattr(owner, "outputs", None)),
            "built": True,
        }

    def describe(obj):
        info = {"type": type(obj).__name__, "module": type(obj).__module__}
        layers = getattr(obj, "layers", None)
        if layers is not None:
            info["layers"] = [describe_layer(l) for l in layers]
            try:
                info["graph"] = graph_of(obj, layers)
            except Exception as exc:
                info["graph"] = {"__error__": repr(exc)[:200]}
        elif hasattr(obj, "get_config"):
            info["layer"] = describe_layer(obj)
        opt = getattr(obj, "optimizer", None)
        if opt is not None and hasattr(opt, "get_config"):
            try:
                info["optimizer"] = {"class": type(opt).__name__, "config": jsonable(opt.get_config())}
            except Exception:
                pass
        try:
            info["params"] = int(obj.count_params())
        except Exception:
            pass
        try:
            info["input_shape"] = [shape_of(t) for t in obj.inputs]
        except Exception:
            pass
        return info

    def training(obj):
        """Whether a Keras model was ever trained here: its optimizer's step count (the
        self-check says so when a model it scores has taken no step)."""
        if not (hasattr(obj, "fit") and hasattr(obj, "layers")):
            return {"model": False}
        opt = getattr(obj, "optimizer", None)
        if opt is None:
            return {"model": True, "optimizer": None, "iterations": None}
        try:
            steps = int(to_array(opt.iterations))
        except Exception:
            steps = None
        return {"model": True, "optimizer": type(opt).__name__, "iterations": steps}

    class NotSaved(Exception):
        """The target cannot become a file the clean loader could load (failure code in args[0])."""

    def save_model(target, path):
        import sys as _sys

        keras = _sys.modules.get("keras")
        if keras is None or not isinstance(target, keras.Model):
            raise NotSaved("not_keras", type(target).__name__[:80])
        try:
            keras.saving.save_model(target, path)
        except Exception as exc:
            raise NotSaved("save_failed", f"{type(exc).__name__}: {str(exc)[:300]}") from None

    results, arrays = {}, {}
    for req in requests:
        rid = req["id"]
        try:
            target = resolve(req["target"])
            op = req["op"]
            if target is None and op != "value":
                raise ValueError("it is None (the notebook has not built it yet)")
            if op == "call":
                fn = target
                method = req.get("method") or "auto"
                if method == "auto":
                    method = "predict" if hasattr(target, "predict") and hasattr(target, "layers") else "call"
                if method == "predict" and req.get("one_batch") and hasattr(target, "predict_on_batch"):
                    # The self-check's calls: the whole input as one batch, whose traced function
                    # Keras keeps per input shape (predict() pays its data pipeline on every call).
                    # A model that fails so is asked again with predict(), for the graded path's error.
                    def __grade_one_batch__(*a, **k):
                        try:
                            return target.predict_on_batch(*a, **k)
                        except Exception:
                            return target.predict(*a, verbose=0, **k)

                    fn = __grade_one_batch__
                elif method == "predict":
                    fn = lambda *a, **k: target.predict(*a, verbose=0, **k)
                elif method != "call":
                    fn = getattr(target, method)
                args = [inputs[name] for name in req.get("args", [])]
                out = fn(*args, **req.get("kwargs", {}))
                outs = list(out) if isinstance(out, (tuple, list)) else [out]
                for i, o in enumerate(outs):
                    if o is None:
                        raise TypeError(
                            f"returned None{' (output %d)' % (i + 1) if len(outs) > 1 else ''}, not an array"
                        )
                outs = [to_array(o) for o in outs]
                for i, o in enumerate(outs):
                    if o.dtype == object:
                        # Object arrays would need pickle to travel; the grader never unpickles.
                        raise TypeError(f"output {i + 1} is not a numeric array (dtype object)")
                for i, o in enumerate(outs):
                    arrays[f"{rid}::{i}"] = o
                results[rid] = {
                    "ok": True,
                    "n_arrays": len(outs),
                    "value": {"shapes": [list(o.shape) for o in outs], "tuple": isinstance(out, (tuple, list))},
                }
            elif op == "describe":
                results[rid] = {"ok": True, "value": describe(target)}
            elif op == "value":
                results[rid] = {"ok": True, "value": jsonable(target)}
            elif op == "training":
                results[rid] = {"ok": True, "value": training(target)}
            elif op == "save":
                # Only the file counts: the clean loader measures it, with none of this kernel's code.
                save_model(target, join(probe_dir, "models", req["file"]))
                results[rid] = {"ok": True, "value": {"file": req["file"]}}
            else:
                results[rid] = {"ok": False, "error": f"unknown probe op {op!r}"}
        except NotSaved as exc:
            results[rid] = {"ok": False, "error": exc.args[1], "value": {"failure": exc.args[0]}}
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything
            if isinstance(exc, KeyboardInterrupt):
                raise
            # Point at the student's code, never at the probe's own lines.
            frames = [
                f
                for f in _tb.extract_tb(exc.__traceback__)
                if f.name not in ("__grade_probe_run__", "<lambda>", "resolve", "save_model", "__grade_one_batch__")
            ]
            where = f" (in {frames[-1].name}, line {frames[-1].lineno})" if frames else ""
            results[rid] = {"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:300]}{where}"}
    savez(join(probe_dir, "out.npz"), **arrays)
    write_bytes(join(probe_dir, "out.json"), str.encode(encode(results), "utf-8", "backslashreplace"))
