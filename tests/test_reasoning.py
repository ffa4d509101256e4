"""HermiT finds the graph consistent, rejects contradictions, and its entailments are served."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, Graph, URIRef

from eocic_kg.errors import BuildError
from eocic_kg.namespaces import EOCIC, ID, INFERRED_GRAPH, ORG
from eocic_kg.reasoning import infer
from eocic_kg.sources import load_sources, union_graph

from .release_cache import built_release

FIXTURES = Path(__file__).parent / "data"
INCONSISTENT = sorted((FIXTURES / "inconsistent").glob("*.ttl"))
PREFIXES = """
@prefix eocic: <https://w3id.org/eocic/ontology#> .
@prefix region: <https://w3id.org/eocic/id/region/> .
@prefix country: <https://w3id.org/eocic/id/country/> .
"""


def _with(extra: str) -> Graph:
    graph = union_graph(load_sources())
    graph.parse(data=PREFIXES + extra, format="turtle")
    return graph


def test_release_is_consistent_and_holds_entailments() -> None:
    inferred = built_release().dataset.graph(INFERRED_GRAPH)
    assert len(inferred) > 0
    cluster = ID["cluster/cosmetic-valley"]
    # inverse property: the data states region -> cluster; the release holds cluster -> region
    assert (cluster, EOCIC.clusterOrganisationOf, ID["region/centre-val-de-loire"]) in inferred
    # inherited type: a cluster organisation is an org:Organization
    assert (cluster, RDF.type, ORG.Organization) in inferred


def test_policy_dimension_is_inferred_from_measure_type_chain() -> None:
    graph = built_release().graph()
    measures = set(graph.subjects(EOCIC.hasMeasureType, ID["measure-type/networks"]))
    assert measures
    for measure in measures:
        assert (measure, EOCIC.hasPolicyDimension, ID["dimension/capacity-building"]) in graph


@pytest.mark.parametrize("fixture", INCONSISTENT, ids=lambda p: p.stem)
def test_inconsistent_fixture_fails_reasoning(fixture: Path) -> None:
    graph = union_graph(load_sources())
    graph.parse(fixture, format="turtle")
    with pytest.raises(BuildError, match="inconsistent"):
        infer(graph)


def test_consistent_addition_is_accepted() -> None:
    extra = "region:saxony eocic:inCountry country:germany ."
    assert (URIRef(ID["region/saxony"]), EOCIC.inCountry, ID["country/germany"]) in _with(extra)
    infer(_with(extra))


def test_owl_same_as_stops_the_build_with_a_clear_error() -> None:
    """owlready2 cannot read HermiT's answer when the data maps a region by owl:sameAs (a
    ValueError inside owlready2): the build says so in one line instead of a traceback."""
    graph = union_graph(load_sources())
    graph.parse(FIXTURES / "invalid" / "StandardMappingShape-02.ttl", format="turtle")
    with pytest.raises(BuildError, match=r"owlready2 could not read HermiT's answer.*owl:sameAs"):
        infer(graph)
