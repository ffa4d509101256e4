"""Repeated GETs through nginx's cache (deploy/) against Oxigraph's own server, uncached.

    python bench/bench_nginx.py [--scale bundled] [--seconds 5] [--rounds 2] [--connections 4]

Starts, on loopback and on the same N-Quads file: two read-only `eocic-kg serve` replicas
(one worker each) behind Debian's nginx running `deploy/nginx/eocic-kg.conf` (as
`tests/nginx.py` renders it, one nginx worker per core), and `oxigraph serve-read-only
--union-default-graph` (the `oxigraph` package of the test extras). Each query of
`bench_peers.MIX` is asked once through nginx (which caches it), then driven with wrk (GET, the
same URL and Accept header over and over) against nginx and Oxigraph alternately, `--rounds`
times. Prints requests/s, p50 and p99 per query and server, the ratio nginx/Oxigraph and its
geometric mean, and how many requests reached a replica during the nginx runs (none should: the
answers are fresh for `max-age=300`).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench_peers import (
    MIX,
    ROOT,
    SCALES,
    Run,
    _free_port,
    _target,
    run_wrk,
    start_oxigraph,
    synthetic_release,
)

sys.path.insert(0, str(ROOT))
from tests.nginx import Nginx, Replica


def replica_requests(replicas: list[Replica]) -> int:
    """Requests in the replicas' access logs so far."""
    return sum(replica.requests('"GET ') for replica in replicas)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--release", type=Path, default=ROOT / "dist" / "eocic.nq")
    parser.add_argument("--scale", default="bundled", choices=list(SCALES))
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error("wrk is missing (apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    data = synthetic_release(args.scale, workdir, args.release)
    replicas = [Replica(_free_port(), workdir) for _ in range(2)]
    (workdir / "nginx").mkdir()
    nginx = Nginx(
        workdir / "nginx",
        _free_port(),
        {"blue": (replicas[0].port, replicas[1].port), "green": (_free_port(), _free_port())},
        workers=os.cpu_count() or 1,
    )
    oxigraph = None
    try:
        for replica in replicas:
            replica.start(data)
        nginx.switch("blue", data)
        nginx.start()
        oxigraph = start_oxigraph(data, workdir, Path(sys.executable).parent)
        servers = {"nginx": f"{nginx.url}/sparql", "oxigraph": oxigraph.url}
        for name, (query, accept) in MIX.items():  # nginx caches each; both answer alike
            answers = [
                httpx.get(_target(url, query), headers={"Accept": accept}, timeout=120)
                for url in (servers["nginx"], servers["nginx"], servers["oxigraph"])
            ]
            if any(a.status_code != 200 for a in answers):
                raise RuntimeError(f"{name}: {[a.status_code for a in answers]}")
            if answers[1].headers.get("X-Cache-Status") != "HIT":
                raise RuntimeError(f"{name}: nginx did not cache the answer")
        before = replica_requests(replicas)
        runs: dict[tuple[str, str], list[Run]] = {}
        started = time.monotonic()
        for name, (query, accept) in MIX.items():
            for _ in range(args.rounds):
                for server, url in servers.items():
                    run = run_wrk(url, query, accept, args.seconds, args.connections)
                    runs.setdefault((name, server), []).append(run)
        reached = replica_requests(replicas) - before
    finally:
        nginx.stop()
        for replica in replicas:
            replica.stop()
        if oxigraph is not None:
            oxigraph.stop()
    quads = sum(1 for _ in data.open("rb"))
    print(
        f"## {args.scale}: {quads:,} quads; wrk -t2 -c{args.connections}, {args.seconds:g}s x "
        f"{args.rounds} rounds per server and query, alternating nginx oxigraph "
        f"({time.monotonic() - started:.0f}s); {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'query':<14}{'nginx req/s':>13}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'oxigraph req/s':>16}{'p50 ms':>8}{'p99 ms':>8}{'nginx/oxigraph':>16}"
    )
    ratios = []
    for name in MIX:
        row = f"{name:<14}"
        rps = {}
        for server, width in (("nginx", 13), ("oxigraph", 16)):
            rs = runs[(name, server)]
            rps[server] = statistics.fmean(r.rps for r in rs)
            failed = "!" if sum(r.errors for r in rs) else ""
            row += f"{rps[server]:>{width - 1},.0f}{failed or ' '}"
            row += f"{statistics.median(r.p50 for r in rs):>8.2f}{max(r.p99 for r in rs):>8.2f}"
        ratios.append(rps["nginx"] / rps["oxigraph"])
        print(f"{row}{ratios[-1]:>15.2f}x")
    geomean = math.exp(statistics.fmean(math.log(r) for r in ratios))
    print(f"{'geomean':<14}{'':>61}{geomean:>15.2f}x")
    print(
        f"(! = some requests failed); requests that reached a replica in the nginx runs: {reached}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
