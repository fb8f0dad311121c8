"""The grader's own side of the time-series exercises (4 and 7).

The chapter's synthetic series: two sine waves of random frequency and phase
plus uniform noise. Everything here runs in the grader process; the targets it
returns never enter the student's kernel.
"""

from __future__ import annotations

import numpy as np

N_STEPS = 50
AHEAD = 7


def generate_time_series(batch_size: int, n_steps: int, rng: np.random.Generator) -> np.ndarray:
    """[batch, n_steps, 1] float32: 0.5·sin + 0.2·sin + 0.1·(noise − 0.5)."""
    freq1, freq2, offsets1, offsets2 = rng.random((4, batch_size, 1))
    time = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((time - offsets1) * (freq1 * 10 + 10))
    series += 0.2 * np.sin((time - offsets2) * (freq2 * 20 + 20))
    series += 0.1 * (rng.random((batch_size, n_steps)) - 0.5)
    return series[..., np.newaxis].astype(np.float32)


def make_windows(series: np.ndarray, n_steps: int = N_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """Inputs [batch, n_steps, 1] and the following values as targets [batch, ahead]."""
    return series[:, :n_steps], series[:, n_steps:, 0]


def make_seq2seq_targets(series: np.ndarray, n_steps: int = N_STEPS, ahead: int = AHEAD) -> np.ndarray:
    """[batch, n_steps, ahead]: at each step t, the values t+1 … t+ahead."""
    y = np.empty((series.shape[0], n_steps, ahead), dtype=np.float32)
    for step in range(1, ahead + 1):
        y[..., step - 1] = series[:, step : step + n_steps, 0]
    return y


# --- generators for the checks: (rng, **args) -> inputs [, targets] ----------------


def window_probe(rng: np.random.Generator, batch: int = 16, length: int = N_STEPS + AHEAD) -> dict[str, np.ndarray]:
    return {"series": generate_time_series(batch, length, rng)}


def seq2seq_targets_probe(rng: np.random.Generator, batch: int = 8) -> dict[str, np.ndarray]:
    return {"series": generate_time_series(batch, N_STEPS + AHEAD, rng)}


def forecast_eval(rng: np.random.Generator, n: int = 1000) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Fresh series: the first 50 steps go to the model; the next 7 stay here."""
    series = generate_time_series(n, N_STEPS + AHEAD, rng)
    x, y = make_windows(series)
    return {"X": x}, y


def forecast_eval_seq2seq(rng: np.random.Generator, n: int = 1000) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """For a seq2seq model the check scores the last time step's 7 values."""
    return forecast_eval(rng, n)


def one_step_eval(rng: np.random.Generator, n: int = 1000) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Exercise 5: 50 steps in; the next value [n, 1] stays in the grader."""
    series = generate_time_series(n, N_STEPS + 1, rng)
    return {"X": series[:, :N_STEPS]}, series[:, N_STEPS]


# --- baselines: (inputs, targets, rng) -> predictions ---------------------------


def naive_forecast(inputs: dict[str, np.ndarray], targets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Repeat the last observed value for every future step."""
    x = inputs["X"]
    return np.repeat(x[:, -1, :], targets.shape[1], axis=1)


def linear_forecast(inputs: dict[str, np.ndarray], targets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A least-squares linear model on 50 inputs, fitted on 5,000 fresh training series."""
    train = generate_time_series(5000, N_STEPS + AHEAD, rng)
    xt, yt = make_windows(train)
    a = np.c_[xt[..., 0], np.ones(len(xt))].astype(np.float64)
    w, *_ = np.linalg.lstsq(a, yt.astype(np.float64), rcond=None)
    x = inputs["X"][..., 0]
    return np.c_[x, np.ones(len(x))] @ w
