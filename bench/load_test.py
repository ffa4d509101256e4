"""Sustained loopback load on `eocic-kg serve`: wrk runs a query mix at full concurrency.

    python bench/load_test.py [--release dist/eocic.nq] [--seconds 60] [--connections 16]

Starts the server (gunicorn: 2 workers x 8 threads, 4 query executors per worker), warms it,
then runs wrk (`apt-get install wrk`) rotating through the SPARQL queries of queries/*.rq and a
few protocol requests. Reports requests, errors (non-2xx and socket errors), p50/p99 latency
and the memory of the whole process tree (master, workers, executors: RSS summed, and PSS,
which counts copy-on-write shared pages once) at start, every 10 s, and at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from eocic_kg import resources

PROTOCOL_MIX = [
    "/sparql?" + urlencode({"query": "ASK { ?s a ?class }"}),
    "/sparql?"
    + urlencode(
        {
            "query": "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class",
            "format": "csv",
        }
    ),
    "/sparql?"
    + urlencode({"query": "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 100", "format": "ttl"}),
    "/health",
]
_LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["Accept"] = "*/*"})
end
"""


def query_mix() -> list[str]:
    """Request paths: every named query of queries/*.rq, then the protocol requests."""
    paths = [
        "/sparql?" + urlencode({"query": p.read_text(encoding="utf-8")})
        for p in sorted(resources.QUERIES_DIR.glob("*.rq"))
    ]
    return paths + PROTOCOL_MIX


def _tree(pid: int) -> list[int]:
    """`pid` and all its descendants (from /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return found


def memory(pid: int) -> tuple[int, float, float]:
    """(process count, summed RSS in MiB, summed PSS in MiB) of the tree rooted at `pid`."""
    rss = pss = 0
    pids = _tree(pid)
    for p in pids:
        try:
            text = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        rss += int(re.search(r"^Rss:\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
        pss += int(re.search(r"^Pss:\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    return len(pids), rss / 1024, pss / 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    """Run the load test and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--release", type=Path, default=resources.release_file())
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "eocic_kg.cli", "--release", str(args.release), "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        paths = query_mix()
        for path in paths:
            assert httpx.get(base + path, timeout=30).status_code == 200, path
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(_LUA % ", ".join(f'"{p}"' for p in paths))
        wrk = [
            "wrk", f"-t{args.threads}", f"-c{args.connections}", "--latency", "--timeout", "10s",
            "-s", script.name,
        ]  # fmt: skip
        # warm up at full concurrency: every worker forks all its executors
        subprocess.run([*wrk, "-d5s", base], capture_output=True, check=True)
        start_memory = memory(server.pid)
        samples: list[tuple[int, int, float, float]] = []
        done = threading.Event()

        def sample() -> None:
            elapsed = 0
            while not done.wait(10):
                elapsed += 10
                samples.append((elapsed, *memory(server.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        result = subprocess.run(
            [*wrk, f"-d{args.seconds}s", base], capture_output=True, text=True, check=True
        )
        done.set()
        end_memory = memory(server.pid)
    finally:
        server.terminate()
        server.wait(60)
    out = result.stdout
    print(out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    print(f"mix: {len(paths)} requests ({len(paths) - len(PROTOCOL_MIX)} named queries)")
    print(f"requests: {requests} in {args.seconds} s at {args.connections} connections")
    print(f"errors: non-2xx {non_2xx.group(1) if non_2xx else 0}; socket: "
          f"{socket_errors.group(1) if socket_errors else 'none'}")  # fmt: skip
    print(f"latency p50 {latency.get('50')}  p99 {latency.get('99')}")
    print("memory (processes, RSS sum MiB, PSS sum MiB):")
    print(f"  start  {start_memory[0]:3d} {start_memory[1]:8.1f} {start_memory[2]:8.1f}")
    for elapsed, count, rss, pss in samples:
        print(f"  {elapsed:4d}s  {count:3d} {rss:8.1f} {pss:8.1f}")
    print(f"  end    {end_memory[0]:3d} {end_memory[1]:8.1f} {end_memory[2]:8.1f}")
    print(f"server exit status after SIGTERM: {server.returncode}")
    return 0 if not non_2xx and not socket_errors else 1


if __name__ == "__main__":
    sys.exit(main())
