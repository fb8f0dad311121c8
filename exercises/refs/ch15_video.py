"""The grader's own side of exercise 8 (classifying synthetic videos).

A clip is `n_frames` frames of size×size pixels of Gaussian noise with a bright
square that moves one pixel per frame to the right, left, down or up (classes
0–3), starting at a random position from which it stays inside the frame. The
notebook's generator mirrors this one; the grader draws fresh clips from its
own seed and keeps the labels here.
"""

from __future__ import annotations

import numpy as np

# (row step, column step) per class: 0 right, 1 left, 2 down, 3 up.
DIRECTIONS = np.array([[0, 1], [0, -1], [1, 0], [-1, 0]])
N_CLASSES = 4


def make_videos(
    n: int, n_frames: int, rng: np.random.Generator, size: int = 16, square: int = 3, noise: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """Videos [n, n_frames, size, size, 1] float32 and labels [n] (int)."""
    labels = rng.integers(0, N_CLASSES, size=n)
    travel = n_frames - 1
    if size - square - travel < 0:
        raise ValueError("the square would leave the frame: use fewer frames or a bigger frame")
    videos = rng.normal(0.0, noise, size=(n, n_frames, size, size)).astype(np.float32)
    for i, label in enumerate(labels):
        dr, dc = DIRECTIONS[label]
        r0 = rng.integers(travel if dr < 0 else 0, size - square - (travel if dr > 0 else 0) + 1)
        c0 = rng.integers(travel if dc < 0 else 0, size - square - (travel if dc > 0 else 0) + 1)
        for t in range(n_frames):
            r, c = r0 + dr * t, c0 + dc * t
            videos[i, t, r : r + square, c : c + square] += 1.0
    return videos[..., np.newaxis], labels


def video_eval(rng: np.random.Generator, n: int = 500, n_frames: int = 10) -> tuple[dict[str, np.ndarray], np.ndarray]:
    x, y = make_videos(n, n_frames, rng)
    return {"X": x}, y


# --- baselines: (inputs, targets, rng) -> class probabilities [n, 4] ------------


def constant_class(inputs: dict[str, np.ndarray], targets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Always the same class (the first one)."""
    out = np.zeros((len(inputs["X"]), N_CLASSES))
    out[:, 0] = 1.0
    return out


def random_guess(inputs: dict[str, np.ndarray], targets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rng.random((len(inputs["X"]), N_CLASSES))


def first_frame(
    inputs: dict[str, np.ndarray], targets: np.ndarray, rng: np.random.Generator, square: int = 3
) -> np.ndarray:
    """The best one can do from where the square starts, without seeing it move: locate it in
    the first frame and guess among the directions that keep it inside the clip."""
    x = inputs["X"][..., 0]
    n, n_frames, size, _ = x.shape
    travel = n_frames - 1
    first = x[:, 0]
    # Sum over every square-sized window; the brightest one is the square.
    c = np.cumsum(np.cumsum(np.pad(first, ((0, 0), (1, 0), (1, 0))), axis=1), axis=2)
    k = square
    sums = c[:, k:, k:] - c[:, :-k, k:] - c[:, k:, :-k] + c[:, :-k, :-k]
    flat = sums.reshape(n, -1).argmax(axis=1)
    r0, c0 = np.divmod(flat, sums.shape[2])
    limit = size - square - travel
    feasible = np.stack([c0 <= limit, c0 >= travel, r0 <= limit, r0 >= travel], axis=1).astype(float)
    feasible[feasible.sum(axis=1) == 0] = 1.0
    return feasible * rng.random((n, N_CLASSES))  # a random pick among the feasible directions
