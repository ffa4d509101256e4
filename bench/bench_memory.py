"""Memory of the service by number of workers: one store shared, not one copy per worker.

Starts `eocic-kg serve` on a release (optionally with synthetic triples added) with 1, 2 and 4
workers, sends a few queries so that every worker and executor has run, and prints the sum of
the proportional set size (PSS, shared pages divided among the processes that share them) and
of the resident set size (RSS, shared pages counted in every process) over the process tree.

    python bench/bench_memory.py --synthetic 100000
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from eocic_kg import synth
from eocic_kg.resources import release_file

QUERIES = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?s WHERE { ?s a <https://w3id.org/eocic/ontology#PilotRegion> }",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (children of every thread: executors are forked by the
    worker's request threads, not its main thread)."""
    children = [
        c for t in Path(f"/proc/{pid}/task").iterdir() for c in (t / "children").read_text().split()
    ]
    return [pid, *(p for child in children for p in _tree(int(child)))]


def _memory_kib(pid: int) -> tuple[int, int]:
    pss = rss = 0
    for process in _tree(pid):
        for line in Path(f"/proc/{process}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
            elif line.startswith("Rss:"):
                rss += int(line.split()[1])
    return pss, rss


def measure(release: Path, workers: int) -> tuple[int, int, int]:
    """(processes, PSS KiB, RSS KiB) of a server with `workers` workers after some queries."""
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "eocic_kg.cli",
            "--release",
            str(release),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/sparql?query="
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        for _ in range(10 * workers):
            for query in QUERIES:
                urllib.request.urlopen(url + urllib.parse.quote(query), timeout=30).read()
        pss, rss = _memory_kib(server.pid)
        return len(_tree(server.pid)), pss, rss
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=0, help="synthetic triples to add")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    release = release_file()
    if args.synthetic:
        combined = Path(tempfile.mkdtemp()) / "combined.nq"
        synth.write(combined, *synth.plan(args.synthetic))
        combined.write_bytes(release.read_bytes() + combined.read_bytes())
        release = combined
    print(f"release: {release} ({sum(1 for _ in release.open('rb'))} quads)")
    print(f"{'workers':>7} {'processes':>9} {'PSS MiB':>8} {'RSS MiB':>8} {'PSS/worker':>10}")
    for workers in (int(w) for w in args.workers.split(",")):
        processes, pss, rss = measure(release, workers)
        print(
            f"{workers:7d} {processes:9d} {pss / 1024:8.0f} {rss / 1024:8.0f} "
            f"{pss / 1024 / workers:10.0f}"
        )


if __name__ == "__main__":
    main()
