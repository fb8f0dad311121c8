"""Caches a kernel would build on its first import, built once by the grader and shared read-only.

Every kernel starts with an empty HOME, so `import matplotlib` scans every font of the
system and writes `fontlist-v*.json` into its MPLCONFIGDIR, about a second of CPU per
notebook. The grader builds that file once per machine (per cache folder and
matplotlib version, interpreter and installed fonts) in a folder of its own
(`$GRADE_CACHE_DIR`, else `$XDG_CACHE_HOME/grade`, else `~/.cache/grade`, then
`kernel/`); the sandbox binds it read-only and links its files into the kernel's
MPLCONFIGDIR (command.py, sandbox.py), so matplotlib reads it and has nothing to write.

Two graders may build it at once: each builds in a folder of its own, under a lock,
and the first to finish renames its folder into place; the other uses that one. A
folder that exists is complete (it appears by one rename).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

# Where matplotlib looks for fonts on Linux besides the ones it ships (font_manager.py),
# and fontconfig's configuration, which says where else fc-list looks.
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/usr/X11R6/lib/X11/fonts", "/etc/fonts")
BUILD_TIMEOUT_S = 120.0
# What the kernel's `import matplotlib` would do on its first run, done by the grader.
_BUILD = "import matplotlib.font_manager"


@dataclass(frozen=True)
class KernelCache:
    """A prepared cache: its folder on the host, and where its files go in the kernel's HOME."""

    name: str  # "matplotlib"
    folder: str  # absolute host path; exists only once built
    home_dir: str  # relative to the kernel's HOME, e.g. ".config/matplotlib"

    def ready(self) -> bool:
        return Path(self.folder).is_dir()

    def files(self) -> list[Path]:
        return sorted(p for p in Path(self.folder).iterdir() if p.is_file())


def cache_root(env: dict[str, str] | os._Environ[str] | None = None) -> Path:
    """The grader's cache folder for kernels."""
    env = os.environ if env is None else env
    base = env.get("GRADE_CACHE_DIR") or (
        str(Path(env["XDG_CACHE_HOME"]) / "grade")
        if env.get("XDG_CACHE_HOME")
        else str(Path.home() / ".cache" / "grade")
    )
    return Path(base).resolve() / "kernel"


def _fonts_state() -> bytes:
    """The installed fonts as far as a cache depends on them: every font folder's path and
    modification time (adding or removing a font changes its folder's)."""
    out = []
    for top in FONT_DIRS:
        for here, dirs, _ in os.walk(top):
            dirs.sort()
            with contextlib.suppress(OSError):
                out.append(f"{here}\0{os.stat(here).st_mtime_ns}")
    return "\n".join(out).encode()


def matplotlib_cache(root: Path | None = None) -> KernelCache | None:
    """Where matplotlib's font cache for kernels of this interpreter is (None: no matplotlib)."""
    try:
        version = metadata.version("matplotlib")
    except metadata.PackageNotFoundError:
        return None
    h = hashlib.sha256()
    for part in (version, os.path.realpath(sys.executable), sys.prefix):
        h.update(part.encode() + b"\0")
    h.update(_fonts_state())
    folder = (root or cache_root()) / f"matplotlib-{version}-{h.hexdigest()[:16]}"
    return KernelCache("matplotlib", str(folder), ".config/matplotlib")


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One builder at a time on this machine (others wait, then find the folder built)."""
    import fcntl

    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _build_matplotlib(into: Path) -> str:
    """Run matplotlib's font scan with `into` as its config folder; "" or what went wrong."""
    env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL") if k in os.environ}
    env.update({"HOME": str(into / ".home"), "MPLCONFIGDIR": str(into), "MPLBACKEND": "Agg", "PYTHONNOUSERSITE": "1"})
    env["XDG_CACHE_HOME"] = str(into / ".home" / ".cache")  # fontconfig's own cache: not kept
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _BUILD], env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if proc.returncode != 0:
        return (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
    shutil.rmtree(into / ".home", ignore_errors=True)
    for p in into.iterdir():  # only the font list: nothing else of a first run is worth sharing
        if not (p.is_file() and p.name.startswith("fontlist-") and p.suffix == ".json"):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()
    return "" if any(into.iterdir()) else "matplotlib wrote no font list"


def ensure(cache: KernelCache) -> str:
    """Build `cache` if it is not there yet: "" when it is ready, else why it is not (the
    kernel then builds its own, as it would without this cache)."""
    folder = Path(cache.folder)
    if folder.is_dir():
        return ""
    root = folder.parent
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _locked(root):
            if folder.is_dir():
                return ""  # another grader built it while this one waited
            tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=root))
            try:
                problem = _build_matplotlib(tmp)
                if problem:
                    return f"matplotlib's font cache could not be built: {problem}"
                for p in tmp.iterdir():
                    os.chmod(p, 0o644)
                os.chmod(tmp, 0o755)  # readable by the kernel's user, writable by no one else
                try:
                    os.rename(tmp, folder)
                except OSError:
                    if not folder.is_dir():  # not a folder that appeared meanwhile: a real failure
                        raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        return f"matplotlib's font cache could not be built in {root}: {exc.strerror or exc}"
    return ""
