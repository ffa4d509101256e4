"""Network views: the nodes, edges and attributes that every graph format and the page show."""

from __future__ import annotations

import functools
from pathlib import Path

import networkx as nx
import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef, namespace
from rdflib.namespace import OWL

from eocic_kg import graphview
from eocic_kg.export import GRAPH_SELECTIONS, STANDARD_PREFIXES, Names, select_graphs
from eocic_kg.namespaces import EOCIC, EOCIC_IRI

from .release_cache import built_release

SAXONY = "https://w3id.org/eocic/id/region/saxony"
DIAGRAM_ONTOLOGY = Path(__file__).parent / "data" / "diagram" / "ontology.ttl"


def selected(graphs: str) -> Graph:
    merged = Graph()
    for _, graph in select_graphs(built_release().dataset, graphs):
        for triple in graph:
            merged.add(triple)
    return merged


@functools.cache
def view(name: str, graphs: str = "asserted") -> nx.MultiDiGraph:
    return graphview.build_view(built_release().graph(), name, selected(graphs))


def inverse_pairs() -> set[tuple[str, str]]:
    pairs = set()
    for p, q in built_release().graph().subject_objects(OWL.inverseOf):
        pairs.update({(str(p), str(q)), (str(q), str(p))})
    return pairs


@pytest.mark.parametrize("graphs", ["asserted", "all"])
@pytest.mark.parametrize("name", ["regions", "full"])
def test_no_edge_has_its_inverse_twin(name: str, graphs: str) -> None:
    edges = {(s, d["predicate"], t) for s, t, d in view(name, graphs).edges(data=True)}
    pairs = inverse_pairs()
    assert pairs, "the ontology declares inverse properties"
    twins = [
        (s, p, t)
        for s, p, t in edges
        for q in (q for a, q in pairs if a == p)
        if (t, q, s) in edges
    ]
    assert twins == []


def test_full_release_edges_only_when_asked() -> None:
    asserted = {(s, d["predicate"], t) for s, t, d in view("full").edges(data=True)}
    everything = {(s, d["predicate"], t) for s, t, d in view("full", "all").edges(data=True)}
    data = selected("asserted")
    for s, p, t in asserted:
        assert (URIRef(s), URIRef(p), URIRef(t)) in data
    # entailments that are no twin of an asserted edge show up with --graphs all
    extra = everything - asserted
    assert extra and all(
        (URIRef(s), URIRef(p), URIRef(t)) in selected("inferred") for s, p, t in extra
    )
    assert GRAPH_SELECTIONS["asserted"]


def test_numbers_are_typed_and_dates_are_strings() -> None:
    full = view("full")
    values: dict[str, set[type]] = {}
    for _, attributes in full.nodes(data=True):
        for name, value in attributes.items():
            values.setdefault(name, set()).add(type(value))
    assert values["eocic:percentValue"] == {float}
    assert values["eocic:numberOfSubClusters"] == {int}
    assert values["eocic:page"] == {int}
    assert values["eocic:foundingYear"] == {int}  # xsd:gYear: a number a range filter can use
    assert values["eocic:date"] == {str}  # dates of several precisions stay strings


def test_every_node_has_a_label_a_class_and_a_kind() -> None:
    for name in graphview.VIEWS:
        for node, attributes in view(name).nodes(data=True):
            assert attributes["label"], node
            assert attributes["class"], node
            assert attributes["kind"], node
            assert attributes["iri"] == node
            assert not any(key.startswith("networkx") for key in attributes)
    nuts = view("full").nodes["http://data.europa.eu/nuts/code/DED"]
    assert nuts["class"] == "external (nuts)"


def test_nodes_are_resources_with_attributes() -> None:
    regions = view("regions")
    saxony = regions.nodes[SAXONY]
    assert saxony["label"] == "Saxony"
    assert saxony["class"] == "eocic:PilotRegion"
    assert saxony["kind"] == "region"
    assert {a["kind"] for _, a in regions.nodes(data=True)} <= set(graphview.REGION_VIEW_KINDS)
    full = view("full")
    assert all(not isinstance(n, Literal) and not n.startswith("_:") for n in full)
    assert "skos:prefLabel" in full.nodes[SAXONY]  # literals become attributes
    assert full.has_edge(SAXONY, "https://w3id.org/eocic/id/section/1")


def test_class_view_is_the_hierarchy_coloured_by_top_class() -> None:
    classes = view("classes")
    chapter = "https://w3id.org/eocic/ontology#Chapter"
    assert classes.has_edge(chapter, "https://w3id.org/eocic/ontology#ReportPart")
    assert {k for _, _, k in classes.edges(keys=True)} == {"rdfs:subClassOf"}
    groups = {a["group"] for _, a in classes.nodes(data=True)}
    assert 3 < len(groups) < classes.number_of_nodes()


def test_legend_gives_each_group_its_own_colour_and_shape() -> None:
    for name in graphview.VIEWS:
        rows = graphview.legend(view(name))
        pairs = [(r["colour"], r["shape"]) for r in rows]
        assert len(set(pairs)) == len(pairs)
        assert sum(int(r["count"]) for r in rows) == view(name).number_of_nodes()
    regions = graphview.legend(view("regions"))
    assert len({r["colour"] for r in regions}) == len(regions)  # few groups: colours alone


def test_focus_view_is_the_neighbourhood() -> None:
    one = graphview.focus_view(view("full"), SAXONY, 1)
    two = graphview.focus_view(view("full"), SAXONY, 2)
    assert SAXONY in one and one.graph["focus"] == SAXONY
    neighbours = set(view("full").successors(SAXONY)) | set(view("full").predecessors(SAXONY))
    assert set(one) == neighbours | {SAXONY}
    assert set(one) < set(two)
    with pytest.raises(KeyError):
        graphview.focus_view(view("full"), "https://example.org/nothing", 1)


def test_views_are_deterministic() -> None:
    again = graphview.build_view(built_release().graph(), "regions", selected("asserted"))
    assert list(again.nodes(data=True)) == list(view("regions").nodes(data=True))
    assert list(again.edges(keys=True, data=True)) == list(
        view("regions").edges(keys=True, data=True)
    )


def test_unknown_view() -> None:
    with pytest.raises(ValueError, match="unknown view"):
        graphview.build_view(Graph(), "nonsense")


def test_class_diagram_reads_both_forms_of_domain_and_range() -> None:
    ontology = Graph().parse(DIAGRAM_ONTOLOGY)
    model = graphview.build_view(ontology, "model")
    edges = {(s.rsplit("#", 1)[-1], k, t.rsplit("#", 1)[-1]) for s, t, k in model.edges(keys=True)}
    assert edges == {
        ("Region", "eocic:facesChallenge", "Challenge"),  # rdfs:domain / rdfs:range
        ("Measure", "eocic:proposedFor", "Region"),  # schema:domainIncludes / rangeIncludes
        ("Cluster", "eocic:locatedIn", "Place"),  # a union domain, taken apart
        ("Measure", "eocic:locatedIn", "Place"),
        ("Region", "rdfs:subClassOf", "Place"),
        ("Challenge", "rdfs:subClassOf", "Concept"),
    }
    cluster = model.nodes[f"{EOCIC_IRI}Cluster"]
    assert cluster["slots"] == "eocic:numberOfMembers: xsd:integer"
    assert model.nodes[f"{EOCIC_IRI}Region"]["group"] == "eocic:Place"


def pilot_region_classes() -> dict[str, set[str]]:
    """Each instance of eocic:PilotRegion in the release -> all its classes, compact."""
    graph, names = built_release().graph(), Names(STANDARD_PREFIXES)
    return {
        str(region): {names.iri(str(c)) for c in graph.objects(region, RDF.type)}
        for region in graph.subjects(RDF.type, EOCIC.PilotRegion)
    }


@pytest.mark.parametrize("name", ["regions", "full"])
def test_member_states_that_are_pilot_regions_keep_both_classes(name: str) -> None:
    nodes = view(name).nodes
    expected = pilot_region_classes()
    shown = {n for n in nodes if nodes[n]["class"] == "eocic:PilotRegion"}
    assert shown == set(expected) and len(shown) == 10  # the report's ten pilot regions
    legend = {row["name"]: row["count"] for row in graphview.legend(view(name))}
    assert legend["eocic:PilotRegion"] == 10
    for region, classes in expected.items():
        assert nodes[region]["classes"][0] == "eocic:PilotRegion"
        assert set(nodes[region]["classes"]) == classes  # Lithuania: Country too
    for attributes in (nodes[n] for n in nodes):
        assert attributes["classes"][:1] in ([attributes["class"]], [])


def test_primary_class_is_ranked_by_the_ontology() -> None:
    graph = Graph().parse(
        format="turtle",
        data="""
        @prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:Deep rdfs:subClassOf ex:Middle . ex:Middle rdfs:subClassOf ex:Top .
        ex:Shallow rdfs:subClassOf ex:Top .
        ex:Used rdfs:subClassOf ex:Top . ex:Other rdfs:subClassOf ex:Top .
        ex:p rdfs:domain ex:Used . ex:q rdfs:range ex:Used .
        ex:a a ex:Shallow , ex:Deep , ex:Top .
        ex:b a ex:Other , ex:Used ; ex:p ex:a .
        ex:c a ex:Used , ex:Other .
        ex:d a ex:Other , ex:Used . ex:c ex:q ex:d .
        """,
    )
    ranking = graphview.ClassRanking(graph)
    first = {n: str(ranking.classes(URIRef(f"http://example.org/{n}"))[0]) for n in "abcd"}
    assert first["a"] == "http://example.org/Deep"  # deeper than Shallow, below Top
    assert first["b"] == "http://example.org/Used"  # its property's domain
    assert first["d"] == "http://example.org/Used"  # the range of a property pointing at it
    assert first["c"] == "http://example.org/Other"  # a tie: by IRI


def test_full_view_leaves_out_schema_datatype_and_version_nodes() -> None:
    graph = built_release().graph()
    full = view("full")
    vocabularies = (
        str(RDF),
        str(RDFS),
        str(OWL),
        str(namespace.XSD),
        str(namespace.SKOS),
        "http://www.w3.org/ns/prov#",
    )
    assert not [n for n in full if n.startswith(vocabularies)]
    ontology = URIRef("https://w3id.org/eocic/ontology")
    header = {  # what only the ontology header points to: licence, versions (not the report)
        str(o)
        for o in graph.objects(ontology)
        if isinstance(o, URIRef) and (o, None, None) not in graph
    }
    assert header and not header & set(full)
    assert not [n for n in full if full.nodes[n]["label"] in ("date", "4.0", "0.1.0", "0.2.0")]
    assert list(nx.isolates(full)) == []


def test_model_view_keeps_a_link_of_equivalent_properties() -> None:
    """Every pair of classes that an object property's rdfs:domain and rdfs:range join is
    linked in the class diagram (one way or the other: an inverse twin gives way). Properties
    each a sub-property of the other (eocic:measureFor and eocic:proposedFor) once both gave
    way to the other, and five links left the diagram."""
    graph = built_release().graph()
    model = view("model")
    linked = {pair for s, t in model.edges() for pair in ((s, t), (t, s))}
    joined = {
        (str(d), str(r))
        for p in graph.subjects(RDF.type, OWL.ObjectProperty)
        for d in graph.objects(p, RDFS.domain)
        for r in graph.objects(p, RDFS.range)
        if str(d) in model and str(r) in model
    }
    assert joined
    assert sorted(joined - linked) == []
