"""The settings of a server, every default in one place, validated once.

`eocic-kg serve` builds one `ServerSettings` from its options and passes it whole to
`eocic_kg.serve.run`, which hands it to `eocic_kg.web.app.create_app` (and so to the executors'
pool and the routes). Tests build their apps from these defaults unless a test says otherwise.

>>> ServerSettings().query_timeout
5.0
>>> ServerSettings(max_rows=0).max_rows is None  # 0: no limit
True
>>> ServerSettings(executors=0)
Traceback (most recent call last):
...
eocic_kg.errors.UsageError: executors must be at least 1, not 0
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from eocic_kg.errors import UsageError
from eocic_kg.prefixes import BASE_IRI

#: The namespace the served IRIs live in (`/id/x` describes `{base}id/x`) unless configured.
DEFAULT_BASE_IRI = BASE_IRI
MiB = 2**20
#: The HTTP servers `serve` can put in front of the app.
FRONTS = ("granian", "gunicorn")


@dataclass(frozen=True)
class ServerSettings:
    """What a server is told: where it listens, its limits, who may write."""

    #: Address and TCP port to listen on (beyond loopback, writes need a token).
    host: str = "127.0.0.1"
    port: int = 8000
    #: The HTTP server in front: "granian" (`eocic_kg.web.front`: Rust reads whole requests, so
    #: slow clients hold no thread) or "gunicorn".
    front: str = "granian"
    #: Worker processes (a writable server has one), threads per worker, and query
    #: executors per worker (a writable server has one).
    workers: int = 2
    threads: int = 8
    executors: int = 4
    #: Seconds a worker may stay silent before gunicorn replaces it (at least the query limit).
    worker_timeout: int = 30
    #: Seconds one query or update may run.
    query_timeout: float = 5.0
    #: Seconds one Graph Store upload (or delete) may take: a 256 MiB body takes minutes to
    #: parse and write (`bench/bench_upload.py`); never less than the query limit.
    upload_timeout: float = 600.0
    #: MiB one evaluation may allocate (0: no cap).
    query_memory_mb: int = 1024
    #: MiB of query results cached per worker (0: no cache).
    cache_mb: int = 64
    #: MiB of derived views (pages, dumps, graph views, VoID) cached per worker (0: none kept).
    views_mb: int = 128
    #: SELECT rows returned at most (None or 0: no limit); a cut result says so (header
    #: `X-EOCIC-Truncated: true`, JSON "truncated").
    max_rows: int | None = 10_000
    #: Bytes of SPARQL text (GET, form or body) and of a Graph Store upload.
    max_query_bytes: int = 64 * 1024
    max_upload_bytes: int = 256 * MiB
    #: Accept SPARQL Update and Graph Store writes.
    writable: bool = False
    #: Browser origins (scheme://host[:port]) allowed to write.
    allowed_origins: frozenset[str] = frozenset()
    #: When set, writes need `Authorization: Bearer <token>`.
    write_token: str | None = None
    #: The server is reached through a reverse proxy: a writable one then needs a token.
    behind_proxy: bool = False
    #: Listen beyond loopback even where executors cannot be cut off from the network.
    accept_network_risk: bool = False
    base_iri: str = DEFAULT_BASE_IRI

    def __post_init__(self) -> None:
        for name in ("port", "query_memory_mb", "cache_mb", "views_mb", "max_query_bytes"):
            if getattr(self, name) < 0:
                raise UsageError(f"{name} must not be negative, not {getattr(self, name)}")
        for name in ("workers", "threads", "executors", "worker_timeout", "max_upload_bytes"):
            if getattr(self, name) < 1:
                raise UsageError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.front not in FRONTS:
            raise UsageError(f"front is one of {', '.join(FRONTS)}, not {self.front!r}")
        for name in ("query_timeout", "upload_timeout"):
            if not getattr(self, name) > 0:
                raise UsageError(f"{name} must be positive, not {getattr(self, name)}")
        if self.max_rows is not None and self.max_rows < 0:
            raise UsageError(f"max_rows must not be negative, not {self.max_rows}")
        object.__setattr__(self, "max_rows", self.max_rows or None)
        if not _absolute(self.base_iri) or not self.base_iri.endswith(("/", "#")):
            raise UsageError(
                f"the base IRI must be an absolute http(s) IRI ending in / or #: {self.base_iri!r}"
            )
        origins = frozenset(o.rstrip("/") for o in self.allowed_origins)
        for origin in origins:
            if not is_origin(origin):
                raise UsageError(f"an origin is scheme://host[:port], not {origin!r}")
        object.__setattr__(self, "allowed_origins", origins)
        if self.write_token is not None and not self.write_token.strip():
            raise UsageError("the write token is empty")

    @property
    def memory_bytes(self) -> int | None:
        """What one evaluation may allocate, in bytes (None: no cap)."""
        return self.query_memory_mb * MiB or None

    @property
    def request_line_bytes(self) -> int:
        """The longest request line the HTTP server reads: a GET query at the SPARQL text
        limit, every byte percent-encoded, with room for the other parameters."""
        return 3 * self.max_query_bytes + 4096


def is_origin(origin: str) -> bool:
    """Whether `origin` is a web origin that `--allow-origin` can list: scheme://host[:port]
    (not an opaque one, "null", which any sandboxed frame or local file sends)."""
    parsed = urllib.parse.urlsplit(origin)
    return _absolute(origin) and not (parsed.path or parsed.query or parsed.fragment)


def _absolute(iri: str) -> bool:
    parsed = urllib.parse.urlsplit(iri)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)
