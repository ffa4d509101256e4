"""Blueprint `workbench`: what the query page and the API page need besides the endpoint.

Routes: `/charts` (every chart of the release, linked), `/api/vocabulary.json` (the predeclared
prefixes and the terms of the graph with their labels, for the editor's completion, and the
resources the named queries' parameter fields suggest),
`/api/cite?iri=...` and `/api/queries/<name>/cite` (BibTeX and CSL-JSON citations of the report
parts behind a resource or a named query's result), `/api/standalone` and
`/api/queries/<name>/standalone` (a query as text that runs on any SPARQL endpoint: PREFIX lines
for the predeclared prefixes it uses, a named query's parameters bound by VALUES; the query page's
"Copy with PREFIX lines"), and `/about/service-description`,
`/about/void` (the service description and the VoID description as tables; the RDF stays at
`/sparql` and `/.well-known/void`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, url_for
from rdflib import Graph
from rdflib.term import Node

from eocic_kg.catalogue import Mention, NamedQuery, Parameter, internal
from eocic_kg.citation import citations
from eocic_kg.prefixes import PREFIXES, kind_of, prefixed_name
from eocic_kg.queries import select
from eocic_kg.remote import engine_text
from eocic_kg.sparql_lexer import Analysis
from eocic_kg.store import QueryError
from eocic_kg.store_api import accepted, require_mentioned
from eocic_kg.web.answering import engine_errors
from eocic_kg.web.backend import backend, public_url
from eocic_kg.web.citing import query_citations
from eocic_kg.web.descriptions import (
    description_tables,
    service_description_graph,
    void_description_graph,
)
from eocic_kg.web.named_queries import catalogue, query_or_404, request_bindings
from eocic_kg.web.pages import html_response
from eocic_kg.web.request_input import (
    iri_param,
    one,
    refuse_unknown_parameters,
    request_body,
    strict_params,
    url_params,
)

workbench = Blueprint("workbench", __name__)
#: The readable description pages: name -> (title, endpoint of the RDF, its graph).
_DESCRIPTIONS: dict[str, tuple[str, str, Callable[[], Graph]]] = {
    "service-description": (
        "SPARQL service description",
        "sparql.sparql",
        lambda: service_description_graph(backend(), public_url("sparql.sparql")),
    ),
    "void": ("Dataset description (VoID and DCAT)", "dataset.void", void_description_graph),
}
#: The most resources a parameter's field suggests (of the class or sort it takes).
SUGGESTED = 1000
#: The internal queries whose rows are the editor's completions.
_VOCABULARY = ("vocabulary-terms", "vocabulary-resources")


def _vocabulary() -> dict[str, Any]:
    terms = []
    rows = [row for name in _VOCABULARY for row in select(internal(name), store=backend().store)]
    for row in rows:
        name = prefixed_name(row["term"])
        if name:
            entry = {"name": name, "iri": row["term"], "kind": row.get("kind", "resource")}
            entry.update({k: row[k] for k in ("label", "definition") if row.get(k)})
            terms.append(entry)
    terms.sort(key=lambda t: (t["kind"] == "resource", t["name"]))
    return {"prefixes": PREFIXES, "terms": terms, "instances": _instances()}


def _instances() -> dict[str, dict[str, Any]]:
    """What each class or sort a named query's IRI parameter takes (`#+ classes:`, `#+ takes:`;
    keyed by `Mention.takes`) accepts: `iris`, at most `SUGGESTED`, and whether it accepts
    `more`, so that the parameter's field suggests only arguments the query accepts."""
    mentions = [query.mention(p.name) for query in catalogue().values() for p in query.parameters]
    taken = {mention.takes: mention for mention in mentions if mention.takes}
    return {
        takes: accepted(backend().store, mention, SUGGESTED)._asdict()
        for takes, mention in sorted(taken.items())
    }


def vocabulary() -> dict[str, Any]:
    """The prefixes, and the terms with a prefixed name and their labels (a derived view)."""
    return backend().view(("vocabulary",), _vocabulary)


@workbench.get("/api/vocabulary.json")
def vocabulary_json() -> Response:
    """The editor's completions: prefixes and terms with labels."""
    refuse_unknown_parameters(url_params(), ())
    return jsonify(vocabulary())


@workbench.get("/api/cite")
def cite() -> Response:
    """Citations (BibTeX and CSL-JSON) of the report parts a resource comes from; an IRI that
    nothing in the graph mentions is a 400, not an empty list."""
    refuse_unknown_parameters(url_params(), ("iri",))
    iri = iri_param("iri")
    with engine_errors("query"):
        require_mentioned(backend().store, (Mention("iri", iri),))
    try:
        return jsonify(citations(backend().store, iri))
    except (ValueError, QueryError) as e:
        abort(400, str(e))


@workbench.get("/api/queries/<name>/cite")
def cite_query(name: str) -> Response:
    """Citations of the result of a named query run with the request's parameters (no
    `format=`: citations are JSON)."""
    query = query_or_404(name)
    refuse_unknown_parameters(url_params(), _parameter_names(query))
    try:
        return jsonify(query_citations(query, request_bindings(query)))
    except QueryError as e:
        abort(400, str(e))


def _parameter_names(query: NamedQuery) -> tuple[str, ...]:
    return tuple(p.name for p in query.parameters)


def standalone(text: str, bindings: Mapping[str, Node] | None = None) -> str:
    """`text` as it runs on any SPARQL endpoint, as a remote engine is sent it: parameters bound
    by a VALUES block at the start of the WHERE group, then PREFIX lines for the predeclared
    prefixes it uses without declaring them."""
    try:
        return engine_text(Analysis(text), None, bindings or {})
    except QueryError as e:
        abort(400, str(e))


def _text(body: str) -> Response:
    return Response(body, content_type="application/sparql-query; charset=utf-8")


@workbench.get("/api/queries/<name>/standalone")
def standalone_named(name: str) -> Response:
    """A named query with the request's parameters bound in its text, runnable anywhere (an
    IRI argument that nothing in the graph mentions is a 400, as when the API runs it; no
    `format=`: it is SPARQL text)."""
    query = query_or_404(name)
    refuse_unknown_parameters(url_params(), _parameter_names(query))
    bound = request_bindings(query)
    with engine_errors("query"):
        require_mentioned(backend().store, query.mentioned(bound))
    return _text(standalone(query.text, bound))


@workbench.post("/api/standalone")
def standalone_text() -> Response:
    """The form field `query` with the PREFIX lines of the predeclared prefixes it uses."""
    if request.mimetype != "application/x-www-form-urlencoded":
        abort(415, "POST the query as a form (application/x-www-form-urlencoded) field 'query'")
    params = strict_params(request_body(backend().settings.max_query_bytes), "the form body")
    text = one(params, "query")
    if text is None:
        abort(400, "the form needs a 'query' field")
    return _text(standalone(text))


@workbench.get("/about/<name>")
def about(name: str) -> Response:
    """The service description or the VoID description as a readable page: tables of its
    statements, with links to its RDF."""
    if name not in _DESCRIPTIONS:
        abort(404, f"no page {name!r}; one of {', '.join(_DESCRIPTIONS)}")
    title, endpoint, describe = _DESCRIPTIONS[name]
    path = url_for(endpoint)
    tables = backend().view(("about", name), lambda: description_tables(describe()))
    formats = [(fmt, f"{path}?format={fmt}") for fmt in ("ttl", "jsonld", "nt", "rdf")]
    return html_response("about.html", title=title, raw=path, tables=tables, links=formats)


def example_groups() -> list[tuple[str, list[NamedQuery]]]:
    """The named queries grouped by their first tag, each query once."""
    groups: dict[str, list[NamedQuery]] = {}
    for query in catalogue().values():
        groups.setdefault(query.tags[0] if query.tags else "other", []).append(query)
    return sorted(groups.items())


#: How the query page names a parameter's type.
_TYPE_WORDS = {"iri": "IRI", "string": "text", "integer": "whole number", "decimal": "number"}


@dataclass(frozen=True)
class Field:
    """A parameter of a named query as the query page's form shows it."""

    parameter: Parameter
    label: str  # readable: "Region", never the variable `_region_iri`
    hint: str  # what to give: "IRI, e.g. of a region", "number"
    value: str  # the default, or ""
    kind: str  # the kind of resource an IRI parameter takes ("region"), for suggestions
    takes: str  # what it takes (`Mention.takes`: a class, a sort), keying its suggestions, or ""


def parameter_fields(query: NamedQuery) -> list[Field]:
    """The form fields of `query`'s parameters, filled with its defaults."""
    fields = []
    for p in query.parameters:
        value = query.defaults.get(p.name, "")
        kind = (kind_of(value) or "") if p.kind == "iri" else ""
        hint = f"IRI, e.g. of a {kind.replace('-', ' ')}" if kind else _TYPE_WORDS[p.kind]
        label = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", p.name).capitalize()  # minPercent: Min percent
        hint += "" if p.required else ", optional"
        fields.append(Field(p, label, hint, value, kind, query.mention(p.name).takes))
    return fields


@workbench.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "example_groups": example_groups,
        "parameter_fields": parameter_fields,
        "predeclared_prefixes": PREFIXES,
    }
