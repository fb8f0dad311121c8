"""The grader's NumPy recurrent cells for exercises 5 and 6 (Keras weight layouts)."""

from __future__ import annotations

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def lstm_step(x, h, c, kernel, recurrent_kernel, bias):
    """One LSTM step; gates in Keras order i, f, c (candidate), o."""
    z = x @ kernel + h @ recurrent_kernel + bias
    i, f, g, o = np.split(z, 4, axis=-1)
    c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h_new = _sigmoid(o) * np.tanh(c_new)
    return h_new, c_new


def lstm_sequence(X, kernel, recurrent_kernel, bias):
    """All hidden states [batch, T, units] from zero initial states."""
    units = recurrent_kernel.shape[0]
    h = np.zeros((X.shape[0], units), dtype=np.float64)
    c = np.zeros_like(h)
    out = []
    for t in range(X.shape[1]):
        h, c = lstm_step(X[:, t], h, c, kernel, recurrent_kernel, bias)
        out.append(h)
    return np.stack(out, axis=1)


def gru_step(x, h, kernel, recurrent_kernel, bias):
    """One GRU step as Keras 3 computes it (reset_after=True; bias [2, 3u]; gates z, r, h)."""
    xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
    hz, hr, hh = np.split(h @ recurrent_kernel + bias[1], 3, axis=-1)
    z = _sigmoid(xz + hz)
    r = _sigmoid(xr + hr)
    cand = np.tanh(xh + r * hh)
    return z * h + (1 - z) * cand


def ln_rnn_step(x, h, kernel, recurrent_kernel, bias, gamma, beta, epsilon: float = 1e-3):
    """A layer-normalised simple RNN step: tanh(LayerNorm(x·W + h·U + b))."""
    z = x @ kernel + h @ recurrent_kernel + bias
    mean = z.mean(axis=-1, keepdims=True)
    var = z.var(axis=-1, keepdims=True)
    return np.tanh(gamma * (z - mean) / np.sqrt(var + epsilon) + beta)


# --- generators: (rng, **args) -> named input arrays ------------------------------


def _w(rng, *shape, scale=0.5):
    return (rng.normal(size=shape) * scale).astype(np.float32)


def lstm_step_probe(rng, batch=4, features=3, units=5):
    return {
        "x": _w(rng, batch, features, scale=1),
        "h": _w(rng, batch, units),
        "c": _w(rng, batch, units),
        "kernel": _w(rng, features, 4 * units),
        "recurrent_kernel": _w(rng, units, 4 * units),
        "bias": _w(rng, 4 * units, scale=0.2),
    }


def lstm_sequence_probe(rng, batch=3, steps=12, features=3, units=5):
    return {
        "X": _w(rng, batch, steps, features, scale=1),
        "kernel": _w(rng, features, 4 * units),
        "recurrent_kernel": _w(rng, units, 4 * units),
        "bias": _w(rng, 4 * units, scale=0.2),
    }


def gru_step_probe(rng, batch=4, features=3, units=5):
    return {
        "x": _w(rng, batch, features, scale=1),
        "h": _w(rng, batch, units),
        "kernel": _w(rng, features, 3 * units),
        "recurrent_kernel": _w(rng, units, 3 * units),
        "bias": _w(rng, 2, 3 * units, scale=0.2),
    }


def ln_step_probe(rng, batch=4, features=3, units=6):
    return {
        "x": _w(rng, batch, features, scale=1),
        "h": _w(rng, batch, units),
        "kernel": _w(rng, features, units),
        "recurrent_kernel": _w(rng, units, units),
        "bias": _w(rng, units, scale=0.2),
        "gamma": (1 + _w(rng, units, scale=0.1)),
        "beta": _w(rng, units, scale=0.1),
    }


# --- unrolled_step generators: a sequence, initial states and weights ------------


def lstm_unroll_probe(rng, batch=4, steps=8, features=3, units=5):
    """Exercise 6: the grader calls lstm_step once per step of X with its own (h, c)."""
    return {
        "X": _w(rng, batch, steps, features, scale=1),
        "h": _w(rng, batch, units),
        "c": _w(rng, batch, units),
        "kernel": _w(rng, features, 4 * units),
        "recurrent_kernel": _w(rng, units, 4 * units),
        "bias": _w(rng, 4 * units, scale=0.2),
    }


def gru_unroll_probe(rng, batch=4, steps=8, features=3, units=5):
    return {
        "X": _w(rng, batch, steps, features, scale=1),
        "h": _w(rng, batch, units),
        "kernel": _w(rng, features, 3 * units),
        "recurrent_kernel": _w(rng, units, 3 * units),
        "bias": _w(rng, 2, 3 * units, scale=0.2),
    }
