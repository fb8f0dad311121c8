"""What this machine offers the sandbox: bubblewrap, setpriv, and size-limited tmpfs mounts.

Each probe is measured once per process (cached) and never raises: a missing piece is
a reason string the sandbox reports as a missing layer.
"""

from __future__ import annotations

import ctypes
import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# The tmpfs of a run folder is mounted with this source name and the grader's pid, so that
# folders of a grader killed by SIGKILL can be recognised and unmounted later.
MOUNT_SOURCE = "grade-sandbox"
_MNT_DETACH = 2
_MS_NOSUID, _MS_NODEV, _MS_REMOUNT = 2, 4, 32


@functools.lru_cache(maxsize=1)
def bwrap_status() -> tuple[str | None, str]:
    """(path to a working bwrap, or None; why not)."""
    if not sys.platform.startswith("linux"):
        return None, f"bubblewrap needs Linux (this is {sys.platform})"
    exe = shutil.which("bwrap")
    if not exe:
        return None, "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    try:
        proc = subprocess.run(
            [
                exe,
                "--ro-bind",
                "/",
                "/",
                "--dev",
                "/dev",
                "--proc",
                "/proc",
                "--unshare-net",
                "--unshare-pid",
                "--die-with-parent",
                "--new-session",
                "--",
                "/bin/sh",
                "-c",
                "exit 0",
            ],
            capture_output=True,
            timeout=15,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"bubblewrap does not run here ({exc})"
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return (
            None,
            f"bubblewrap does not work here ({err[-1] if err else proc.returncode}); "
            "unprivileged user namespaces may be disabled",
        )
    return exe, ""


@functools.lru_cache(maxsize=1)
def bwrap_help() -> str:
    exe = bwrap_status()[0]
    if not exe:
        return ""
    try:
        return subprocess.run([exe, "--help"], capture_output=True, timeout=15).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired):
        return ""


@functools.lru_cache(maxsize=1)
def setpriv_path() -> str | None:
    """util-linux's setpriv, if it knows the options the sandbox uses."""
    exe = shutil.which("setpriv")
    if not exe:
        return None
    try:
        text = subprocess.run([exe, "--help"], capture_output=True, timeout=15).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired):
        return None
    needed = ("--reuid", "--regid", "--clear-groups", "--bounding-set", "--inh-caps", "--no-new-privs")
    return exe if all(opt in text for opt in needed) else None


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@functools.lru_cache(maxsize=8)
def reachable_by(uid: int, gid: int) -> bool:
    """Can `uid` start this interpreter (a pyenv Python under /root, mode 700, cannot)?
    Measured by starting it as that user."""
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-S", "-c", "import os"],
            user=uid,
            group=gid,
            extra_groups=[],
            cwd="/",
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def mount_tmpfs(path: Path, size_mb: int, inodes: int) -> str:
    """Mount a size- and inode-limited tmpfs on `path` (root only). Returns '' or why not."""
    libc = _libc()
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    opts = f"size={max(1, size_mb)}m,nr_inodes={max(16, inodes)},mode=0711,uid=0,gid=0"
    source = f"{MOUNT_SOURCE}-{os.getpid()}".encode()
    if libc.mount(source, os.fsencode(path), b"tmpfs", _MS_NOSUID | _MS_NODEV, opts.encode()) != 0:
        return f"cannot mount a size-limited run folder ({os.strerror(ctypes.get_errno())})"
    return ""


def unmount(path: Path) -> None:
    libc = _libc()
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    libc.umount2(os.fsencode(path), _MNT_DETACH)


def stale_run_mounts(remove: bool = False) -> list[Path]:
    """Run-folder mounts left by graders that no longer run (killed with SIGKILL);
    unmounted and deleted when `remove`."""
    found = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    pattern = re.compile(rf"^{MOUNT_SOURCE}-(\d+)$")
    for line in lines:
        left, _, right = line.partition(" - ")
        parts, rparts = left.split(), right.split()
        if len(parts) < 5 or len(rparts) < 2 or rparts[0] != "tmpfs":
            continue
        m = pattern.match(rparts[1])
        if not m or Path(f"/proc/{m.group(1)}").exists():
            continue
        mnt = Path(re.sub(r"\\([0-7]{3})", lambda e: chr(int(e.group(1), 8)), parts[4]))  # \040 = space
        found.append(mnt)
        if remove:
            unmount(mnt)
            try:
                mnt.rmdir()
            except OSError:
                pass
    return found


@functools.lru_cache(maxsize=1)
def sweep_stale_mounts_once() -> int:
    return len(stale_run_mounts(remove=True)) if is_root() else 0


def grow_tmpfs(path: Path, size_mb: int, inodes: int) -> None:
    """Give a mounted run folder a new size and file count (root; remount keeps its files)."""
    libc = _libc()
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    libc.mount(
        None,
        os.fsencode(path),
        None,
        _MS_REMOUNT | _MS_NOSUID | _MS_NODEV,
        f"size={size_mb}m,nr_inodes={inodes}".encode(),
    )
