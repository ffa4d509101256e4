"""Reading a request's input safely: strict UTF-8 (never replaced), limits enforced while
reading (chunked bodies included), one value per protocol parameter, IRIs or prefixed names."""

from __future__ import annotations

import difflib
import re
import urllib.parse
from collections.abc import Callable

from flask import abort, current_app, g, request
from werkzeug.datastructures import MultiDict

from eocic_kg.prefixes import expand_iri


def one(params: MultiDict, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        abort(400, f"exactly one '{name}' parameter is allowed, got {len(values)}")
    return values[0] if values else None


def utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        abort(400, f"{what} is not valid UTF-8 (byte {e.start}): SPARQL text must be UTF-8")


def strict_params(encoded: bytes, what: str) -> MultiDict:
    """Parameters of a query string or form body, refusing invalid UTF-8 (never replacing it)."""
    params: MultiDict = MultiDict()
    for pair in encoded.split(b"&"):
        if pair:
            name, _, value = pair.replace(b"+", b" ").partition(b"=")
            params.add(utf8(_unescaped(name), what), utf8(_unescaped(value), what))
    return params


def _unescaped(part: bytes) -> bytes:
    return urllib.parse.unquote_to_bytes(part) if b"%" in part else part


def request_body(limit: int) -> bytes:
    """The request body, with `limit` enforced while reading (chunked bodies included): 413
    after at most `limit` + 1 bytes, never after buffering the whole body."""
    limit = min(limit, current_app.config.get("MAX_CONTENT_LENGTH") or limit)
    request.max_content_length = limit + 1  # werkzeug stops reading there (or 413s at once)
    data = request.get_data(cache=True)
    if len(data) > limit:
        abort(413, f"the request body is larger than the limit of {limit} bytes")
    return data


def url_params() -> MultiDict:
    """The request URL's parameters, decoded strictly once per request."""
    if "url_params" not in g:
        g.url_params = strict_params(request.query_string, "the URL's query string")
    return g.url_params


def refuse_unknown_parameters(params: MultiDict, accepted: tuple[str, ...]) -> None:
    """400 for a URL parameter of `params` that the route does not read (as a named query
    refuses one it does not take): ignored, a misspelt `limt=` or a `tag=` filter the route
    does not have was answered as if it had been read."""
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        takes = f"its parameters are {', '.join(accepted)}" if accepted else "it takes none"
        abort(400, f"unknown parameter(s) {', '.join(unknown)} for {request.path}; {takes}")


def _squashed(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _near_miss(name: str, known: tuple[str, ...]) -> str | None:
    """The name of `known` that `name` misspells: the same letters but for case and
    punctuation, or in another order (`veiw`), or a close spelling (`qurey`); None if none."""
    letters = _squashed(name)
    for meant in known:
        if letters == _squashed(meant) or sorted(letters) == sorted(_squashed(meant)):
            return meant
    close = difflib.get_close_matches(name.lower().replace("_", "-"), known, 1, 0.8)
    return close[0] if close else None


def refuse_misspelt(
    params: MultiDict, known: tuple[str, ...], whose: str, elsewhere: tuple[str, ...] = ()
) -> None:
    """400 for a parameter whose name is a near miss of one of `known` (`Default-Graph-URI`,
    `default_graph_uri`, `qurey`, `veiw`): unread, it was ignored and the request answered as
    if it had not been sent. `whose` names the owner of `known` in the message ("the SPARQL
    protocol's"); names in `elsewhere` are another check's to refuse."""
    for name in params:
        if name in known or name in elsewhere:
            continue
        if (meant := _near_miss(name, known)) is not None:
            abort(
                400,
                f"unknown parameter {name!r}: {whose} is {meant!r} (parameter names are "
                "case-sensitive); it would have been ignored",
            )


def iri_param(name: str) -> str:
    """The URL parameter `name` as an absolute IRI (a prefixed name expanded); 400 if it is
    missing, given twice or neither an IRI nor a prefixed name with a known prefix."""
    value = one(url_params(), name)
    if value is None:
        abort(400, f"parameter {name!r} is missing: give an IRI or a prefixed name")
    try:
        return expand_iri(value, name)
    except ValueError as e:
        abort(400, str(e))


def check_utf8_path(path: str | None = None) -> None:
    """Refuse a URL path (the WSGI `PATH_INFO`, default the request's) whose percent-decoded
    bytes are not UTF-8 (never read with replacements: `/id/x%FF` and `/id/x%FE` must not
    name the same resource)."""
    path = request.environ.get("PATH_INFO", "") if path is None else path
    try:  # WSGI carries the decoded path's bytes as Latin-1 (PEP 3333)
        path.encode("latin-1").decode("utf-8")
    except UnicodeError as e:
        start = e.start if isinstance(e, UnicodeDecodeError) else 0
        abort(400, f"the URL's path is not valid UTF-8 (byte {start}): percent-encode UTF-8")


#: The most bytes of each header field that the server parses, and what to send instead
#: (werkzeug's parsers take ~0.3-2 us per byte, on the event loop for the hot routes: a 56 KB
#: Accept of 3,000 media ranges held a worker for 0.3 s per request), and the most media ranges
#: of an Accept header (each is matched against every format offered, ~0.1 ms per range). Real
#: clients send a few ranges in a few hundred bytes, and a media type with a charset.
PARSED_HEADERS = {
    "Accept": (2048, "name the formats you want (or use ?format=)"),
    "Content-Type": (256, "send the media type and its charset only"),
}
MAX_ACCEPT_RANGES = 32


def check_parsed_headers(header: Callable[[str], str | None]) -> None:
    """Refuse (431) a request whose Accept or Content-Type header (`header(name)` gives each)
    is past the bounds above, saying how to fix it."""
    for name, (limit, fix) in PARSED_HEADERS.items():
        value = header(name) or ""
        if len(value) > limit:
            abort(431, f"the {name} header has {len(value)} bytes; at most {limit} are read: {fix}")
        if name == "Accept" and (ranges := value.count(",") + 1) > MAX_ACCEPT_RANGES:
            abort(
                431,
                f"the Accept header has {ranges} media ranges; at most {MAX_ACCEPT_RANGES} are "
                f"read: {fix}",
            )
