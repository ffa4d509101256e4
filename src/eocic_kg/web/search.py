"""Blueprint `search_pages`: the report's words, searched.

`/search?q=` is an HTML page of ranked hits linking to the resource pages (JSON by
negotiation or `format=json`); `/api/search?q=` gives the IRIs found with a ready
`VALUES ?resource { ... }` clause, to join text hits with SPARQL. The index is built by this
process from the store it serves (the release, an on-disk store or a remote engine), on the
first search and again after a write.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify
from rdflib import URIRef

from eocic_kg.search import DEFAULT_LIMIT, MAX_LIMIT, Hit, SearchError, SearchIndex, parse
from eocic_kg.web.backend import backend
from eocic_kg.web.negotiation import choose
from eocic_kg.web.pages import html_response
from eocic_kg.web.request_input import one, refuse_unknown_parameters, url_params
from eocic_kg.web.term_views import local_href

search_pages = Blueprint("search_pages", __name__)

_lock = threading.Lock()
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_LIMIT = re.compile(r"[0-9]{1,9}")
_OFFERED = frozenset({"html", "json"})
_API_OFFERED = frozenset({"json"})
#: How the page names the field a hit's text is in.
_FIELD_NAMES = {
    "label": "label",
    "altLabel": "also called",
    "definition": "definition",
    "description": "description",
    "quote": "the report says",
}


def index() -> SearchIndex:
    """The index of the served store, built on first use and again after a write."""
    b = backend()
    key = (id(b.store), b.pool.generation)
    holder = current_app.extensions.setdefault("eocic-search", {})
    with _lock:
        if holder.get("key") != key:
            holder["index"] = SearchIndex.from_store(b.store, source="served store")
            holder["key"] = key
        return holder["index"]


def _limit() -> int:
    raw = one(url_params(), "limit") or str(DEFAULT_LIMIT)
    # ASCII digits, a few: str.isdigit() also takes "²" and "①", which int() refuses (a 500),
    # and int() refuses more than 4,300 digits (another 500)
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        abort(400, f"limit must be a whole number from 1 to {MAX_LIMIT}, got {raw!r}")
    return int(raw)


def _advice(err: SearchError) -> str:
    return f'{err}. Write words, "quoted phrases" and word* for a prefix.'


def _hits(text: str) -> list[Hit]:
    """The hits of the search `text`; 400 with the parser's advice when it is not one."""
    try:
        return index().search(parse(text), _limit())
    except SearchError as err:
        abort(400, _advice(err))


def _hit_json(hit: Hit) -> dict[str, Any]:
    return {**hit.as_json(), "page": local_href(hit.resource)}


def _page(text: str, hits: list[Hit] | None, error: str | None) -> Response:
    return html_response(
        "search.html", q=text, hits=hits, error=error, link=local_href, fields=_FIELD_NAMES
    )


@search_pages.get("/search")
def search_page() -> Response:
    """Ranked hits for `q`: an HTML page (with the search form), or JSON."""
    refuse_unknown_parameters(url_params(), ("q", "limit", "format"))
    text = one(url_params(), "q")
    fmt = choose(_OFFERED, url_params(), fallback="html")
    if fmt == "json":
        if text is None:
            abort(400, "give the words to search for as q=...")
        return jsonify({"q": text, "hits": [_hit_json(h) for h in _hits(text)]})
    if text is None:
        return _page("", None, None)
    limit = _limit()
    try:
        hits, error = index().search(parse(text), limit), None
    except SearchError as err:  # a 400 shown in the page, with the form to try again
        hits, error = None, _advice(err)
    response = _page(text, hits, error)
    if error:
        response.status_code = 400
    return response


@search_pages.get("/api/search")
def search_api() -> Response:
    """The IRIs found for `q`, best first, and a VALUES clause binding them (to `var`)."""
    refuse_unknown_parameters(url_params(), ("q", "limit", "var", "format"))
    choose(_API_OFFERED, url_params())  # JSON only: format=csv is a 400, not JSON unsaid
    text = one(url_params(), "q")
    if text is None:
        abort(400, "give the words to search for as q=...")
    variable = one(url_params(), "var") or "resource"
    if not _VARIABLE.fullmatch(variable):
        abort(400, f"var must be a SPARQL variable name (letters, digits, _), got {variable!r}")
    iris = [hit.resource for hit in _hits(text)]
    listed = " ".join(URIRef(iri).n3() for iri in iris)
    return jsonify(
        {
            "q": text,
            "iris": iris,
            "values": f"VALUES ?{variable} {{ {listed} }}",
        }
    )


@search_pages.after_request
def _vary(response: Response) -> Response:
    response.vary.add("Accept")
    return response
