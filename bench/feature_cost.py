"""What our per-request checks and headers cost on cheap queries: ours as shipped, side by side
in one run with ours with some of them switched off, and Oxigraph's server.

    python bench/feature_cost.py [--release dist/eocic.nq] [--seconds 4] [--rounds 3]
                                 [--query lookup --query describe]
                                 [--variant NAME=FEATURE,FEATURE ...]

A measurement only: each switch gives up a guarantee the service keeps, so no server should
run so. It answers whether issue 23's targets for cheap queries are within reach by cutting
this work: what is left once all of it is gone is the process model (the ASGI front, the pool's
exchange with its deadline and hang-up, the executor and its protocol) and the engine.

Features (switched off in the server's processes before it starts; its executors inherit that):
- `validators`: the ETag and Last-Modified of each GET (HTTP caching; every response is then
  sent without them).
- `access-log`: the access line of each request.
- `input-checks`: the request's headers parsed strictly, near-miss parameter names refused,
  the dataset's own graphs checked to exist.
- `query-checks`: the executor's checks of the query text (clear errors for refused operations
  and unknown IRIs; the sandbox stays).
- `headers`: the security, CORS, caching and Vary headers of each response.

The default variants: `ours` (nothing off) and `bare` (everything above off).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench_peers
from bench_peers import Server, _spawn, _wait_ready
from hop_floor import measure_all, run_options


def _off_validators() -> None:
    from eocic_kg.web.http_cache import HttpCache

    HttpCache.validators = lambda *_: None  # type: ignore[method-assign]


def _off_access_log() -> None:
    from eocic_kg.web.access_log import AccessLog

    AccessLog.add = lambda *_: None  # type: ignore[method-assign]


def _off_input_checks() -> None:
    from eocic_kg.web import hot, protocol

    hot.check_parsed_headers = lambda _: None
    protocol.refuse_misspelt = lambda *_, **__: None
    hot.dataset_to_check = protocol.dataset_to_check = lambda *_: []
    protocol._require_graphs = lambda *_: None


def _off_query_checks() -> None:
    from eocic_kg import store

    store.check_request = lambda *_, **__: set()
    store.require_mentioned = lambda *_: None


def _off_headers() -> None:
    from eocic_kg.web import hot

    def finish(_ask: Any, _status: int, headers: list[tuple[str, str]], *_: Any, **__: Any) -> Any:
        return headers

    hot.finish = finish


FEATURES: dict[str, Callable[[], None]] = {
    "validators": _off_validators,
    "access-log": _off_access_log,
    "input-checks": _off_input_checks,
    "query-checks": _off_query_checks,
    "headers": _off_headers,
}
VARIANTS = {"ours": "", "bare": ",".join(FEATURES)}


def serve(features: str, argv: list[str]) -> None:
    """`eocic-kg serve` (arguments `argv`) with `features` switched off."""
    for name in filter(None, features.split(",")):
        FEATURES[name]()
    from eocic_kg.cli import main

    sys.exit(main(argv))


def start(name: str, features: str, release: Path, workdir: Path) -> Server:
    port = bench_peers._free_port()
    server = Server(name, f"http://127.0.0.1:{port}/sparql")
    started = time.monotonic()
    command = [sys.executable, __file__, "--serve", features, "--release", str(release)]
    command += ["serve", "--port", str(port), "--workers", "2", "--cache-mb", "0"]
    command += ["--query-timeout", "60", "--timeout", "90"]
    server.processes.append(_spawn(command, workdir / f"{name}.log"))
    _wait_ready(server, started)
    return server


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], sys.argv[3:])
        return
    parser = run_options(__doc__ or "")
    parser.add_argument("--variant", action="append", metavar="NAME=FEATURE,...")
    args = parser.parse_args()
    variants = dict(v.split("=", 1) for v in args.variant) if args.variant else VARIANTS
    for features in variants.values():
        unknown = set(filter(None, features.split(","))) - set(FEATURES)
        if unknown:
            parser.error(f"unknown feature(s) {', '.join(sorted(unknown))}: {', '.join(FEATURES)}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        servers = [start(name, f, args.release, workdir) for name, f in variants.items()]
        bin_dir = Path(sys.executable).parent
        servers.append(bench_peers.start_oxigraph(args.release, workdir, bin_dir))
        measure_all(servers, args)


if __name__ == "__main__":
    main()
