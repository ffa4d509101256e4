"""Serve the release graph with gunicorn (a production WSGI server).

The app is created once in the gunicorn master (`preload_app`), so an in-memory store is loaded
once and shared copy-on-write by the workers and their query executors (`eocic_kg.web.pool`).
Workers are threaded (`gthread`); each logs one line per request. On SIGTERM gunicorn stops
accepting connections and lets in-flight requests finish for up to `graceful_timeout` (longer
than the query time limit, so a running query completes). Each worker starts its executors'
zygote right after the fork, while it has one thread (`post_fork`), and stops it on exit
(`worker_exit`), so a writable store is flushed and closed (`eocic_kg.web.pool`).

Safety at start-up: executors must be cut off from the network (`eocic_kg.sandbox`); where the
platform cannot do that, the server says so and binds only a loopback address unless the
operator accepts the risk. A writable server writes to an on-disk store, holds its lock file
(so `eocic-kg load` cannot change it underneath), and needs a bearer token for writes when it
listens beyond loopback.
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path
from typing import IO, Any

from flask import Flask
from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from eocic_kg.bulk import bulk_load, hold, is_store
from eocic_kg.errors import BuildError
from eocic_kg.remote import RemoteStore
from eocic_kg.resources import dist_dir
from eocic_kg.sandbox import network_isolation
from eocic_kg.store import Store
from eocic_kg.web import linked_data
from eocic_kg.web.app import create_app
from eocic_kg.web.backend import backend
from eocic_kg.web.linked_data import DEFAULT_BASE_IRI

#: Threads per worker, and query executors per worker.
THREADS = 8
EXECUTORS = 4
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
        return self._app


def warm_up(app: Flask) -> None:
    """Build the release's rdflib views once, before gunicorn forks, so workers share them.

    The executors this forks in the master are stopped afterwards: a writable store must be
    held by the worker's executor alone.
    """
    with app.test_request_context():
        try:
            linked_data.release()
        finally:
            backend().pool.stop()


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
        bulk_load(path, [release], progress=False)
        log.warning("created the writable store %s from %s", path, release)
    return Store.open(path, writable=True)


def _check_safety(host: str, isolated: bool, accept_network_risk: bool) -> None:
    if isolated:
        log.warning("query executors have no network (Linux network namespace)")
        return
    if not is_loopback(host) and not accept_network_risk:
        raise BuildError(
            f"refusing to listen on {host}: query executors cannot be cut off from the network "
            "on this platform, so SERVICE and LOAD could reach internal hosts; bind 127.0.0.1, "
            "or pass --accept-network-risk to accept that"
        )


def run(
    *,
    release: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    timeout: int = 30,
    query_timeout: float = 5.0,
    writable: bool = False,
    base_iri: str = DEFAULT_BASE_IRI,
    max_rows: int | None = 10_000,
    store: Store | RemoteStore | None = None,
    store_path: Path | None = None,
    cache_mb: int = 64,
    allow_origins: tuple[str, ...] = (),
    write_token: str | None = None,
    accept_network_risk: bool = False,
    query_memory_mb: int = 1024,
) -> None:
    """Serve `store`, the on-disk store at `store_path`, or the release file loaded in memory.

    With `writable`, writes go to `store_path` (default `dist/store`, made from the release).
    """
    if writable and workers != 1:
        log.warning("writable mode: using 1 worker instead of %d", workers)
        workers = 1
    if writable and not is_loopback(host) and not write_token:
        raise BuildError(
            f"a writable server on {host} needs a write token: pass --write-token-file FILE "
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
    _check_safety(host, remote or reason is None, accept_network_risk)
    app = create_app(
        release,
        store=store,
        writable=writable,
        query_timeout=query_timeout,
        executors=EXECUTORS,
        base_iri=base_iri,
        max_rows=max_rows,
        cache_mb=cache_mb,
        allowed_origins=allow_origins,
        write_token=write_token,
        isolate=reason is None,
        query_memory_mb=query_memory_mb,
    )
    warm_up(app)
    pool = app.extensions["eocic"].pool
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": THREADS,
        "timeout": max(timeout, int(query_timeout) + 5),
        "graceful_timeout": int(query_timeout) + 10,
        "preload_app": True,
        "accesslog": "-",
        "errorlog": "-",
        "logger_class": AccessLog,
        "control_socket_disable": True,
        "post_fork": lambda arbiter, worker: pool.start(),
        "worker_exit": lambda arbiter, worker: pool.stop(),
    }
    try:
        _Server(app, options).run()
    finally:
        if lock is not None:
            lock.close()
