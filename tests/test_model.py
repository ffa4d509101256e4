"""The model a researcher expects: typed properties, unambiguous labels, links both ways, sortable
dates, region facts as statements, and data files that read like code (issue 13).

Expected answers are read off the report (tests/data/report.txt) or the NUTS 2021 classification;
everything else is derived from the ontology and the data themselves.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from eocic_kg.namespaces import DATA_GRAPH, EOCIC_IRI, ONTOLOGY_GRAPH
from eocic_kg.resources import DATA_DIR, ONTOLOGY_FILE, SHAPES_DIR
from eocic_kg.sources import load_sources

from .release_cache import REPORT_TEXT, release_graph

EOCIC = Namespace(EOCIC_IRI)
SCHEMA = Namespace("http://schema.org/")
ID = "https://w3id.org/eocic/id/"
ROOT = Path(__file__).resolve().parent.parent
DATA_FILES = sorted(DATA_DIR.glob("*.ttl"))
REGIONS = (
    "cantabria",
    "centre-val-de-loire",
    "east-north-finland",
    "hauts-de-france",
    "lithuania",
    "north-middle-sweden",
    "piemonte",
    "saxony",
    "slovenia",
    "wallonia",
)


def region(slug: str) -> URIRef:
    return URIRef(f"{ID}region/{slug}")


@functools.cache
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE)


@functools.cache
def asserted() -> tuple[Graph, Graph]:
    """(ontology graph, data graph) as loaded from the sources, before reasoning."""
    dataset = load_sources()
    return dataset.graph(ONTOLOGY_GRAPH), dataset.graph(DATA_GRAPH)


def properties() -> list[URIRef]:
    """The eocic: object and datatype properties the ontology defines."""
    kinds = (OWL.ObjectProperty, OWL.DatatypeProperty)
    found = {p for kind in kinds for p in ontology().subjects(RDF.type, kind)}
    return sorted(p for p in found if isinstance(p, URIRef) and str(p).startswith(EOCIC_IRI))


#: Typographic quotes and dashes and their ASCII forms.
TYPOGRAPHIC = str.maketrans(
    {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2013": "-", "\u2014": "-"}
)


def fold(text: str) -> str:
    """`text` in ASCII where it can be: accents dropped (NFKD), typographic quotes and dashes
    replaced by their ASCII forms."""
    decomposed = unicodedata.normalize("NFKD", text.translate(TYPOGRAPHIC))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def report_text() -> str:
    return " ".join(REPORT_TEXT.read_text(encoding="utf-8").split())


# 1. Every property typed --------------------------------------------------------------------------


@pytest.mark.parametrize("prop", properties(), ids=lambda p: str(p)[len(EOCIC_IRI) :])
def test_property_has_domain_and_range(prop: URIRef) -> None:
    graph = ontology()
    domain = list(graph.objects(prop, RDFS.domain)) + list(
        graph.objects(prop, SCHEMA.domainIncludes)
    )
    range_ = list(graph.objects(prop, RDFS.range)) + list(graph.objects(prop, SCHEMA.rangeIncludes))
    assert domain, f"{prop} has neither rdfs:domain nor schema:domainIncludes"
    assert range_, f"{prop} has neither rdfs:range nor schema:rangeIncludes"


def _asserted_types() -> dict[Node, set[Node]]:
    """Types from the data and the subclass axioms only (no domain/range reasoning)."""
    onto, data = asserted()
    types: dict[Node, set[Node]] = defaultdict(set)
    for resource, cls in data.subject_objects(RDF.type):
        types[resource].update(onto.transitive_objects(cls, RDFS.subClassOf))
    return types


def test_strict_domains_and_ranges_infer_nothing_new() -> None:
    """rdfs:domain/range are declared only where every use (asserted or entailed by inverses)
    already has the type, so the reasoner adds no type to correct data."""
    types = _asserted_types()
    graph = release_graph()
    wrong = []
    for prop in properties():
        for domain in ontology().objects(prop, RDFS.domain):
            wrong += [(prop, s, domain) for s in graph.subjects(prop) if domain not in types[s]]
        for range_ in ontology().objects(prop, RDFS.range):
            for value in graph.objects(None, prop):
                if isinstance(value, Literal):
                    allowed = {range_} | ({XSD.integer} if range_ == XSD.decimal else set())
                    if value.datatype not in allowed and not (
                        range_ == XSD.string and value.datatype is None and not value.language
                    ):
                        wrong.append((prop, value, range_))
                elif range_ not in types[value]:
                    wrong.append((prop, value, range_))
    assert not wrong, wrong[:10]


def test_every_defined_property_is_used() -> None:
    """Every property is used, except the deprecated aliases kept for one version."""
    graph = release_graph()
    unused = [
        p
        for p in properties()
        if next(graph.subject_objects(p), None) is None
        and (p, OWL.deprecated, Literal(True)) not in ontology()
    ]
    assert not unused, unused


# 2. closeTo: the capitals the report names ------------------------------------------------------

# "particularly those regions close to major national capitals (Paris/Hauts-de-France and
# CentreVal de Loire and Madrid/Cantabria) or major regional capitals (Milan impacting on Piemonte
# and Lombardy)" (chapter 3).
CAPITAL_PAIRS = {
    ("paris", "region/hauts-de-france"),
    ("paris", "region/centre-val-de-loire"),
    ("madrid", "region/cantabria"),
    ("milan", "region/piemonte"),
    ("milan", "place/lombardy"),
}


def test_close_to_states_the_capital_region_pairs_of_the_report() -> None:
    graph = release_graph()
    pairs = {
        (str(s)[len(f"{ID}place/") :], str(o)[len(ID) :])
        for s, o in graph.subject_objects(EOCIC.closeTo)
    }
    assert pairs == CAPITAL_PAIRS


def test_each_close_to_pair_has_its_quote_and_section() -> None:
    graph = release_graph()
    text = report_text()
    for capital, other in CAPITAL_PAIRS:
        subject, obj = URIRef(f"{ID}place/{capital}"), URIRef(ID + other)
        (fact,) = [
            f
            for f in graph.subjects(RDF.subject, subject)
            if (f, RDF.predicate, EOCIC.closeTo) in graph and (f, RDF.object, obj) in graph
        ]
        assert (fact, RDF.type, EOCIC.FactStatement) in graph
        quote = str(graph.value(fact, EOCIC.quote))
        assert quote in text and capital.capitalize() in quote
        names = {str(n) for n in graph.objects(obj, RDFS.label)} | {
            str(n) for n in graph.objects(obj, SKOS.hiddenLabel)
        }
        assert any(name in quote for name in names), (fact, names)
        assert graph.value(fact, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")) is not None


def test_every_fact_statement_names_an_asserted_triple() -> None:
    _, data = asserted()
    facts = list(data.subjects(RDF.type, EOCIC.FactStatement))
    assert facts
    for fact in facts:
        triple = (
            data.value(fact, RDF.subject),
            data.value(fact, RDF.predicate),
            data.value(fact, RDF.object),
        )
        assert triple in data, fact


# 3. One label, one resource -----------------------------------------------------------------------


def _english_labels() -> dict[Node, set[str]]:
    labels: dict[Node, set[str]] = defaultdict(set)
    for resource, label in release_graph().subject_objects(RDFS.label):
        if isinstance(label, Literal) and label.language == "en":
            labels[resource].add(str(label))
    return labels


def test_every_resource_has_one_english_label() -> None:
    several = {r: ls for r, ls in _english_labels().items() if len(ls) > 1}
    assert not several, list(several.items())[:5]


def test_no_two_resources_share_an_english_label() -> None:
    owners: dict[str, set[Node]] = defaultdict(set)
    for resource, labels in _english_labels().items():
        for label in labels:
            owners[label].add(resource)
    shared = {label: sorted(map(str, rs)) for label, rs in owners.items() if len(rs) > 1}
    assert not shared, shared


def test_homonyms_carry_their_kind_and_keep_the_bare_word() -> None:
    graph = release_graph()
    for slug in ("digitalisation", "automation", "urbanisation", "demographic-change"):
        challenge = URIRef(f"{ID}challenge/{slug}")
        megatrend = URIRef(f"{ID}megatrend/{slug}")
        assert str(graph.value(challenge, RDFS.label)).endswith("(challenge)")
        assert str(graph.value(megatrend, RDFS.label)).endswith("(megatrend)")
        assert set(graph.objects(challenge, SKOS.altLabel)) & set(
            graph.objects(megatrend, SKOS.altLabel)
        )


def test_labels_keep_the_report_meaning() -> None:
    graph = release_graph()
    text = report_text()
    culture = str(graph.value(URIRef(f"{ID}challenge/entrepreneurial-culture"), RDFS.label))
    assert culture.lower() in text.lower()  # "weak entrepreneurial culture"
    customisation = str(graph.value(URIRef(f"{ID}challenge/customisation"), RDFS.label))
    assert "personalisation" in customisation


def test_accented_labels_have_an_ascii_hidden_label() -> None:
    graph = release_graph()
    accented = [(r, ls) for r, ls in _english_labels().items() if any(fold(x) != x for x in ls)]
    assert accented  # "Pôles de compétitivité", "Strategy “Assembly” ..."
    for resource, labels in accented:
        hidden = {str(h) for h in graph.objects(resource, SKOS.hiddenLabel)}
        assert {fold(label) for label in labels} <= hidden, resource
        assert all(label.isascii() for label in hidden), resource


def test_pilot_regions_carry_their_nuts_names_as_recorded_from_the_standard() -> None:
    graph = release_graph()
    nuts = URIRef(f"{ID}standard/nuts-2021")
    prov = Namespace("http://www.w3.org/ns/prov#")
    for slug in REGIONS:
        names = {n for n in graph.objects(region(slug), SKOS.altLabel) if n.language != "en"}
        (mapping,) = [
            m
            for m in graph.objects(region(slug), EOCIC.hasStandardMapping)
            if (m, prov.wasDerivedFrom, nuts) in graph
        ]
        recorded = set(graph.objects(mapping, EOCIC.nameInStandard))
        assert names and names == recorded, slug
        # the name is the one the mapping's description gives for the NUTS code
        description = str(graph.value(mapping, URIRef("http://purl.org/dc/terms/description")))
        assert all(str(name) in description for name in names), slug


# 4. Links both ways -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [
        (EOCIC.exampleRegion, EOCIC.isExampleOf),
        (EOCIC.aboutResource, EOCIC.subjectOf),
        (EOCIC.aboutRegion, EOCIC.regionOfStatement),
        (EOCIC.measureFor, EOCIC.hasMeasure),
        (EOCIC.driverOf, EOCIC.hasDriver),
        (EOCIC.drivenByMegatrend, EOCIC.drivesChallenge),
        (EOCIC.facesChallenge, EOCIC.challengeFacedBy),
    ],
    ids=lambda p: str(p)[len(EOCIC_IRI) :],
)
def test_inverse_is_declared_and_materialised(forward: URIRef, inverse: URIRef) -> None:
    assert (inverse, OWL.inverseOf, forward) in ontology() or (
        forward,
        OWL.inverseOf,
        inverse,
    ) in ontology()
    graph = release_graph()
    there = set(graph.subject_objects(forward))
    back = {(o, s) for s, o in graph.subject_objects(inverse)}
    assert there and there == back


@pytest.mark.parametrize("slug", REGIONS)
def test_inverse_links_reach_the_region_examples_and_findings(slug: str) -> None:
    graph = release_graph()
    here = region(slug)
    examples = set(graph.subjects(EOCIC.exampleRegion, here))
    findings = {
        f
        for f in graph.subjects(EOCIC.aboutResource, here)
        if (f, RDF.type, EOCIC.Finding) in graph
    }
    statements = set(graph.subjects(EOCIC.aboutRegion, here))
    assert set(graph.objects(here, EOCIC.isExampleOf)) == examples
    assert findings and findings <= set(graph.objects(here, EOCIC.subjectOf))
    assert statements and statements == set(graph.objects(here, EOCIC.regionOfStatement))


def test_region_profile_counts_follow_the_inverse_links() -> None:
    from .competency import run

    for slug in REGIONS:
        (row,) = run("region-profile", region=str(region(slug)))
        graph = release_graph()
        differences = {
            d
            for d in graph.objects(region(slug), EOCIC.regionOfStatement)
            if (d, RDF.type, EOCIC.RegionalDifference) in graph
        }
        assert int(row["differences"]) == len(differences)
        assert int(row["examples"]) == len(set(graph.subjects(EOCIC.exampleRegion, region(slug))))
        assert int(row["findings"]) > 0


# 5. One join for the country ----------------------------------------------------------------------


def test_in_country_answers_for_all_ten_pilot_regions() -> None:
    rows = release_graph().query(
        """SELECT ?region ?country ?authority WHERE {
             ?region a eocic:PilotRegion ; eocic:inCountry ?country .
             ?country eocic:countryAuthority ?authority }""",
        initNs={"eocic": EOCIC},
    )
    found = {row.region: row.country for row in rows}  # type: ignore[union-attr]
    assert set(found) == {region(slug) for slug in REGIONS}
    # footnote 1: "the two countries: Slovenia and Lithuania": each in its own country resource
    assert found[region("lithuania")] == URIRef(f"{ID}country/lithuania")
    assert found[region("slovenia")] == URIRef(f"{ID}country/slovenia")
    assert found[region("saxony")] == URIRef(f"{ID}country/germany")


def test_countries_are_pairwise_distinct_and_in_country_is_functional() -> None:
    graph = ontology()
    assert (EOCIC.inCountry, RDF.type, OWL.FunctionalProperty) in graph
    _, data = asserted()
    countries = set(data.subjects(RDF.type, EOCIC.Country))
    distinct = set()
    for node in data.subjects(RDF.type, OWL.AllDifferent):
        from rdflib.collection import Collection

        distinct |= set(Collection(data, data.value(node, OWL.distinctMembers)))
    assert countries <= distinct


# 6. Dates that sort -------------------------------------------------------------------------------


def test_events_in_2018_in_order() -> None:
    """Events that may have taken place in 2018 (their earliest/latest interval overlaps it)."""
    rows = release_graph().query(
        """SELECT ?event WHERE {
             ?event eocic:earliestDate ?earliest ; eocic:latestDate ?latest .
             FILTER (YEAR(?earliest) <= 2018 && YEAR(?latest) >= 2018) }
           ORDER BY ?earliest""",
        initNs={"eocic": EOCIC},
    )
    # "Two European Cluster Policy Forums took place in February and April 2018"; the Joint Peer
    # Review Meeting "took place on 4 April" and the third forum "will take place on 15 November"
    # (no year: 2018 or 2019)
    assert [str(row.event) for row in rows] == [  # type: ignore[union-attr]
        f"{ID}event/first-european-cluster-policy-forum",
        f"{ID}event/second-european-cluster-policy-forum",
        f"{ID}event/joint-peer-review-meeting",
        f"{ID}event/third-european-cluster-policy-forum",
    ]


def test_dates_without_a_year_fall_inside_year_filters() -> None:
    """A day without a year sorted first and fell out of every year filter."""
    graph = release_graph()
    undated = [e for e, date in graph.subject_objects(EOCIC.date) if date.datatype == XSD.gMonthDay]
    assert len(undated) == 2
    for event in undated:
        day = str(graph.value(event, EOCIC.date))[1:]  # "--04-04" -> "-04-04"
        earliest = graph.value(event, EOCIC.earliestDate)
        latest = graph.value(event, EOCIC.latestDate)
        assert str(earliest).endswith(day) and str(latest).endswith(day)
        assert int(str(latest)[:4]) - int(str(earliest)[:4]) == 1  # one of two years
        assert graph.value(event, RDFS.comment) is not None  # the bounds are explained


def test_earliest_and_latest_agree_with_the_report_date() -> None:
    graph = release_graph()
    events = set(graph.subjects(RDF.type, EOCIC.Event))
    assert events
    for event in events:
        date = graph.value(event, EOCIC.date)
        earliest = graph.value(event, EOCIC.earliestDate)
        latest = graph.value(event, EOCIC.latestDate)
        if date is None:  # dated only relatively ("a decade ago")
            assert earliest is None and latest is None, event
            assert graph.value(event, EOCIC.yearsBeforeReport) is not None, event
            continue
        assert earliest is not None and latest is not None, event
        assert str(earliest) <= str(latest)
        if date.datatype == XSD.gMonthDay:
            continue  # see test_dates_without_a_year_fall_inside_year_filters
        assert str(earliest).startswith(str(date))
        if date.datatype == XSD.gYearMonth:
            assert str(earliest).endswith("-01") and str(latest).startswith(str(date))
        end = graph.value(event, EOCIC.endDate)
        assert str(latest) == str(end if end is not None else latest)


# 7. Region facts as statements --------------------------------------------------------------------


def test_region_facts_are_properties_with_quote_and_section() -> None:
    graph = release_graph()
    text = report_text()
    finland = URIRef(f"{ID}country/finland")
    assert graph.value(finland, EOCIC.hasNationalClusterStrategy) == Literal(False)
    for subject, prop in [
        (finland, EOCIC.hasNationalClusterStrategy),
        (region("piemonte"), EOCIC.hasClusterOrganisationForm),
        (region("hauts-de-france"), EOCIC.hasClusterOrganisationForm),
        (region("saxony"), EOCIC.hasDominantSector),
    ]:
        for value in graph.objects(subject, prop):
            facts = [
                f
                for f in graph.subjects(RDF.subject, subject)
                if (f, RDF.predicate, prop) in graph and (f, RDF.object, value) in graph
            ]
            assert len(facts) == 1, (subject, prop, value)
            assert str(graph.value(facts[0], EOCIC.quote)) in text


# 8. Details ---------------------------------------------------------------------------------------


def test_no_attribution_detail_is_about_another_challenge() -> None:
    """A detail of a region's challenge is not the sentence that states another challenge of the
    same region (Lithuania's talent attribution carried the cluster-excellence sentence)."""
    graph = release_graph()
    for attribution in graph.subjects(RDF.type, EOCIC.ChallengeAttribution):
        detail = graph.value(attribution, EOCIC.detail)
        if detail is None:
            continue
        here = graph.value(attribution, EOCIC.aboutRegion)
        for other in graph.subjects(EOCIC.aboutRegion, here):
            if other != attribution and (other, RDF.type, EOCIC.ChallengeAttribution) in graph:
                assert str(detail) != str(graph.value(other, EOCIC.quote)), attribution


def test_cluster_functions_are_not_steps() -> None:
    graph = release_graph()
    steps = set(graph.objects(None, EOCIC.hasStep))
    assert steps and not any((s, RDF.type, EOCIC.ClusterFunction) in graph for s in steps)


# 9. Data files as readable code -------------------------------------------------------------------

PREFIX = re.compile(r"^@prefix\s+([A-Za-z][\w-]*)?:\s*<([^>]*)>\s*\.\s*$")
ONE_TERM_LINE = re.compile(r'^\s+("(?:[^"\\]|\\.)*"|<[^>]*>)(@[a-z-]+|\^\^[a-z]+:\w+)?( [;.,])?$')


def _prefixes(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {m.group(1) or "": m.group(2) for m in map(PREFIX.match, lines) if m}


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_no_full_data_iri_is_spelled_out(path: Path) -> None:
    body = [
        line for line in path.read_text(encoding="utf-8").splitlines() if not PREFIX.match(line)
    ]
    offending = [line for line in body if ID in line]
    assert not offending, offending[:5]


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_one_prefix_per_kind_named_after_its_path_segment(path: Path) -> None:
    for name, iri in _prefixes(path).items():
        if iri.startswith(ID):
            assert iri == f"{ID}{name}/", (name, iri)


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_no_unused_prefix(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not PREFIX.match(line))
    unused = [n for n in _prefixes(path) if not re.search(rf"(?<![\w-]){re.escape(n)}:", body)]
    assert not unused, unused


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_lines_within_100_characters(path: Path) -> None:
    long = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if len(line) > 100 and not ONE_TERM_LINE.match(line)
    ]
    assert not long, long[:5]


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_each_label_is_stated_once(path: Path) -> None:
    graph = Graph().parse(path)
    twice = [
        s for s, label in graph.subject_objects(RDFS.label) if (s, SKOS.prefLabel, label) in graph
    ]
    assert not twice, twice[:5]


def test_pref_label_is_a_label() -> None:
    assert (SKOS.prefLabel, RDFS.subPropertyOf, RDFS.label) in ontology()


def test_shapes_are_split_by_topic_like_the_data() -> None:
    topics = {p.stem for p in SHAPES_DIR.glob("*.ttl")}
    assert "common" in topics and len(topics) > 1
    assert topics - {"common"} <= {p.stem for p in DATA_FILES}


def test_ontology_version_has_prior_version_and_changes() -> None:
    graph = ontology()
    (header,) = graph.subjects(RDF.type, OWL.Ontology)
    version = str(graph.value(header, OWL.versionInfo))
    prior = graph.value(header, OWL.priorVersion)
    assert prior is not None and str(prior) != str(graph.value(header, OWL.versionIRI))
    changes = (ROOT / "ontology" / "CHANGES.md").read_text(encoding="utf-8")
    assert f"## {version}" in changes
    creator = graph.value(header, URIRef("http://purl.org/dc/terms/creator"))
    assert creator is not None and not isinstance(creator, Literal)


# 10. Docs that cannot drift -----------------------------------------------------------------------

KIND_ROW = re.compile(r"^\| `([a-z-]+):` \| (.+?) \| (.+?) \|$")


def _kind_table() -> dict[str, set[str]]:
    text = (ROOT / "docs" / "data-conventions.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        m = KIND_ROW.match(line)
        if m:
            rows[m.group(1)] = set(re.findall(r"`([\w:]+)`", m.group(2)))
    return rows


def test_iri_kind_table_matches_the_data() -> None:
    table = _kind_table()
    _, data = asserted()
    namespaces = {
        "eocic": EOCIC_IRI,
        "skos": str(SKOS),
        "org": "http://www.w3.org/ns/org#",
        "prov": "http://www.w3.org/ns/prov#",
        "qb": "http://purl.org/linked-data/cube#",
    }

    def expand(curie: str) -> URIRef:
        prefix, local = curie.split(":")
        return URIRef(namespaces[prefix] + local)

    kinds: dict[str, set[Node]] = defaultdict(set)
    for resource in set(data.subjects(RDF.type)):
        if isinstance(resource, URIRef) and str(resource).startswith(ID):
            kinds[str(resource)[len(ID) :].split("/")[0]].add(resource)
    assert set(table) == set(kinds)
    for kind, resources in kinds.items():
        classes = {expand(c) for c in table[kind]}
        for resource in resources:
            assert set(data.objects(resource, RDF.type)) & classes, (kind, resource)


# 11. Model 0.3 (issue 21) -------------------------------------------------------------------------


def _terms() -> list[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    found = {t for kind in kinds for t in ontology().subjects(RDF.type, kind)}
    return sorted(t for t in found if isinstance(t, URIRef) and str(t).startswith(EOCIC_IRI))


def test_every_term_is_defined_by_the_ontology() -> None:
    graph = ontology()
    (header,) = graph.subjects(RDF.type, OWL.Ontology)
    missing = [t for t in _terms() if graph.value(t, RDFS.isDefinedBy) != header]
    assert _terms() and not missing, missing


def test_ontology_is_linked_to_the_report_it_models() -> None:
    graph = ontology()
    (header,) = graph.subjects(RDF.type, OWL.Ontology)
    report = graph.value(header, URIRef("http://purl.org/dc/terms/source"))
    assert (report, RDF.type, EOCIC.Report) in release_graph()


def test_deprecated_aliases_name_their_replacement_and_still_answer() -> None:
    """Renamed look-alikes keep an owl:deprecated alias for one version."""
    graph = ontology()
    deprecated = set(graph.subjects(OWL.deprecated, Literal(True)))
    assert {EOCIC.challenge, EOCIC.measureType, EOCIC.proposedFor, EOCIC.region} <= deprecated
    release = release_graph()
    for old in deprecated:
        new = graph.value(old, URIRef("http://purl.org/dc/terms/isReplacedBy"))
        assert new is not None and (new, RDF.type, None) in graph, old
        if (new, RDFS.subPropertyOf, old) in graph:  # a rename: both answer the same
            assert set(release.subject_objects(old)) == set(release.subject_objects(new)), old


def test_no_region_is_in_itself_and_countries_are_not_pilot_regions() -> None:
    """`region:lithuania eocic:hasRegion region:lithuania`; `?c a eocic:Country` mixed pilot
    regions with Romania."""
    graph = release_graph()
    assert not [(s, o) for s, o in graph.subject_objects(EOCIC.inCountry) if s == o]
    assert not [(s, o) for s, o in graph.subject_objects(EOCIC.containsTerritory) if s == o]
    countries = set(graph.subjects(RDF.type, EOCIC.Country))
    assert countries and not countries & set(graph.subjects(RDF.type, EOCIC.PilotRegion))
    # footnote 1: "the two countries: Slovenia and Lithuania"
    for slug in ("lithuania", "slovenia"):
        country = URIRef(f"{ID}country/{slug}")
        assert (region(slug), EOCIC.sameTerritoryAs, country) in graph
        assert (country, EOCIC.sameTerritoryAs, region(slug)) in graph
        assert (country, EOCIC.containsTerritory, region(slug)) in graph


def test_every_numbered_concept_has_an_integer_position() -> None:
    graph = release_graph()
    numbered = set(graph.subjects(SKOS.notation, None))
    assert numbered
    for concept in numbered:
        position = graph.value(concept, EOCIC.position)
        assert position is not None and position.datatype == XSD.integer, concept
        assert str(position) == str(graph.value(concept, SKOS.notation)), concept


def test_every_measure_has_a_status_or_says_none_is_given() -> None:
    """Only 3 of 18 measures had a status and an absent status was not explained."""
    graph = release_graph()
    measures = set(graph.subjects(RDF.type, EOCIC.Measure))
    statuses = {m: graph.value(m, EOCIC.hasStatus) for m in measures}
    assert len(measures) == 18 and all(statuses.values())
    # "Strategy “Assembly” (Strategiewerkstatt) in Saxony ... (already completed)"
    saxony = URIRef(f"{ID}measure/saxony-strategiewerkstatt")
    assert statuses[saxony] == URIRef(f"{ID}status/completed")
    assert (saxony, EOCIC.measureFor, region("saxony")) in graph
