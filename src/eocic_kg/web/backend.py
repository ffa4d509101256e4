"""What every route needs: the store, its executors, the server's settings and the cache of
derived views (`Backend`), kept in the Flask app's extensions by `create_app`."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import current_app, request, url_for

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

    def view(self, key: Hashable, make: Callable[[], T]) -> T:
        """The derived view `key` of the store's current content (`make()` if not kept).

        `key` names the view and its validated, normalised arguments, nothing else."""
        return self.views.get(self.pool.generation, key, make)


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
