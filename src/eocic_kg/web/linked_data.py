"""Blueprint `linked_data`: dereferenceable IRIs, and what every linked-data page shares.

`/id/<path>` (the resource `{base}id/<path>`) answers by content negotiation (HTML, Turtle,
JSON-LD, N-Triples, RDF/XML; `?format=` overrides Accept). The release's rdflib views, the
negotiation, the page helpers and the labels live here too; `eocic_kg.web.dataset` serves the
ontology documentation, the dumps and VoID with them. The base IRI
(`app.config["EOCIC_BASE_IRI"]`, default https://w3id.org/eocic/) is the namespace the local
paths stand for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from flask import Blueprint, Response, abort, current_app, url_for
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS
from rdflib.term import Node

from eocic_kg import resources as bundled
from eocic_kg.catalogue import ParameterError, internal
from eocic_kg.errors import QueryError
from eocic_kg.export import STANDARD_PREFIXES
from eocic_kg.namespaces import EOCIC, ONTOLOGY_GRAPH, RELEASE_GRAPHS, web_link
from eocic_kg.settings import DEFAULT_BASE_IRI
from eocic_kg.store_api import QueryRequest, StoreAPI
from eocic_kg.web.backend import backend
from eocic_kg.web.negotiation import PAGE, choose
from eocic_kg.web.pages import html_response

ld = Blueprint("linked_data", __name__)

#: Representations: name -> (media type, rdflib serialiser or None for HTML).
REPRESENTATIONS: dict[str, tuple[str, str | None]] = {
    "html": ("text/html", None),
    "turtle": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "ntriples": ("application/n-triples", "nt"),
    "rdfxml": ("application/rdf+xml", "xml"),
}
#: Dumps served under /download/eocic.<ext> (and .gz).
DUMPS = ("ttl", "nt", "jsonld", "rdf")
_LABELS = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
DEFINITIONS = (SKOS.definition, RDFS.comment, DCTERMS.description)
_SOURCE_LINKS = {PROV.wasDerivedFrom, DCTERMS.isPartOf}
_lock = threading.RLock()
T = TypeVar("T")


@dataclass
class Release:
    """The served release as rdflib graphs, with renderings computed once."""

    dataset: Dataset
    union: Graph
    ontology: Graph
    shapes: Graph
    cache: dict[object, object] = field(default_factory=dict)

    def cached(self, key: object, make: Callable[[], T]) -> T:
        """`make()`, computed once per release and key (`make` may itself use the cache)."""
        with _lock:
            if key not in self.cache:
                self.cache[key] = make()
            return cast(T, self.cache[key])


def release() -> Release:
    """The current release: the store's release graphs (rebuilt when a write changed them).

    Only the release's named graphs are read, so graphs added next to them (synthetic data,
    a researcher's own graphs) do not weigh on the ontology page and the dumps.
    """
    b = backend()
    key = (id(b.store), b.pool.generation)
    holder = current_app.extensions.setdefault("eocic-ld", {})
    with _lock:
        if holder.get("key") != key:
            data = b.store.dump(graphs=[str(g) for g in RELEASE_GRAPHS])
            dataset = Dataset()
            dataset.parse(data=data, format="nquads")
            union = Graph()
            for s, p, o, _ in dataset.quads((None, None, None, None)):
                union.add((s, p, o))
            shapes = Graph()
            for path in sorted(bundled.SHAPES_DIR.glob("*.ttl")):
                shapes.parse(path, format="turtle")
            holder.update(
                key=key,
                release=Release(dataset, union, dataset.graph(ONTOLOGY_GRAPH), shapes),
            )
        return holder["release"]


def base_iri() -> str:
    """The IRI namespace that this server's paths stand for."""
    return current_app.config.get("EOCIC_BASE_IRI", DEFAULT_BASE_IRI)


def negotiate(offered: frozenset[str] = PAGE) -> str:
    """The representation chosen by `?format=` or the Accept header (406 if none fits)."""
    return choose(offered)


def rdf_response(graph: Graph, fmt: str) -> Response:
    """`graph` serialised in the representation `fmt`."""
    media_type, serialiser = REPRESENTATIONS[fmt]
    assert serialiser is not None
    for prefix, namespace in STANDARD_PREFIXES.items():
        graph.bind(prefix, namespace, replace=True)
    body = graph.serialize(format=serialiser, encoding="utf-8")
    charset = "; charset=utf-8" if media_type.startswith("text/") else ""
    response = Response(body, content_type=media_type + charset)
    response.vary.add("Accept")
    return response


# --- rendering terms -------------------------------------------------------------------------


@dataclass
class TermView:
    """How a term is shown: text, link target, a note (language or datatype) and, for a blank
    node, its own statements."""

    text: str
    href: str | None = None
    iri: str | None = None
    note: str = ""
    nested: list[tuple[TermView, TermView]] = field(default_factory=list)


def qname(iri: str) -> str:
    """`prefix:local` for IRIs in a standard namespace, else the IRI."""
    for prefix, namespace in STANDARD_PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def local_href(iri: str) -> str | None:
    """The local path that serves `iri`, or None if this server does not serve it."""
    base = base_iri()
    if iri.startswith(base + "id/") and len(iri) > len(base) + 3:
        return url_for("linked_data.resource", rest=iri[len(base) + 3 :])
    if iri == base + "ontology":
        return url_for("dataset.ontology")
    if iri.startswith(base + "ontology#"):
        return url_for("dataset.ontology") + iri[len(base) + 8 :]
    return None


def label(graph: Graph, node: Node) -> str:
    """The English (else any) label of `node`, else its prefixed name."""
    fallback = None
    for predicate in _LABELS:
        for value in graph.objects(node, predicate):
            if isinstance(value, Literal):
                if value.language in ("en", None) and predicate != DCTERMS.title:
                    return str(value)
                fallback = fallback or str(value)
    return fallback or (qname(str(node)) if isinstance(node, URIRef) else "(blank node)")


def term_view(graph: Graph, node: Node, depth: int = 0) -> TermView:
    """The TermView of `node`, linking IRIs (locally where this server serves them)."""
    if isinstance(node, URIRef):
        iri = str(node)
        href = local_href(iri) or web_link(iri) or None
        return TermView(label(graph, node), href, iri)
    if isinstance(node, Literal):
        note = f"@{node.language}" if node.language else ""
        if node.datatype and not note:
            note = qname(str(node.datatype))
        return TermView(str(node), note=note)
    nested = []
    if depth < 3:
        nested = [
            (term_view(graph, p), term_view(graph, o, depth + 1))
            for p, o in sorted(graph.predicate_objects(node))
        ]
    return TermView(label(graph, node), nested=nested)


def views(graph: Graph, nodes: Iterable[Node]) -> list[TermView]:
    return sorted((term_view(graph, n) for n in set(nodes)), key=lambda v: v.text.lower())


def pairs(graph: Graph, pairs: Iterable[tuple[Node, Node]]) -> list[tuple[TermView, TermView]]:
    views = [(term_view(graph, a), term_view(graph, b)) for a, b in pairs]
    return sorted(views, key=lambda v: (v[0].text.lower(), v[1].text.lower()))


# --- resources -------------------------------------------------------------------------------


def describe(graph: Graph, node: URIRef) -> Graph:
    """Outgoing statements (with their blank-node closure), incoming statements and labels."""
    out = Graph()
    todo: list[Node] = [node]
    seen: set[Node] = set()
    while todo:
        subject = todo.pop()
        seen.add(subject)
        for p, o in graph.predicate_objects(subject):
            out.add((subject, p, o))
            if isinstance(o, BNode) and o not in seen:
                todo.append(o)
    for s, p in graph.subject_predicates(node):
        out.add((s, p, node))
    for neighbour in {*out.subjects(), *out.objects()} - {node}:
        if isinstance(neighbour, URIRef):
            for value in graph.objects(neighbour, RDFS.label):
                out.add((neighbour, RDFS.label, value))
    return out


def _add_properties(
    store: StoreAPI, nodes: set[URIRef], properties: tuple[URIRef, ...], graph: Graph
) -> None:
    """Add to `graph` the values of `properties` of `nodes` (IRIs read from the store)."""
    if nodes:
        query = internal("property-values").filled(x=sorted(nodes), p=properties)
        values = store.query(QueryRequest(query.text, graph="ntriples"))
        graph.parse(data=values.body, format="nt")


def neighbourhood(store: StoreAPI, node: URIRef) -> Graph:
    """What a page about `node` shows, read from the store with a few indexed queries.

    Its statements (with the blank nodes they point to) and the statements pointing to it; the
    quotes and report parts of the latter; and the labels of every IRI among them. Nothing
    depends on the size of the store, so pages stay fast in front of a large or remote store.
    """
    graph = Graph()
    query = internal("page-around")
    bindings = query.bindings({"node": str(node)})
    around = store.query(QueryRequest(query.text, graph="ntriples", substitutions=bindings))
    graph.parse(data=around.body, format="nt")
    incoming = {s for s in graph.subjects(None, node) if isinstance(s, URIRef)}
    _add_properties(store, incoming, (EOCIC.quote, PROV.wasDerivedFrom), graph)
    named = {n for triple in graph for n in triple if isinstance(n, URIRef)}
    _add_properties(store, named, _LABELS, graph)
    return graph


def provenance(graph: Graph, node: URIRef) -> list[dict[str, object]]:
    """The qualified statements about `node`: each with its quotes and report parts."""
    statements = []
    for s, p in set(graph.subject_predicates(node)):
        if p in _SOURCE_LINKS or (s, EOCIC.quote, None) not in graph:
            continue
        statements.append(
            {
                "node": term_view(graph, s),
                "quotes": sorted(str(q) for q in graph.objects(s, EOCIC.quote)),
                "sources": views(graph, graph.objects(s, PROV.wasDerivedFrom)),
            }
        )
    return sorted(statements, key=lambda st: st["node"].text.lower())  # type: ignore[attr-defined]


def resource_page(graph: Graph, node: URIRef) -> dict[str, object]:
    """The template context of a resource page."""
    outgoing = [(p, o) for p, o in graph.predicate_objects(node) if p != RDF.type]
    return {
        "iri": str(node),
        "label": label(graph, node),
        "types": views(graph, graph.objects(node, RDF.type)),
        "definitions": sorted(
            {str(d) for p in DEFINITIONS for d in graph.objects(node, p) if isinstance(d, Literal)}
        ),
        "outgoing": pairs(graph, outgoing),
        "incoming": pairs(graph, ((s, p) for s, p in graph.subject_predicates(node))),
        "sources": views(graph, graph.objects(node, PROV.wasDerivedFrom)),
        "quotes": sorted(str(q) for q in graph.objects(node, EOCIC.quote)),
        "statements": provenance(graph, node),
        "formats": [(name, f"?format={name}") for name in ("ttl", "jsonld", "nt", "rdf")],
    }


@ld.get("/id/<path:rest>")
def resource(rest: str) -> Response:
    """A data resource: an HTML page or its description in an RDF format."""
    node = URIRef(base_iri() + "id/" + rest)
    try:
        graph = neighbourhood(backend().store, node)
    except (QueryError, ParameterError):  # not an IRI the store can hold
        abort(404, f"no resource {node}")
    if (node, None, None) not in graph and (None, None, node) not in graph:
        abort(404, f"no resource {node}")
    fmt = negotiate()
    if fmt != "html":
        return rdf_response(describe(graph, node), fmt)
    from eocic_kg.web.workbench import resource_citations

    page = resource_page(graph, node)
    return html_response("ld_resource.html", page=page, citations=resource_citations(str(node)))


# --- ontology documentation ------------------------------------------------------------------
