"""Content negotiation for every route: one table of media types, one of `?format=` names.

A route offers a set of formats (`TABULAR` for query results, `GRAPH` for RDF, `PAGE` for a
resource that is also an HTML page); the client's Accept header (q-values and wildcards, read
by werkzeug's `MIMEAccept`) or a `?format=` name picks one of them. Choices are cached by the
header's text, since clients send the same few headers again and again.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flask import abort, request
from werkzeug.datastructures import MIMEAccept, MultiDict
from werkzeug.http import parse_accept_header

#: (media type, format) in order of preference: a route offering several formats answers
#: `*/*` (or no Accept header) with the first it offers. `application/json` and
#: `application/xml` name a query-results format or an RDF format, whichever the route offers.
MEDIA_TYPES: tuple[tuple[str, str], ...] = (
    ("application/sparql-results+json", "json"),
    ("application/json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("application/xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("text/turtle", "turtle"),
    ("application/turtle", "turtle"),
    ("application/x-turtle", "turtle"),
    ("text/n3", "turtle"),
    ("application/n3", "turtle"),
    ("text/rdf+n3", "turtle"),
    ("text/html", "html"),
    ("application/xhtml+xml", "html"),
    ("application/ld+json", "jsonld"),
    ("application/x-json+ld", "jsonld"),
    ("application/json", "jsonld"),
    ("application/n-triples", "ntriples"),
    ("text/plain", "ntriples"),
    ("application/rdf+xml", "rdfxml"),
    ("application/xml", "rdfxml"),
    ("text/xml", "rdfxml"),
)
#: The media type each format is sent as: the first listed for it (the others are aliases a
#: client may name, and only name: a wildcard such as `application/*` does not match them).
SENT_AS: dict[str, str] = {fmt: media for media, fmt in reversed(MEDIA_TYPES)}
#: `?format=` (or `?output=`) names and the formats each may stand for, first offered wins.
FORMAT_NAMES: dict[str, tuple[str, ...]] = {
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv",),
    "tsv": ("tsv",),
    "turtle": ("turtle",),
    "ttl": ("turtle",),
    "n3": ("turtle",),
    "ntriples": ("ntriples",),
    "nt": ("ntriples",),
    "n-triples": ("ntriples",),
    "jsonld": ("jsonld",),
    "json-ld": ("jsonld",),
    "rdfxml": ("rdfxml",),
    "rdf+xml": ("rdfxml",),
    "rdf": ("rdfxml",),
    "html": ("html",),
}
TABULAR = frozenset({"json", "xml", "csv", "tsv"})
GRAPH = frozenset({"turtle", "ntriples", "jsonld", "rdfxml"})
PAGE = GRAPH | {"html"}


#: A q-value as RFC 9110 writes one (0 to 1, at most three decimals), and a q parameter.
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
_Q_PARAMETER = re.compile(r";\s*q\s*=\s*([^;,]*)", re.IGNORECASE)


def _offered(offered: frozenset[str]) -> list[tuple[str, str]]:
    return [(media, fmt) for media, fmt in MEDIA_TYPES if fmt in offered]


@lru_cache(maxsize=512)
def preferred(accept: str | None, offered: frozenset[str]) -> str | None:
    """The format of `offered` that the Accept header value `accept` prefers.

    No header (or an empty one) gets the route's first format; None when nothing fits.
    """
    _check_qvalues(accept or "")
    table = _offered(offered)
    parsed = _without_parameters(parse_accept_header(accept, MIMEAccept))
    if not parsed:
        return table[0][1]
    # an alias counts only when named: `application/*` matched application/turtle, and the
    # Turtle it chose is sent as text/turtle, a type the client did not accept
    named = {value.lower() for value, _ in parsed}
    table = [(media, fmt) for media, fmt in table if media == SENT_AS[fmt] or media in named]
    best = parsed.best_match([media for media, _ in table])
    return dict(table)[best] if best else None


def _check_qvalues(accept: str) -> None:
    """A 400 for a q-value that is not one: werkzeug drops its media range, so
    `text/csv;q=abc` or `text/csv;q=1.5, application/json` was answered in JSON, unsaid."""
    for value in _Q_PARAMETER.findall(accept):
        if not _QVALUE.fullmatch(value.strip()):
            abort(
                400,
                f"the Accept header's q={value.strip()!r} is not a q-value: write one from 0 to 1 "
                "with at most three decimals (RFC 9110), or name the format with ?format=",
            )


def _without_parameters(parsed: MIMEAccept) -> MIMEAccept:
    """`parsed` with each media range's parameters (other than its q-value) dropped.

    werkzeug matches a range with parameters only to a type offered with the same ones, and we
    offer ours bare: `text/turtle; charset=utf-8` or JSON-LD's `application/ld+json;
    profile="...#compacted"` was a 406, or lost to a lower `text/html;q=0.1`. Every text format
    here is UTF-8; a parameter we cannot honour (another charset, a JSON-LD profile) still gets
    the type asked for, which is what RFC 9110 lets a server do, rather than a 406 or HTML.
    """
    return MIMEAccept([(value.split(";", 1)[0].strip(), quality) for value, quality in parsed])


def named(name: str, offered: frozenset[str]) -> str | None:
    """The format of `offered` that a `?format=` value names (a short name or a media type)."""
    # a "+" left unencoded in a URL arrives as a space ("application/rdf xml"): no media type
    # or format name holds a space, so it can only have been a "+"
    key = name.strip().lower().replace(" ", "+")
    candidates = FORMAT_NAMES.get(key) or tuple(fmt for media, fmt in MEDIA_TYPES if media == key)
    return next((fmt for fmt in candidates if fmt in offered), None)


def names_of(offered: frozenset[str]) -> list[str]:
    """The `?format=` names that select one of `offered`, for error messages and docs."""
    return [name for name, fmts in FORMAT_NAMES.items() if offered.intersection(fmts)]


def format_names(params: MultiDict, *keys: str) -> list[str]:
    """The values given to the parameters `keys` (`format`, and `output` where it is a
    synonym), empty ones left out."""
    return [value for key in keys for value in params.getlist(key) if value]


def named_one(given: list[str], offered: frozenset[str]) -> str | None:
    """The one format of `offered` that the `?format=` values `given` name (None: none names
    one); 400 when they name two different ones (the first given used to win, unsaid). A value
    naming nothing offered is passed over beside one that does: SPARQLWrapper sends
    `format=json-ld&format=application/ld+json,application/x-json+ld`."""
    found = {fmt for name in given if (fmt := named(name, offered))}
    if len(found) > 1:
        names = " and ".join(f"{name!r}" for name in given)
        abort(400, f"format is given as {names}, which name different formats: ask for one")
    return found.pop() if found else None


def choose(
    offered: frozenset[str], params: MultiDict | None = None, *, fallback: str | None = None
) -> str:
    """The format of `offered` that the request asks for: `?format=` first, then Accept.

    An unknown or unoffered name is a 400; an Accept header that nothing offered fits gets
    `fallback`, or a 406 without one.
    """
    params = request.args if params is None else params
    return choose_for(offered, params, request.headers.get("Accept"), fallback=fallback)


def choose_for(
    offered: frozenset[str], params: MultiDict, accept: str | None, *, fallback: str | None = None
) -> str:
    """`choose` for the URL parameters `params` and the Accept header value `accept`."""
    given = format_names(params, "format")
    if given:
        fmt = named_one(given, offered)
        if fmt is None:
            abort(400, f"unknown format {given[0]!r}; use one of {', '.join(names_of(offered))}")
        return fmt
    fmt = preferred(accept, offered) or fallback
    if fmt is None:
        abort(406, "none of the requested media types can be produced")
    return fmt
