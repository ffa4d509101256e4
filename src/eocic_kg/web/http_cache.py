"""HTTP caching: validators and a cache policy on every response, 304 for a matching validator.

A GET's strong `ETag` digests what its body is a function of: the package version (pages,
static files), the served content (the release file's SHA-256, or a token drawn when the server
starts on a given store, which carries no content hash), the store's write generation
(`QueryPool.generation`), the request path and query string, the `Accept` header (each
negotiated format has its own tag) and, in writable mode, the `Origin` (its CORS headers differ).
It is computed before the view runs, so a request whose `If-None-Match` holds it is answered 304
without evaluating anything; and it is taken at the start of the request, so a write landing
while the body is made can only make the tag older than the body (revalidated), never newer.
`If-Modified-Since` (and `If-None-Match: *`) are answered by werkzeug's `make_conditional` once
the body exists, so a missing resource is never a 304.

`Last-Modified` is the release file's modification time (its build), or the server's start,
moved on by every write (a second later at least, so no two generations share it).
`Cache-Control`: read-only GETs are `public, max-age=MAX_AGE`; writable-mode reads `no-cache`
(a cache must revalidate); 404s and redirects as reads, without validators; writes, POSTs, other
errors and the live probes `no-store`. A remote engine's content can change underneath, so its
responses carry no validators (`no-cache`).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask, Response, g, request

from eocic_kg import __version__
from eocic_kg.web.pool import QueryPool

#: Seconds a shared cache or a browser may reuse a read-only response without asking again.
MAX_AGE = 300
#: Endpoints that report the server's live state (readiness probes): never cached.
LIVE = frozenset({"health.liveness", "health.readiness"})
#: Statuses whose response is the resource's stable answer, cacheable like a read.
_STABLE_ERRORS = frozenset({404, 410})


def _whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


class HttpCache:
    """The validators of the served content: `identity` (None: none), generation, time."""

    def __init__(
        self, pool: QueryPool, release: Path | None, *, writable: bool, remote: bool
    ) -> None:
        self.pool = pool
        self.writable = writable
        self.identity: str | None
        if remote:
            self.identity, modified = None, datetime.now(UTC)
        elif release is not None:
            with release.open("rb") as handle:
                self.identity = "release " + hashlib.file_digest(handle, "sha256").hexdigest()
            modified = datetime.fromtimestamp(release.stat().st_mtime, UTC)
        else:
            self.identity, modified = "store " + secrets.token_hex(16), datetime.now(UTC)
        self._modified = _whole_second(modified)
        self._generation = pool.generation
        self._lock = threading.Lock()

    def state(self) -> tuple[int, datetime]:
        """The current (generation, Last-Modified); a write moves the time on by a second at
        least, so `If-Modified-Since` never mistakes one generation for another."""
        with self._lock:
            if self.pool.generation != self._generation:
                now = _whole_second(datetime.now(UTC)) + timedelta(seconds=1)
                self._modified = max(now, self._modified + timedelta(seconds=1))
                self._generation = self.pool.generation
            return self._generation, self._modified

    def etag(self, generation: int) -> str:
        """The strong ETag of the current request's representation at `generation`."""
        parts = [
            __version__,
            self.identity or "",
            str(generation),
            request.path,
            request.query_string.decode("latin-1"),
            request.headers.get("Accept", ""),
            request.headers.get("Origin", "") if self.writable else "",
        ]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]

    def read_policy(self, response: Response) -> None:
        if self.writable or self.identity is None:
            response.cache_control.no_cache = True
        else:
            response.cache_control.public = True
            response.cache_control.max_age = MAX_AGE

    def before(self) -> Response | None:
        """Note the request's validators; a 304 at once when its `If-None-Match` holds the tag."""
        if request.method not in ("GET", "HEAD") or request.endpoint in LIVE:
            return None
        if self.identity is None:
            return None
        generation, modified = self.state()
        g.http_cache = (self.etag(generation), modified)
        tags = request.if_none_match
        if not tags.star_tag and tags.contains_weak(g.http_cache[0]):
            return Response(status=304)
        return None

    def after(self, response: Response) -> Response:
        """Set the validators and the policy; answer 304 when the request's validators hold."""
        response.cache_control.clear()  # type: ignore[attr-defined]
        if request.method not in ("GET", "HEAD") or request.endpoint in LIVE:
            response.cache_control.no_store = True
            return response
        response.vary.add("Accept")
        if response.status_code in _STABLE_ERRORS or 300 <= response.status_code < 304:
            self.read_policy(response)
        elif response.status_code in (200, 304):
            self.read_policy(response)
            if "http_cache" in g:
                etag, modified = g.http_cache
                response.set_etag(etag)
                response.last_modified = modified
                response.make_conditional(request)
        else:
            response.cache_control.no_store = True
        return response


def install_http_cache(
    app: Flask, pool: QueryPool, release: Path | None, *, writable: bool, remote: bool
) -> None:
    """Give every response of `app` its validators and cache policy (see the module).

    `release` is the release file the store was loaded from, None for a store given."""
    cache = HttpCache(pool, release, writable=writable, remote=remote)
    app.before_request(cache.before)
    app.after_request(cache.after)
