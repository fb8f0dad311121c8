"""Kernel launcher: join the cgroups, apply resource limits, start a new session, drop
privileges, load the seccomp filter, run the kernel.

Run as `python -m grader.execution.launch [limits] -- COMMAND...` where COMMAND is the
kernel (or bubblewrap wrapping the kernel). Kept free of heavy imports: it runs
once per submission before the kernel starts.

`--seccomp FILE` names a compiled filter (grader/execution/seccomp.py). When COMMAND
holds the word `@SECCOMP_FD@` (bubblewrap's `--seccomp @SECCOMP_FD@`), the file is
opened and its descriptor number put there, so that bubblewrap loads it just before
the kernel starts; otherwise the launcher loads it itself. `--drop-uid/--drop-gid`
switch to an unprivileged user with no capabilities and no_new_privs before the
command runs (used when there is no bubblewrap, or no `setpriv` inside it). Both are
all-or-nothing: if either fails the kernel does not start.

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
from collections.abc import Callable


def _limit(kind: int, value: int) -> None:
    try:
        _soft, hard = resource.getrlimit(kind)
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


SECCOMP_FD_WORD = "@SECCOMP_FD@"


def _fatal(message: str) -> None:
    os.write(2, f"grader.execution.launch: {message}\n".encode())
    os._exit(126)


def drop_privileges(uid: int | None, gid: int | None) -> None:
    """Become `uid`/`gid` for good: no supplementary groups, empty capability sets
    (bounding set first, while CAP_SETPCAP is still held), no_new_privs. With `uid`
    None only the capabilities go: a root that cannot gain them back, even by exec."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        if libc.prctl(24, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:  # PR_CAPBSET_DROP; EINVAL: no such cap
            raise OSError(ctypes.get_errno(), f"cannot drop capability {cap} from the bounding set")
    if uid is not None:
        gid = uid if gid is None else gid
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)  # clears the permitted, effective and ambient sets

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    data = (Data * 2)()
    if libc.capset(ctypes.byref(Header(0x20080522, 0)), data) != 0:  # all three sets empty
        raise OSError(ctypes.get_errno(), "capset failed")
    libc.prctl(8, 0, 0, 0, 0)  # PR_SET_KEEPCAPS off
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "cannot set no_new_privs")
    if uid is not None and (
        (os.getuid(), os.geteuid(), os.getgid(), os.getegid()) != (uid, uid, gid, gid) or os.getgroups()
    ):
        raise OSError(1, "the user switch did not stick")


def _user_process_count(uid: int | None = None) -> int | None:
    try:
        uid = os.getuid() if uid is None else uid
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
        killed_by = os.WTERMSIG(status)
        signal.signal(killed_by, signal.SIG_DFL)
        os.kill(os.getpid(), killed_by)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="grader.execution.launch")
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--file-size-mb", type=int, default=0)
    parser.add_argument(
        "--cgroup-procs",
        action="append",
        default=[],
        help="cgroup.procs file to join before running the command (repeatable)",
    )
    parser.add_argument(
        "--more-processes",
        type=int,
        default=0,
        help="RLIMIT_NPROC = the kernel user's processes now + N (ignored by root)",
    )
    parser.add_argument(
        "--nproc-uid", type=int, default=None, help="whose processes --more-processes counts (default: this user's)"
    )
    parser.add_argument("--drop-uid", type=int, default=None, help="run the command as this uid")
    parser.add_argument("--drop-gid", type=int, default=None, help="... and this gid")
    parser.add_argument(
        "--drop-caps",
        action="store_true",
        help="keep the user but drop every capability (root that cannot switch user)",
    )
    parser.add_argument("--seccomp", default="", help="compiled seccomp filter to load (see above)")
    parser.add_argument("--supervise", action="store_true", help="stay as the command's parent instead of exec'ing it")
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
        count = _user_process_count(args.nproc_uid if args.nproc_uid is not None else args.drop_uid)
        if count is not None:
            _limit(resource.RLIMIT_NPROC, count + args.more_processes)
    program = b""
    if args.seccomp:
        try:
            with open(args.seccomp, "rb") as fh:
                program = fh.read()
        except OSError as exc:
            _fatal(f"cannot read the seccomp filter {args.seccomp}: {exc.strerror}")
        if SECCOMP_FD_WORD in command:
            # bubblewrap loads it: hand over a descriptor the exec keeps.
            read, write = os.pipe()
            os.write(write, program)  # < 64 KB: fits the pipe's buffer
            os.close(write)
            os.set_inheritable(read, True)
            command = [str(read) if a == SECCOMP_FD_WORD else a for a in command]
            program = b""
    install: Callable[[bytes], None] | None = None
    if program:
        # Imported while still privileged: after the switch the new user may not be able to
        # read the grader's checkout (a fresh clone in a mode-700 temp folder, as on CI).
        from grader.execution.seccomp import install
    if args.drop_uid is not None or args.drop_caps:
        try:
            drop_privileges(args.drop_uid, args.drop_gid)
        except OSError as exc:
            _fatal(f"cannot drop privileges (uid {args.drop_uid}): {exc.strerror or exc}")
        _die_with_parent()  # a change of credentials clears the parent-death signal
    if program and install is not None:
        try:
            install(program)
        except OSError as exc:
            _fatal(f"cannot load the seccomp filter: {exc.strerror or exc}")
    if args.supervise:
        _supervise(command)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
