"""What every route needs: the store, its executors and the server's settings (`Backend`),
kept in the Flask app's extensions by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from eocic_kg.settings import ServerSettings
from eocic_kg.store_api import StoreAPI
from eocic_kg.web.pool import QueryPool


@dataclass
class Backend:
    """What the protocol handlers need: the store, its executors and the server settings."""

    store: StoreAPI
    pool: QueryPool
    settings: ServerSettings = field(default_factory=ServerSettings)
    _description: dict[tuple[int, str], tuple[str, bytes]] = field(default_factory=dict)


def backend() -> Backend:
    """The Backend of the current app."""
    return current_app.extensions["eocic"]
