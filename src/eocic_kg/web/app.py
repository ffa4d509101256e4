"""The Flask application: SPARQL endpoint, Graph Store, query page, CORS and error pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.datastructures import Headers
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    PreconditionFailed,
)
from werkzeug.wrappers import Response as BaseResponse

from eocic_kg import resources
from eocic_kg.catalogue import examples as query_examples
from eocic_kg.errors import EngineError, StoreBusyError
from eocic_kg.remote import RemoteStore
from eocic_kg.settings import MiB, ServerSettings
from eocic_kg.store import Store
from eocic_kg.web.api import api
from eocic_kg.web.backend import Backend
from eocic_kg.web.chart_pages import chart_pages
from eocic_kg.web.dataset import dataset
from eocic_kg.web.exchange import Ask, allowed_origin, error_reply, failure, finish
from eocic_kg.web.graph_page import graph_pages
from eocic_kg.web.health import health
from eocic_kg.web.http_cache import (
    LIVE,
    HttpCache,
    precondition_fails,
)
from eocic_kg.web.linked_data import ld
from eocic_kg.web.named_queries import catalogue
from eocic_kg.web.pages import html_response, not_found
from eocic_kg.web.pool import ExecutorFailed, PooledStore, QueryPool, Unavailable
from eocic_kg.web.request_input import check_parsed_headers, check_utf8_path, url_params
from eocic_kg.web.search import search_pages
from eocic_kg.web.sparql import bp
from eocic_kg.web.views_cache import ViewCache
from eocic_kg.web.workbench import workbench

#: Request headers a page of an allowed origin may send with a write, beyond a read's: the
#: token, and the preconditions that keep a write from overwriting a change it did not see.
_WRITE_HEADERS = "Authorization, If-Match, If-None-Match, If-Unmodified-Since"


class _GuardedInput:
    """The WSGI input stream, whose framing errors (bad chunks, early end) become a 400."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _guard(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._stream, method)(*args)
        except HTTPException:
            raise
        except Exception as e:  # the server's parser names the framing fault
            raise BadRequest(f"the request body is malformed: {type(e).__name__} {e}") from e

    def read(self, *args: Any) -> bytes:
        return self._guard("read", *args)

    def readline(self, *args: Any) -> bytes:
        return self._guard("readline", *args)

    def readlines(self, *args: Any) -> list[bytes]:
        return self._guard("readlines", *args)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


def _guard_input(wsgi_app: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if "wsgi.input" in environ:
            environ["wsgi.input"] = _GuardedInput(environ["wsgi.input"])
        return wsgi_app(environ, start_response)

    return guarded


def create_app(
    release: Path | None = None,
    *,
    store: Store | RemoteStore | None = None,
    settings: ServerSettings | None = None,
    isolate: bool = True,
    queries_dir: Path | None = None,
    **changes: Any,
) -> Flask:
    """Build the app serving `store`, or the release file `release` (default: the bundled one).

    `settings` (default: `ServerSettings()`, with `changes` applied: a test names what it
    changes) are the limits and the write policy. A writable app needs a store opened writable
    on disk (`Store.open(path, writable=True)`). `isolate` cuts the executors off from the
    network (`eocic_kg.sandbox`); pass False only where the platform cannot (the server then
    says so, see `eocic_kg.serve`).
    """
    settings = replace(settings or ServerSettings(), **changes)
    path = None  # the release file loaded, if any: its hash names the content (HTTP caching)
    if store is None:
        path = release or resources.package_release_file()
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist: run `eocic-kg build` first")
        store = Store.from_file(path)
    writable = settings.writable
    if writable and not (isinstance(store, Store) and store.on_disk and store.writable):
        raise ValueError("writable mode needs an on-disk store opened writable")
    app = Flask(__name__)
    app.wsgi_app = _guard_input(app.wsgi_app)  # type: ignore[method-assign]
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes
    pool = QueryPool(
        store,
        size=settings.executors,
        timeout=settings.query_timeout,
        upload_timeout=settings.upload_timeout,
        cache_bytes=settings.cache_mb * MiB,
        writable=writable,
        network=isinstance(store, RemoteStore) or not isolate,
        memory_bytes=settings.memory_bytes,
    )
    pool.start()  # its zygote, while this process has one thread (see eocic_kg.web.pool)
    app.extensions["eocic"] = Backend(
        store=PooledStore(pool),
        pool=pool,
        settings=settings,
        views=ViewCache(settings.views_mb * MiB),
    )
    app.config["EOCIC_BASE_IRI"] = settings.base_iri
    app.config["EOCIC_QUERIES_DIR"] = queries_dir or resources.QUERIES_DIR
    app.register_blueprint(bp)
    app.register_blueprint(ld)
    app.register_blueprint(dataset)
    app.register_blueprint(api)
    app.register_blueprint(health)
    app.register_blueprint(graph_pages)
    app.register_blueprint(chart_pages)
    app.register_blueprint(workbench)
    app.register_blueprint(search_pages)

    @app.get("/")
    def query_page() -> Response:
        """The query page: an editor with example queries and a result table."""
        examples = list(catalogue().values()) or query_examples()
        return html_response(
            "query.html", examples=examples, writable=writable, timeout=settings.query_timeout
        )

    cache = HttpCache(pool, path, writable=writable, remote=isinstance(store, RemoteStore))
    app.extensions["eocic.http_cache"] = cache

    @app.before_request
    def sane_input() -> None:
        """Refuse a URL whose path or parameters are not UTF-8 (never read with replacements),
        and Accept or Content-Type headers too large to parse."""
        check_utf8_path()
        url_params()
        check_parsed_headers(request.headers.get)

    app.before_request(cache.before)
    app.before_request(app.extensions["eocic"].pin_generation)

    @app.after_request
    def policy(response: Response) -> Response:
        """Security, CORS and caching headers, as on every response (`exchange.finish`);
        a CORS preflight names what the origin may do; a conditional GET may become a 304,
        or a 412 (an error: without the body, not cacheable) when its If-Match or
        If-Unmodified-Since fails."""
        ask = Ask(request.environ)
        validators = g.get("http_cache")
        if validators is not None and response.status_code in (200, 304):
            failed = precondition_fails(
                request.headers.get("If-Match"),
                request.headers.get("If-Unmodified-Since"),
                validators,
                shared=cache.shared(validators[1]),
            )
            if failed is not None:
                response = http_error(PreconditionFailed(failed))  # type: ignore[assignment]
                validators = None
        live = request.endpoint in LIVE
        given, status = response.headers.to_wsgi_list(), response.status_code
        finished = finish(ask, status, given, settings, cache, validators, live=live)
        response.headers = Headers(finished)
        if request.method == "OPTIONS":
            trusted = allowed_origin(ask, settings) is not None
            methods = "GET, HEAD, POST, PUT, DELETE, OPTIONS" if trusted else "GET, HEAD, POST"
            headers = "Accept, Content-Type" + (f", {_WRITE_HEADERS}" if trusted else "")
            response.headers["Access-Control-Allow-Methods"] = methods
            response.headers["Access-Control-Allow-Headers"] = headers
            response.headers["Access-Control-Max-Age"] = "600"
        if validators is not None and "ETag" in response.headers:  # If-Match is settled
            response.make_conditional(cache.conditional_environ(request.environ, validators[1]))
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> BaseResponse:
        """Errors as short plain text that names the problem (a 404 by negotiation)."""
        if error.code == 404:
            return not_found(error)
        reply = error_reply(error)
        return Response(reply.body, status=reply.status, headers=reply.headers)

    @app.errorhandler(Unavailable)
    @app.errorhandler(StoreBusyError)
    @app.errorhandler(EngineError)
    @app.errorhandler(ExecutorFailed)
    def store_failed(error: Exception) -> BaseResponse:
        """A page whose store call failed: 503 (time limit, busy), 502 (the remote engine
        failed) or 500 (the executor failed), saying what happened; never a crash page."""
        failed = failure(error)
        assert failed is not None
        return http_error(failed)

    return app
