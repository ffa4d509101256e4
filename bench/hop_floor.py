"""The floor of our process model on this machine: how fast can the least app with the same
shape answer a query, side by side with Oxigraph's server and ours, in one run?

    python bench/hop_floor.py [--release dist/eocic.nq] [--seconds 4] [--rounds 2]
                              [--query lookup] [--query path ...]

Every server runs two workers on a loopback port and answers each query of bench_peers' mix
named (default: the lookup) in its format (SPARQL JSON, or Turtle for DESCRIBE; the union default
graph); wrk drives it with 4 connections.

- `inproc`: Granian (ASGI, as ours) whose app evaluates the query with pyoxigraph on its event
  loop: the front and the engine, no executor, nothing else.
- `hop`: the same app, but each query goes to an idle forked process (one per request in
  flight, reused) over a Unix socket, awaited on the loop: the executor hop without a sandbox,
  a time limit, pickling, caches or checks.
- `wsgi-hop`: the same hop from Granian's WSGI interface: each of its threads (2 per worker)
  keeps one forked process and blocks on it, with no event loop between Granian and the app
  (WSGI cannot tell the app that its client hung up).
- `rsgi-hop`: the hop from Granian's RSGI interface: the app still runs on the event loop, but
  reads the request from an object and answers with one call (`response_bytes`) instead of
  ASGI's messages.
- `ours`: `eocic-kg serve --cache-mb 0`; `oxigraph`: `oxigraph serve-read-only
  --union-default-graph`.

CPU per request is read from /proc for each server's whole process tree. What `hop` loses
against `inproc` is the hop itself; what `ours` loses against `hop`, our own code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import bench_peers
from bench_peers import MIX, Server, _measured, _spawn, _wait_ready, run_wrk, start_ours

from eocic_kg.sandbox import name_process

ROOT = Path(__file__).resolve().parents[1]


def app_of(kind: str, release: Path) -> Any:
    """The ASGI app of `kind` ("inproc" or "hop"), the WSGI app of "wsgi-hop" or the RSGI app
    of "rsgi-hop", over the store of `release`."""
    import pyoxigraph as ox

    store = ox.Store()
    store.load(path=str(release), format=ox.RdfFormat.N_QUADS)

    def evaluate(query: str) -> bytes:
        result = store.query(query, use_default_graph_as_union=True)
        if isinstance(result, ox.QueryTriples):
            return result.serialize(format=ox.RdfFormat.TURTLE) or b""
        return result.serialize(format=ox.QueryResultsFormat.JSON) or b""

    idle: list[socket.socket] = []

    def executor() -> socket.socket:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if os.fork() == 0:
            ours.close()
            name_process("eocic-executor")  # counted as an executor, as ours are
            while query := theirs.recv(1 << 20):
                answer = evaluate(query.decode())
                theirs.sendall(len(answer).to_bytes(8, "big"))
                theirs.sendall(answer)
            os._exit(0)
        theirs.close()
        return ours

    async def hop(query: str) -> bytes:
        conn = idle.pop() if idle else executor()
        loop = asyncio.get_running_loop()
        conn.send(query.encode())
        size = int.from_bytes(await loop.sock_recv(conn, 8), "big")
        parts, got = [], 0
        while got < size:
            part = await loop.sock_recv(conn, 1 << 20)
            parts.append(part)
            got += len(part)
        idle.append(conn)
        return b"".join(parts)

    def answer(conn: socket.socket, query: str) -> bytes:
        """The executor's answer to `query`, blocking."""
        conn.send(query.encode())
        size = int.from_bytes(conn.recv(8), "big")
        parts, got = [], 0
        while got < size:
            part = conn.recv(1 << 20)
            parts.append(part)
            got += len(part)
        return b"".join(parts)

    own = threading.local()

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        from urllib.parse import parse_qs

        if not hasattr(own, "conn"):
            own.conn = executor()
        query = parse_qs(environ["QUERY_STRING"])["query"][0]
        body = answer(own.conn, query)
        headers = [("Content-Type", "application/sparql-results+json")]
        start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    if kind == "wsgi-hop":
        return wsgi

    class Rsgi:
        async def __rsgi__(self, scope: Any, protocol: Any) -> None:
            from urllib.parse import parse_qs

            body = await hop(parse_qs(scope.query_string)["query"][0])
            protocol.response_bytes(
                200, [("content-type", "application/sparql-results+json")], body
            )

    if kind == "rsgi-hop":
        return Rsgi()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        from urllib.parse import parse_qs

        query = parse_qs(scope["query_string"].decode())["query"][0]
        body = evaluate(query) if kind == "inproc" else await hop(query)
        headers = [
            (b"content-type", b"application/sparql-results+json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def serve(kind: str, release: Path, port: int) -> None:
    """Run Granian with two workers and the `kind` app on `port`."""
    from granian.constants import Interfaces, Loops
    from granian.server import Server as Granian

    server = Granian(  # asyncio's loop, as ours (`eocic_kg.web.front.serve`)
        "x",
        address="127.0.0.1",
        port=port,
        interface={"wsgi-hop": Interfaces.WSGI, "rsgi-hop": Interfaces.RSGI}.get(
            kind, Interfaces.ASGINL
        ),
        workers=2,
        blocking_threads=2 if kind == "wsgi-hop" else None,
        loop=Loops.asyncio,
    )
    server.serve(target_loader=lambda _target: app_of(kind, release))


def start(kind: str, release: Path, workdir: Path) -> Server:
    port = bench_peers._free_port()
    server = Server(kind, f"http://127.0.0.1:{port}/sparql")
    started = time.monotonic()
    command = [sys.executable, __file__, "--serve", kind, str(port), "--release", str(release)]
    server.processes.append(_spawn(command, workdir / f"{kind}.log"))
    _wait_ready(server, started)
    return server


def run_options(doc: str) -> argparse.ArgumentParser:
    """The options of a side-by-side run: release, seconds, rounds, queries."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--release", type=Path, default=ROOT / "dist" / "eocic.nq")
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--query", action="append", choices=sorted(MIX), help="default: lookup")
    return parser


def main() -> None:
    parser = run_options(__doc__)
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], args.release, int(args.serve[1]))
        return
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        servers = [
            start("inproc", args.release, workdir),
            start("hop", args.release, workdir),
            start("wsgi-hop", args.release, workdir),
            start("rsgi-hop", args.release, workdir),
            start_ours(args.release, workdir),
            bench_peers.start_oxigraph(args.release, workdir, bin_dir),
        ]
        measure_all(servers, args)


def measure_all(servers: list[Server], args: argparse.Namespace) -> None:
    """`report` each query of `args` on `servers` (one of them "oxigraph"), then stop them."""
    try:
        for name in args.query or ["lookup"]:
            report(name, servers, args.seconds, args.rounds)
    finally:
        for server in servers:
            server.stop()


def report(name: str, servers: list[Server], seconds: float, rounds: int) -> None:
    """Measure query `name` on every server (alternating, `rounds` times) and print a table."""
    query, accept = MIX[name]
    runs: dict[str, list[Any]] = {s.name: [] for s in servers}
    for server in servers:  # a warm-up, and the executors started
        run_wrk(server.url, query, accept, 1, 4)
    for _ in range(rounds):
        for server in servers:
            runs[server.name].append(
                _measured(server, run_wrk, server.url, query, accept, seconds, 4)
            )
    peer = sum(r.rps for r in runs["oxigraph"]) / rounds
    print(f"{name}, wrk 4 connections, {seconds:g} s x {rounds} rounds, alternating")
    print(f"{'server':>9} {'req/s':>9} {'cpu us/req':>11} {'by process':<40} {'/oxigraph':>9}")
    for server_name, done in runs.items():
        rps = sum(r.rps for r in done) / len(done)
        requests = sum(r.requests for r in done)
        roles: dict[str, float] = {}
        for r in done:
            for role, used in r.cpu.items():
                roles[role] = roles.get(role, 0.0) + used
        cpu = sum(roles.values()) / requests * 1e6
        parts = " ".join(f"{k} {v / requests * 1e6:.0f}" for k, v in sorted(roles.items()) if v)
        print(f"{server_name:>9} {rps:>9,.0f} {cpu:>11.0f} {parts:<40} {rps / peer:>8.2f}x")


if __name__ == "__main__":
    main()
