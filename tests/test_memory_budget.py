"""The executors' memory budget caps memory written to, not address space reserved.

Regression: with the cap on the address space (RLIMIT_AS), the ranges that malloc reserves for
each thread's arena (64 MiB each) counted against the budget, and RocksDB's threads in an
executor of a writable on-disk store failed to start now and then ("terminate called after
throwing an instance of 'std::system_error': Resource temporarily unavailable"), so a server
did not start (seen in a parallel CI run of `test_finding_04_client_hang_up`).
"""

from __future__ import annotations

import mmap
import os

from eocic_kg.sandbox import limit_memory

BUDGET = 256 * 2**20


def _in_child(check: object) -> int:
    """Run `check()` in a forked child under the budget; its exit status (0: returned True)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            limit_memory(BUDGET)
            code = 0 if check() else 1  # type: ignore[operator]
        except MemoryError:
            code = 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_reserving_address_space_beyond_the_budget_is_allowed() -> None:
    def reserve() -> bool:
        # as malloc reserves an arena: private, anonymous, no access (PROT_NONE is 0)
        flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
        reserved = mmap.mmap(-1, 4 * BUDGET, flags=flags, prot=0)
        reserved.close()
        return True

    assert _in_child(reserve) == 0


def test_writing_beyond_the_budget_fails_in_the_process() -> None:
    def write() -> bool:
        return len(bytearray(2 * BUDGET)) > 0

    assert _in_child(write) == 2


def test_writing_within_the_budget_succeeds() -> None:
    def write() -> bool:
        return len(bytearray(BUDGET // 4)) > 0

    assert _in_child(write) == 0
