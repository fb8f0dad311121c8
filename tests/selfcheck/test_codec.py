"""Reference results as JSON plus arrays, and the fingerprints replays know calls by."""

from __future__ import annotations

import numpy as np
import pytest

from grader.selfcheck import codec


def test_values_survive_the_round_trip():
    value = {
        "a": (np.arange(6, dtype=np.float32).reshape(2, 3), [1, 2.5, None, True, "x"]),
        "b": {"c": np.array([1, 2], dtype=np.int64)},
        "nan": float("nan"),
        "n": np.int32(7),
    }
    arrays: dict[str, np.ndarray] = {}
    doc = codec.encode(value, arrays, "k/")
    back = codec.decode(doc, arrays)
    assert isinstance(back["a"], tuple) and back["a"][0].dtype == np.float32
    assert np.array_equal(back["a"][0], value["a"][0]) and back["a"][1] == [1, 2.5, None, True, "x"]
    assert back["b"]["c"].dtype == np.int64 and np.isnan(back["nan"]) and back["n"] == 7
    back["b"]["c"][0] = 99  # a kind changing what it got does not change the record
    assert codec.decode(doc, arrays)["b"]["c"][0] == 1
    with pytest.raises(codec.Unstorable):
        codec.encode({"f": lambda: 0}, {}, "k/")
    with pytest.raises(codec.Unstorable):
        codec.encode({"__nd__": 1}, {}, "k/")


def test_fingerprints_follow_the_data():
    a = np.zeros(3)
    assert codec.fingerprint((a,), {}) == codec.fingerprint((np.zeros(3),), {})
    assert codec.fingerprint((a,), {}) != codec.fingerprint((np.ones(3),), {})
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    assert codec.fingerprint((g1,), {"n": 3}) == codec.fingerprint((g2,), {"n": 3})
    g2.random()
    assert codec.fingerprint((g1,), {"n": 3}) != codec.fingerprint((g2,), {"n": 3})
