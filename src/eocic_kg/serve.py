"""Serve the release graph with gunicorn (a production WSGI server).

The app is created once in the gunicorn master (`preload_app`), so the store is loaded once
and shared copy-on-write by the workers (and by their query executors, see
`eocic_kg.web.pool`). Workers are threaded (`gthread`); each logs one line per request.
In writable mode there is a single worker, so that every request sees the same store.
On SIGTERM gunicorn stops accepting connections and lets in-flight requests finish for up to
`graceful_timeout` (longer than the query time limit, so a running query always completes).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

from eocic_kg.remote import RemoteStore
from eocic_kg.store import Store
from eocic_kg.web import exports, resources
from eocic_kg.web.app import create_app
from eocic_kg.web.resources import DEFAULT_BASE_IRI

#: Threads per worker, and query executors per worker.
THREADS = 8
EXECUTORS = 4
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'


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
    """Build the release's rdflib views once, before gunicorn forks, so workers share them."""
    with app.test_request_context():
        resources.release()
        exports.release_graph()


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
    cache_mb: int = 64,
) -> None:
    """Serve `store` (default: the release file loaded in memory) until interrupted."""
    if writable and workers != 1:
        logging.getLogger(__name__).warning("writable mode: using 1 worker instead of %d", workers)
        workers = 1
    app = create_app(
        release,
        store=store,
        writable=writable,
        query_timeout=query_timeout,
        executors=EXECUTORS,
        base_iri=base_iri,
        max_rows=max_rows,
        cache_mb=cache_mb,
    )
    warm_up(app)
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
        "access_log_format": ACCESS_LOG_FORMAT,
        "control_socket_disable": True,
    }
    _Server(app, options).run()
