"""Who may write: no cross-site writes, and a bearer token when one is configured.

Browsers name the page's origin on every cross-site write; a page of another origin (or a DNS
name rebound to our address) gets 403, so no web page can rewrite the store.
"""

from __future__ import annotations

import hmac
import urllib.parse
from typing import TYPE_CHECKING

from flask import abort, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

if TYPE_CHECKING:
    from eocic_kg.web.backend import Backend

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _same_loopback_origin(origin: str) -> bool:
    """`origin` is this server's own, reached on a loopback name (not a rebound DNS name)."""
    parsed = urllib.parse.urlsplit(origin)
    own = urllib.parse.urlsplit(request.host_url)
    host = (parsed.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    return parsed.netloc == own.netloc and host in _LOOPBACK_HOSTS


def guard_write(b: Backend) -> None:
    """Refuse a write unless writable, from an allowed origin, and with the token if one is set.

    Browsers name the page's origin on every cross-site write; a page of another origin (or a
    DNS name rebound to our address) gets 403, so no web page can rewrite the store.
    """
    if not b.writable:
        abort(403, "this endpoint is read-only; start it with --writable to allow updates")
    origin = request.headers.get("Origin")
    if origin is not None:
        if origin not in b.allowed_origins and not _same_loopback_origin(origin):
            abort(
                403,
                f"writes from the web origin {origin} are refused; "
                f"start the server with --allow-origin {origin} to allow that page to write",
            )
    elif request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
        abort(403, "cross-site writes are refused")
    if b.write_token is not None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        given = token.strip().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given, b.write_token.encode()):
            raise Unauthorized(
                "writes need the header 'Authorization: Bearer TOKEN' with the server's token",
                www_authenticate=WWWAuthenticate("bearer", {"realm": "eocic-kg"}),
            )
