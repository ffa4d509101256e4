"""The named queries this app serves (`queries/*.rq`, or the app's `EOCIC_QUERIES_DIR`), and
how a request's parameters are bound for one: shared by the API, the query page and citations."""

from __future__ import annotations

from flask import abort, current_app, request, url_for
from rdflib.term import Node

from eocic_kg.catalogue import NamedQuery, ParameterError, load_catalogue
from eocic_kg.resources import QUERIES_DIR
from eocic_kg.web.backend import backend


def catalogue() -> dict[str, NamedQuery]:
    """The named queries served by this app (kept with the derived views)."""
    directory = current_app.config.get("EOCIC_QUERIES_DIR") or QUERIES_DIR
    return backend().view(("catalogue",), lambda: load_catalogue(directory))


def query_or_404(name: str) -> NamedQuery:
    query = catalogue().get(name)
    if query is None:
        abort(404, f"no named query {name!r}; see {url_for('api.list_queries')}")
    return query


def request_bindings(query: NamedQuery) -> dict[str, Node]:
    """The request's parameters (all but `format`) bound for `query`, as every route running a
    named query binds them; 400 naming the problem."""
    values: dict[str, str] = {}
    for key in request.args:
        if key == "format":
            continue
        given = request.args.getlist(key)
        if len(given) > 1:
            abort(400, f"parameter {key!r} is given {len(given)} times; give it once")
        values[key] = given[0]
    try:
        return query.bindings(values)
    except ParameterError as e:
        abort(400, str(e))
