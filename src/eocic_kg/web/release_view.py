"""The served release as rdflib graphs: the derived view that the ontology page, the dumps, the
graph views and `/ready` start from (kept in the cache of derived views, read again after a
write).

Only the release's named graphs are read, so graphs added next to them (synthetic data, a
researcher's own graphs) do not weigh on the pages that use it; statements rdflib cannot hold
(RDF 1.2 terms) are left out and counted (`eocic_kg.engine_rdf`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Dataset, Graph

from eocic_kg import resources as bundled
from eocic_kg.engine_rdf import read_into
from eocic_kg.namespaces import ONTOLOGY_GRAPH, RELEASE_GRAPHS
from eocic_kg.web.backend import backend


@dataclass
class ReleaseView:
    """The served release as rdflib graphs; `omitted` counts the statements left out because
    rdflib cannot hold them (RDF 1.2 triple terms, directional literals)."""

    dataset: Dataset
    union: Graph
    ontology: Graph
    shapes: Graph
    omitted: int = 0


def _read_release() -> ReleaseView:
    dataset = Dataset()
    data = backend().store.dump(graphs=[str(g) for g in RELEASE_GRAPHS])
    omitted = read_into(dataset, data)
    union = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    shapes = Graph()
    for path in sorted(bundled.SHAPES_DIR.glob("*.ttl")):
        shapes.parse(path, format="turtle")
    return ReleaseView(dataset, union, dataset.graph(ONTOLOGY_GRAPH), shapes, omitted)


def release() -> ReleaseView:
    """The current release: the store's release graphs (read again when a write changed them)."""
    return backend().view(("release",), _read_release)
