"""The hot routes without Flask: SPARQL queries, named queries and resource descriptions.

Linked-data clients mostly send cheap requests (lookups, DESCRIBE, dereferencing, named
queries), and for those Flask's request context, routing and response objects cost several
times the engine (issue 23). `HotRoutes` answers them from the request's WSGI environ with the
same functions the Flask routes call (`protocol`, `answering.answer`, `named_queries.run`,
`resource_views.resource_document`), and gives the reply the same headers (`exchange.finish`).
What it does not serve (updates, the service description, HTML pages, HEAD, OPTIONS,
conditional requests other than `If-None-Match`, and 404s, which are negotiated pages) it leaves
to the Flask app by returning None.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from rdflib import URIRef
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import remove_entity_headers

from eocic_kg.web.answering import answer
from eocic_kg.web.backend import Backend
from eocic_kg.web.exchange import Ask, Reply, error_reply, failure, finish
from eocic_kg.web.http_cache import HttpCache, matches
from eocic_kg.web.named_queries import run, served
from eocic_kg.web.negotiation import PAGE, choose_for
from eocic_kg.web.protocol import query_request, sparql_operation
from eocic_kg.web.request_input import check_utf8_path
from eocic_kg.web.resource_views import found, resource_document

log = logging.getLogger(__name__)
#: Conditional headers answered by werkzeug once the body exists: such requests go to Flask.
_CONDITIONS = ("HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_RANGE")
_NAMED = "/api/queries/"
#: Resource paths the Flask app serves as they are (no empty segment: it redirects those).
_RESOURCE = re.compile(r"/id/[^/]+(?:/[^/]+)*")


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
                validators = self.cache.validators(ask.text_path, ask.query_string, accept, origin)
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
        if method == "GET" and _RESOURCE.fullmatch(path):
            return self._resource
        return None

    def _sparql(self, ask: Ask) -> Reply | None:
        b = self.backend
        operation = sparql_operation(ask, b.settings.max_query_bytes)
        if operation is None or operation[0] != "query":
            return None  # the service description, or an update: the Flask app's
        _, text, params = operation
        return answer(b, query_request(b, ask, text, params), ask.hang_up)

    def _named(self, ask: Ask) -> Reply | None:
        query = served(self.backend, self.queries).get(ask.text_path[len(_NAMED) :])
        return None if query is None else run(self.backend, ask, query)

    def _resource(self, ask: Ask) -> Reply | None:
        """A resource's description in an RDF format (its page, a kind's index and a 404 are
        the Flask app's)."""
        try:
            fmt = choose_for(PAGE, ask.params, ask.header("Accept"))
        except HTTPException:  # the app says which comes first, this or a 404
            return None
        if fmt == "html":
            return None
        rest = ask.text_path[len("/id/") :]
        around = found(self.backend.store, URIRef(self.backend.settings.base_iri + "id/" + rest))
        return None if around is None else resource_document(around, fmt)
