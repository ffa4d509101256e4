"""Operating-system guarantees for the processes that evaluate queries and updates.

`confine()` is called first thing in every executor (a child forked to evaluate SPARQL):

- it moves the process into a new, empty Linux network namespace (`unshare(CLONE_NEWNET)`, with
  `CLONE_NEWUSER` when not root), where no socket can reach any address: SERVICE, LOAD, a remote
  FROM or any future engine feature cannot fetch, whatever the query text looks like;
- it asks the kernel to kill it when its parent dies (`PR_SET_PDEATHSIG`), so no executor outlives
  the server;
- `limit_memory` caps what an evaluation may allocate, so a runaway query fails alone instead of
  exhausting the host's memory within its time limit.

`network_isolation()` tells at start-up whether this platform can do the first (it forks a probe).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal
import socket
import sys
from pathlib import Path

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_PR_SET_PDEATHSIG = 1


class IsolationError(OSError):
    """The process could not be cut off from the network."""


def _libc() -> ctypes.CDLL:
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
    """Confine an executor: dies with `parent`; no network unless `network` (remote engines)."""
    die_with_parent(parent)
    if not network:
        isolate_network()


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
