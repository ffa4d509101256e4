"""What a resource page shows: the neighbourhood of a node read from the store with a few
capped queries, its qualified statements and their report sources, what the reasoner entailed,
and its description as an RDF document; and what the index of a kind (`/id/{kind}`) lists."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV
from rdflib.term import Node
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from eocic_kg.catalogue import ParameterError, internal
from eocic_kg.engine_rdf import read_into
from eocic_kg.errors import QueryError
from eocic_kg.namespaces import EOCIC
from eocic_kg.prefixes import PREFIXES
from eocic_kg.queries import select
from eocic_kg.store_api import QueryRequest, StoreAPI
from eocic_kg.web.backend import Backend
from eocic_kg.web.exchange import Reply
from eocic_kg.web.negotiation import PAGE, choose_for
from eocic_kg.web.rdf_documents import rdf_bytes, rdf_reply
from eocic_kg.web.term_views import DEFINITIONS, LABELS, pairs, term_label, term_view, views

_SOURCE_LINKS = {PROV.wasDerivedFrom, DCTERMS.isPartOf}
#: Hydra Core (W3C Hydra Community Group): a kind's index is a `hydra:Collection` whose
#: `hydra:member`s are its resources, a collection any client can read without it promising
#: an interaction model (an LDP container would promise LDP's writes and headers).
HYDRA = Namespace(PREFIXES["hydra"])
#: The links of a page to its RDF representations (`?format=`), by name.
FORMAT_LINKS = [(name, f"?format={name}") for name in ("ttl", "jsonld", "nt", "rdf")]


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
) -> int:
    """Add to `graph` the values of `properties` of `nodes` (IRIs read from the store); return
    how many statements were left out (terms rdflib cannot hold)."""
    if not nodes:
        return 0
    query = internal("property-values").filled(x=sorted(nodes), p=properties)
    values = store.query(QueryRequest(query.text, graph="ntriples"))
    return read_into(graph, values.body, ox.RdfFormat.N_TRIPLES)


@dataclass
class Neighbourhood:
    """What a page about `node` shows (`graph`), what it leaves out: the statements of the
    node and to the node beyond the page's rows (`more_outgoing`, `more_incoming`), and those
    holding a term rdflib cannot represent (`omitted`)."""

    node: URIRef
    graph: Graph
    more_outgoing: int = 0
    more_incoming: int = 0
    omitted: int = 0

    @property
    def found(self) -> bool:
        """Whether the store holds any statement of or to the node."""
        g, node = self.graph, self.node
        return (node, None, None) in g or (None, None, node) in g or self.omitted > 0


def neighbourhood(store: StoreAPI, node: URIRef) -> Neighbourhood:
    """What a page about `node` shows, read from the store with a few indexed queries.

    The node's first statements (with the blank nodes they point to) and the first statements
    pointing to it (`queries/internal/page-*.rq` say how many), how many more there are, the
    quotes and report parts of the statements shown, and the labels of every IRI among them.
    Nothing depends on the size of the store or on how linked the node is.
    """
    graph = Graph()
    bindings = internal("page-outgoing").bindings({"node": str(node)})
    left_out = []
    for name in ("page-outgoing", "page-incoming"):
        request = QueryRequest(internal(name).text, graph="ntriples", substitutions=bindings)
        left_out.append(read_into(graph, store.query(request).body, ox.RdfFormat.N_TRIPLES))
    counts = select(internal("page-counts"), store=store, node=str(node))[0]
    outgoing = len(set(graph.predicate_objects(node))) + left_out[0]
    incoming = len(set(graph.subject_predicates(node))) + left_out[1]
    omitted = sum(left_out)
    subjects = {s for s in graph.subjects(None, node) if isinstance(s, URIRef)}
    omitted += _add_properties(store, subjects, (EOCIC.quote, PROV.wasDerivedFrom), graph)
    named = {n for triple in graph for n in triple if isinstance(n, URIRef)}
    omitted += _add_properties(store, named, LABELS, graph)
    return Neighbourhood(
        node,
        graph,
        more_outgoing=max(0, counts.get("outgoing", 0) - outgoing),
        more_incoming=max(0, counts.get("incoming", 0) - incoming),
        omitted=omitted,
    )


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


def entailed(store: StoreAPI, node: URIRef) -> Graph:
    """The statements of `node` that the release's inferred graph holds and its data graph does
    not: what the reasoner entailed (the first 500, as on the page)."""
    return _constructed(store, "page-entailed", node=str(node))


def _constructed(store: StoreAPI, name: str, **values: str) -> Graph:
    """The graph that the internal CONSTRUCT query `name` gives for the parameter `values`."""
    query = internal(name)
    request = QueryRequest(query.text, graph="ntriples", substitutions=query.bindings(values))
    graph = Graph()
    read_into(graph, store.query(request).body, ox.RdfFormat.N_TRIPLES)
    return graph


def resource_page(around: Neighbourhood, inferred: Graph | None = None) -> dict[str, object]:
    """The template context of a resource page; the statements also in `inferred` are marked
    as entailed."""
    graph, node = around.graph, around.node
    inferred = Graph() if inferred is None else inferred
    outgoing = [(p, o) for p, o in graph.predicate_objects(node) if p != RDF.type]
    return {
        "iri": str(node),
        "label": term_label(graph, node),
        "types": views(graph, graph.objects(node, RDF.type)),
        "entailed_types": {str(t) for t in inferred.objects(node, RDF.type)},
        "entailed": {
            (str(p), str(o)) for p, o in inferred.predicate_objects(node) if p != RDF.type
        },
        "definitions": sorted(
            {str(d) for p in DEFINITIONS for d in graph.objects(node, p) if isinstance(d, Literal)}
        ),
        "outgoing": pairs(graph, outgoing),
        "incoming": pairs(graph, ((s, p) for s, p in graph.subject_predicates(node))),
        "sources": views(graph, graph.objects(node, PROV.wasDerivedFrom)),
        "quotes": sorted(str(q) for q in graph.objects(node, EOCIC.quote)),
        "statements": provenance(graph, node),
        "formats": FORMAT_LINKS,
        "more_outgoing": around.more_outgoing,
        "more_incoming": around.more_incoming,
        "omitted": around.omitted,
    }


def resource_rdf(graph: Graph, node: URIRef, fmt: str) -> bytes:
    """The description `graph` of `node` in `fmt`, written as the dumps are: Turtle with the
    node's own statements first, JSON-LD compacted by the dump's prefix context
    (`eocic_kg.export`)."""
    return rdf_bytes(graph, fmt, first=node)


def found(store: StoreAPI, node: URIRef) -> Neighbourhood | None:
    """The neighbourhood of `node`, or None when the store holds nothing about it (or cannot
    hold such an IRI)."""
    try:
        around = neighbourhood(store, node)
    except (QueryError, ParameterError):
        return None
    return around if around.found else None


def description(b: Backend, node: URIRef, fmt: str) -> Reply | None:
    """The description of `node` in the RDF representation `fmt` (None: the store holds
    nothing about it); a neighbourhood cut at the page's rows says so (`X-EOCIC-Truncated`).

    Kept in the views cache with the store's generation: a dereference reads the store with a
    few queries and writes the document with rdflib (~25 ms for a region), and a crawler or a
    browser asks for the same resources again and again."""

    def written() -> tuple[bytes, bool] | None:
        near = found(b.store, node)
        if near is None:
            return None
        body = resource_rdf(describe(near.graph, node), node, fmt)
        return body, bool(near.more_outgoing or near.more_incoming)

    document = b.view(("description", str(node), fmt), written)
    if document is None:
        return None
    reply = rdf_reply(document[0], fmt)
    if document[1]:
        reply.headers.append(("X-EOCIC-Truncated", "true"))
    return reply


def asked_description(
    b: Backend, node: URIRef, params: MultiDict, accept: str | None
) -> Reply | None:
    """The `description` of `node` in the RDF representation that the URL's `params` or the
    `accept` header ask for; None when they ask for HTML or name nothing offered (the Flask
    route says which comes first, that error or a 404) or the store holds nothing about it."""
    try:
        fmt = choose_for(PAGE, params, accept)
    except HTTPException:
        return None
    return None if fmt == "html" else description(b, node, fmt)


def kind_collection(store: StoreAPI, index: str, kind: str) -> Graph | None:
    """The index of the kind `kind` (`index` is `{base}id/{kind}`): a `hydra:Collection` whose
    members are the typed resources under `{index}/`, with their types and English labels;
    None when the kind has none."""
    graph = _constructed(store, "kind-index", prefix=f"{index}/")
    members = sorted({s for s in graph.subjects() if isinstance(s, URIRef)})
    if not members:
        return None
    collection = URIRef(index)
    graph.add((collection, RDF.type, HYDRA.Collection))
    graph.add((collection, RDFS.label, Literal(f"Every {kind.replace('-', ' ')}", lang="en")))
    graph.add((collection, HYDRA.totalItems, Literal(len(members))))
    for member in members:
        graph.add((collection, HYDRA.member, member))
    return graph


def index_members(graph: Graph, index: str) -> list[tuple[URIRef, str]]:
    """The members of the kind's index `graph` with their labels (else the slug: the IRI after
    `{index}/`), in the order of their labels."""
    members = [
        (m, term_label(graph, m) if (m, RDFS.label, None) in graph else m[len(index) + 1 :])
        for m in graph.objects(URIRef(index), HYDRA.member)
        if isinstance(m, URIRef)
    ]
    return sorted(members, key=lambda pair: (pair[1].lower(), str(pair[0])))
