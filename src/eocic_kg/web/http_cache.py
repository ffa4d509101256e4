"""HTTP caching: validators and a cache policy on every response, 304 for a matching validator.

A GET's strong `ETag` digests what its body is a function of: the package version (pages,
static files), the served content (the release file's SHA-256, or a token drawn when the server
starts on a given store, which carries no content hash), the store's write generation
(`QueryPool.generation`), the request path and query string, the `Accept` header (each
negotiated format has its own tag) and, in writable mode, the `Origin` (its CORS headers differ).
Its first half digests the state (all but `Accept` and `Origin`), its second the representation,
so a write's `If-Match` holds for the tag of any representation of the state it was read at
(`of_state`): a client that read a graph as Turtle and wrote it back asking for nothing in
particular was told 412 for a graph nobody had changed.
It is computed before the view runs, so a request whose `If-None-Match` holds it is answered 304
without evaluating anything; and it is taken at the start of the request, so a write landing
while the body is made can only make the tag older than the body (revalidated), never newer.
`If-Modified-Since` (and `If-None-Match: *`) are answered by werkzeug's `make_conditional` once
the body exists, so a missing resource is never a 304.

`Last-Modified` is the release file's modification time (its build), or the server's start,
moved on by every write to the (whole) second of the write, never past the clock: a server
restarted on the same store starts later than every `Last-Modified` the one before it gave.
(It was moved a second past the previous one at each write: writes faster than one a second put
it minutes ahead of `Date`, and a server restarted before the clock caught up answered 304 with
the `Last-Modified` it had given for a graph written since.) Writes within one second share it,
so an `If-Modified-Since` is not trusted for a response whose `Last-Modified` is a second that
more than one generation had, nor when it is later than the server's clock (RFC 7232 3.3: such
a date is invalid).
`Cache-Control`: read-only GETs are `public, max-age=MAX_AGE`; writable-mode reads `no-cache`
(a cache must revalidate); 404s and redirects as reads, without validators; writes, POSTs, other
errors and the live probes `no-store`. A remote engine's content can change underneath, so its
responses carry no validators (`no-cache`).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path

from flask import Response, g, request
from werkzeug.http import parse_date, parse_etags

from eocic_kg import __version__
from eocic_kg.web.pool import QueryPool

#: Seconds a shared cache or a browser may reuse a read-only response without asking again.
MAX_AGE = 300
#: Hex digits of a tag that digest the content's state at its URL (the rest: its representation).
STATE_DIGITS = 16
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
        #: The latest second that was the Last-Modified of more than one generation.
        self._shared: datetime | None = None
        self._generation = pool.generation
        self._lock = threading.Lock()

    def state(self) -> tuple[int, datetime]:
        """The current (generation, Last-Modified); a write moves the time on to its second,
        never past the clock (a second that two generations share is noted: see
        `conditional_environ`)."""
        with self._lock:
            if self.pool.generation != self._generation:
                now = _whole_second(datetime.now(UTC))
                if now > self._modified:
                    self._modified = now
                else:
                    self._shared = self._modified
                self._generation = self.pool.generation
            return self._generation, self._modified

    def shared(self, modified: datetime) -> bool:
        """Whether a response's `Last-Modified`, `modified`, is (or is older than) a second
        that more than one generation had: a date does not tell them apart."""
        with self._lock:
            return self._shared is not None and modified <= self._shared

    def conditional_environ(
        self, environ: dict[str, object], modified: datetime
    ) -> dict[str, object]:
        """The request's `environ` for werkzeug's `make_conditional`, which is left to decide
        304s only: without `If-Match` (settled by `precondition_fails`), and without an
        `If-Modified-Since` that cannot tell generations apart: later than now, or asked of a
        response whose `Last-Modified` (`modified`) is, or is older than, a second that more
        than one generation had (a copy from the first write of a second is not the second
        write's)."""
        since = parse_date(str(environ.get("HTTP_IF_MODIFIED_SINCE", "")))
        untold = since is not None and (self.shared(modified) or since > datetime.now(UTC))
        dropped = {"HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE"} if untold else {"HTTP_IF_MATCH"}
        return {k: v for k, v in environ.items() if k not in dropped}

    def validators(
        self, path: str, query_string: bytes, accept: str, origin: str
    ) -> tuple[str, datetime] | None:
        """The strong ETag and the Last-Modified of a GET of `path?query_string` with these
        `Accept` and `Origin` headers, taken now (None: this content has no validators)."""
        if self.identity is None:
            return None
        generation, modified = self.state()
        state = _digest(
            __version__, self.identity, str(generation), path, query_string.decode("latin-1")
        )
        return state + _digest(accept, origin if self.writable else ""), modified

    def policy(self, method: str, status: int, *, live: bool = False) -> tuple[str, bool]:
        """The `Cache-Control` of a response, and whether it carries the validators."""
        if method not in ("GET", "HEAD") or live:
            return "no-store", False
        if status in _STABLE_ERRORS or 300 <= status < 304 or status in (200, 304):
            shared = not self.writable and self.identity is not None
            return f"public, max-age={MAX_AGE}" if shared else "no-cache", status in (200, 304)
        return "no-store", False

    def before(self) -> Response | None:
        """Note the request's validators; a 304 at once when its `If-None-Match` holds the tag."""
        if request.method not in ("GET", "HEAD") or request.endpoint in LIVE:
            return None
        found = self.validators(
            request.path,
            request.query_string,
            request.headers.get("Accept", ""),
            request.headers.get("Origin", ""),
        )
        if found is None:
            return None
        g.http_cache = found
        return (
            Response(status=304)
            if matches(request.headers.get("If-None-Match"), found[0])
            else None
        )


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:STATE_DIGITS]


def of_state(etag: str) -> str:
    """The part of one of our tags that names the content's state at its URL, whatever
    representation (`Accept`, `Origin`) it was given for."""
    return etag[:STATE_DIGITS]


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an `If-None-Match` header names `etag` (weakly compared; `*` does not count:
    it is answered once the body exists)."""
    if not if_none_match:
        return False
    tags = parse_etags(if_none_match)
    return not tags.star_tag and tags.contains_weak(etag)


def precondition_fails(
    if_match: str | None,
    if_unmodified_since: str | None,
    validators: tuple[str, datetime],
    *,
    shared: bool = False,
    any_representation: bool = False,
) -> str | None:
    """Why a read's `If-Match` (strong comparison; `*` holds, the resource being there) or,
    without it, `If-Unmodified-Since` fails for a response with these `validators` (None: it
    holds, or was not asked). werkzeug answered `If-Match: *` with a 412 and ignored
    `If-Unmodified-Since`. `shared` (`HttpCache.shared`): the Last-Modified was another
    generation's too, so a date of that very second does not hold. A write asks
    `any_representation`: a tag holds if it names the state that `validators` name, in
    whichever format it was read (`of_state`)."""
    etag, modified = validators
    if if_match:
        tags = parse_etags(if_match)
        held = tags.as_set()  # the strong tags
        if any_representation:
            etag, held = of_state(etag), {of_state(tag) for tag in held}
        return None if tags.star_tag or etag in held else "If-Match names another tag"
    since = parse_date(if_unmodified_since)
    if since is not None and (modified > since or (shared and modified == since)):
        return "If-Unmodified-Since: modified since then"
    return None
