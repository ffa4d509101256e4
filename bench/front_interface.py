"""What Granian's interface costs our whole app: ours as shipped (ASGI, `eocic_kg.web.front`)
against the same app and hot routes called from Granian's WSGI interface, beside Oxigraph's
server, in one run.

    python bench/front_interface.py [--release dist/eocic.nq] [--seconds 4] [--rounds 2]
                                    [--query lookup] [--query describe ...]

`ours-wsgi` is a measurement, not a way to serve: Granian's WSGI interface calls the app in the
Python thread it hands the request to (no further hand-off to an event loop), but it reads a
request body in that thread with no time limit, sends a streamed answer with no time limit, and
never says that a client hung up. So it answers `HotRoutes` (their replies, else the Flask app)
with two threads per worker, the executors and the sandbox as ours. The tables are
`bench/hop_floor.py`'s: requests/s, CPU per request by process, ratio to Oxigraph's server.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any

import bench_peers
from bench_peers import Server, _spawn, _wait_ready, start_ours
from hop_floor import measure_all, run_options


def serve_wsgi(release: Path, port: int) -> None:
    """Serve `release` as `eocic-kg serve --cache-mb 0` does, from Granian's WSGI interface."""
    from granian.constants import Interfaces
    from granian.server import Server as Granian

    from eocic_kg.serve import warm_up
    from eocic_kg.web.app import create_app
    from eocic_kg.web.hot import HotRoutes

    app = create_app(release, cache_mb=0, query_timeout=60)
    warm_up(app)
    gc.freeze()  # as `serve` does before forking its workers

    def load(_target: str) -> Any:
        app.extensions["eocic"].pool.start()
        hot = HotRoutes(app)

        def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
            reply = hot(environ)
            if reply is None:
                return app(environ, start_response)
            start_response(f"{reply.status} {HTTPStatus(reply.status).phrase}", reply.headers)
            return [reply.body] if isinstance(reply.body, bytes) else reply.body

        return wsgi

    server = Granian(
        "x",
        address="127.0.0.1",
        port=port,
        interface=Interfaces.WSGI,
        workers=2,
        blocking_threads=2,
    )
    server.serve(target_loader=load)


def main() -> None:
    parser = run_options(__doc__)
    parser.add_argument("--serve-wsgi", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_wsgi:
        serve_wsgi(args.release, args.serve_wsgi)
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port = bench_peers._free_port()
        wsgi = Server("ours-wsgi", f"http://127.0.0.1:{port}/sparql")
        started = time.monotonic()
        command = [sys.executable, __file__, "--serve-wsgi", str(port)]
        wsgi.processes.append(_spawn([*command, "--release", str(args.release)], workdir / "w.log"))
        _wait_ready(wsgi, started)
        servers = [
            start_ours(args.release, workdir),
            wsgi,
            bench_peers.start_oxigraph(args.release, workdir, Path(sys.executable).parent),
        ]
        measure_all(servers, args)


if __name__ == "__main__":
    main()
