"""The seccomp filter of the student's kernel: refuse the system calls that only serve to escape.

A notebook needs files, threads, processes, sockets and memory; it never needs to
mount or unmount file systems, enter or create namespaces, trace other processes,
load BPF programs or kernel modules, or use the kernel keyring. Each of those has
been the first step of a container escape, so they fail with EPERM even where the
capability checks would already refuse them (defence in depth: the filter also
holds when a layer below it is missing, e.g. a kernel that still runs as root).

`clone3` answers ENOSYS: its flags live in a struct a filter cannot read, and the C
library then falls back to `clone`, whose namespace flags are refused here.
System calls of another ABI (32-bit `int 0x80` on x86-64) answer ENOSYS as well.

The filter is compiled with libseccomp (through `pyseccomp`) in the grader; the
launcher and bubblewrap only load the compiled program, so they need neither.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import sys

DENIED = (
    # file systems and namespaces
    "mount",
    "umount",
    "umount2",
    "pivot_root",
    "chroot",
    "setns",
    "unshare",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "open_tree_attr",
    "mount_setattr",
    "open_by_handle_at",
    "name_to_handle_at",
    "quotactl",
    "swapon",
    "swapoff",
    # other processes' memory
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_getfd",
    # kernel interfaces with a long record of privilege escalations
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    # the machine's state
    "reboot",
    "acct",
    "syslog",
    "iopl",
    "ioperm",
    "vhangup",
    "lookup_dcookie",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "uselib",
    "nfsservctl",
)
# clone(2) flags that create namespaces (linux/sched.h).
NAMESPACE_FLAGS = {
    "CLONE_NEWTIME": 0x00000080,
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}


class SeccompUnavailable(RuntimeError):
    """libseccomp or its Python binding is missing, or this platform has no seccomp."""


@functools.lru_cache(maxsize=1)
def compiled() -> bytes:
    """The filter as a BPF program (struct sock_filter[]), ready for bwrap --seccomp or prctl."""
    if not sys.platform.startswith("linux"):
        raise SeccompUnavailable(f"seccomp needs Linux (this is {sys.platform})")
    try:
        import pyseccomp as sc
    except (ImportError, RuntimeError, OSError) as exc:  # RuntimeError: libseccomp.so not found
        raise SeccompUnavailable(f"pyseccomp or libseccomp is not installed ({exc})") from None
    try:
        flt = sc.SyscallFilter(defaction=sc.ALLOW)
        flt.set_attr(sc.Attr.ACT_BADARCH, sc.ERRNO(errno.ENOSYS))
        for name in DENIED:
            if sc.resolve_syscall(sc.Arch.NATIVE, name) < 0:
                continue  # not a system call on this architecture (umount on x86-64, ...)
            flt.add_rule(sc.ERRNO(errno.EPERM), name)
        if sc.resolve_syscall(sc.Arch.NATIVE, "clone3") >= 0:
            flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
        # The flags are clone's first argument on x86-64 and arm64 (the architectures CI and
        # class servers use); elsewhere the unshare/setns rules above still hold.
        for flag in NAMESPACE_FLAGS.values():
            flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
        read, write = os.pipe()
        try:
            with os.fdopen(write, "wb", closefd=True) as fh:
                flt.export_bpf(fh)
            chunks = []
            while chunk := os.read(read, 65536):
                chunks.append(chunk)
        finally:
            os.close(read)
    except OSError as exc:
        raise SeccompUnavailable(f"libseccomp could not build the filter ({exc})") from None
    program = b"".join(chunks)
    if not program or len(program) % 8:
        raise SeccompUnavailable("libseccomp produced no usable program")
    return program


def status() -> tuple[bool, str]:
    """(available, why not)."""
    try:
        compiled()
    except SeccompUnavailable as exc:
        return False, str(exc)
    return True, ""


# --- loading a compiled program in this process (the launcher, when there is no bubblewrap) ---

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install(program: bytes) -> None:
    """Load `program` for this process and everything it starts (sets no_new_privs first,
    which an unprivileged process needs and which keeps set-uid programs from undoing it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    buf = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
