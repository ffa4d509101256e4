"""Requests per second and latency of a query mix: over HTTP (gunicorn) vs the in-process store.

    python bench/bench_http.py [--release dist/eocic.nq] [--seconds 5] [--clients 8]

Without a release file it serves the ontology and data/*.ttl as one named graph each.
Prints one table: rows are the ways of running the mix, ratios are against in-process.
"""

from __future__ import annotations

import argparse
import itertools
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from rdflib import Graph

from eocic_kg import resources
from eocic_kg.store import Store
from eocic_kg.store_api import QueryRequest

MIX = [
    ("ask", "ASK { ?s a ?class }", "json"),
    (
        "count",
        "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class",
        "json",
    ),
    (
        "labels",
        "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } "
        "LIMIT 50",
        "csv",
    ),
    (
        "construct",
        "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 100",
        "turtle",
    ),
]


def _release(path: Path | None, workdir: Path) -> Path:
    if path is not None:
        return path
    if resources.release_file().is_file():
        return resources.release_file()
    out = workdir / "bench.nq"
    files = [resources.ONTOLOGY_FILE, *sorted(resources.DATA_DIR.glob("*.ttl"))]
    with out.open("w", encoding="utf-8") as f:
        for i, source in enumerate(files):
            for line in Graph().parse(source).serialize(format="nt").splitlines():
                if line.strip():
                    f.write(f"{line.rstrip()[:-1].rstrip()} <urn:bench:{i}> .\n")
    return out


def _measure(
    call: Callable[[int], None], seconds: float, clients: int
) -> tuple[float, list[float]]:
    """Run `call(i)` from `clients` threads for `seconds`; return (requests/s, latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def loop(offset: int) -> None:
        mine = []
        for i in itertools.count(offset):
            if time.monotonic() > stop:
                break
            start = time.perf_counter()
            call(i)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.monotonic() - began), latencies


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    """Run the bench and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        release = _release(args.release, Path(tmp))
        store = Store.from_file(release)
        port = _free_port()
        code = (
            "from pathlib import Path\nfrom eocic_kg.serve import run\n"
            f"run(release=Path({str(release)!r}), port={port}, workers={args.workers})"
        )
        server = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            url = f"http://127.0.0.1:{port}/sparql"
            for _ in range(300):
                try:
                    httpx.get(url, timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=64))

            def in_process(i: int) -> None:
                _, query, fmt = MIX[i % len(MIX)]
                if fmt in ("json", "csv"):
                    store.query(QueryRequest(query, tabular=fmt))
                else:
                    store.query(QueryRequest(query, graph=fmt))

            def over_http(i: int) -> None:
                _, query, fmt = MIX[i % len(MIX)]
                r = client.get(url, params={"query": query, "format": fmt})
                r.raise_for_status()

            for i in range(40):  # warm up: fork the executors, fill caches
                over_http(i)
            rows = [
                ("in-process, 1 thread", _measure(in_process, args.seconds, 1)),
                ("HTTP, 1 client", _measure(over_http, args.seconds, 1)),
                (f"HTTP, {args.clients} clients", _measure(over_http, args.seconds, args.clients)),
            ]
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(15)
    print(f"release: {release.name}, {len(store)} quads; mix: {', '.join(m[0] for m in MIX)}")
    print(f"gunicorn: {args.workers} workers; {args.seconds:g} s per row\n")
    header = (
        f"{'run':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'req/s ratio':>13}{'p50 ratio':>11}"
    )
    print(header)
    print("-" * len(header))
    base_rate, base_lat = rows[0][1]
    base_p50 = statistics.median(base_lat)
    for name, (rate, latencies) in rows:
        p50 = statistics.median(latencies)
        p99 = statistics.quantiles(latencies, n=100)[98]
        print(
            f"{name:<24}{rate:>10.0f}{p50 * 1000:>10.2f}{p99 * 1000:>10.2f}"
            f"{rate / base_rate:>13.3f}{p50 / base_p50:>11.1f}"
        )


if __name__ == "__main__":
    main()
