"""Serve the release graph with Granian (`eocic_kg.web.front`, the default) or gunicorn.

The app is created once in the master, before the workers fork (gunicorn's `preload_app`), so
an in-memory store is loaded once and shared copy-on-write by the workers and their query
executors (`eocic_kg.web.pool`). Each worker logs one line per request (Granian's in batches,
at most 0.1 s late: `eocic_kg.web.access_log`); on SIGTERM the server
stops accepting connections and lets in-flight requests finish for longer than the query time
limit, so a running query completes; executors die with their worker. gunicorn's workers are
threaded (`gthread`) and read each request in one of their threads, which slow clients can
all hold; Granian's do not (see `eocic_kg.web.front`). Each worker starts its executors'
zygote right after the fork, while it has one thread, and stops it on exit, so a writable store
is flushed and closed (`eocic_kg.web.pool`).

Safety at start-up: executors must be cut off from the network (`eocic_kg.sandbox`); where the
platform cannot do that, the server says so and binds only a loopback address unless the
operator accepts the risk. Where it cannot filter their system calls (no libseccomp), it says
so. A writable server writes to an on-disk store, holds its lock file (so `eocic-kg load`
cannot change it underneath), and needs a bearer token for writes when it listens beyond
loopback or is told it is behind a reverse proxy (`--behind-proxy`).
"""

from __future__ import annotations

import errno
import gc
import ipaddress
import logging
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from flask import Flask
from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from gunicorn.http import message

from eocic_kg.bulk import hold, is_store
from eocic_kg.errors import BuildError, UsageError
from eocic_kg.remote import RemoteStore
from eocic_kg.resources import dist_dir
from eocic_kg.sandbox import network_isolation, syscall_filter
from eocic_kg.settings import ServerSettings
from eocic_kg.store import Store
from eocic_kg.web.app import create_app
from eocic_kg.web.backend import backend
from eocic_kg.web.front import SEND_TIMEOUT
from eocic_kg.web.front import serve as serve_front
from eocic_kg.web.pool import QueryPool
from eocic_kg.web.release_view import release

log = logging.getLogger("eocic_kg.serve")


class AccessLog(glogging.Logger):
    """gunicorn's logger with a lean access line: client, request line, status, bytes, time.

    gunicorn's own `access` builds a dictionary of every header and environment variable per
    request to fill a configurable format; this writes the five fields that we log directly.
    """

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        milliseconds = request_time.seconds * 1000 + request_time.microseconds // 1000
        request_line = (
            f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}"
        )
        status = str(resp.status).split(None, 1)[0]
        self.access_log.info(
            '%s "%s" %s %s %sms',
            environ.get("REMOTE_ADDR", "-"),
            request_line,
            status,
            getattr(resp, "sent", None),
            milliseconds,
        )


class _Server(BaseApplication):
    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return _with_send_timeout(self._app)


def _with_send_timeout(app: Any) -> Any:
    """`app` whose client sockets time out after `SEND_TIMEOUT` s without progress: gunicorn
    writes an answer with blocking sends, so a client that stopped reading held the request's
    thread, and the executor streaming its result, for as long as it stayed connected."""

    def limited(environ: dict[str, Any], start_response: Any) -> Any:
        if (sock := environ.get("gunicorn.socket")) is not None:
            sock.settimeout(SEND_TIMEOUT)
        return app(environ, start_response)

    return limited


def warm_up(app: Flask) -> None:
    """Build the release's rdflib views once, before gunicorn forks, so workers share them.

    The executors this forks in the master are stopped afterwards: a writable store must be
    held by the worker's executor alone.
    """
    with app.test_request_context():
        try:
            release()
        finally:
            backend().pool.stop()


def check_port_free(host: str, port: int, wait: float = 3.0) -> None:
    """Raise `UsageError` if another socket listens on `host`:`port`. Granian binds with
    SO_REUSEPORT, so a second server on a busy port started and took every other connection:
    clients got answers from two servers (an old release, old code) in turn, unsaid. A probe
    bound without SO_REUSEPORT fails on a port that another socket listens on (with
    SO_REUSEADDR, as Granian binds: the closed connections of a server stopped just before,
    in TIME_WAIT for a minute, do not hold the port); it tries for `wait` seconds, the time
    such a server takes to let go of its listening socket."""
    deadline = time.monotonic() + wait
    while True:
        try:
            family, kind, proto, _, address = socket.getaddrinfo(
                host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )[0]
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
            return
        except OSError as e:
            if time.monotonic() < deadline and e.errno == errno.EADDRINUSE:
                time.sleep(0.1)
                continue
            raise UsageError(
                f"cannot serve on {host}:{port}: {e.strerror or e} (is another server running "
                "there? stop it or give another --port)"
            ) from None


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address) binds only the loopback interface."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_writable_store() -> Path:
    """Where `serve --writable` keeps its writes when no `--store` is given."""
    return dist_dir() / "store"


def writable_store(path: Path | None, release: Path) -> Store:
    """The on-disk store a writable server writes to; made from `release` if it is new."""
    path = path or default_writable_store()
    if not is_store(path):
        if not release.is_file():
            raise BuildError(f"{release} does not exist: run `eocic-kg build` first")
        create_store(path, [release])
        log.warning("created the writable store %s from %s", path, release)
    return Store.open(path, writable=True)


def create_store(path: Path, files: list[Path]) -> None:
    """Make the on-disk store `path` from `files` in a new interpreter (spawned, not forked).

    The engine's background threads (RocksDB's flushes and compactions) start with the first
    store a process opens, and a fork keeps none of them: a process forked from one that had
    opened a store waits forever for its first flush (a large write, an upload, a bulk load).
    So neither the server nor this child may be a fork of a process that opened one.
    """
    code = (
        "import sys; from pathlib import Path; from eocic_kg.bulk import bulk_load; "
        "bulk_load(Path(sys.argv[1]), [Path(f) for f in sys.argv[2:]], progress=False)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), *map(str, files)], capture_output=True, text=True
    )
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
        raise BuildError(f"could not make the store {path}: {reason}")


def _check_safety(host: str, isolated: bool, accept_network_risk: bool) -> None:
    if isolated:
        log.warning("query executors have no network (Linux network namespace)")
        return
    if not is_loopback(host) and not accept_network_risk:
        raise UsageError(
            f"refusing to listen on {host}: query executors cannot be cut off from the network "
            "on this platform, so SERVICE and LOAD could reach internal hosts; bind 127.0.0.1, "
            "or pass --accept-network-risk to accept that"
        )


def _raise_request_line_cap(limit: int) -> None:
    """Let gunicorn read request lines up to `limit` bytes.

    gunicorn caps `limit_request_line` at 8,190 bytes unless it is 0, which reads a request
    line of any length into memory; the cap is a module constant, raised here to our limit.
    """
    message.MAX_REQUEST_LINE = max(message.MAX_REQUEST_LINE, limit)


#: The signals that stop a server, and each process forked from it until it sets its own.
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})
_held = threading.local()  # the signal mask of a thread that is forking, to give back after


def _hold_stop_signals() -> None:
    """Before a fork: hold the stop signals (the kernel keeps them pending) until the child has
    its own dispositions. Python's handler, copied by the fork, would otherwise take a signal
    sent to the child in its first instants, and drop it once the child has reset that handler:
    the worker went on starting, and served on after it was told to stop."""
    _held.mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def _release_stop_signals() -> None:
    """After a fork, in the parent: take the stop signals again, as before it."""
    signal.pthread_sigmask(signal.SIG_SETMASK, _held.mask)


def _stop_signals_end_a_starting_worker() -> None:
    """In a just-forked worker: SIGTERM and SIGINT end it at once until its HTTP server sets
    its own handlers. Until then the worker holds the master's handlers, copied by the fork,
    which would only note the signal in the worker's copy of the master: a worker stopped while
    it was starting (its pool's zygote, its front) served on, and the master waited for it.
    A stop signal held since the fork (`_hold_stop_signals`) arrives now, and ends it."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, _held.mask)


def stop_signals_end_starting_children() -> None:
    """Make every process forked from now on end at a stop signal until it sets its own
    handlers, also one sent while it was being forked."""
    os.register_at_fork(
        before=_hold_stop_signals,
        after_in_parent=_release_stop_signals,
        after_in_child=_stop_signals_end_a_starting_worker,
    )


def grace(pool: QueryPool) -> int:
    """Seconds a stopping server gives its requests: the longest call the pool may make, and
    time for the writer to flush and close its store."""
    return math.ceil(pool.longest_call) + 10


def gunicorn_options(settings: ServerSettings, pool: QueryPool) -> dict[str, Any]:
    """gunicorn's configuration for `settings`: its limits agree with the app's (a GET query
    at the SPARQL text limit fits in the request line) and with the pool's longest call; each
    worker starts the pool's zygote right after the fork and stops it on exit."""
    host = settings.host
    return {
        "bind": f"[{host}]:{settings.port}" if ":" in host else f"{host}:{settings.port}",
        "workers": settings.workers,
        "worker_class": "gthread",
        "threads": settings.threads,
        "timeout": max(settings.worker_timeout, int(settings.query_timeout) + 5),
        "graceful_timeout": grace(pool),
        "limit_request_line": settings.request_line_bytes,
        "preload_app": True,
        "accesslog": "-",
        "errorlog": "-",
        "logger_class": AccessLog,
        "control_socket_disable": True,
        "post_fork": lambda arbiter, worker: pool.start(),
        "worker_exit": lambda arbiter, worker: pool.stop(),
    }


def run(
    settings: ServerSettings | None = None,
    *,
    release: Path,
    store: Store | RemoteStore | None = None,
    store_path: Path | None = None,
    **changes: Any,
) -> None:
    """Serve `store`, the on-disk store at `store_path`, or the release file loaded in memory,
    with `settings` (default: `ServerSettings()`, with `changes` applied).

    A writable server writes to `store_path` (default `dist/store`, made from the release).
    `settings.front` is the HTTP server: "granian" (`eocic_kg.web.front`), whose clients never
    hold a request thread while they send, or "gunicorn".
    """
    settings = replace(settings or ServerSettings(), **changes)
    writable, host = settings.writable, settings.host
    check_port_free(host, settings.port)
    if writable and settings.workers != 1:
        log.warning("writable mode: using 1 worker instead of %d", settings.workers)
        settings = replace(settings, workers=1)
    if writable and not settings.write_token and (settings.behind_proxy or not is_loopback(host)):
        where = "behind a proxy" if settings.behind_proxy else f"on {host}"
        raise UsageError(
            f"a writable server {where} needs a write token: pass --write-token-file FILE "
            "or set EOCIC_WRITE_TOKEN"
        )
    lock: IO[bytes] | None = None
    if writable:
        store = writable_store(store_path, release)
    elif store_path is not None:
        store = Store.open(store_path)
    if isinstance(store, Store) and store.path is not None:
        lock = hold(store.path, exclusive=writable)  # held until the server exits
        log.warning("serving the on-disk store %s%s", store.path, " (writable)" if writable else "")
    remote = isinstance(store, RemoteStore)
    reason = None if remote else network_isolation()
    if reason:
        log.warning("query executors CAN reach the network here: %s", reason)
    if unfiltered := syscall_filter():
        log.warning("query executors' system calls are NOT filtered here: %s", unfiltered)
    _check_safety(host, remote or reason is None, settings.accept_network_risk)
    app = create_app(release, store=store, settings=settings, isolate=reason is None)
    warm_up(app)
    # What the workers inherit (the store, the warmed views) is never garbage: out of the
    # collector's reach, a full collection in a worker no longer walks it with the event loop
    # stopped (~40-90 ms: the p99 of a lookup) nor writes to the pages shared with the master.
    gc.freeze()
    _raise_request_line_cap(settings.request_line_bytes)
    pool = app.extensions["eocic"].pool
    stop_signals_end_starting_children()
    try:
        if settings.front == "granian":
            serve_front(
                app,
                host=settings.host,
                port=settings.port,
                workers=settings.workers,
                threads=settings.threads,
                grace=grace(pool),
            )
        else:
            _Server(app, gunicorn_options(settings, pool)).run()
    finally:
        if lock is not None:
            lock.close()
