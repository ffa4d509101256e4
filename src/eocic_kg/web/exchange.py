"""A request and its answer without Flask: what the hot routes and the Flask app share.

`Ask` reads a request from its WSGI environ (the front builds one for every request) with no
request context; `Reply` is an answer as status, headers and body (bytes, or the pieces of a
streamed result). `finish` gives every response, whichever code made it, the same security,
CORS and caching headers: the Flask app's after-request hook calls it, and so do the hot
routes (`eocic_kg.web.hot`), so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from flask import abort
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadGateway, HTTPException, InternalServerError, ServiceUnavailable
from werkzeug.http import http_date, parse_options_header

from eocic_kg.errors import EngineError, StoreBusyError
from eocic_kg.settings import ServerSettings
from eocic_kg.web.http_cache import HttpCache
from eocic_kg.web.pages import CSP
from eocic_kg.web.pool import ExecutorFailed, Unavailable
from eocic_kg.web.request_input import strict_params

#: Headers on every response: a browser renders SVG, XML and text too, not only HTML; let
#: pages of other origins read the truncation headers and the ETag (not one CORS lets a page
#: read by itself: a page could not send the If-Match that keeps its write from overwriting a
#: change it did not see).
SECURITY_HEADERS = (
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Access-Control-Expose-Headers", "ETag, X-EOCIC-Truncated, X-EOCIC-Max-Rows"),
)
Headers = list[tuple[str, str]]
#: Headers of a route that `finish` sets itself (the validators too, when it sets them).
_REPLACED = frozenset(
    {"cache-control", "access-control-allow-origin", *(k.lower() for k, _ in SECURITY_HEADERS)}
)
_REPLACED_WITH_VALIDATORS = _REPLACED | {"etag", "last-modified"}


def too_large(limit: int) -> str:
    """The message of a 413 for a body above `limit` bytes."""
    return f"the request body is larger than the limit of {limit} bytes"


class Ask:
    """A request, read from its WSGI `environ` without Flask.

    `read_body(limit)` returns the body, a 413 past `limit` bytes (the Flask routes pass
    `request_input.request_body`, which enforces the limit while reading).
    """

    def __init__(
        self, environ: dict[str, Any], read_body: Callable[[int], bytes] | None = None
    ) -> None:
        self.environ = environ
        self.method: str = environ["REQUEST_METHOD"]
        self.path: str = environ.get("PATH_INFO", "")
        self.query_string: bytes = environ.get("QUERY_STRING", "").encode("latin-1")
        self._read_body = read_body  # None: the front's; never `self._whole_body`, which
        # would make each request a reference cycle, freed only by the garbage collector

    @cached_property
    def text_path(self) -> str:
        """The path as text, as Flask reads it (WSGI carries its bytes as Latin-1; refuse one
        that is not UTF-8 with `request_input.check_utf8_path` first)."""
        return self.path.encode("latin-1").decode("utf-8")

    def header(self, name: str) -> str | None:
        key = name.upper().replace("-", "_")
        return self.environ.get(key if key == "CONTENT_TYPE" else f"HTTP_{key}")

    @cached_property
    def params(self) -> MultiDict:
        """The URL's parameters, decoded strictly (400 for invalid UTF-8)."""
        return strict_params(self.query_string, "the URL's query string")

    @cached_property
    def content_type(self) -> tuple[str, dict[str, str]]:
        """The body's media type (lower case) and its parameters."""
        mimetype, options = parse_options_header(self.header("Content-Type") or "")
        return mimetype.lower(), options

    @property
    def hang_up(self) -> Any:
        """What tells the pool that the client hung up: the front's descriptor, or gunicorn's
        client socket (None: nothing)."""
        return self.environ.get("eocic.hang_up_fd", self.environ.get("gunicorn.socket"))

    def body(self, limit: int) -> bytes:
        return self._whole_body(limit) if self._read_body is None else self._read_body(limit)

    def _whole_body(self, limit: int) -> bytes:
        """The body the front read whole (it refused one above the path's limit already)."""
        stream = self.environ["wsgi.input"]
        data: bytes = stream.read()
        stream.seek(0)  # the Flask app reads it again if the request is left to it
        if len(data) > limit:
            abort(413, too_large(limit))
        return data


@dataclass
class Reply:
    """An answer: status, headers and body (bytes, or pieces that may need `close()`)."""

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes | Iterable[bytes] = b""


def _add_vary(headers: Headers, value: str) -> None:
    for i, (name, present) in enumerate(headers):
        if name.lower() == "vary":
            values = [v.strip() for v in present.split(",")]
            if value not in values:
                headers[i] = (name, f"{present}, {value}")
            return
    headers.append(("Vary", value))


def finish(
    ask: Ask,
    status: int,
    headers: Headers,
    settings: ServerSettings,
    cache: HttpCache,
    validators: tuple[str, datetime] | None,
    *,
    live: bool = False,
) -> Headers:
    """The headers of a response to `ask` with `status`, from those its route set: the cache
    policy and validators (`validators` as `HttpCache.validators` gave them at the start of
    the request), the Content-Security-Policy and the other security headers, and CORS (any
    origin may read; only `settings.allowed_origins` may write)."""
    control, validated = cache.policy(ask.method, status, live=live)
    validated = validated and validators is not None
    replaced = _REPLACED_WITH_VALIDATORS if validated else _REPLACED
    out = [(k, v) for k, v in headers if k.lower() not in replaced]
    out.append(("Cache-Control", control))
    if ask.method in ("GET", "HEAD") and not live:
        _add_vary(out, "Accept")
    if validated and validators is not None:
        out += [("ETag", f'"{validators[0]}"'), ("Last-Modified", _http_date(validators[1]))]
    if not any(k.lower() == "content-security-policy" for k, _ in out):
        out.append(("Content-Security-Policy", CSP))
    out += SECURITY_HEADERS
    out.append(("Access-Control-Allow-Origin", allowed_origin(ask, settings) or "*"))
    _add_vary(out, "Origin")
    return out


@lru_cache(maxsize=16)
def _http_date(moment: datetime) -> str:
    """`moment` as an HTTP date (remembered: a release has one, and formatting costs ~9 us)."""
    return http_date(moment)


def allowed_origin(ask: Ask, settings: ServerSettings) -> str | None:
    """The request's `Origin` if it may write (CORS names it), else None (`*`: any reads)."""
    origin = (ask.header("Origin") or "").rstrip("/")
    return origin if settings.writable and origin in settings.allowed_origins else None


def error_reply(error: HTTPException) -> Reply:
    """An HTTP error as short plain text that names the problem (a 404 is negotiated by the
    Flask app instead)."""
    body = f"{error.code} {error.name}: {error.description}\n".encode()
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    headers += [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    return Reply(error.code or 500, headers, body)


def failure(error: Exception) -> HTTPException | None:
    """The HTTP error of a failure a page's store call raised (None: not one of those)."""
    if isinstance(error, (Unavailable, StoreBusyError)):
        return ServiceUnavailable(str(error))
    if isinstance(error, EngineError):
        return BadGateway(str(error))
    if isinstance(error, ExecutorFailed):
        return InternalServerError(str(error))
    return None
