"""Who may write: no cross-site writes, and a bearer token when one is configured.

Browsers name the page's origin on every cross-site write (`Origin`, else `Sec-Fetch-Site`,
else at least the `Referer`); a page of another origin (or a DNS name rebound to our address,
or the same host under another scheme) gets 403, so no web page can rewrite the store. A write
that came through a reverse proxy (it carries forwarding headers) needs the token: behind a
proxy on loopback, every client of the proxy looks local.
"""

from __future__ import annotations

import hmac
import urllib.parse
from typing import TYPE_CHECKING

from flask import abort, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from eocic_kg.settings import is_origin

if TYPE_CHECKING:
    from eocic_kg.web.backend import Backend

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
#: Headers a reverse proxy adds: their presence says the client is not on this machine.
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP", "Via")


def _same_loopback_origin(origin: str) -> bool:
    """`origin` is this server's own (scheme, host and port), reached on a loopback name (not a
    rebound DNS name)."""
    parsed = urllib.parse.urlsplit(origin)
    own = urllib.parse.urlsplit(request.host_url)
    host = (parsed.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    return (parsed.scheme, parsed.netloc) == (own.scheme, own.netloc) and host in _LOOPBACK_HOSTS


def _page_origin() -> str | None:
    """The origin of the page that sent the request, as the browser names it: `Origin`, else
    the scheme and host of the `Referer` (None: no page named, e.g. curl)."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin
    referer = urllib.parse.urlsplit(request.headers.get("Referer", ""))
    return f"{referer.scheme}://{referer.netloc}" if referer.netloc else None


def guard_write(b: Backend) -> None:
    """Refuse a write unless writable, from an allowed origin, and with the token if one is set
    (a write through a proxy needs the token even on loopback)."""
    settings = b.settings
    if not settings.writable:
        abort(403, "this endpoint is read-only; start it with --writable to allow updates")
    origin = _page_origin()
    if origin is not None:
        if origin not in settings.allowed_origins and not _same_loopback_origin(origin):
            remedy = (
                f"start the server with --allow-origin {origin} to allow that page to write"
                if is_origin(origin)
                else "no such page can be allowed to write (a sandboxed frame or a local file "
                "has no origin of its own); write from a page served over http(s)"
            )
            abort(403, f"writes from the web origin {origin} are refused; {remedy}")
    elif request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
        abort(403, "cross-site writes are refused")
    if settings.write_token is not None:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        expected = settings.write_token.encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            raise Unauthorized(
                "writes need the header 'Authorization: Bearer TOKEN' with the server's token",
                www_authenticate=WWWAuthenticate("bearer", {"realm": "eocic-kg"}),
            )
        return
    forwarded = [h for h in FORWARDING_HEADERS if h in request.headers]
    if forwarded:
        abort(
            403,
            f"this write came through a proxy ({forwarded[0]}); writes through a proxy need "
            "a token: start the server with --write-token-file FILE",
        )
