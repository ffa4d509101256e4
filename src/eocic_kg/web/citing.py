"""The citations the pages offer: of the report parts a resource comes from (a resource page's
"Cite" block), and of the report parts in a named query's result (with the row's quote)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from rdflib.term import Node

from eocic_kg.catalogue import NamedQuery
from eocic_kg.citation import bibtex, citations, citations_of
from eocic_kg.prefixes import kind_of
from eocic_kg.store import QueryError
from eocic_kg.store_api import QueryRequest
from eocic_kg.web.backend import backend

#: Kinds of IRIs that are parts of the report (what a citation points at).
PART_KINDS = {"report", "section", "footnote", "figure", "table"}


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


def query_citations(query: NamedQuery, bindings: dict[str, Node], limit: int = 10) -> list[dict]:
    """Citations of a named query's result (its parameters bound): the report parts in its rows
    (with the row's quote), else the parts its resources come from."""
    b = backend()
    request = QueryRequest(
        query.text,
        graph=None,
        substitutions=bindings,
        max_rows=b.settings.max_rows,
        mentioned=query.mentioned(bindings),
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
    cited = parts[:limit] or _iris(rows)[:limit]
    for iri, items in citations_of(b.store, cited, limit=1).items():
        for item in items:
            found.append(_with_quote(item, quotes[iri]) if quotes.get(iri) else item)
    return found[:limit]


def _with_quote(item: dict, quote: str) -> dict:
    csl = {**item["csl"], "note": f"Quote: \u201c{quote}\u201d"}
    csl_json = json.dumps([csl], ensure_ascii=False, indent=2)
    return {**item, "quote": quote, "csl": csl, "bibtex": bibtex(csl), "csl_json": csl_json}
