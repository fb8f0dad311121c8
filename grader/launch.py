"""Kernel launcher: apply resource limits, start a new session, exec the kernel.

Run as `python -m grader.launch [limits] -- KERNEL ARGV...`. Kept free of
heavy imports: it runs once per submission before the kernel starts.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys


def _limit(kind: int, value: int) -> None:
    try:
        soft, hard = resource.getrlimit(kind)
        new = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (new, new if hard == resource.RLIM_INFINITY else hard))
    except (ValueError, OSError):
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="grader.launch")
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--file-size-mb", type=int, default=0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no kernel command given")
    try:
        os.setsid()
    except OSError:
        pass  # already a session leader
    if args.memory_mb:
        _limit(resource.RLIMIT_DATA, args.memory_mb * 2**20)
    if args.file_size_mb:
        _limit(resource.RLIMIT_FSIZE, args.file_size_mb * 2**20)
    _limit(resource.RLIMIT_CORE, 0)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
