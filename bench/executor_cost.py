"""What an executor costs per query, and which part of it is ours: the pool's executor against
plain forks of the same process answering the same lookup, one call at a time, interleaved.

    python bench/executor_cost.py [--release dist/eocic.nq] [--calls 2000] [--rounds 5]

- `pool`: `QueryPool.query` (uncached) to the pool's executor: forked by the zygote, confined
  (no network, seccomp, no capabilities), under its memory cap, on its 512 MiB stack.
- `loop`: a plain fork (no zygote, confinement, cap or large stack) running the executor's own
  loop (`pool._answer`: a multiprocessing connection, pickled calls and answers) on the same
  store, sent the same pickled call.
- `store`: a plain fork reading the query text from a socket and answering with our
  `Store.query` (its checks, prefixes and bounded serialising), no pickling.
- `engine`: a plain fork answering with pyoxigraph alone (`Store.query` and `serialize`).

Printed per kind: the CPU time the answering process used per call (user + system, from /proc)
and the caller's, over each round (sorted). What `loop` costs more than `store` is the call's
protocol; `store` more than `engine`, our code around the engine; `pool` more than `loop`, the
executor's confinement and forking.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox
from bench_peers import _tree
from front_overhead import _cpu

from eocic_kg.store_api import QueryRequest
from eocic_kg.web.app import create_app
from eocic_kg.web.pool import Call, _answer, _send

ROOT = Path(__file__).resolve().parents[1]
LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/eocic/id/region/saxony> ?p ?o }"
_LENGTH = 4


def _fork(serve: Callable[[socket.socket], None]) -> tuple[int, socket.socket]:
    """A child of this process that runs `serve` on its end of a socket pair; its pid, our end."""
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        ours.close()
        try:
            serve(theirs)
        finally:
            os._exit(0)
    theirs.close()
    return pid, ours


def _framed(answer: Callable[[str], bytes]) -> Callable[[socket.socket], None]:
    """A child's loop: read a query text, send its answer with its length first."""

    def serve(sock: socket.socket) -> None:
        while text := sock.recv(1 << 16):
            body = answer(text.decode())
            sock.sendall(len(body).to_bytes(_LENGTH, "big") + body)

    return serve


def _asker(sock: socket.socket) -> Callable[[], None]:
    def ask() -> None:
        sock.send(LOOKUP.encode())
        size, got = int.from_bytes(sock.recv(_LENGTH, socket.MSG_WAITALL), "big"), 0
        while got < size:
            got += len(sock.recv(1 << 20))

    return ask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", type=Path, default=ROOT / "dist" / "eocic.nq")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    app = create_app(args.release, cache_mb=0)  # starts the pool's zygote
    pool = app.extensions["eocic"].pool
    store = pool.store
    request = QueryRequest(
        LOOKUP,
        tabular="json",
        graph="turtle",
        base_iri="https://w3id.org/eocic/sparql",
        max_rows=10_000,
    )
    engine = ox.Store()
    engine.bulk_load(path=str(args.release), format=ox.RdfFormat.N_QUADS)

    def engine_answer(text: str) -> bytes:
        solutions = engine.query(text, use_default_graph_as_union=True)
        return solutions.serialize(format=ox.QueryResultsFormat.JSON) or b""

    loop_pid, loop_sock = _fork(lambda sock: _answer(store, Connection(sock.detach())))
    loop_conn = Connection(loop_sock.detach())
    assert loop_conn.recv()[0] == "ready"
    call = Call("query", (request,), stream=True)

    def loop_ask() -> None:
        _send(loop_conn, call)
        assert loop_conn.recv()[0] == "ok"

    store_pid, store_sock = _fork(_framed(lambda _text: store.query(request).body))
    engine_pid, engine_sock = _fork(_framed(engine_answer))
    ours = {os.getpid(), loop_pid, store_pid, engine_pid}
    pool.query(request, cached=False)  # the pool's executor, forked by the zygote
    executors = [p for p in _tree(os.getpid()) if p not in ours]
    kinds: dict[str, tuple[Callable[[], None], list[int]]] = {
        "pool": (lambda: pool.query(request, cached=False), executors),
        "loop": (loop_ask, [loop_pid]),
        "store": (_asker(store_sock), [store_pid]),
        "engine": (_asker(engine_sock), [engine_pid]),
    }
    for ask, _ in kinds.values():
        for _ in range(100):
            ask()
    spent: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
    for _ in range(args.rounds):
        for kind, (ask, answering) in kinds.items():
            before, caller = _cpu(answering), time.process_time()
            for _ in range(args.calls):
                ask()
            child = (_cpu(answering) - before) / args.calls * 1e6
            spent[kind].append((child, (time.process_time() - caller) / args.calls * 1e6))
    print(f"lookup, {args.calls} calls x {args.rounds} rounds, interleaved; CPU us per call")
    print(f"{'kind':8} {'answering (median)':>19} {'caller (median)':>16}   answering by round")
    for kind, rounds in spent.items():
        answering = sorted(round(a) for a, _ in rounds)
        caller = statistics.median(c for _, c in rounds)
        print(f"{kind:8} {statistics.median(answering):19.0f} {caller:16.0f}   {answering}")
    for pid in (loop_pid, store_pid, engine_pid):
        os.kill(pid, 9)
    os._exit(0)  # the children share the zygote's control socket: no orderly stop to wait for


if __name__ == "__main__":
    main()
