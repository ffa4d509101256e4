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
- `limit_memory` caps what an evaluation may allocate, so a runaway query fails alone instead of
  exhausting the host's memory within its time limit.

`network_isolation()` tells at start-up whether this platform can do the first (it forks a probe).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import resource
import signal
import socket
import sys
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


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
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
    no capabilities and no new privileges either way."""
    die_with_parent(parent)
    if not network:
        isolate_network()
    drop_privileges()


def network_isolation() -> str | None:
    """None when executors can be cut off from the network here, else the reason they cannot."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the probe: isolate, then try to reach a listener of the parent's namespace
        os.close(read)
        try:
            isolate_network()
            reason = b""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                reason = b"a socket still connected after unshare"
            except OSError:
                pass
        except OSError as e:
            reason = str(e).encode()
        os.write(write, reason or b"-")
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(pid, 0)
    listener.close()
    return None if answer == "-" else answer
