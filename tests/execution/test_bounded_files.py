"""grader.execution.bounded and `probe_io.read_probe`: what the probe wrote is size-checked
before it is inflated or parsed. Hostile files built here are what a notebook can leave in the
probe folder (by a post_run_cell hook, a forked child, or by rewriting the probe's own output)."""

from __future__ import annotations

import io
import json
import resource
import struct
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from grader.execution import bounded
from grader.execution.outcome import RunOutcome
from grader.execution.probe_io import read_probe

GIB = 2**30


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _bomb(path: Path, name: str, n_bytes: int) -> None:
    """A genuine deflate bomb: `n_bytes` of float64 zeros in a zip a few hundred KB big."""
    with (
        zipfile.ZipFile(path, "a" if path.exists() else "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open(f"{name}.npy", "w", force_zip64=True) as f,
    ):
        f.write(_npy_header((n_bytes // 8,)))
        chunk = bytes(16 * 2**20)
        for _ in range(n_bytes // len(chunk)):
            f.write(chunk)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "out.npz"
    _bomb(path, "x/out::0", GIB)
    return path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_deflate_bomb_is_refused_from_its_header_without_inflating(bomb):
    assert bomb.stat().st_size < 8 * 2**20  # a few MB on disk ...
    before = _peak_mb()
    t0 = time.monotonic()
    arrays, refused = bounded.load_arrays(bomb, ["x/out::0"])
    assert time.monotonic() - t0 < 0.5  # ... inflating 1 GiB would take seconds
    assert _peak_mb() - before < 50  # ... and a gigabyte
    assert arrays == {}
    assert "1,024 MB" in refused["x/out::0"] and "64 MB per array" in refused["x/out::0"]


def test_members_not_asked_for_are_never_inflated(bomb, tmp_path):
    path = tmp_path / "out.npz"
    path.write_bytes(bomb.read_bytes())
    with zipfile.ZipFile(path, "a") as zf, zf.open("x/out::1.npy", "w") as f:
        np.lib.format.write_array(f, np.arange(6.0).reshape(2, 3))
    t0 = time.monotonic()
    arrays, refused = bounded.load_arrays(path, ["x/out::1"])
    assert time.monotonic() - t0 < 0.5
    assert refused == {}
    np.testing.assert_array_equal(arrays["x/out::1"], np.arange(6.0).reshape(2, 3))


def test_a_zip_header_that_understates_the_size_is_cut_off_there(tmp_path):
    """Central directory says 1 KB; the deflate stream holds 256 MB. zipfile stops reading at
    the declared size, and the .npy header no longer matches: refused, nothing big allocated."""
    path = tmp_path / "out.npz"
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open("x/out::0.npy", "w") as f,
    ):
        f.write(_npy_header((2**25,)))
        for _ in range(16):
            f.write(bytes(16 * 2**20))
    data = bytearray(path.read_bytes())
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = struct.pack("<I", 1024)  # uncompressed size in the central directory
    path.write_bytes(bytes(data))
    before = _peak_mb()
    arrays, refused = bounded.load_arrays(path, ["x/out::0"])
    assert arrays == {} and "x/out::0" in refused
    assert _peak_mb() - before < 50


def test_an_npy_header_promising_a_terabyte_allocates_nothing(tmp_path):
    path = tmp_path / "out.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x/out::0.npy", _npy_header((2**37,)) + bytes(64))
    arrays, refused = bounded.load_arrays(path, ["x/out::0"])
    assert arrays == {}
    assert "1,048,576 MB" in refused["x/out::0"]


def test_object_arrays_and_huge_npy_headers_are_refused(tmp_path):
    path = tmp_path / "out.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.npy", _npy_header((1,), "|O") + bytes(8))
        big = b"\x93NUMPY\x02\x00" + struct.pack("<I", 50_000_000)
        zf.writestr("b.npy", big + b" " * 1000)
    arrays, refused = bounded.load_arrays(path, ["a", "b"])
    assert arrays == {}
    assert "Python objects" in refused["a"] and "header" in refused["b"]


def test_the_total_of_the_requested_members_is_capped(tmp_path):
    path = tmp_path / "out.npz"
    np.savez_compressed(path, **{f"r::{i}": np.zeros(2**20) for i in range(3)})  # 3 x 8 MB, deflated
    arrays, refused = bounded.load_arrays(path, [f"r::{i}" for i in range(3)], total=20 * 2**20)
    assert arrays == {} and all("in all" in why for why in refused.values())
    arrays, refused = bounded.load_arrays(path, ["r::0", "r::1"], total=20 * 2**20)
    assert refused == {} and arrays["r::1"].shape == (2**20,)


def test_a_zip_directory_of_a_million_entries_is_refused_before_parsing(tmp_path):
    path = tmp_path / "out.npz"
    entry = zipfile.ZipInfo("e")
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(60_000):  # about 3 MB of central directory
            entry.filename = f"{i:08d}"
            zf.writestr(entry, b"")
    with pytest.raises(bounded.TooLarge, match="zip directory"):
        bounded.load_arrays(path, ["anything"])


def test_a_file_bigger_than_all_arrays_may_be_is_refused_unopened(tmp_path):
    path = tmp_path / "out.npz"
    path.write_bytes(bytes(4 * 2**20))
    with pytest.raises(bounded.TooLarge, match="4 MB"):
        bounded.load_arrays(path, ["x"], total=2**20)


def test_fortran_order_and_dtypes_round_trip(tmp_path):
    path = tmp_path / "out.npz"
    a = np.asfortranarray(np.arange(12, dtype=np.int16).reshape(3, 4))
    np.savez(path, f=a, b=np.array([True, False]), e=np.zeros((0, 3), np.float32))
    arrays, refused = bounded.load_arrays(path, ["f", "b", "e"])
    assert refused == {}
    np.testing.assert_array_equal(arrays["f"], a)
    assert arrays["b"].dtype == bool and arrays["e"].shape == (0, 3)


def _probe_dir(tmp_path: Path, results: dict, npz: Path | None = None) -> Path:
    d = tmp_path / "probe"
    d.mkdir()
    (d / "out.json").write_text(json.dumps(results), encoding="utf-8")
    if npz is not None:
        (d / "out.npz").write_bytes(npz.read_bytes())
    return d


def test_read_probe_fails_only_the_request_whose_array_is_a_bomb(bomb, tmp_path):
    npz = tmp_path / "mixed.npz"
    npz.write_bytes(bomb.read_bytes())
    with zipfile.ZipFile(npz, "a") as zf, zf.open("y/out::0.npy", "w") as f:
        np.lib.format.write_array(f, np.ones(3))
    d = _probe_dir(
        tmp_path,
        {"x/out": {"ok": True, "n_arrays": 1, "value": {}}, "y/out": {"ok": True, "n_arrays": 1, "value": {}}},
        npz,
    )
    outcome = RunOutcome()
    found = read_probe(d, [{"id": "x/out"}, {"id": "y/out"}], outcome)
    assert outcome.probe_error == ""
    assert found["x/out"].ok is False and "did not read this output" in found["x/out"].error
    assert "64 MB per array" in found["x/out"].error
    assert found["y/out"].ok is True
    np.testing.assert_array_equal(found["y/out"].arrays[0], np.ones(3))


def test_read_probe_refuses_oversized_json_before_parsing(tmp_path):
    d = tmp_path / "probe"
    d.mkdir()
    # 5 MB of "[[],[],...": would parse into about 1.7 million lists
    (d / "out.json").write_text('{"x": ' + "[" + "[]," * (5 * 2**20 // 3) + "[]]}", encoding="utf-8")
    outcome = RunOutcome()
    assert read_probe(d, [{"id": "x"}], outcome) == {}
    assert "too large" in outcome.probe_error and "4 MB" in outcome.probe_error


def test_read_probe_refuses_a_fifo_and_deep_nesting(tmp_path):
    import os

    d = tmp_path / "probe"
    d.mkdir()
    os.mkfifo(d / "out.json")  # reading it would block the grader forever
    outcome = RunOutcome()
    assert read_probe(d, [{"id": "x"}], outcome) == {}
    assert outcome.probe_error == "the probe produced no readable output"
    (d / "out.json").unlink()
    (d / "out.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    outcome = RunOutcome()
    assert read_probe(d, [{"id": "x"}], outcome) == {}
    assert outcome.probe_error


def test_without_array_outputs_the_npz_is_not_even_opened(tmp_path):
    d = _probe_dir(tmp_path, {"v": {"ok": True, "value": [1, 2]}})
    (d / "out.npz").write_bytes(b"not a zip at all")
    outcome = RunOutcome()
    found = read_probe(d, [{"id": "v"}], outcome)
    assert outcome.probe_error == "" and found["v"].value == [1, 2]


def test_refusals_are_told_in_the_readers_language(tmp_path):
    big = tmp_path / "out.json"
    big.write_text("[" + "1," * 3000 + "1]", encoding="utf-8")
    with pytest.raises(bounded.TooLarge) as info:
        bounded.read_json(big, limit=1024)
    assert str(info.value) == "out.json is 6 KB; the grader reads at most 1 KB"
    assert info.value.said("ko") == "out.json의 크기가 6 KB입니다. 채점기는 1 KB까지만 읽습니다"
    npz = tmp_path / "out.npz"
    np.savez(npz, **{"a::0": np.zeros(4096), "b::0": np.zeros(4)})
    arrays, refused = bounded.load_arrays(npz, ["a::0", "b::0"], per_array=2048, lang="ko")
    assert list(arrays) == ["b::0"]
    assert refused == {"a::0": "이 출력은 풀면 32 KB가 됩니다. 채점기의 한도는 배열 하나에 2 KB입니다"}
    _, refused = bounded.load_arrays(npz, ["a::0"], per_array=2048)
    assert refused == {"a::0": "the output would unpack to 32 KB; the grader's limit is 2 KB per array"}
    (tmp_path / "x.npz").write_bytes(b"not a zip at all")
    with pytest.raises(bounded.Unreadable) as bad:
        bounded.load_arrays(tmp_path / "x.npz", ["a::0"])
    assert bad.value.said("ko") == "ZIP 파일이 아닙니다" and str(bad.value) == "not a zip file"
