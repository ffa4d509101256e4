"""The two fronts of `eocic-kg serve` side by side: lookups per second, and slow clients.

    python bench/slowloris.py [--release dist/eocic.nq] [--seconds 5] [--rounds 2] [--slow 1000]

For each round and front (`--front gunicorn`, `--front granian`, alternating, 2 workers each)
it starts the server on the release, drives the lookup query with wrk (a Python thread client
if wrk is missing), reads the memory of the process tree (PSS), then opens `--slow`
connections that each send a third of a request (a byte of a request line, part of the
headers, part of a POST body) and times `/health`, `/ready` and the lookup while they are
open, counting the slow connections the server has not closed meanwhile.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import httpx
from bench_peers import (
    MIX,
    Server,
    _free_port,
    _spawn,
    _wait_ready,
    memory_mib,
    run_threads,
    run_wrk,
)

ROOT = Path(__file__).resolve().parent.parent
FRONTS = ("gunicorn", "granian")
SLOW = (
    b"G",
    b"GET /health HTTP/1.1\r\nHost: x\r\nAcc",
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 100\r\n\r\nquery=SEL",
)
PROBES = 5


def start(front: str, release: Path, workdir: Path) -> Server:
    port = _free_port()
    server = Server(front, f"http://127.0.0.1:{port}/sparql")
    cmd = [sys.executable, "-m", "eocic_kg.cli", "--release", str(release), "serve"]
    cmd += ["--front", front, "--port", str(port), "--workers", "2", "--cache-mb", "0"]
    server.processes.append(_spawn(cmd, workdir / f"{front}.log"))
    _wait_ready(server, time.monotonic())
    return server


def _still_open(sock: socket.socket) -> bool:
    try:
        sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return True
    except OSError:
        pass
    return False


def under_slow_clients(server: Server, count: int) -> dict[str, float]:
    """Median and worst latency (ms) of the probes while `count` slow clients are connected."""
    base = server.url.removesuffix("/sparql")
    host, port = base.removeprefix("http://").split(":")
    sockets: list[socket.socket] = []
    lookup = "/sparql?" + urllib.parse.urlencode({"query": MIX["lookup"][0]})
    paths = {"/health": "/health", "/ready": "/ready", "lookup": lookup}
    times: dict[str, list[float]] = {name: [] for name in paths}
    failures = 0
    try:
        for i in range(count):
            sock = socket.create_connection((host, int(port)))
            sockets.append(sock)
            sock.sendall(SLOW[i % len(SLOW)])
        with httpx.Client(base_url=base, timeout=5) as client:
            for _ in range(PROBES):
                for name, path in paths.items():
                    started = time.perf_counter()
                    try:
                        ok = client.get(path).status_code == 200
                    except httpx.TransportError:
                        ok = False
                    failures += not ok
                    times[name].append((time.perf_counter() - started) * 1e3)
        still_open = sum(_still_open(sock) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
    out = {f"{name} p50": statistics.median(t) for name, t in times.items()}
    out |= {f"{name} max": max(t) for name, t in times.items()}
    return out | {"failures": failures, "slow still open": still_open}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--release", type=Path, default=ROOT / "dist" / "eocic.nq")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--slow", type=int, default=1000)
    args = parser.parse_args()
    if not args.release.is_file():
        parser.error(f"{args.release} missing: run `eocic-kg build` first")
    load = run_wrk if shutil.which("wrk") else run_threads
    query, accept = MIX["lookup"]
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(1, args.rounds + 1):
            for front in FRONTS:
                server = start(front, args.release, Path(tmp))
                try:
                    run = load(server.url, query, accept, args.seconds, args.connections)
                    memory = memory_mib(server)
                    slow = under_slow_clients(server, args.slow)
                finally:
                    server.stop()
                print(
                    f"round {round_} {front:8} lookup {run.rps:7.0f} req/s "
                    f"p50 {run.p50:.2f} ms p99 {run.p99:.2f} ms errors {run.errors} | "
                    f"PSS {memory:.0f} MiB | with {args.slow} slow clients: "
                    + ", ".join(f"{k} {v:.0f}" for k, v in slow.items()),
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
