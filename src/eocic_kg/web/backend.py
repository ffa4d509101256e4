"""What every route needs: the store, its executors, the server's settings and the cache of
derived views (`Backend`), kept in the Flask app's extensions by `create_app`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import current_app, g, has_request_context, request, url_for

from eocic_kg.settings import MiB, ServerSettings
from eocic_kg.store_api import StoreAPI
from eocic_kg.web.pool import QueryPool
from eocic_kg.web.views_cache import ViewCache

T = TypeVar("T")


@dataclass
class Backend:
    """What the protocol handlers need: the store, its executors and the server settings."""

    store: StoreAPI
    pool: QueryPool
    settings: ServerSettings = field(default_factory=ServerSettings)
    #: The derived views (pages, dumps, graph views, descriptions) of the store's content.
    views: ViewCache = field(default_factory=lambda: ViewCache(ServerSettings().views_mb * MiB))
    #: Held by each write of this process from its preconditions to its end, so that no other
    #: write lands between the check and the write (`sparql.one_write`).
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    def view(self, key: Hashable, make: Callable[[], T]) -> T:
        """The derived view `key` of the store's content as the request found it (`make()`
        if not kept).

        `key` names the view and its validated, normalised arguments, nothing else."""
        return self.views.get(self.generation(), key, make)

    def pin_generation(self) -> None:
        """Note the store's generation for the views of this request (after its validators
        are taken, so its ETag is never newer than its body)."""
        g.eocic_generation = self.pool.generation

    def generation(self) -> int:
        """The generation the request's views belong to: the one noted when the request
        began. A view made from another (`release()`, then a dump of it) is then kept under
        the generation its source was read at, never a newer one: a write landing between
        the two would otherwise leave the old dump kept as the new generation's, served
        until the next write."""
        if has_request_context() and "eocic_generation" in g:
            return int(g.eocic_generation)
        return self.pool.generation


def backend() -> Backend:
    """The Backend of the current app."""
    return current_app.extensions["eocic"]


def base_iri() -> str:
    """The IRI namespace that this server's paths stand for (`create_app(base_iri=...)`)."""
    return current_app.config["EOCIC_BASE_IRI"]


def public_url(endpoint: str, **values: Any) -> str:
    """The public URL of a route of this server: the configured base IRI followed by the
    route's path, never built from the request's `Host`."""
    path = url_for(endpoint, **values)[len(request.script_root) :]
    return base_iri() + path.lstrip("/")
