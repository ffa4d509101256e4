"""What the front costs a request before any query: Granian with a bare ASGI app against Granian
with our `Front` whose hot routes answer a fixed reply (no pool, no executor), side by side:
"loop" answers on the event loop (as a query that an idle executor takes), "thread" in a
request thread (as everything else).

    python bench/front_overhead.py [--seconds 5] [--rounds 2]

Each server runs one worker on a loopback port; wrk (4 connections, 2 threads) drives GET /x;
CPU time per request is read from /proc for the server's whole process tree (user + system,
divided by the requests answered). The difference between the two is the front's own work per
request: reading it into an environ, the hang-up timer, the sends under the send time limit,
the access line and, for "thread", the hand-over to a request thread and back.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BODY = b'{"head":{"vars":["x"]},"results":{"bindings":[]}}' * 20
HEADERS = [("Content-Type", "application/sparql-results+json"), ("Content-Length", str(len(BODY)))]


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The least an ASGI app can do: the fixed reply."""
    if scope["type"] != "http":
        return
    headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


class _Fixed:
    """Hot routes that answer the fixed reply, on the loop (`now`) or, if not `on_loop`, in a
    request thread (`__call__`)."""

    def __init__(self, on_loop: bool) -> None:
        self.on_loop = on_loop

    def reply(self) -> Any:
        from eocic_kg.web.exchange import Reply

        return Reply(200, list(HEADERS), BODY)

    async def now(self, environ: dict[str, Any], gone: Any, client: Any) -> Any:
        return self.reply() if self.on_loop else None

    def __call__(self, environ: dict[str, Any]) -> Any:
        return self.reply()


def serve(kind: str, port: int) -> None:
    """Run Granian with the `kind` app ("bare", "loop" or "thread") on `port`, one worker."""
    from granian.constants import Interfaces
    from granian.server import Server

    from eocic_kg.web.front import Front

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", HEADERS)
        return [BODY]

    def load(_target: str) -> Any:
        if kind == "bare":
            return bare
        return Front(
            wsgi,
            threads=8,
            limit=lambda path: 1 << 20,
            hot=_Fixed(kind == "loop"),  # type: ignore[arg-type]
        )

    server = Server("x", address="127.0.0.1", port=port, interface=Interfaces.ASGINL, workers=1)
    server.serve(target_loader=load)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tree(pid: int) -> list[int]:
    found = [pid]
    for child in subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True
    ).stdout.split():
        found += _tree(int(child))
    return found


def _cpu(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def measure(kind: str, seconds: float) -> tuple[float, float]:
    """Requests per second and CPU microseconds per request of one `kind` server."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/x"
        deadline = time.monotonic() + 30
        while subprocess.run(["curl", "-sf", url], capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {kind} server did not start")
            time.sleep(0.2)
        subprocess.run(["wrk", "-t1", "-c2", "-d1s", url], capture_output=True, check=True)
        pids = _tree(process.pid)
        before = _cpu(pids)
        out = subprocess.run(
            ["wrk", "-t2", "-c4", f"-d{seconds:g}s", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        used = _cpu(pids) - before
        requests = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
        return requests / seconds, used / requests * 1e6
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    kinds = ("bare", "loop", "thread")
    print(f"{'round':>5}" + "".join(f" {k + ' req/s':>13} {'cpu us':>7}" for k in kinds))
    for n in range(1, args.rounds + 1):
        measured = [measure(kind, args.seconds) for kind in kinds]
        print(f"{n:>5}" + "".join(f" {rate:>13,.0f} {cpu:>7.0f}" for rate, cpu in measured))


if __name__ == "__main__":
    main()
