"""What the same request code costs once its thread has slept: the front and hot routes
answering a lookup in process, with the executor's answer ready at once, after a busy wait, or
after the event loop slept (as it does while an executor evaluates).

    python bench/sleep_tax.py [--release dist/eocic.nq] [--requests 5000] [--pause-us 150]

The app is the real one (`create_app`, `Front`, `HotRoutes`); only `QueryPool.stream_now` is
replaced by a function that returns the lookup's real result, taken once from an executor,
after the pause. Printed: CPU microseconds of the event loop's thread per request.

- `warm`: no pause; the code back to back, its caches warm.
- `spin`: a busy wait of the pause (its length is taken off): the same time passes, the thread
  never sleeps.
- `asleep`: `asyncio.sleep` of the pause: the thread sleeps in epoll, as while an executor works.
- `pause only`: the `asyncio.sleep` loop alone, no request: what sleeping itself costs.

`asleep - pause only - warm` is what waking costs the request's code: on a virtual machine a
thread that slept resumes with cold caches (and its virtual CPU halted meanwhile).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench_peers import ID, JSON

from eocic_kg.store_api import QueryRequest
from eocic_kg.web.app import create_app
from eocic_kg.web.front import Front, body_limit
from eocic_kg.web.hot import HotRoutes

ROOT = Path(__file__).resolve().parents[1]
QUERY = f"SELECT ?p ?o WHERE {{ <{ID}region/saxony> ?p ?o }}"


def scope_of(query: str) -> dict[str, Any]:
    """The ASGI scope of a GET of `query` at /sparql, as wrk sends it."""
    return {
        "type": "http",
        "method": "GET",
        "path": "/sparql",
        "raw_path": b"/sparql",
        "query_string": ("query=" + urllib.parse.quote(query)).encode(),
        "headers": [(b"host", b"127.0.0.1:8080"), (b"accept", JSON.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "http_version": "1.1",
        "scheme": "http",
        "root_path": "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", type=Path, default=ROOT / "dist" / "eocic.nq")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--pause-us", type=float, default=150)
    args = parser.parse_args()
    app = create_app(args.release, cache_mb=0)
    pool = app.extensions["eocic"].pool
    pool.start()
    answer = pool.query(QueryRequest(QUERY, max_rows=10_000), cached=False)
    pause = args.pause_us / 1e6
    mode = "warm"

    async def stream_now(*_: Any) -> Any:
        if mode == "spin":
            end = time.perf_counter() + pause
            while time.perf_counter() < end:
                pass
        elif mode == "asleep":
            await asyncio.sleep(pause)
        return answer

    pool.stream_now = stream_now  # type: ignore[method-assign]
    front = Front(app, threads=4, limit=body_limit(app), hot=HotRoutes(app))
    scope = scope_of(QUERY)

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {}

    async def send(_: dict[str, Any]) -> None:
        pass

    async def run(n: int) -> None:
        for _ in range(n):
            if mode == "pause only":
                await asyncio.sleep(pause)
            else:
                await front(scope, receive, send)

    gc.collect()
    gc.freeze()  # as `serve` does before forking its workers
    print(f"lookup in process, {args.requests} requests, pause {args.pause_us:g} us")
    print(f"{'mode':>10} {'cpu us/request':>15}")
    for mode in ("warm", "spin", "asleep", "pause only"):
        asyncio.run(run(200))
        started = time.thread_time()
        asyncio.run(run(args.requests))
        used = (time.thread_time() - started) / args.requests * 1e6
        print(f"{mode:>10} {used - (args.pause_us if mode == 'spin' else 0):>15.0f}")
    pool.stop()


if __name__ == "__main__":
    main()
