"""The grader's own side of exercises 1-3: shapes and parameter counts of RNN layers.

Analytic formulas only (NumPy-free even): the grader never imports Keras. A slow
test compares every formula here with Keras itself (tests/exercises/test_ex01_03.py).

Keras 3 conventions:
- SimpleRNN: units * (units + features) + units  (one kernel, one recurrent kernel, one bias)
- LSTM: 4 gates of the SimpleRNN count.
- GRU: 3 gates, and with reset_after=True (the default) two bias vectors per gate:
  3 * (units * (units + features) + 2 * units).
"""

from __future__ import annotations

from typing import Any

import numpy as np

RECURRENT = ("SimpleRNN", "LSTM", "GRU")
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


def rnn_param_count(layer: str, units: int, features: int, reset_after: bool = True) -> int:
    """Trainable parameters of a Keras recurrent layer on inputs with `features` per step."""
    if layer not in GATES:
        raise ValueError(f"unknown recurrent layer {layer!r}")
    units, features = int(units), int(features)
    biases = 2 if (layer == "GRU" and reset_after) else 1
    return GATES[layer] * (units * (units + features) + biases * units)


def dense_param_count(units: int, features: int) -> int:
    return int(units) * int(features) + int(units)


def rnn_output_shape(batch: int | None, steps: int | None, units: int, return_sequences: bool) -> list[int | None]:
    """[batch, steps, units] with return_sequences, else [batch, units]."""
    return [batch, steps, int(units)] if return_sequences else [batch, int(units)]


def rnn_table(
    cases: dict[str, dict[str, Any]], batch: int | None = None, steps: int | None = None
) -> dict[str, dict[str, Any]]:
    """Expected {name: {"shape": [...], "params": n}} for a table of single-layer cases.

    Each case: layer, units, features, return_sequences, and optionally its own
    batch and steps (the input is [batch, steps, features]).
    """
    out: dict[str, dict[str, Any]] = {}
    for name, c in cases.items():
        out[name] = {
            "shape": rnn_output_shape(
                c.get("batch", batch), c.get("steps", steps), c["units"], bool(c.get("return_sequences", False))
            ),
            "params": rnn_param_count(c["layer"], c["units"], c["features"]),
        }
    return out


def stack_expectations(features: int, layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-layer expectations (class, config, params, output_shape) for a stack on [None, None, features].

    `layers` lists {class, units, return_sequences} for recurrent layers and
    {class = "Dense", units} for dense ones. A Dense layer after a sequence keeps
    the time axis (it is applied at every step).
    """
    expectations: list[dict[str, Any]] = []
    f = int(features)
    seq = True
    for spec in layers:
        cls, units = spec["class"], int(spec["units"])
        if cls in RECURRENT:
            if not seq:
                raise ValueError("a recurrent layer needs a sequence input")
            rs = bool(spec.get("return_sequences", False))
            expectations.append(
                {
                    "class": cls,
                    "config": {"units": units, "return_sequences": rs},
                    "params": rnn_param_count(cls, units, f),
                    "output_shape": rnn_output_shape(None, None, units, rs),
                }
            )
            seq = rs
        elif cls == "Dense":
            expectations.append(
                {
                    "class": "Dense",
                    "config": {"units": units},
                    "params": dense_param_count(units, f),
                    "output_shape": [None, None, units] if seq else [None, units],
                }
            )
        else:
            raise ValueError(f"stack_expectations does not know {cls!r}")
        f = units
    return expectations


# --- generators for function_grid ------------------------------------------------


def param_cases(rng: np.random.Generator, n: int = 18) -> list[dict[str, Any]]:
    """Random (layer, units, features) cases, every layer class equally often."""
    cases = []
    for i in range(n):
        cases.append(
            {"layer": RECURRENT[i % 3], "units": int(rng.integers(1, 129)), "features": int(rng.integers(1, 65))}
        )
    return cases


# --- exercise 1: which kind of RNN fits an application ------------------------------

USE_CASES = {
    "sentiment": "seq2vec",
    "image_caption": "vec2seq",
    "daily_forecast": "seq2seq",
    "music_genre": "seq2vec",
    "speech_to_text": "seq2seq",
    "melody_from_params": "vec2seq",
}


def use_case_kinds(keys: list[str] | None = None) -> dict[str, str]:
    """The kind of RNN for each application of exercise 1 (all of them by default)."""
    return {k: USE_CASES[k] for k in (keys or USE_CASES)}
