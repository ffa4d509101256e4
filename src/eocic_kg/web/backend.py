"""What every route needs: the store, its executors and the server's settings (`Backend`),
kept in the Flask app's extensions by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from eocic_kg.store_api import StoreAPI
from eocic_kg.web.pool import QueryPool


@dataclass
class Backend:
    """What the protocol handlers need: the store, its executors and the server settings."""

    store: StoreAPI
    pool: QueryPool
    writable: bool = False
    max_query_bytes: int = 64 * 1024
    #: Rows of a SELECT result beyond this are dropped; the response then carries the header
    #: `X-EOCIC-Truncated: true` (and `X-EOCIC-Max-Rows`), JSON also "truncated"/"warning".
    max_rows: int | None = 10_000
    #: Browser origins (scheme://host[:port]) allowed to write; none by default.
    allowed_origins: frozenset[str] = frozenset()
    #: When set, writes need `Authorization: Bearer <token>`.
    write_token: str | None = None
    _description: dict[tuple[int, str], tuple[str, bytes]] = field(default_factory=dict)


def backend() -> Backend:
    """The Backend of the current app."""
    return current_app.extensions["eocic"]
