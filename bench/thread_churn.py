"""Thread churn: a thread-per-request server in front of the executors (issue 20, finding 2).

    python bench/thread_churn.py [--release dist/eocic.nq] [--threads 8] [--requests 1200]

Serves `create_app` with werkzeug's `threaded=True` (one new thread per connection, as
`eocic_kg.remote` documents for embedding), and has `--threads` clients send `--requests`
queries each, every one on a new connection, so every request runs on a thread that exits
after it. Executors forked from such threads died with them (PR_SET_PDEATHSIG follows the
forking thread) and the next request got a 500. Reports the statuses, the executors seen, and
exits 1 on any answer but 200.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import logging
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from werkzeug.serving import make_server

from eocic_kg.store import Store
from eocic_kg.web.app import create_app

QUERIES = [
    "ASK { ?s ?p ?o }",
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?s WHERE { ?s a ?c } LIMIT 5",
]


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except (FileNotFoundError, ProcessLookupError):  # a thread or process that just ended
        return ""


def _executors() -> set[int]:
    """The executors below this process (by name; before the zygote: its children)."""
    found, todo = set(), [os.getpid()]
    while todo:
        pid = todo.pop()
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except FileNotFoundError:
            continue
        for task in tasks:
            new = {int(c) for c in _read(f"{task}/children").split()} - found
            found |= new
            todo.extend(new)
    return {p for p in found if _read(f"/proc/{p}/comm").strip() != "eocic-zygote"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, default=Path("dist/eocic.nq"))
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--requests", type=int, default=1200)
    args = parser.parse_args()
    app = create_app(store=Store.from_file(args.release), executors=4, query_timeout=30)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    statuses: collections.Counter[int | str] = collections.Counter()
    errors: list[str] = []
    seen: set[int] = set()
    lock = threading.Lock()

    def client(n: int) -> None:
        for i in range(args.requests):
            query = QUERIES[(n + i) % len(QUERIES)]
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                connection.request("GET", "/sparql?" + urlencode({"query": query}))
                response = connection.getresponse()
                body = response.read()
                status: int | str = response.status
                text = body.decode(errors="replace") if status != 200 else ""
            except OSError as e:
                status, text = type(e).__name__, str(e)
            finally:
                connection.close()
            with lock:
                statuses[status] += 1
                if text and len(errors) < 5:
                    errors.append(f"{status}: {text.strip()}")
            if i % 100 == 0:
                with lock:
                    seen.update(_executors())

    started = time.monotonic()
    clients = [threading.Thread(target=client, args=(n,)) for n in range(args.threads)]
    for t in clients:
        t.start()
    for t in clients:
        t.join()
    elapsed = time.monotonic() - started
    server.shutdown()
    total = args.threads * args.requests
    bad = total - statuses[200]
    print(f"{args.threads} threads x {args.requests} requests, each on a new connection and thread")
    print(f"elapsed: {elapsed:.1f} s ({total / elapsed:.0f} requests/s)")
    print(f"statuses: {dict(statuses)}")
    print(f"answers other than 200: {bad}")
    print(f"executor processes seen over the run: {len(seen)}")
    for line in errors:
        print(f"  {line}")
    app.extensions["eocic"].pool.stop()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
