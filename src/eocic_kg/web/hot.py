"""The hot routes without Flask: SPARQL queries and named queries, answered from the environ.

Linked-data clients mostly send cheap requests (lookups, DESCRIBE, named queries), and for
those Flask's request context, routing and response objects cost several times the engine
(issue 23). `HotRoutes` answers them from the request's WSGI environ with the same functions
the Flask routes call (`sparql_operation`, `query_request`, `answer`, `named_query`), and gives
the reply the same headers (`exchange.finish`); whatever it does not serve (updates, the
service description, HEAD, OPTIONS, conditional requests other than `If-None-Match`, a 404, which
is negotiated as a page) it leaves to the Flask app by returning None.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from flask import abort
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
)
from werkzeug.http import remove_entity_headers

from eocic_kg.catalogue import NamedQuery, ParameterError, load_catalogue
from eocic_kg.errors import EngineError, NotAcceptableError, QueryError, StoreBusyError
from eocic_kg.store_api import QueryRequest
from eocic_kg.web.backend import Backend
from eocic_kg.web.exchange import Ask, Reply, error_reply, failure, finish
from eocic_kg.web.http_cache import HttpCache, matches
from eocic_kg.web.negotiation import GRAPH, TABULAR, choose_for, named, names_of, preferred
from eocic_kg.web.pool import ClientGone, ExecutorFailed, Streamed, Unavailable
from eocic_kg.web.request_input import check_utf8_path, one, strict_params, utf8

log = logging.getLogger(__name__)
#: Conditional headers answered by werkzeug once the body exists: such requests go to Flask.
_CONDITIONS = ("HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_RANGE")
_NAMED = "/api/queries/"


# --- the cores, shared with the Flask routes ---------------------------------------------------


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
    name = params.get("format") or params.get("output")
    if name:
        tabular, graph = named(name, TABULAR), named(name, GRAPH)
        if tabular is None and graph is None:
            names = ", ".join(names_of(TABULAR | GRAPH))
            abort(400, f"unknown format {name!r}; use one of {names}")
        return tabular, graph
    return preferred(accept, TABULAR), preferred(accept, GRAPH)


def query_request(b: Backend, ask: Ask, text: str, params: MultiDict) -> QueryRequest:
    """The protocol query `text` with its parameters, in the formats the client accepts
    (406 if none)."""
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
    )


def answer(b: Backend, query: QueryRequest, client: Any = None) -> Reply:
    """Run `query` in the pool under the server's row limit; the reply streams a large result.

    Errors become 400 (bad query), 406 (no acceptable format), 503 (time limit, busy, the
    client hung up), 502 (a remote engine failed) or 500 (the executor failed); a result cut
    at `max_rows` says so in its headers. `client` tells the pool when the client hangs up.
    """
    with engine_errors("query"):
        result = b.pool.stream(replace(query, max_rows=b.settings.max_rows), client=client)
    body: bytes | Streamed
    if isinstance(result, Streamed):
        meta, size, body = result.result, result.size, result
    else:
        meta, size, body = result, len(result.body), result.body
    text = meta.media_type.startswith("text/")
    headers = [
        ("Content-Type", f"{meta.media_type}; charset=utf-8" if text else meta.media_type),
        ("Content-Length", str(size)),
        ("Vary", "Accept"),
    ]
    if meta.truncated:
        headers += [("X-EOCIC-Truncated", "true"), ("X-EOCIC-Max-Rows", str(b.settings.max_rows))]
    return Reply(200, headers, body)


@contextmanager
def engine_errors(what: str) -> Iterator[None]:
    """Turn the errors of a store operation into HTTP errors that say what to do."""
    try:
        yield
    except StoreBusyError as e:
        abort(503, str(e))
    except QueryError as e:
        abort(400, f"malformed or refused {what}: {e}")
    except EngineError as e:  # the remote engine's failure, not ours: a bad gateway
        abort(502, str(e))
    except NotAcceptableError as e:
        abort(406, f"no acceptable media type for {e}")
    except Unavailable as e:
        abort(503, str(e))
    except ExecutorFailed as e:
        abort(500, str(e))
    except ClientGone as e:  # nobody reads this answer; the access log shows it
        abort(503, str(e))


def catalogue(b: Backend, directory: Any) -> dict[str, NamedQuery]:
    """The named queries of `directory` (kept with the derived views)."""
    return b.view(("catalogue",), lambda: load_catalogue(directory))


def query_bindings(query: NamedQuery, params: MultiDict) -> dict[str, Any]:
    """The parameters (all but `format`) bound for the named `query`; 400 naming the problem."""
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


def named_query(b: Backend, ask: Ask, query: NamedQuery) -> Reply:
    """Run the named `query` with the request's parameters (SPARQL JSON unless asked)."""
    bindings = query_bindings(query, ask.params)
    fmt = choose_for(TABULAR, ask.params, ask.header("Accept"), fallback="json")
    return answer(b, QueryRequest(query.text, tabular=fmt, substitutions=bindings), ask.hang_up)


# --- the dispatcher --------------------------------------------------------------------------


class HotRoutes:
    """Answers the hot requests to the Flask `app` from their environ (None: not one of
    them, or one the app answers, such as a 404)."""

    def __init__(self, app: Any) -> None:
        self.backend: Backend = app.extensions["eocic"]
        self.cache: HttpCache = app.extensions["eocic.http_cache"]
        self.queries = app.config["EOCIC_QUERIES_DIR"]

    def __call__(self, environ: dict[str, Any]) -> Reply | None:
        route = self._route(environ)
        if route is None:
            return None
        ask = Ask(environ)
        validators = None
        try:
            check_utf8_path(ask.path)
            ask.params  # noqa: B018 - a 400 for a query string that is not UTF-8, first
            if ask.method == "GET":
                accept, origin = ask.header("Accept") or "", ask.header("Origin") or ""
                validators = self.cache.validators(ask.path, ask.query_string, accept, origin)
            if validators is not None and matches(ask.header("If-None-Match"), validators[0]):
                reply: Reply | None = Reply(304)
            else:
                reply = route(ask)
        except HTTPException as e:
            if e.code == 404:
                return None
            reply = error_reply(e)
        except Exception as e:  # as the Flask app answers what a route did not expect
            log.exception("%s %s", ask.method, ask.path)
            reply = error_reply(failure(e) or InternalServerError())
        if reply is None:
            return None
        b = self.backend
        reply.headers = finish(ask, reply.status, reply.headers, b.settings, self.cache, validators)
        if reply.status == 304:  # as werkzeug sends one: no entity headers
            remove_entity_headers(reply.headers)
        return reply

    def _route(self, environ: dict[str, Any]) -> Callable[[Ask], Reply | None] | None:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if method not in ("GET", "POST") or any(c in environ for c in _CONDITIONS):
            return None
        if "*" in environ.get("HTTP_IF_NONE_MATCH", ""):  # werkzeug answers it, with the body
            return None
        if path == "/sparql":
            return self._sparql
        if method == "GET" and path.startswith(_NAMED) and "/" not in path[len(_NAMED) :]:
            return self._named
        return None

    def _sparql(self, ask: Ask) -> Reply | None:
        b = self.backend
        operation = sparql_operation(ask, b.settings.max_query_bytes)
        if operation is None or operation[0] != "query":
            return None  # the service description, or an update: the Flask app's
        _, text, params = operation
        return answer(b, query_request(b, ask, text, params), ask.hang_up)

    def _named(self, ask: Ask) -> Reply | None:
        query = catalogue(self.backend, self.queries).get(ask.path[len(_NAMED) :])
        return None if query is None else named_query(self.backend, ask, query)
