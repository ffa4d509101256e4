"""The dataset description (VoID + DCAT) of the release, computed from the store.

The dataset is the release: its named graphs (ontology, data, inferred). Every statistic is a
SPARQL query over those graphs (``queries/internal/void-*.rq``), so when the store holds the
release alone the counts equal what the SPARQL endpoint answers; graphs added beside
the release (synthetic data, a researcher's own) are not described and cost nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, VOID, XSD

from eocic_kg import __version__
from eocic_kg.catalogue import internal
from eocic_kg.namespaces import EOCIC_IRI, RELEASE_GRAPHS
from eocic_kg.queries import select
from eocic_kg.store_api import StoreAPI

LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")


def _rows(store: StoreAPI, name: str) -> list[dict[str, Any]]:
    """The rows of the internal query `name` over the release graphs."""
    return select(internal(name), store=store, graphs=RELEASE_GRAPHS)


def _integer(value: object) -> Literal:
    return Literal(int(str(value)), datatype=XSD.integer)


def void_graph(
    store: StoreAPI,
    *,
    dataset: str,
    endpoint: str,
    dumps: Mapping[str, str],
    uri_space: str,
) -> Graph:
    """VoID + DCAT for the release in `store`.

    `dataset` is the dataset IRI, `endpoint` the SPARQL endpoint URL, `dumps` maps download URLs
    to their media types, `uri_space` is the namespace of the data IRIs.
    """
    g = Graph()
    for prefix, ns in (("void", VOID), ("dcat", DCAT), ("dcterms", DCTERMS), ("sd", SD)):
        g.bind(prefix, ns)
    ds = URIRef(dataset)
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal("EOCIC pilot regions knowledge graph", lang="en")))
    g.add(
        (
            ds,
            DCTERMS.description,
            Literal(
                "The EOCIC report on ten pilot regions in industrial transition as linked data: "
                "regions, challenges, survey figures, measures and cluster organisations, each "
                "fact linked to the part of the report that states it.",
                lang="en",
            ),
        )
    )
    g.add((ds, DCTERMS.license, LICENCE))
    g.add((ds, DCTERMS.hasVersion, Literal(__version__)))
    g.add((ds, VOID.uriSpace, Literal(uri_space)))
    g.add((ds, VOID.vocabulary, URIRef(EOCIC_IRI)))
    g.add((ds, VOID.sparqlEndpoint, URIRef(endpoint)))
    for row in _rows(store, "void-reports"):
        g.add((ds, DCTERMS.source, URIRef(row["r"])))
    service = BNode()
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCAT.endpointURL, URIRef(endpoint)))
    g.add((service, DCAT.servesDataset, ds))
    g.add((service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    for url, media_type in dumps.items():
        g.add((ds, VOID.dataDump, URIRef(url)))
        dist = BNode()
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.downloadURL, URIRef(url)))
        g.add(
            (
                dist,
                DCAT.mediaType,
                URIRef(f"https://www.iana.org/assignments/media-types/{media_type}"),
            )
        )
        g.add((dist, DCTERMS.license, LICENCE))
    g.add((ds, FOAF.page, URIRef(endpoint)))
    _statistics(g, ds, store)
    return g


def _statistics(g: Graph, ds: URIRef, store: StoreAPI) -> None:
    """Triple, entity, class and property counts, and a subset per named graph."""
    counts = _rows(store, "void-counts")[0]
    counts |= _rows(store, "void-classes")[0] | _rows(store, "void-entities")[0]
    for term, column in (
        (VOID.triples, "triples"),
        (VOID.distinctSubjects, "distinctSubjects"),
        (VOID.distinctObjects, "distinctObjects"),
        (VOID.properties, "properties"),
        (VOID.classes, "classes"),
        (VOID.entities, "entities"),
    ):
        g.add((ds, term, _integer(counts[column])))
    for row in _rows(store, "void-class-partitions"):
        part = BNode()
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(row["c"])))
        g.add((part, VOID.entities, _integer(row["n"])))
    for row in _rows(store, "void-property-partitions"):
        part = BNode()
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(row["p"])))
        g.add((part, VOID.triples, _integer(row["n"])))
    release = {str(name) for name in RELEASE_GRAPHS}
    for name, size in sorted((n, s) for n, s in store.graph_sizes().items() if n in release):
        subset = BNode()
        g.add((ds, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, SD.name, URIRef(name)))
        g.add((subset, VOID.triples, Literal(size, datatype=XSD.integer)))
