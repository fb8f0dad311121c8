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

from grader.i18n import text

MAX_ARRAY_BYTES = 64 * 2**20  # one output array, uncompressed
MAX_ARRAYS_BYTES = 128 * 2**20  # all arrays of one probe round, uncompressed
MAX_JSON_BYTES = 4 * 2**20  # out.json: shapes, configs and small tables
# A zip directory of more than this (about 10,000 members) is not something the probe wrote.
MAX_ZIP_DIRECTORY_BYTES = 2 * 2**20
_MAX_NPY_HEADER = 10_000  # numpy's own limit for a header it parses safely
_NPY_MAGIC = b"\x93NUMPY"


class Unreadable(ValueError):
    """A file or member the grader refuses to read; `str()` in English, `said(lang)` in the
    reader's language (a catalog entry of execution.toml)."""

    def __init__(self, key: str, /, **fields: Any) -> None:  # noqa: ANN401
        self.key, self.fields = key, fields
        super().__init__(text(key, "en", **fields))

    def said(self, lang: str) -> str:
        return text(self.key, lang, **self.fields)


class TooLarge(Unreadable):
    """A file or member over the grader's limit; the message says which and by how much."""


def said(exc: BaseException, lang: str) -> str:
    """An exception of reading, in `lang` when it is one of ours."""
    return exc.said(lang) if isinstance(exc, Unreadable) else str(exc) or type(exc).__name__


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
    """Parse a JSON file of at most `limit` bytes. Raises TooLarge, or ValueError (Unreadable
    for what the grader refuses) if unreadable."""
    size = plain_file_size(path)
    if size is None:
        raise Unreadable("execution.bounded.not_plain_file", name=path.name)
    if size > limit:
        raise TooLarge("execution.bounded.file_too_large", name=path.name, size=_mb(size), limit=_mb(limit))
    with path.open("rb") as fh:
        data = fh.read(limit + 1)  # the file may have grown since lstat
    if len(data) > limit:
        raise TooLarge("execution.bounded.file_grew", name=path.name, limit=_mb(limit))
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise Unreadable("execution.bounded.nested", name=path.name) from None


def _check_directory(fh: Any, size: int) -> None:  # noqa: ANN401
    """Refuse a zip whose central directory is too big to parse cheaply, before zipfile
    builds one object per listed member. Uses the end record zipfile itself will use."""
    end = getattr(zipfile, "_EndRecData", None)
    if end is None:  # a future Python: the file size cap still bounds the directory
        return
    rec = end(fh)
    if rec is None:
        raise Unreadable("execution.bounded.not_zip")
    # private indices into _EndRecData's record, present wherever _EndRecData is; typeshed omits them
    entries, dir_size = rec[zipfile._ECD_ENTRIES_TOTAL], rec[zipfile._ECD_SIZE]  # type: ignore[attr-defined]
    if dir_size > MAX_ZIP_DIRECTORY_BYTES or dir_size > size:
        raise TooLarge("execution.bounded.zip_directory", size=_mb(dir_size), entries=entries)
    fh.seek(0)


def _read_npy(f: Any, declared: int, name: str, limit: int) -> np.ndarray:  # noqa: ANN401
    """One `.npy` member whose uncompressed size (`declared`) was checked already. The header
    is read within numpy's own size limit and must account for exactly `declared` bytes."""
    head = f.read(10)
    if len(head) < 10 or not head.startswith(_NPY_MAGIC):
        raise Unreadable("execution.bounded.not_npy", name=name)
    version = (head[6], head[7])
    if version == (1, 0):
        hlen, prefix = struct.unpack("<H", head[8:10])[0], 10
    elif version == (2, 0):
        head += f.read(2)
        hlen, prefix = struct.unpack("<I", head[8:12])[0], 12
    else:
        raise Unreadable("execution.bounded.npy_version", name=name, major=version[0], minor=version[1])
    if hlen > _MAX_NPY_HEADER:
        raise Unreadable("execution.bounded.npy_header", name=name, size=hlen)
    bio = io.BytesIO(head + f.read(hlen))
    np.lib.format.read_magic(bio)
    reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = reader(bio, max_header_size=_MAX_NPY_HEADER)
    if dtype.hasobject:
        raise Unreadable("execution.bounded.objects", name=name)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > limit:
        raise TooLarge("execution.bounded.array_too_large", name=name, size=_mb(nbytes), limit=_mb(limit))
    if prefix + hlen + nbytes != declared:
        raise Unreadable("execution.bounded.header_mismatch", name=name)
    arr = np.empty(math.prod(shape), dtype=dtype)
    view = arr.view(np.uint8).reshape(-1).data if nbytes else memoryview(b"")
    got = 0
    while got < nbytes:
        n = f.readinto(view[got:])
        if not n:
            raise Unreadable("execution.bounded.cut_short", name=name)
        got += n
    return arr.reshape(shape[::-1]).transpose() if fortran else arr.reshape(shape)


def load_arrays(
    path: Path,
    names: Iterable[str],
    *,
    per_array: int | None = None,
    total: int | None = None,
    lang: str = "en",
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The arrays `names` from an `.npz` file, and {name: why} for those refused (why in `lang`).

    Members not asked for are never inflated. A requested member over `per_array`
    (by its zip header) is refused on its own; if the requested members add up to
    more than `total`, all are refused. Raises TooLarge or ValueError when the file
    as a whole is unusable (too big, not a zip, a hostile directory).
    """
    per_array = MAX_ARRAY_BYTES if per_array is None else per_array
    total = MAX_ARRAYS_BYTES if total is None else total
    size = plain_file_size(path)
    if size is None:
        raise Unreadable("execution.bounded.not_plain_file", name=path.name)
    # np.savez stores members uncompressed: a legitimate file is no bigger than its arrays.
    if size > total + MAX_ZIP_DIRECTORY_BYTES:
        raise TooLarge("execution.bounded.npz_too_large", name=path.name, size=_mb(size), limit=_mb(total))
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
                    refused[name] = text(
                        "execution.bounded.member_too_large", lang, size=_mb(info.file_size), limit=_mb(per_array)
                    )
                else:
                    infos[name] = info
            wanted = sum(i.file_size for i in infos.values())
            if wanted > total:
                why = text("execution.bounded.members_too_large", lang, size=_mb(wanted), limit=_mb(total))
                return {}, {**refused, **{n: why for n in infos}}
            for name, info in infos.items():
                try:
                    with zf.open(info) as member:
                        arrays[name] = _read_npy(member, info.file_size, name, per_array)
                except (ValueError, zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
                    # NotImplementedError: a compression method zipfile does not have
                    refused[name] = said(exc, lang)
    return arrays, refused
