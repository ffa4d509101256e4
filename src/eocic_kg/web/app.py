"""The Flask application: SPARQL endpoint, Graph Store, query page, CORS and error pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from eocic_kg import resources
from eocic_kg.remote import RemoteStore
from eocic_kg.store import Store
from eocic_kg.web.api import api
from eocic_kg.web.exports import exports
from eocic_kg.web.health import health
from eocic_kg.web.pool import QueryPool
from eocic_kg.web.resources import DEFAULT_BASE_IRI, ld
from eocic_kg.web.sparql import Backend, bp
from eocic_kg.web.workbench import workbench

_HEADER = re.compile(r"^#\+\s*([\w-]+)\s*:\s*(.*?)\s*$", re.MULTILINE)
_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'"


@dataclass(frozen=True)
class Example:
    """A query offered on the query page."""

    name: str
    summary: str
    text: str


BUILT_IN_EXAMPLES = [
    Example(
        "graphs",
        "Named graphs and their sizes",
        "SELECT ?graph (COUNT(*) AS ?triples)\nWHERE { GRAPH ?graph { ?s ?p ?o } }\n"
        "GROUP BY ?graph\nORDER BY DESC(?triples)\n",
    ),
    Example(
        "classes",
        "Classes with their number of instances",
        "SELECT ?class (COUNT(DISTINCT ?s) AS ?instances)\nWHERE { ?s a ?class }\n"
        "GROUP BY ?class\nORDER BY DESC(?instances)\nLIMIT 50\n",
    ),
    Example(
        "labels",
        "Resources and their English labels",
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n\n"
        "SELECT ?resource ?label\nWHERE {\n  ?resource rdfs:label ?label\n"
        '  FILTER(langMatches(lang(?label), "en"))\n}\n'
        "ORDER BY ?label\nLIMIT 100\n",
    ),
]


def load_examples(directory: Path) -> list[Example]:
    """The named queries `directory/*.rq` (summary from their `#+ summary:` header)."""
    examples = []
    for path in sorted(directory.glob("*.rq")) if directory.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        header = dict(_HEADER.findall(text))
        examples.append(Example(path.stem, header.get("summary", path.stem), text))
    return examples


def create_app(
    release: Path | None = None,
    *,
    store: Store | RemoteStore | None = None,
    writable: bool = False,
    query_timeout: float = 5.0,
    max_query_bytes: int = 64 * 1024,
    max_upload_bytes: int = 256 * 1024 * 1024,
    executors: int = 4,
    queries_dir: Path | None = None,
    base_iri: str = DEFAULT_BASE_IRI,
    max_rows: int | None = 10_000,
    cache_mb: int = 0,
) -> Flask:
    """Build the app serving `store`, or the release file `release` (default: the bundled one).

    `base_iri` is the namespace of the served IRIs: `/id/x` describes `{base_iri}id/x`.
    `max_rows` bounds SELECT results; a cut result says so (header `X-EOCIC-Truncated: true`).
    Request bodies above `max_upload_bytes` get 413; every HTML page gets a CSP.
    """
    if store is None:
        path = release or resources.release_file()
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist: run `eocic-kg build` first")
        store = Store.from_file(path)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = max_upload_bytes
    app.extensions["eocic"] = Backend(
        store=store,
        pool=QueryPool(store, size=executors, timeout=query_timeout, cache_bytes=cache_mb * 2**20),
        writable=writable,
        max_query_bytes=max_query_bytes,
        max_rows=max_rows,
    )
    app.config["EOCIC_BASE_IRI"] = base_iri
    app.config["EOCIC_QUERIES_DIR"] = queries_dir or resources.QUERIES_DIR
    app.register_blueprint(bp)
    app.register_blueprint(ld)
    app.register_blueprint(api)
    app.register_blueprint(health)
    app.register_blueprint(exports)
    app.register_blueprint(workbench)
    examples = load_examples(queries_dir or resources.QUERIES_DIR) or BUILT_IN_EXAMPLES

    @app.get("/")
    def query_page() -> Response:
        """The query page: an editor with example queries and a result table."""
        html = render_template(
            "query.html", examples=examples, writable=writable, timeout=query_timeout
        )
        response = Response(html, content_type="text/html; charset=utf-8")
        response.headers["Content-Security-Policy"] = _CSP
        return response

    @app.after_request
    def cors(response: Response) -> Response:
        """Let browser tools on any origin use the endpoint."""
        response.headers["Access-Control-Allow-Origin"] = "*"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
            response.headers["Access-Control-Max-Age"] = "86400"
        return response

    @app.after_request
    def security_headers(response: Response) -> Response:
        """A CSP on every HTML page; let browsers read the truncation headers."""
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Access-Control-Expose-Headers"] = "X-EOCIC-Truncated, X-EOCIC-Max-Rows"
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> BaseResponse:
        """Errors as short plain text that names the problem."""
        response = error.get_response()
        response.set_data(f"{error.code} {error.name}: {error.description}\n")
        response.content_type = "text/plain; charset=utf-8"
        return response

    return app
