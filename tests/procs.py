"""Processes seen through Linux /proc: children, executors, liveness, running threads; polling
for a condition (to assert order and causality instead of elapsed time)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

#: What reading /proc/PID/... raises once the process is gone: before the open, or between the
#: open and the read (ESRCH: a test saw it as a failure on CI).
GONE = (FileNotFoundError, ProcessLookupError)


def children(pid: int) -> set[int]:
    """The direct children of process `pid`."""
    found: set[int] = set()
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found.update(int(c) for c in (task / "children").read_text().split())
    except GONE:
        pass
    return found


def descendants(pid: int) -> set[int]:
    """Every process below `pid`: its children, theirs, and so on."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        new = children(todo.pop()) - found
        found |= new
        todo.extend(new)
    return found


def name(pid: int) -> str:
    """The process's name (/proc/PID/comm); empty once it is gone."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except GONE:
        return ""


def executors(pid: int) -> set[int]:
    """The query executors below process `pid` (children of a worker's zygote)."""
    return {p for p in descendants(pid) if name(p) == "eocic-executor"}


def new_executors(before: set[int]) -> set[int]:
    """The executors of the query pools this process started since `before` (its descendants
    then): the children of its new children, their zygotes. A server that an earlier test in
    this process started is older, and so are its zygotes, even when they fork a new executor
    meanwhile (taken for the test's own, it was gone the next moment)."""
    zygotes = children(os.getpid()) - before
    return {p for zygote in zygotes for p in children(zygote)}


def state(pid: int) -> str:
    """The process's state letter (R, S, T, Z, ... of /proc/PID/stat); empty once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except GONE:
        return ""


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not reaped, does not)."""
    return state(pid) not in ("", "Z")


def pause(pid: int) -> None:
    """SIGSTOP `pid` and wait until it has stopped: the signal takes effect when the process
    next runs in the kernel, and meanwhile it may still answer (CI: an executor sent SIGSTOP,
    still running, answered the next query 0.5 ms later)."""
    os.kill(pid, signal.SIGSTOP)
    if not until(lambda: state(pid) in ("T", "", "Z")):
        raise AssertionError(f"process {pid} did not stop")


def running(pid: int) -> bool:
    """Whether any thread of process `pid` is on a CPU (executors evaluate in a thread)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
        return any((t / "stat").read_text().rsplit(")", 1)[1].split()[0] == "R" for t in tasks)
    except GONE:
        return False


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid`."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def until(condition: Callable[[], bool], seconds: float = 20) -> bool:
    """Poll `condition` until it holds (True) or `seconds` pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def cpu_of(pids: set[int]) -> dict[int, float]:
    """The CPU seconds of each process of `pids` that still exists."""
    seconds = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):  # it ended meanwhile
            seconds[pid] = cpu_seconds(pid)
    return seconds


def evaluating(candidates: Callable[[], set[int]], before: dict[int, float]) -> set[int]:
    """The processes of `candidates()` that have computed for more than 0.3 s since `before`
    (`cpu_of` them, taken before the work was sent; a new one counts from 0), once there is one
    (empty after 20 s). A process merely "running" may be one starting, not the work's."""
    found: set[int] = set()

    def grown() -> bool:
        now = cpu_of(candidates())
        found.update(p for p, t in now.items() if t - before.get(p, 0.0) > 0.3)
        return bool(found)

    until(grown)
    return found
