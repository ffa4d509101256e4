"""Blueprint `workbench`: what the query page and the API page need besides the endpoint.

Routes: `/charts` (every chart of the release, linked), `/api/vocabulary.json` (the predeclared
prefixes and the terms of the graph with their labels, for the editor's completion),
`/api/cite?iri=...` and `/api/queries/<name>/cite` (BibTeX and CSL-JSON citations of the report
parts behind a resource or a named query's result), and `/about/service-description`,
`/about/void` (the service description and the VoID description as readable pages; the RDF
stays at `/sparql` and `/.well-known/void`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for

from eocic_kg.catalogue import NamedQuery, ParameterError, internal
from eocic_kg.citation import citations
from eocic_kg.prefixes import PREFIXES, kind_of, prefixed_name
from eocic_kg.queries import select
from eocic_kg.store import QueryError
from eocic_kg.store_api import QueryRequest
from eocic_kg.web.api import catalogue
from eocic_kg.web.backend import backend
from eocic_kg.web.pages import html_response

workbench = Blueprint("workbench", __name__)
_lock = threading.Lock()
#: Kinds of IRIs that are parts of the report (what a citation points at).
PART_KINDS = {"report", "section", "footnote", "figure", "table"}
#: The internal queries whose rows are the editor's completions.
_VOCABULARY = ("vocabulary-terms", "vocabulary-resources")


def vocabulary() -> dict[str, Any]:
    """The prefixes, and the terms with a prefixed name and their labels (cached per store
    content)."""
    b = backend()
    cache = current_app.extensions.setdefault("eocic-workbench", {})
    key = (id(b.store), b.pool.generation)
    with _lock:
        if cache.get("key") != key:
            terms = []
            rows = [row for name in _VOCABULARY for row in select(internal(name), store=b.store)]
            for row in rows:
                name = prefixed_name(row["term"])
                if name:
                    entry = {"name": name, "iri": row["term"], "kind": row.get("kind", "resource")}
                    entry.update({k: row[k] for k in ("label", "definition") if row.get(k)})
                    terms.append(entry)
            terms.sort(key=lambda t: (t["kind"] == "resource", t["name"]))
            cache.update(key=key, vocabulary={"prefixes": PREFIXES, "terms": terms})
        return cache["vocabulary"]


@workbench.get("/api/vocabulary.json")
def vocabulary_json() -> Response:
    """The editor's completions: prefixes and terms with labels."""
    response = jsonify(vocabulary())
    response.cache_control.max_age = 300
    return response


@workbench.get("/api/cite")
def cite() -> Response:
    """Citations (BibTeX and CSL-JSON) of the report parts a resource comes from."""
    iri = request.args.get("iri", "")
    try:
        return jsonify(citations(backend().store, iri))
    except (ValueError, QueryError) as e:
        abort(400, str(e))


def resource_citations(iri: str) -> list[dict[str, Any]]:
    """The citations shown in the "Cite" block of a resource page (none if they fail)."""
    try:
        return citations(backend().store, iri)
    except (ValueError, QueryError):
        return []


def _iris(rows: Iterable[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for term in row.values():
            if term.get("type") == "uri":
                seen.setdefault(term["value"], None)
    return list(seen)


def query_citations(query: NamedQuery, values: dict[str, str], limit: int = 10) -> list[dict]:
    """Citations of a named query's result: the report parts in its rows (with the row's quote),
    else the parts its resources come from."""
    b = backend()
    request = QueryRequest(
        query.text, graph=None, substitutions=query.bindings(values), max_rows=b.settings.max_rows
    )
    result = b.pool.query(request)
    rows = json.loads(result.body).get("results", {}).get("bindings", [])
    found: list[dict] = []
    quotes: dict[str, str] = {}
    for row in rows:
        for term in row.values():
            if term.get("type") == "uri" and kind_of(term["value"]) in PART_KINDS:
                quote = row.get("quote", {}).get("value")
                if quote and term["value"] not in quotes:
                    quotes[term["value"]] = quote
    parts = [iri for iri in _iris(rows) if kind_of(iri) in PART_KINDS]
    for iri in parts[:limit]:
        for item in citations(b.store, iri, limit=1):
            if quotes.get(iri):
                item = _with_quote(item, quotes[iri])
            found.append(item)
    if not parts:
        for iri in _iris(rows)[:limit]:
            found.extend(citations(b.store, iri, limit=1))
    return found[:limit]


def _with_quote(item: dict, quote: str) -> dict:
    from eocic_kg.citation import bibtex

    csl = {**item["csl"], "note": f"Quote: \u201c{quote}\u201d"}
    csl_json = json.dumps([csl], ensure_ascii=False, indent=2)
    return {**item, "quote": quote, "csl": csl, "bibtex": bibtex(csl), "csl_json": csl_json}


@workbench.get("/api/queries/<name>/cite")
def cite_query(name: str) -> Response:
    """Citations of the result of a named query run with the request's parameters."""
    query = catalogue().get(name)
    if query is None:
        abort(404, f"no named query {name!r}")
    values = {k: v for k, v in request.args.items() if k != "format"}
    try:
        return jsonify(query_citations(query, values))
    except (ParameterError, QueryError) as e:
        abort(400, str(e))


_DESCRIPTIONS = {
    "service-description": ("SPARQL service description", "sparql.sparql"),
    "void": ("Dataset description (VoID and DCAT)", "dataset.void"),
}


@workbench.get("/about/<name>")
def about(name: str) -> Response:
    """The service description or the VoID description as a readable page (Turtle shown)."""
    if name not in _DESCRIPTIONS:
        abort(404, f"no page {name!r}; one of {', '.join(_DESCRIPTIONS)}")
    title, endpoint = _DESCRIPTIONS[name]
    path = url_for(endpoint)
    inner = current_app.test_client().get(
        path, headers={"Accept": "text/turtle"}, base_url=request.host_url + request.script_root
    )
    if inner.status_code != 200:
        abort(inner.status_code, inner.get_data(as_text=True))
    return html_response(
        "about.html", title=title, raw=path, text=inner.get_data(as_text=True), media="text/turtle"
    )


def example_groups() -> list[tuple[str, list[NamedQuery]]]:
    """The named queries grouped by tag (a query with several tags is in each group)."""
    groups: dict[str, list[NamedQuery]] = {}
    for query in catalogue().values():
        for tag in query.tags or ("other",):
            groups.setdefault(tag, []).append(query)
    return sorted(groups.items())


@workbench.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"example_groups": example_groups, "predeclared_prefixes": PREFIXES}
