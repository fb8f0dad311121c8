"""The grader's own side of exercise 7 (1D convolutions over time series).

`conv1d_output_length` is the grader's formula for the number of time steps a
Conv1D layer returns; tests/exercises/test_ex07_08.py checks it against
keras.layers.Conv1D. The forecasting checks reuse ch15_series (the series
generator, the evaluation data and the naive/linear baselines).
"""

from __future__ import annotations

import numpy as np

PADDINGS = ("valid", "same", "causal")


def conv1d_output_length(
    length: int, kernel_size: int, strides: int = 1, padding: str = "valid", dilation_rate: int = 1
) -> int:
    """Output time steps of Conv1D: "valid" drops the steps the dilated kernel cannot cover;
    "same" and "causal" pad so only the stride shrinks the sequence."""
    if padding not in PADDINGS:
        raise ValueError(f"unknown padding {padding!r}")
    span = (kernel_size - 1) * dilation_rate + 1  # the dilated kernel's reach
    if padding == "valid":
        return max(0, (length - span) // strides + 1)
    return (length + strides - 1) // strides  # ceil(length / strides)


def length_cases(rng: np.random.Generator, n: int = 24) -> list[dict]:
    """Random Conv1D settings Keras accepts: strides > 1 only with dilation 1, and the
    dilated kernel no longer than the sequence. Every padding appears equally often."""
    cases = []
    for i in range(n):
        padding = PADDINGS[i % 3]
        kernel = int(rng.integers(1, 8))
        if rng.random() < 0.5:
            strides, dilation = int(rng.integers(2, 5)), 1
        else:
            strides, dilation = 1, int(rng.choice([1, 2, 3, 4, 8]))
        span = (kernel - 1) * dilation + 1
        length = int(rng.integers(max(span, 5), 101))
        cases.append(
            {"length": length, "kernel_size": kernel, "strides": strides, "padding": padding, "dilation_rate": dilation}
        )
    order = rng.permutation(n)
    return [cases[i] for i in order]


def downsample_targets(Y: np.ndarray) -> np.ndarray:
    """Targets aligned with Conv1D(kernel_size=4, strides=2, padding="valid"): output step j
    sees input steps 2j … 2j+3, so it forecasts from step 2j+3 onwards."""
    return Y[:, 3::2]


def seq2seq_targets_probe(
    rng: np.random.Generator, batch: int = 8, length: int = 50, ahead: int = 7
) -> dict[str, np.ndarray]:
    return {"Y": rng.normal(size=(batch, length, ahead)).astype(np.float32)}
