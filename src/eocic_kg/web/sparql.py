"""SPARQL 1.1 Protocol at /sparql and Graph Store HTTP Protocol at /store.

Every operation runs in the `QueryPool`'s executors (time-limited, no network). Writes need
the writable mode, an allowed browser origin (no cross-site writes) and, when configured, a
bearer token. Request text must be UTF-8: invalid bytes are a 400, never silently replaced;
size limits are enforced while the body is read.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.http import parse_etags

from eocic_kg.errors import NotAcceptableError
from eocic_kg.prefixes import expand_iri
from eocic_kg.results import GRAPH_FORMATS
from eocic_kg.store_api import UpdateRequest
from eocic_kg.web.answering import answer, engine_errors, response, with_charset
from eocic_kg.web.backend import Backend, backend, public_url
from eocic_kg.web.descriptions import service_description_graph
from eocic_kg.web.exchange import Ask
from eocic_kg.web.http_cache import HttpCache, of_state, precondition_fails
from eocic_kg.web.negotiation import GRAPH, choose
from eocic_kg.web.protocol import UPDATE_DATASET, query_request, sparql_operation
from eocic_kg.web.request_input import refuse_unknown_parameters, request_body, url_params
from eocic_kg.web.write_guard import guard_write

bp = Blueprint("sparql", __name__)

_RDFLIB_FORMATS = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}


@contextmanager
def one_write(b: Backend) -> Iterator[None]:
    """This process's turn to write (every write takes it): a Graph Store write checks its
    preconditions and writes with no other write in between. 503 if another write holds it
    past the query time limit, as the pool says of its own turn."""
    if not b.write_lock.acquire(timeout=b.settings.query_timeout):
        abort(503, "another write is running; try again later")
    try:
        yield
    finally:
        b.write_lock.release()


#: The parameters of an update request (SPARQL 1.1 Protocol 2.2): a query's dataset
#: (`default-graph-uri`, `named-graph-uri`), ignored, let its WHERE read other graphs unsaid.
_UPDATE_PARAMETERS = ("update", *UPDATE_DATASET)


def _update(b: Backend, text: str, params: MultiDict) -> Response:
    guard_write(b)
    refuse_unknown_parameters(params, _UPDATE_PARAMETERS)
    with one_write(b), engine_errors("update"):
        b.store.update(
            UpdateRequest(
                text,
                using_graphs=tuple(params.getlist("using-graph-uri")),
                using_named_graphs=tuple(params.getlist("using-named-graph-uri")),
                base_iri=public_url("sparql.sparql"),
            )
        )
    return Response(status=204)


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """The SPARQL 1.1 Protocol endpoint; a bare GET returns the service description."""
    b = backend()
    ask = Ask(request.environ, read_body=request_body)
    operation = sparql_operation(ask, b.settings.max_query_bytes)
    if operation is None:
        return service_description(b)
    kind, text, params = operation
    if kind == "query":
        return response(answer(b, query_request(b, ask, text, params), ask.hang_up))
    return _update(b, text, params)


def service_description(b: Backend) -> Response:
    """The SPARQL 1.1 Service Description, Turtle unless `?format=` or Accept asks for another
    RDF format; a browser (Accept prefers HTML) is sent to the query page. The endpoint is
    named by the configured base IRI, not by the request's `Host`."""
    fmt = choose(GRAPH | {"html"}, fallback="turtle")
    if fmt == "html":
        response = Response(status=303, headers={"Location": url_for("query_page")})
        response.vary.add("Accept")
        return response
    endpoint = public_url("sparql.sparql")
    body = b.view(
        ("service-description", fmt),
        lambda: service_description_graph(b, endpoint).serialize(
            format=_RDFLIB_FORMATS[fmt], encoding="utf-8"
        ),
    )
    response = Response(body, content_type=with_charset(GRAPH_FORMATS[fmt][0]))
    response.vary.add("Accept")
    return response


def _target_graph() -> str | None:
    """The graph named by ?default or ?graph=IRI (Graph Store Protocol): an absolute IRI or a
    prefixed name, read as every IRI input is (`expand_iri`); 400 for anything else."""
    params = url_params()
    graph, default = params.getlist("graph"), "default" in params
    if default == bool(graph) or len(graph) > 1:
        abort(400, "name exactly one graph: ?default or ?graph=IRI")
    if default:
        return None
    try:
        return expand_iri(graph[0], "graph")
    except ValueError as e:
        abort(400, str(e))


@bp.route("/store", methods=["GET", "PUT", "POST", "DELETE"])
def graph_store() -> Response:
    """SPARQL 1.1 Graph Store HTTP Protocol; writes need the writable mode."""
    b = backend()
    reads = request.method in ("GET", "HEAD")
    if not reads:  # a write that may not be made is refused as such, whatever it names
        guard_write(b)
    name = _target_graph()
    if reads:
        fmt = choose(GRAPH)
        with engine_errors("request"):
            if not b.store.has_graph(name):
                abort(404, f"no graph named {name}")
            body = b.store.serialize_graph(name, fmt)
        return Response(body, content_type=with_charset(GRAPH_FORMATS[fmt][0]))
    with engine_errors("graph"):
        if request.method == "DELETE":
            with one_write(b):
                if not b.store.has_graph(name):
                    abort(404, f"no graph named {name}")
                _preconditions(exists=True)
                if not b.store.drop_graph(name):
                    abort(404, f"no graph named {name}")
            return Response(status=204)
        _utf8_upload()
        try:
            with _spooled_body(b.settings.max_upload_bytes) as upload, one_write(b):
                _preconditions(exists=b.store.has_graph(name))
                created = b.store.load_graph(
                    name, upload, request.mimetype, replace=request.method == "PUT"
                )
        except NotAcceptableError as e:
            abort(415, str(e))
    return Response(status=201 if created else 204)


def _preconditions(*, exists: bool) -> None:
    """412 unless the write's `If-Match`, `If-Unmodified-Since` and `If-None-Match` hold for
    the graph as a GET would find it now (RFC 9110 13.2.2; `exists`: whether it does), so
    that a client that read a graph and writes it back conditionally never overwrites a
    change it did not see, and `If-None-Match: *` creates a graph only if there is none. A
    tag holds if it names the graph's current state in any format (the write's own `Accept`
    need not be the read's)."""
    headers = request.headers
    if_match, if_none_match = headers.get("If-Match"), headers.get("If-None-Match")
    since = headers.get("If-Unmodified-Since")
    if if_match is None and if_none_match is None and since is None:
        return
    cache: HttpCache = current_app.extensions["eocic.http_cache"]
    accept, origin = headers.get("Accept", ""), headers.get("Origin", "")
    found = cache.validators(request.path, request.query_string, accept, origin)
    found = found if exists else None
    if found is None and if_match is not None:
        abort(412, "If-Match: there is no such graph")
    if found is not None and (
        failed := precondition_fails(
            if_match, since, found, shared=cache.shared(found[1]), any_representation=True
        )
    ):
        abort(412, failed)
    if if_none_match is not None and exists:
        tags = parse_etags(if_none_match)
        states = {of_state(tag) for tag in tags.as_set(include_weak=True)}
        if tags.star_tag or (found is not None and of_state(found[0]) in states):
            abort(412, "If-None-Match: the graph exists (or is as that tag says)")


def _utf8_upload() -> None:
    """415 for an upload that declares a charset other than UTF-8: its engine reads every RDF
    body as UTF-8, so a Latin-1 body whose bytes happen to be valid UTF-8 would be stored as
    other text than its client sent ("cafÃ©" as "café"), unsaid."""
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        abort(415, f"charset {charset!r} is not supported: Graph Store uploads must be UTF-8")


@contextmanager
def _spooled_body(limit: int) -> Iterator[Path]:
    """The request body in a temporary file, read a piece at a time (413 past `limit` bytes):
    an upload is never held whole in memory, here or in the executor that loads it."""
    with tempfile.NamedTemporaryFile(prefix="eocic-upload-") as spool:
        size = 0
        while piece := request.stream.read(2**20):
            size += len(piece)
            if size > limit:
                abort(413, f"the request body is larger than the limit of {limit} bytes")
            spool.write(piece)
        spool.flush()
        yield Path(spool.name)
