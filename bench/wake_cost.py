"""What one round trip between two processes costs on this machine, when they run on the same
CPU and on different ones: the price of every executor hop (worker -> executor -> worker).

    python bench/wake_cost.py [--trips 20000]

A parent sends 50 bytes over a Unix socket pair to a forked child that sends them back; both
block in between, as a worker and an idle executor do. Printed per round trip: the wall time
and the CPU time the parent used. On a virtual machine, waking a process on another (idle)
virtual CPU can cost far more than the message itself.
"""

from __future__ import annotations

import argparse
import os
import socket
import time


def round_trips(trips: int, parent_cpu: int | None, child_cpu: int | None) -> tuple[float, float]:
    """Microseconds of wall time and of the parent's CPU time per round trip."""
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        ours.close()
        if child_cpu is not None:
            os.sched_setaffinity(0, {child_cpu})
        while message := theirs.recv(64):
            theirs.sendall(message)
        os._exit(0)
    theirs.close()
    if parent_cpu is not None:
        os.sched_setaffinity(0, {parent_cpu})
    ours.sendall(b"x" * 50)  # the child is running before the clock starts
    ours.recv(64)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(trips):
        ours.sendall(b"x" * 50)
        ours.recv(64)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    ours.close()
    os.waitpid(pid, 0)
    os.sched_setaffinity(0, range(os.cpu_count() or 1))
    return wall / trips * 1e6, cpu / trips * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trips", type=int, default=20000)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    cases = {"as the scheduler places them": (None, None), "same CPU": (cpus[0], cpus[0])}
    if len(cpus) > 1:
        cases["different CPUs"] = (cpus[0], cpus[1])
    print(f"{'placement':<30} {'wall us/trip':>13} {'parent cpu us/trip':>19}")
    for name, (parent, child) in cases.items():
        wall, cpu = round_trips(args.trips, parent, child)
        print(f"{name:<30} {wall:>13.1f} {cpu:>19.1f}")


if __name__ == "__main__":
    main()
