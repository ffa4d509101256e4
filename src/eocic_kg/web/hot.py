"""The hot routes without Flask: SPARQL queries, named queries and resource descriptions.

Linked-data clients mostly send cheap requests (lookups, DESCRIBE, dereferencing, named
queries), and for those Flask's request context, routing and response objects cost several
times the engine (issue 23). `HotRoutes` answers them from the request's WSGI environ with the
same functions the Flask routes call (`protocol`, `answering.answer`, `named_queries.run`,
`resource_views.description`), and gives the reply the same headers (`exchange.finish`).
What it does not serve (updates, the service description, HTML pages, HEAD, OPTIONS,
conditional requests other than `If-None-Match`, and 404s, which are negotiated pages) it leaves
to the Flask app by returning None.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rdflib import URIRef
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import remove_entity_headers

from eocic_kg.results import Result
from eocic_kg.store_api import QueryRequest
from eocic_kg.web.answering import answered
from eocic_kg.web.backend import Backend
from eocic_kg.web.exchange import Ask, Reply, error_reply, failure, finish
from eocic_kg.web.http_cache import HttpCache, matches
from eocic_kg.web.named_queries import request_of, served
from eocic_kg.web.pool import Streamed
from eocic_kg.web.protocol import dataset_to_check, query_request, sparql_operation
from eocic_kg.web.request_input import check_parsed_headers, check_utf8_path
from eocic_kg.web.resource_views import asked_description

log = logging.getLogger(__name__)
#: Conditional headers answered by werkzeug once the body exists: such requests go to Flask.
_CONDITIONS = ("HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_RANGE")
_NAMED = "/api/queries/"
#: Resource paths the Flask app serves as they are (no empty segment: it redirects those).
_RESOURCE = re.compile(r"/id/[^/]+(?:/[^/]+)*")


Validators = tuple[str, datetime]


@dataclass
class Pending:
    """A request whose reply waits for its query (under the server's row limit)."""

    ask: Ask
    query: QueryRequest
    validators: Validators | None = None


_Routed = Reply | Pending | None


class HotRoutes:
    """Answers the hot requests to the Flask `app` from their environ (None: not one of
    them, or one the app answers, such as a 404)."""

    def __init__(self, app: Any) -> None:
        self.backend: Backend = app.extensions["eocic"]
        self.cache: HttpCache = app.extensions["eocic.http_cache"]
        self.queries = app.config["EOCIC_QUERIES_DIR"]

    def __call__(self, environ: dict[str, Any]) -> Reply | None:
        """The reply, from a request thread (the pool's calls block)."""
        started = self.start(environ)
        if not isinstance(started, Pending):
            return started
        pool, hang_up = self.backend.pool, started.ask.hang_up
        return self.settle(started, lambda: pool.stream(started.query, client=hang_up))

    async def now(
        self, environ: dict[str, Any], gone: asyncio.Future[None], client: Callable[[], int]
    ) -> Reply | None:
        """The reply to a SPARQL or named query, on the event loop with no thread, when an
        executor is free now (`QueryPool.stream_now`; `gone`, `client`: the client's hang-up,
        as there); None: answer the request with `__call__` in a thread."""
        if self.backend.pool.writable or self._route(environ) not in (self._sparql, self._named):
            return None  # resources call the pool as they go; a writable pool's reads wait
        started = self.start(environ)
        if not isinstance(started, Pending):
            return started
        try:
            result = await self.backend.pool.stream_now(started.query, gone, client)
        except Exception as e:
            error = e

            def run() -> Any:
                raise error

            return self.settle(started, run)
        return None if result is None else self.settle(started, lambda: result)

    def start(self, environ: dict[str, Any]) -> Reply | Pending | None:
        """The reply, or the query it waits for (None: the Flask app's request)."""
        route = self._route(environ)
        if route is None:
            return None
        ask = Ask(environ)
        validators = None

        def routed() -> Reply | Pending | None:
            nonlocal validators
            check_utf8_path(ask.path)
            ask.params  # noqa: B018 - a 400 for a query string that is not UTF-8, first
            check_parsed_headers(ask.header)  # as the Flask app, in the same order
            if ask.method == "GET":
                accept, origin = ask.header("Accept") or "", ask.header("Origin") or ""
                validators = self.cache.validators(ask.text_path, ask.query_string, accept, origin)
            if validators is not None and matches(ask.header("If-None-Match"), validators[0]):
                return Reply(304)
            return route(ask)

        reply = self._guarded(ask, routed)
        if isinstance(reply, Pending):
            reply.validators = validators
            return reply
        return None if reply is None else self._finished(ask, reply, validators)

    def settle(self, pending: Pending, run: Callable[[], Result | Streamed]) -> Reply:
        """The reply of `pending` once `run` gives its result (or raises)."""
        reply = self._guarded(pending.ask, lambda: answered(self.backend, run))
        assert isinstance(reply, Reply)
        return self._finished(pending.ask, reply, pending.validators)

    def _guarded(self, ask: Ask, route: Callable[[], _Routed]) -> _Routed:
        """What `route` answers; an HTTP error as the Flask app answers it (a 404: None, the
        app's negotiated page)."""
        try:
            return route()
        except HTTPException as e:
            return None if e.code == 404 else error_reply(e)
        except Exception as e:  # as the Flask app answers what a route did not expect
            log.exception("%s %s", ask.method, ask.path)
            return error_reply(failure(e) or InternalServerError())

    def _finished(self, ask: Ask, reply: Reply, validators: Validators | None) -> Reply:
        b = self.backend
        reply.headers = finish(ask, reply.status, reply.headers, b.settings, self.cache, validators)
        if reply.status == 304:  # as werkzeug sends one: no entity headers
            remove_entity_headers(reply.headers)
        return reply

    def _route(self, environ: dict[str, Any]) -> Callable[[Ask], _Routed] | None:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if method not in ("GET", "POST") or any(c in environ for c in _CONDITIONS):
            return None
        if "*" in environ.get("HTTP_IF_NONE_MATCH", ""):  # werkzeug answers it, with the body
            return None
        if path == "/sparql":
            return self._sparql
        if method == "GET" and path.startswith(_NAMED) and "/" not in path[len(_NAMED) :]:
            return self._named
        if method == "GET" and _RESOURCE.fullmatch(path):
            return self._resource
        return None

    def _sparql(self, ask: Ask) -> Pending | None:
        b = self.backend
        operation = sparql_operation(ask, b.settings.max_query_bytes)
        if operation is None or operation[0] != "query":
            return None  # the service description, or an update: the Flask app's
        _, text, params = operation
        if dataset_to_check(b, text, params):
            return None  # the store is asked whether they exist: not on the event loop
        return Pending(ask, query_request(b, ask, text, params))

    def _named(self, ask: Ask) -> Pending | None:
        query = served(self.backend, self.queries).get(ask.text_path[len(_NAMED) :])
        return None if query is None else Pending(ask, request_of(self.backend, ask, query))

    def _resource(self, ask: Ask) -> Reply | None:
        """A resource's description in an RDF format (its page, a kind's index, a 404 and a
        format error are the Flask app's)."""
        node = URIRef(self.backend.settings.base_iri + ask.text_path[1:])
        return asked_description(self.backend, node, ask.params, ask.header("Accept"))
