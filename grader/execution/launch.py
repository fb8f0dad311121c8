"""Kernel launcher: join the cgroups, apply resource limits, start a new session, run the kernel.

Run as `python -m grader.execution.launch [limits] -- COMMAND...` where COMMAND is the
kernel (or bubblewrap wrapping the kernel). Kept free of heavy imports: it runs
once per submission before the kernel starts.

With `--supervise` (no pid namespace available) the launcher forks, runs the
kernel as its child and stays: student code calling `os.kill(os.getppid(), ...)`
then hits the launcher, not the grader. The kernel gets SIGKILL when the launcher
dies, and the launcher when the grader dies (Linux `PR_SET_PDEATHSIG`).
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import sys


def _limit(kind: int, value: int) -> None:
    try:
        soft, hard = resource.getrlimit(kind)
        new = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (new, new if hard == resource.RLIM_INFINITY else hard))
    except (ValueError, OSError):
        pass


def _die_with_parent() -> None:
    """SIGKILL this process when its parent dies (Linux only; no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001
        pass


def _user_process_count() -> int | None:
    try:
        uid = os.getuid()
        n = 0
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    if entry.stat().st_uid == uid:
                        n += 1
                except OSError:
                    pass
        return n
    except (OSError, AttributeError):
        return None


def _supervise(command: list[str]) -> None:
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        _die_with_parent()
        if os.getppid() != parent:  # the launcher died before prctl took effect
            os._exit(1)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        try:
            os.execvp(command[0], command)
        except OSError as exc:
            os.write(2, f"grader.execution.launch: cannot run {command[0]}: {exc}\n".encode())
            os._exit(127)

    def forward(signum: int, _frame: object) -> None:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    # SIGINT reaches the kernel directly (same process group): do not double it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, forward)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(1)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="grader.execution.launch")
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--file-size-mb", type=int, default=0)
    parser.add_argument("--cgroup-procs", action="append", default=[],
                        help="cgroup.procs file to join before running the command (repeatable)")
    parser.add_argument("--more-processes", type=int, default=0,
                        help="RLIMIT_NPROC = this user's processes now + N (ignored by root)")
    parser.add_argument("--supervise", action="store_true",
                        help="stay as the command's parent instead of exec'ing it")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no kernel command given")
    _die_with_parent()
    if args.cgroup_procs:
        from grader.execution.cgroups import join

        for problem in join(args.cgroup_procs):
            os.write(2, f"grader.execution.launch: cannot join cgroup {problem}\n".encode())
    try:
        os.setsid()
    except OSError:
        pass  # already a session leader
    if args.memory_mb:
        _limit(resource.RLIMIT_DATA, args.memory_mb * 2**20)
    if args.file_size_mb:
        _limit(resource.RLIMIT_FSIZE, args.file_size_mb * 2**20)
    _limit(resource.RLIMIT_CORE, 0)
    if args.more_processes:
        count = _user_process_count()
        if count is not None:
            _limit(resource.RLIMIT_NPROC, count + args.more_processes)
    if args.supervise:
        _supervise(command)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
