"""Blueprint `api`: the named queries of `queries/*.rq` as a web API.

Routes: `/api/queries` (the catalogue as JSON), `/api/queries/<name>?param=...` (runs the query
in the time-limited pool, parameters bound as RDF terms by the engine; SPARQL JSON unless
`?format=` or Accept asks for XML, CSV or TSV), `/api/openapi.json` (OpenAPI 3.0, generated from
the query files) and `/api` (an HTML page with a form per query).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request, url_for

from eocic_kg import __version__
from eocic_kg.catalogue import NamedQuery
from eocic_kg.results import TABULAR_FORMATS
from eocic_kg.web.answering import response
from eocic_kg.web.backend import backend
from eocic_kg.web.exchange import Ask
from eocic_kg.web.named_queries import catalogue, query_or_404, run
from eocic_kg.web.negotiation import TABULAR, names_of
from eocic_kg.web.pages import html_response
from eocic_kg.web.request_input import refuse_unknown_parameters, url_params

api = Blueprint("api", __name__)

#: Values of `?format=` -> result format (a TABULAR_FORMATS key).
_SCHEMAS: dict[str, dict[str, str]] = {
    "iri": {"type": "string", "format": "uri"},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
}


def describe(query: NamedQuery) -> dict[str, Any]:
    """The JSON description of a named query."""
    return {
        "name": query.name,
        "summary": query.summary,
        "description": query.description,
        "tags": list(query.tags),
        "parameters": [
            {
                "name": p.name,
                "type": p.kind,
                "required": p.required,
                "default": query.defaults.get(p.name),
            }
            for p in query.parameters
        ],
        "url": url_for("api.run_query", name=query.name),
    }


def default_url(query: NamedQuery) -> str:
    """The URL running `query` with its default parameter values."""
    values = {p.name: query.defaults[p.name] for p in query.parameters if p.name in query.defaults}
    url = url_for("api.run_query", name=query.name)
    return f"{url}?{urlencode(values)}" if values else url


@api.get("/api/queries")
def list_queries() -> Response:
    """The catalogue of named queries (all of them: it takes no parameter)."""
    refuse_unknown_parameters(url_params(), ())
    return jsonify([describe(q) for q in catalogue().values()])


@api.get("/api/queries/<name>")
def run_query(name: str) -> Response:
    """Run a named query with the request's parameters."""
    return response(run(backend(), Ask(request.environ), query_or_404(name)))


def _operation(query: NamedQuery) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = []
    for p in query.parameters:
        schema: dict[str, Any] = dict(_SCHEMAS[p.kind])
        if p.name in query.defaults:
            schema["default"] = query.defaults[p.name]
            if p.kind in ("integer", "decimal"):
                number = float(query.defaults[p.name])
                schema["default"] = int(number) if p.kind == "integer" else number
        parameters.append(
            {
                "name": p.name,
                "in": "query",
                "required": p.required and p.name not in query.defaults,
                "description": f"{p.kind} value bound to ?{p.variable}",
                "schema": schema,
            }
        )
    parameters.append({"$ref": "#/components/parameters/format"})
    results = {"schema": {"$ref": "#/components/schemas/SparqlResults"}}
    content = {
        media: results if fmt == "json" else {"schema": {"type": "string"}}
        for fmt, (media, _) in TABULAR_FORMATS.items()
    }
    return {
        "operationId": query.name,
        "summary": query.summary,
        "description": query.description or query.summary,
        "tags": list(query.tags) or ["queries"],
        "parameters": parameters,
        "responses": {
            "200": {"description": "The query results", "content": content},
            "400": {"$ref": "#/components/responses/Error"},
            "503": {"$ref": "#/components/responses/Error"},
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0 document of the API, generated from the query files."""
    paths: dict[str, Any] = {
        "/api/queries": {
            "get": {
                "operationId": "listQueries",
                "summary": "The named queries with their parameters",
                "responses": {
                    "200": {
                        "description": "The catalogue",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/NamedQuery"},
                                }
                            }
                        },
                    }
                },
            }
        }
    }
    for query in catalogue().values():
        paths[f"/api/queries/{query.name}"] = {"get": _operation(query)}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "EOCIC knowledge graph: named queries",
            "version": __version__,
            "description": "The competency questions of the EOCIC knowledge graph as operations. "
            "Each runs a SPARQL query of `queries/*.rq` with its parameters bound as RDF terms.",
            "license": {
                "name": "CC-BY-4.0",
                "url": "https://creativecommons.org/licenses/by/4.0/",
            },
        },
        "servers": [{"url": request.script_root or "/"}],
        "paths": paths,
        "components": {
            "parameters": {
                "format": {
                    "name": "format",
                    "in": "query",
                    "required": False,
                    "description": "Result format (overrides the Accept header)",
                    "schema": {"type": "string", "enum": names_of(TABULAR)},
                }
            },
            "responses": {
                "Error": {
                    "description": "A plain-text message naming the problem",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
            "schemas": {
                "SparqlResults": {
                    "type": "object",
                    "description": "SPARQL 1.1 Query Results JSON",
                    "properties": {
                        "head": {"type": "object"},
                        "results": {"type": "object"},
                        "boolean": {"type": "boolean"},
                    },
                    "required": ["head"],
                },
                "NamedQuery": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "summary": {"type": "string"},
                        "description": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "url": {"type": "string"},
                        "parameters": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "name": {"type": "string"},
                                    "type": {"type": "string"},
                                    "required": {"type": "boolean"},
                                    "default": {"type": "string", "nullable": True},
                                },
                            },
                        },
                    },
                },
            },
        },
    }


@api.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI document (JSON only: it takes no parameter, `format=yaml` was answered
    with JSON)."""
    refuse_unknown_parameters(url_params(), ())
    return jsonify(openapi_document())


@api.get("/api")
def index() -> Response:
    """An HTML page listing the queries, with a form per query."""
    queries = [(describe(q), default_url(q)) for q in catalogue().values()]
    return html_response("api_index.html", queries=queries, formats=names_of(TABULAR))
