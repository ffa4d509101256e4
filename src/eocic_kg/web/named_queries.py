"""The named queries this app serves (`queries/*.rq`, or the app's `EOCIC_QUERIES_DIR`), how a
request's parameters are bound for one, and running one: shared by the API, the query page,
citations and the hot routes (`bindings`, `run`: no Flask request needed)."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, request, url_for
from rdflib.term import Node
from werkzeug.datastructures import MultiDict

from eocic_kg.catalogue import NamedQuery, ParameterError, load_catalogue
from eocic_kg.resources import QUERIES_DIR
from eocic_kg.store_api import QueryRequest
from eocic_kg.web.answering import answer
from eocic_kg.web.backend import Backend, backend
from eocic_kg.web.exchange import Ask, Reply
from eocic_kg.web.negotiation import TABULAR, choose_for


def catalogue() -> dict[str, NamedQuery]:
    """The named queries served by this app (kept with the derived views)."""
    return served(backend(), current_app.config.get("EOCIC_QUERIES_DIR") or QUERIES_DIR)


def served(b: Backend, directory: Path) -> dict[str, NamedQuery]:
    """The named queries of `directory`, kept with `b`'s derived views."""
    return b.view(("catalogue",), lambda: load_catalogue(directory))


def query_or_404(name: str) -> NamedQuery:
    query = catalogue().get(name)
    if query is None:
        abort(404, f"no named query {name!r}; see {url_for('api.list_queries')}")
    return query


def request_bindings(query: NamedQuery) -> dict[str, Node]:
    """The request's parameters (all but `format`) bound for `query`, as every route running a
    named query binds them; 400 naming the problem."""
    return bindings(query, request.args)


def bindings(query: NamedQuery, params: MultiDict) -> dict[str, Node]:
    """The parameters `params` (all but `format`) bound for `query`; 400 naming the problem."""
    values: dict[str, str] = {}
    for key in params:
        if key == "format":
            continue
        given = params.getlist(key)
        if len(given) > 1:
            abort(400, f"parameter {key!r} is given {len(given)} times; give it once")
        values[key] = given[0]
    try:
        return query.bindings(values)
    except ParameterError as e:
        abort(400, str(e))


def run(b: Backend, ask: Ask, query: NamedQuery) -> Reply:
    """Run the named `query` with the request's parameters (SPARQL JSON unless asked)."""
    return answer(b, request_of(b, ask, query), ask.hang_up)


def request_of(b: Backend, ask: Ask, query: NamedQuery) -> QueryRequest:
    """The named `query` bound to the request's parameters, in the format it asks for, under
    the server's row limit."""
    bound = bindings(query, ask.params)
    fmt = choose_for(TABULAR, ask.params, ask.header("Accept"), fallback="json")
    return QueryRequest(
        query.text,
        tabular=fmt,
        substitutions=bound,
        max_rows=b.settings.max_rows,
        mentioned=query.mentioned(bound),
    )
