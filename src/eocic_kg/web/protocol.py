"""Reading a SPARQL 1.1 Protocol request without Flask: the operation, its text and its
parameters (400, 413 or 415 naming what is wrong), and the query it asks for in the formats the
client accepts. The `/sparql` route and the hot routes (`eocic_kg.web.hot`) both read requests
with these functions."""

from __future__ import annotations

from flask import abort
from werkzeug.datastructures import MultiDict

from eocic_kg.store_api import QueryRequest
from eocic_kg.web.backend import Backend
from eocic_kg.web.exchange import Ask
from eocic_kg.web.negotiation import (
    GRAPH,
    TABULAR,
    format_names,
    named_one,
    names_of,
    preferred,
)
from eocic_kg.web.request_input import one, strict_params, utf8


def sparql_operation(ask: Ask, limit: int) -> tuple[str, str, MultiDict] | None:
    """("query" | "update", text, parameters) of a SPARQL Protocol request; None for a bare
    GET (the service description). 400, 413 or 415 naming what is wrong."""
    args = ask.params
    if ask.method in ("GET", "HEAD"):
        if "update" in args:
            abort(400, "SPARQL Update must be sent with POST, not GET")
        text = one(args, "query")
        operation = None if text is None else ("query", text, args)
    else:
        operation = _posted(ask, args, limit)
    if operation is not None and len(operation[1].encode()) > limit:
        abort(413, f"the {operation[0]} is larger than the limit of {limit} bytes")
    return operation


def _posted(ask: Ask, args: MultiDict, limit: int) -> tuple[str, str, MultiDict]:
    mimetype, options = ask.content_type
    charset = options.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        abort(415, f"charset {charset!r} is not supported: SPARQL requests must be UTF-8")
    if mimetype == "application/x-www-form-urlencoded":
        params = MultiDict(args)
        params.update(strict_params(ask.body(limit), "the form body"))
        query, update = one(params, "query"), one(params, "update")
        if (query is None) == (update is None):
            abort(400, "a form request needs exactly one 'query' or 'update' parameter")
        if query is not None:
            return "query", query, params
        assert update is not None
        return "update", update, params
    for kind in ("query", "update"):
        if mimetype == f"application/sparql-{kind}":
            if "query" in args or "update" in args:
                abort(400, f"a direct POST carries the {kind} in its body, not in the URL")
            return kind, utf8(ask.body(limit), "the request body"), args
    abort(
        415,
        "POST needs Content-Type application/x-www-form-urlencoded, "
        "application/sparql-query or application/sparql-update",
    )


def result_formats(params: MultiDict, accept: str | None) -> tuple[str | None, str | None]:
    """(SELECT/ASK format, CONSTRUCT/DESCRIBE format) from `format=`/`output=` or Accept."""
    given = format_names(params, "format", "output")
    if given:
        tabular, graph = named_one(given, TABULAR), named_one(given, GRAPH)
        if tabular is None and graph is None:
            names = ", ".join(names_of(TABULAR | GRAPH))
            abort(400, f"unknown format {given[0]!r}; use one of {names}")
        return tabular, graph
    return preferred(accept, TABULAR), preferred(accept, GRAPH)


#: An update's dataset (SPARQL 1.1 Protocol 2.2.3), which a query does not take.
UPDATE_DATASET = ("using-graph-uri", "using-named-graph-uri")


def query_request(b: Backend, ask: Ask, text: str, params: MultiDict) -> QueryRequest:
    """The protocol query `text` with its parameters, in the formats the client accepts
    (406 if none), under the server's row limit. An update's dataset parameter is a 400: it
    was ignored, and the query answered over every graph."""
    if given := [name for name in UPDATE_DATASET if name in params]:
        abort(
            400,
            f"{' and '.join(given)} name an update's dataset; a query names its own with "
            "default-graph-uri and named-graph-uri (or FROM and FROM NAMED)",
        )
    tabular, graph = result_formats(params, ask.header("Accept"))
    if tabular is None and graph is None:
        abort(406, "none of the requested media types can be produced")
    return QueryRequest(
        text,
        tabular=tabular,
        graph=graph,
        default_graphs=tuple(params.getlist("default-graph-uri")),
        named_graphs=tuple(params.getlist("named-graph-uri")),
        base_iri=b.settings.base_iri + "sparql",
        max_rows=b.settings.max_rows,
    )
