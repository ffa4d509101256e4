"""RDF namespaces. ``EOCIC`` is closed over the terms the ontology defines."""

from __future__ import annotations

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import ClosedNamespace

from eocic_kg.resources import ONTOLOGY_FILE

EOCIC_IRI = "https://w3id.org/eocic/ontology#"
ONTOLOGY_IRI = URIRef("https://w3id.org/eocic/ontology")
ID = Namespace("https://w3id.org/eocic/id/")
SHAPES = Namespace("https://w3id.org/eocic/shapes#")
GRAPH = Namespace("https://w3id.org/eocic/graph/")
QB = Namespace("http://purl.org/linked-data/cube#")
VANN = Namespace("http://purl.org/vocab/vann/")
ORG = Namespace("http://www.w3.org/ns/org#")

ONTOLOGY_GRAPH = GRAPH.ontology
DATA_GRAPH = GRAPH.data
INFERRED_GRAPH = GRAPH.inferred
#: The named graphs of a release: what dumps, pages and views describe.
RELEASE_GRAPHS = (ONTOLOGY_GRAPH, DATA_GRAPH, INFERRED_GRAPH)


def _defined_terms() -> list[str]:
    ontology = Graph().parse(ONTOLOGY_FILE, format="turtle")
    return sorted(
        {str(s)[len(EOCIC_IRI) :] for s in ontology.subjects() if str(s).startswith(EOCIC_IRI)}
    )


EOCIC = ClosedNamespace(EOCIC_IRI, _defined_terms())
