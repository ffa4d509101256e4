"""Reading a SPARQL 1.1 Protocol request without Flask: the operation, its text and its
parameters (400, 413 or 415 naming what is wrong), and the query it asks for in the formats the
client accepts. The `/sparql` route and the hot routes (`eocic_kg.web.hot`) both read requests
with these functions."""

from __future__ import annotations

from flask import abort
from werkzeug.datastructures import MultiDict

from eocic_kg.store_api import QueryRequest, from_graphs, missing_graph, own_graph
from eocic_kg.web.answering import engine_errors
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
from eocic_kg.web.request_input import one, refuse_misspelt, strict_params, utf8


def sparql_operation(ask: Ask, limit: int) -> tuple[str, str, MultiDict] | None:
    """("query" | "update", text, parameters) of a SPARQL Protocol request; None for a bare
    GET (the service description). 400, 413 or 415 naming what is wrong."""
    args = ask.params
    if ask.method in ("GET", "HEAD"):
        if "update" in args:
            abort(400, "SPARQL Update must be sent with POST, not GET")
        text = one(args, "query")
        if text is None:
            refuse_misspelt(args, ("query", "update"), "the SPARQL protocol's")
            if given := [name for name in QUERY_DATASET if name in args]:
                abort(400, f"{' and '.join(given)} given without a 'query' parameter")
        operation = None if text is None else ("query", text, args)
    else:
        operation = _posted(ask, args, limit)
    if operation is not None:
        # a byte order mark (a query file saved by a Windows editor, sent as it is) is no part
        # of the text: the engine read it as a stray character, with an error about COUNT
        kind, text, params = operation
        operation = kind, text.removeprefix("\ufeff"), params
        if kind == "query":
            refuse_misspelt(params, QUERY_PARAMETERS, "the SPARQL protocol's", UPDATE_DATASET)
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
#: A query's dataset (SPARQL 1.1 Protocol 2.1.4).
QUERY_DATASET = ("default-graph-uri", "named-graph-uri")
#: The parameters a query request is read with (other ones are let through: clients send
#: their own, such as SPARQLWrapper's `results=` or Virtuoso's `timeout=`).
QUERY_PARAMETERS = ("query", *QUERY_DATASET, "format", "output")


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
    default_graphs = tuple(params.getlist("default-graph-uri"))
    named_graphs = tuple(params.getlist("named-graph-uri"))
    _require_graphs(b, dataset_to_check(b, text, params))
    return QueryRequest(
        text,
        tabular=tabular,
        graph=graph,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        base_iri=b.settings.base_iri + "sparql",
        max_rows=b.settings.max_rows,
    )


def dataset_to_check(b: Backend, text: str, params: MultiDict) -> list[str]:
    """The graphs of the query's dataset that the store must be asked for (`_require_graphs`):
    the hot routes leave a query with any to the Flask app, whose thread may wait for the
    pool, as the event loop must not."""
    names = (*params.getlist("default-graph-uri"), *params.getlist("named-graph-uri"))
    return [
        n
        for n in dict.fromkeys((*names, *from_graphs(text)))
        if own_graph(n, b.settings.base_iri) is not None
    ]


def _require_graphs(b: Backend, names: list[str]) -> None:
    """400 for a graph of the request's dataset that the store lacks and that cannot be a graph
    of elsewhere (`store_api.missing_graph`: a prefixed name such as `eocic:ontology`, read as
    an IRI of the scheme `eocic`, or an IRI under this server's base): it answered 200 with no
    rows, as if the data said nothing."""
    with engine_errors("query"):  # an invalid IRI is the engine's 400
        missing = missing_graph(b.store, names, b.settings.base_iri)
    if missing:
        abort(
            400,
            f"{missing}: a query's dataset (default-graph-uri, named-graph-uri, FROM, FROM "
            "NAMED) names graphs by their full IRIs (this server's are listed by its service "
            "description, GET /sparql)",
        )
