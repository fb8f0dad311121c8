"""Exercise 4's references: the windows its checks are built from."""

from __future__ import annotations

import numpy as np


def test_windows_reference_shapes(course):
    series = course.reference("ch15_series:window_probe")(np.random.default_rng(0))["series"]
    x, y = course.reference("ch15_series:make_windows")(series)
    assert series.shape == (16, 57, 1) and x.shape == (16, 50, 1) and y.shape == (16, 7)
    assert np.array_equal(y[:, 0], series[:, 50, 0])
