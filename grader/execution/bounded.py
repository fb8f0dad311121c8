"""Reading files a sandboxed process wrote, with every size checked before it costs memory.

The probe's `out.npz` and `out.json` are written inside the student's kernel, so
they can be anything: a few-MB zip whose members inflate to gigabytes, a zip
directory listing a million members, an `.npy` header that promises a terabyte,
JSON that parses into millions of objects. Here the file size, the zip directory,
each requested member's uncompressed size (from the zip header) and the total are
checked first; only the members asked for are inflated, and never past the size
their header declares (Python's zip reader stops there).
"""

from __future__ import annotations

import io
import json
import math
import stat
import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

MAX_ARRAY_BYTES = 64 * 2**20  # one output array, uncompressed
MAX_ARRAYS_BYTES = 128 * 2**20  # all arrays of one probe round, uncompressed
MAX_JSON_BYTES = 4 * 2**20  # out.json: shapes, configs and small tables
# A zip directory of more than this (about 10,000 members) is not something the probe wrote.
MAX_ZIP_DIRECTORY_BYTES = 2 * 2**20
_MAX_NPY_HEADER = 10_000  # numpy's own limit for a header it parses safely
_NPY_MAGIC = b"\x93NUMPY"


class TooLarge(ValueError):
    """A file or member over the grader's limit; the message says which and by how much."""


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n / 2**10:,.0f} KB"


def plain_file_size(path: Path) -> int | None:
    """The size of a plain file (not a symlink, FIFO or device), or None."""
    try:
        st = path.lstat()
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def read_json(path: Path, limit: int = MAX_JSON_BYTES) -> Any:  # noqa: ANN401
    """Parse a JSON file of at most `limit` bytes. Raises TooLarge, or ValueError if unreadable."""
    size = plain_file_size(path)
    if size is None:
        raise ValueError(f"{path.name} is missing or not a plain file")
    if size > limit:
        raise TooLarge(f"{path.name} is {_mb(size)}; the grader reads at most {_mb(limit)}")
    with path.open("rb") as fh:
        data = fh.read(limit + 1)  # the file may have grown since lstat
    if len(data) > limit:
        raise TooLarge(f"{path.name} is over {_mb(limit)}")
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError(f"{path.name} is nested too deeply") from None


def _check_directory(fh: Any, size: int) -> None:  # noqa: ANN401
    """Refuse a zip whose central directory is too big to parse cheaply, before zipfile
    builds one object per listed member. Uses the end record zipfile itself will use."""
    end = getattr(zipfile, "_EndRecData", None)
    if end is None:  # a future Python: the file size cap still bounds the directory
        return
    rec = end(fh)
    if rec is None:
        raise ValueError("not a zip file")
    # private indices into _EndRecData's record, present wherever _EndRecData is; typeshed omits them
    entries, dir_size = rec[zipfile._ECD_ENTRIES_TOTAL], rec[zipfile._ECD_SIZE]  # type: ignore[attr-defined]
    if dir_size > MAX_ZIP_DIRECTORY_BYTES or dir_size > size:
        raise TooLarge(f"the zip directory is {_mb(dir_size)} ({entries:,} members); the probe writes far fewer")
    fh.seek(0)


def _read_npy(f: Any, declared: int, name: str, limit: int) -> np.ndarray:  # noqa: ANN401
    """One `.npy` member whose uncompressed size (`declared`) was checked already. The header
    is read within numpy's own size limit and must account for exactly `declared` bytes."""
    head = f.read(10)
    if len(head) < 10 or not head.startswith(_NPY_MAGIC):
        raise ValueError(f"{name} is not a NumPy array")
    version = (head[6], head[7])
    if version == (1, 0):
        hlen, prefix = struct.unpack("<H", head[8:10])[0], 10
    elif version == (2, 0):
        head += f.read(2)
        hlen, prefix = struct.unpack("<I", head[8:12])[0], 12
    else:
        raise ValueError(f"{name}: unsupported .npy format {version[0]}.{version[1]}")
    if hlen > _MAX_NPY_HEADER:
        raise ValueError(f"{name}: array header of {hlen:,} bytes")
    bio = io.BytesIO(head + f.read(hlen))
    np.lib.format.read_magic(bio)
    reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = reader(bio, max_header_size=_MAX_NPY_HEADER)
    if dtype.hasobject:
        raise ValueError(f"{name} holds Python objects, not numbers")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > limit:
        raise TooLarge(f"{name} would be {_mb(nbytes)}; the limit is {_mb(limit)} per array")
    if prefix + hlen + nbytes != declared:
        raise ValueError(f"{name}: its header does not match its size")
    arr = np.empty(math.prod(shape), dtype=dtype)
    view = arr.view(np.uint8).reshape(-1).data if nbytes else memoryview(b"")
    got = 0
    while got < nbytes:
        n = f.readinto(view[got:])
        if not n:
            raise ValueError(f"{name} is cut short")
        got += n
    return arr.reshape(shape[::-1]).transpose() if fortran else arr.reshape(shape)


def load_arrays(
    path: Path, names: Iterable[str], *, per_array: int | None = None, total: int | None = None
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The arrays `names` from an `.npz` file, and {name: why} for those refused.

    Members not asked for are never inflated. A requested member over `per_array`
    (by its zip header) is refused on its own; if the requested members add up to
    more than `total`, all are refused. Raises TooLarge or ValueError when the file
    as a whole is unusable (too big, not a zip, a hostile directory).
    """
    per_array = MAX_ARRAY_BYTES if per_array is None else per_array
    total = MAX_ARRAYS_BYTES if total is None else total
    size = plain_file_size(path)
    if size is None:
        raise ValueError(f"{path.name} is missing or not a plain file")
    # np.savez stores members uncompressed: a legitimate file is no bigger than its arrays.
    if size > total + MAX_ZIP_DIRECTORY_BYTES:
        raise TooLarge(f"{path.name} is {_mb(size)}; the grader reads at most {_mb(total)} of arrays")
    arrays: dict[str, np.ndarray] = {}
    refused: dict[str, str] = {}
    with path.open("rb") as fh:
        _check_directory(fh, size)
        with zipfile.ZipFile(fh) as zf:
            infos: dict[str, zipfile.ZipInfo] = {}
            for name in dict.fromkeys(names):
                try:
                    info = zf.getinfo(f"{name}.npy")
                except KeyError:
                    continue
                if info.file_size > per_array:
                    refused[name] = (
                        f"the output would unpack to {_mb(info.file_size)}; the grader's limit "
                        f"is {_mb(per_array)} per array"
                    )
                else:
                    infos[name] = info
            wanted = sum(i.file_size for i in infos.values())
            if wanted > total:
                why = f"the outputs would unpack to {_mb(wanted)} in all; the grader's limit is {_mb(total)}"
                return {}, {**refused, **{n: why for n in infos}}
            for name, info in infos.items():
                try:
                    with zf.open(info) as member:
                        arrays[name] = _read_npy(member, info.file_size, name, per_array)
                except (ValueError, zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
                    # NotImplementedError: a compression method zipfile does not have
                    refused[name] = str(exc) or type(exc).__name__
    return arrays, refused
