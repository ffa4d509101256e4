"""Blueprint `linked_data`: dereferenceable IRIs.

`/id/<path>` (the resource `{base}id/<path>`) answers by content negotiation (HTML, Turtle,
JSON-LD, N-Triples, RDF/XML; `?format=` overrides Accept), from a neighbourhood read with a
few capped queries (`eocic_kg.web.resource_views`); `/id/{kind}` is the index of a kind's
resources, negotiated the same way. The base IRI (`settings.base_iri`) is the
namespace the local paths stand for.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from rdflib import URIRef

from eocic_kg.namespaces import INFERRED_GRAPH
from eocic_kg.web.answering import response
from eocic_kg.web.backend import backend, base_iri
from eocic_kg.web.citing import resource_citations
from eocic_kg.web.negotiation import PAGE, choose
from eocic_kg.web.pages import html_response
from eocic_kg.web.rdf_documents import rdf_bytes, rdf_response
from eocic_kg.web.resource_views import (
    FORMAT_LINKS,
    asked_description,
    entailed,
    found,
    index_members,
    kind_collection,
    resource_page,
)
from eocic_kg.web.term_views import TermView, local_href

ld = Blueprint("linked_data", __name__)


def kind_index(kind: str) -> Response:
    """The index of a kind (`/id/region`): its resources with their types and labels, as an
    HTML page or a `hydra:Collection` in an RDF format, negotiated as a resource is; a 404 in
    every format when no typed resource has an IRI under `{base}id/{kind}/`."""
    index = f"{base_iri()}id/{kind}"
    graph = backend().view(
        ("kind-index", kind), lambda: kind_collection(backend().store, index, kind)
    )
    if graph is None:
        abort(404, f"no resources of the kind {kind!r} (no IRI starts with {index}/)")
    fmt = choose(PAGE)
    if fmt != "html":
        body = backend().view(
            ("kind-index", kind, fmt),
            lambda: rdf_bytes(graph, fmt, first=URIRef(index)),
        )
        return rdf_response(body, fmt)
    members = [
        TermView(label, local_href(str(member)), str(member))
        for member, label in index_members(graph, index)
    ]
    return html_response(
        "ld_kind.html", kind=kind, prefix=f"{index}/", members=members, formats=FORMAT_LINKS
    )


@ld.get("/id/<path:rest>")
def resource(rest: str) -> Response:
    """A data resource: an HTML page or its description in an RDF format; `/id/{kind}` (no
    resource of its own) is the index of the kind's resources."""
    node = URIRef(base_iri() + "id/" + rest)
    accept = request.headers.get("Accept")
    if (kept := asked_description(backend(), node, request.args, accept)) is not None:
        return response(kept)  # a HEAD or a conditional GET, which the hot route leaves here
    around = found(backend().store, node)
    if around is None:
        if "/" not in rest:
            return kind_index(rest)
        abort(404, f"no resource {node}")
    fmt = choose(PAGE)
    if fmt != "html":  # kept as missing for the generation this request began in: a write
        abort(404, f"no resource {node}")  # made it since (the request overlapped it)
    page = resource_page(around, entailed(backend().store, node))
    return html_response(
        "ld_resource.html",
        page=page,
        citations=resource_citations(str(node)),
        inferred_graph=INFERRED_GRAPH,
    )
