"""Operating-system guarantees for the processes that evaluate queries and updates.

`confine()` is called first thing in every executor (a child forked to evaluate SPARQL):

- it moves the process into a new, empty Linux network namespace (`unshare(CLONE_NEWNET)`, with
  `CLONE_NEWUSER` when not root), where no socket can reach any address: SERVICE, LOAD, a remote
  FROM or any future engine feature cannot fetch, whatever the query text looks like;
- it asks the kernel to kill it when its parent dies (`PR_SET_PDEATHSIG`), so no executor outlives
  the server (the parent is the worker's single-threaded *zygote*: the signal is tied to the
  parent *thread*, and the zygote has only one);
- once the namespace is set, it gives up every capability (effective, permitted, inheritable,
  ambient and the bounding set) and sets `no_new_privs`: code run by the engine cannot `setns()`
  back into the host's network, mount, trace or change users, nor gain privileges by `execve`;
- then it installs a seccomp filter (`filter_syscalls`, through the system's libseccomp) under
  which `setns` and `unshare` fail with EPERM and, in an executor without network (all but a
  remote engine's), so do `io_uring_setup` and `socket`/`socketpair` for any family but AF_UNIX:
  a refused call is an error the engine reports, not a dead executor;
- `limit_memory` caps what an evaluation may allocate, so a runaway query fails alone instead of
  exhausting the host's memory within its time limit.

`network_isolation()` and `syscall_filter()` tell at start-up whether this platform can cut an
executor off from the network and filter its system calls (each forks a probe). Where there is
no libseccomp (not Linux, or not installed) executors go unfiltered and `serve` says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os
import resource
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAPABILITY_VERSION_3 = 0x20080522
# From libseccomp's seccomp.h: the actions, the bad-architecture attribute, the "!=" comparison
_SCMP_ACT_ALLOW = 0x7FFF0000
_SCMP_ACT_EPERM = 0x00050000 | errno.EPERM  # SCMP_ACT_ERRNO(EPERM)
_SCMP_FLTATR_ACT_BADARCH = 2
_SCMP_CMP_NE = 1
_NR_SCMP_ERROR = -1  # what seccomp_syscall_resolve_name answers for a name it does not know
# Refused to every executor: entering another namespace, or making new ones.
_NAMESPACE_CALLS = ("setns", "unshare")
# Refused to executors without network; io_uring can open sockets without calling socket().
_NETWORK_CALLS = ("io_uring_setup",)
_SOCKET_CALLS = ("socket", "socketpair")  # without network: refused unless AF_UNIX


class IsolationError(OSError):
    """The process could not be cut off from the network."""


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library, found once (`find_library` runs `ldconfig`: not in every executor)."""
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def isolate_network() -> None:
    """Move this process into an empty network namespace; raise IsolationError if impossible."""
    if not sys.platform.startswith("linux"):
        raise IsolationError("network namespaces need Linux")
    libc = _libc()
    flags = _CLONE_NEWNET if os.geteuid() == 0 else _CLONE_NEWNET | _CLONE_NEWUSER
    if libc.unshare(flags) != 0:
        errno = ctypes.get_errno()
        raise IsolationError(errno, f"unshare(CLONE_NEWNET) failed: {os.strerror(errno)}")


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """Have the kernel send `sig` to this process when its parent dies (Linux; elsewhere a
    no-op)."""
    if sys.platform.startswith("linux"):
        _libc().prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def name_process(name: str) -> None:
    """Set the name `ps` and /proc/PID/comm show for this process (Linux; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        _libc().prctl(_PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_privileges() -> None:
    """Give up every capability for good and set `no_new_privs` (Linux; raise OSError if not).

    The bounding set goes first (dropping from it needs CAP_SETPCAP), then the ambient set,
    then the effective, permitted and inheritable sets (`capset` to all zeros).
    """
    if not sys.platform.startswith("linux"):
        return
    libc = _libc()
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"PR_CAPBSET_DROP({cap}) failed: {os.strerror(errno)}")
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)  # EINVAL before Linux 4.3
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"capset failed: {os.strerror(errno)}")
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"PR_SET_NO_NEW_PRIVS failed: {os.strerror(errno)}")


class _ArgCmp(ctypes.Structure):  # struct scmp_arg_cmp
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


@functools.cache
def _libseccomp() -> ctypes.CDLL | None:
    """The system's libseccomp, loaded once; None where there is none (not Linux, not installed)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        lib = ctypes.CDLL("libseccomp.so.2")
    except OSError:
        return None
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    ]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.restype = None
    return lib


def _seccomp_ok(result: int, what: str) -> None:
    """Raise OSError if a libseccomp call failed (they answer minus an errno)."""
    if result < 0:
        raise OSError(-result, f"{what} failed: {os.strerror(-result)}")


def filter_syscalls(*, network: bool) -> None:
    """Install the seccomp filter for an executor (see the module's docstring); raise OSError
    if there is no libseccomp or the filter cannot be installed.

    Everything not named is allowed. Syscall numbers come from libseccomp, which knows the
    native architecture; a call made through another architecture's ABI (a 32-bit `int 0x80`
    on x86-64, say) would dodge the rules, so every such call is refused. Loading sets
    `no_new_privs` (libseccomp's default), which lets an unprivileged process install it.
    """
    lib = _libseccomp()
    if lib is None:
        need = "Linux" if not sys.platform.startswith("linux") else "libseccomp.so.2 (libseccomp2)"
        raise OSError(errno.ENOSYS, f"a seccomp filter needs {need}")
    rules: list[tuple[str, int | None]] = [(name, None) for name in _NAMESPACE_CALLS]
    if not network:
        rules += [(name, None) for name in _NETWORK_CALLS]
        rules += [(name, socket.AF_UNIX) for name in _SOCKET_CALLS]
    context = lib.seccomp_init(_SCMP_ACT_ALLOW)
    if not context:
        raise OSError(errno.ENOMEM, "seccomp_init failed")
    try:
        _seccomp_ok(
            lib.seccomp_attr_set(context, _SCMP_FLTATR_ACT_BADARCH, _SCMP_ACT_EPERM),
            "seccomp_attr_set",
        )
        for name, allowed_family in rules:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number == _NR_SCMP_ERROR:
                raise OSError(errno.ENOSYS, f"libseccomp does not know {name}")
            # the first argument, compared whole: a family AF_UNIX in its low 32 bits and
            # anything above them is refused too (the kernel reads only the low 32 bits)
            compare: list[_ArgCmp] = (
                [] if allowed_family is None else [_ArgCmp(0, _SCMP_CMP_NE, allowed_family)]
            )
            arguments = (_ArgCmp * len(compare))(*compare)
            _seccomp_ok(
                lib.seccomp_rule_add_array(
                    context, _SCMP_ACT_EPERM, number, len(compare), arguments
                ),
                f"seccomp_rule_add({name})",
            )
        _seccomp_ok(lib.seccomp_load(context), "seccomp_load")
    finally:
        lib.seccomp_release(context)


def limit_memory(budget: int) -> None:
    """Cap the memory this process may write to at what it holds now plus `budget` bytes.

    A fork holds everything its parent does (an in-memory store shared copy-on-write), so the
    cap is relative: an evaluation may allocate `budget` more bytes, and one that asks for more
    fails in its own process instead of pushing the host out of memory. The cap is on writable
    private memory (`RLIMIT_DATA`), not on the address space (`RLIMIT_AS`): the address ranges
    that malloc reserves for each thread's arena (64 MiB each, up to 8 per core) are not memory,
    and counting them made the engine's own threads (RocksDB's) fail to start now and then.
    """
    status = Path("/proc/self/status").read_text()
    held = next(
        (int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmData:")),
        0,
    )
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    cap = held + budget
    resource.setrlimit(
        resource.RLIMIT_DATA, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard)
    )


def confine(parent: int, *, network: bool = False) -> None:
    """Confine an executor: dies with `parent`; no network unless `network` (remote engines);
    no capabilities, no new privileges and, where there is libseccomp, filtered system calls
    either way."""
    die_with_parent(parent)
    if not network:
        isolate_network()
    drop_privileges()
    if _libseccomp() is not None:  # where there is none, `serve` said so at start-up
        filter_syscalls(network=network)


def _probe(check: Callable[[], str]) -> str | None:
    """Run `check` in a forked child: None if it answered "", else its answer or its OSError."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            reason = check()
        except OSError as e:
            reason = str(e)
        os.write(write, (reason or "-").encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(pid, 0)
    return None if answer == "-" else answer


def network_isolation() -> str | None:
    """None when executors can be cut off from the network here, else the reason they cannot."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def check() -> str:  # isolate, then try to reach a listener of the parent's namespace
        isolate_network()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return ""
        return "a socket still connected after unshare"

    try:
        return _probe(check)
    finally:
        listener.close()


def syscall_filter() -> str | None:
    """None when executors' system calls can be filtered here, else the reason they cannot."""
    _libseccomp()  # loaded once, here: the processes forked from this one have it

    def check() -> str:  # filter as an executor without network, then try an Internet socket
        filter_syscalls(network=False)
        try:
            socket.socket(socket.AF_INET).close()
        except PermissionError:
            return ""
        return "an AF_INET socket opened under the filter"

    return _probe(check)
