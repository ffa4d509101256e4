"""The descriptions of the service and its dataset: the SPARQL 1.1 Service Description, the
VoID + DCAT description, and both as tables for the readable `/about` pages. External URLs come
from the configured base IRI, never from the request's `Host`."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, VOID, XSD

from eocic_kg import __version__
from eocic_kg.export import RDF_FORMATS
from eocic_kg.prefixes import declare_prefixes
from eocic_kg.void import void_graph
from eocic_kg.web.answering import engine_errors
from eocic_kg.web.backend import Backend, backend, base_iri, public_url
from eocic_kg.web.rdf_documents import DUMPS
from eocic_kg.web.term_views import TermView, pairs, term_view

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

_SD_FORMATS = {
    "json": FORMATS.SPARQL_Results_JSON,
    "xml": FORMATS.SPARQL_Results_XML,
    "csv": FORMATS.SPARQL_Results_CSV,
    "tsv": FORMATS.SPARQL_Results_TSV,
    "turtle": FORMATS.Turtle,
    "ntriples": FORMATS["N-Triples"],
    "jsonld": FORMATS["JSON-LD"],
    "rdfxml": FORMATS.RDF_XML,
}


def service_description_graph(b: Backend, endpoint: str) -> Graph:
    """The SPARQL 1.1 Service Description of the endpoint named `endpoint`."""
    g = Graph()
    g.bind("sd", SD)
    g.bind("formats", FORMATS)
    g.bind("void", VOID)
    g.bind("dcterms", DCTERMS)
    service = URIRef(endpoint)
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, service))
    g.add((service, DCTERMS.title, Literal("EOCIC knowledge graph SPARQL endpoint", lang="en")))
    g.add((service, DCTERMS.hasVersion, Literal(__version__)))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if b.settings.writable:
        g.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    declare_prefixes(g, service)
    for fmt in _SD_FORMATS.values():
        g.add((service, SD.resultFormat, fmt))
    with engine_errors("description"):
        sizes = b.store.graph_sizes()
    dataset, default = BNode(), BNode()
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, RDFS.seeAlso, URIRef(public_url("dataset.void"))))
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, VOID.triples, Literal(sum(sizes.values()), datatype=XSD.integer)))
    for name, size in sorted((n, s) for n, s in sizes.items() if n is not None):
        named, graph = BNode(), BNode()
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(name)))
        g.add((named, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
        g.add((graph, VOID.triples, Literal(size, datatype=XSD.integer)))
    return g


def dump_urls() -> dict[str, str]:
    """Public URL of every dump -> its media type."""
    urls = {}
    for fmt in DUMPS:
        for suffix, media_type in (("", RDF_FORMATS[fmt][0]), (".gz", "application/gzip")):
            urls[public_url("dataset.download", name=fmt + suffix)] = media_type
    return urls


def void_description_graph() -> Graph:
    """The VoID + DCAT description of the dataset, named by the configured base IRI."""
    return void_graph(
        backend().store,
        dataset=public_url("dataset.void") + "#dataset",
        endpoint=public_url("sparql.sparql"),
        dumps=dump_urls(),
        uri_space=base_iri() + "id/",
    )


def _prefixed(graph: Graph, view: TermView) -> TermView:
    """`view`, and the views nested in it, naming IRIs without a label by the prefixes of
    `graph` (`sd:Service`)."""
    if view.iri is not None and view.text == view.iri:
        with suppress(KeyError, ValueError):  # no prefix for it: the IRI stays
            view.text = graph.namespace_manager.curie(URIRef(view.iri), generate=False)
    for pair in view.nested:
        for nested in pair:
            _prefixed(graph, nested)
    return view


def description_tables(graph: Graph) -> list[dict[str, Any]]:
    """The statements of `graph` as one table per resource that nothing in it points to (its
    IRIs and blank nodes first); the blank nodes it points to are nested in its values."""
    roots = {s for s in graph.subjects() if (None, None, s) not in graph or isinstance(s, URIRef)}
    tables = [
        {
            "subject": _prefixed(graph, term_view(graph, s)),
            "rows": [
                (_prefixed(graph, p), _prefixed(graph, o))
                for p, o in pairs(graph, graph.predicate_objects(s))
            ],
        }
        for s in roots
    ]
    return sorted(tables, key=lambda t: (t["subject"].iri is None, t["subject"].text.lower()))
