"""Predeclared prefixes: one table, every kind of IRI in the data, used by every query path."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, URIRef
from SPARQLWrapper import JSON, SPARQLWrapper

from eocic_kg.catalogue import load_catalogue
from eocic_kg.export import export_rdf
from eocic_kg.prefixes import KINDS, PREFIXES, kinds_in, prefixed_name
from eocic_kg.store import Store
from eocic_kg.store_api import QueryRequest

from .conftest import Server
from .release_cache import built_release, release_graph, release_nquads

_SLUG = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def _iris(graph: Graph) -> set[str]:
    return {str(n) for triple in graph for n in triple if isinstance(n, URIRef)}


def test_every_kind_in_the_data_has_a_prefix_and_no_other() -> None:
    assert kinds_in(_iris(release_graph())) == set(KINDS)


def test_issue_named_prefixes_are_predeclared() -> None:
    named = "eocic rdf rdfs owl xsd skos prov dcterms qb org foaf dcat void"
    assert set(named.split()) <= set(PREFIXES)
    assert PREFIXES["region"] == "https://w3id.org/eocic/id/region/"
    assert prefixed_name("https://w3id.org/eocic/id/region/saxony") == "region:saxony"


def _one_per_kind() -> dict[str, str]:
    """A prefixed name for one resource of each kind."""
    chosen: dict[str, str] = {}
    for iri in sorted(_iris(release_graph())):
        name = prefixed_name(iri)
        kind = name.split(":", 1)[0] if name else ""
        if kind in KINDS and kind not in chosen and _SLUG.match(name.split(":", 1)[1]):
            chosen[kind] = name
    return chosen


def test_the_endpoint_knows_a_prefix_for_every_kind(full_server: Server) -> None:
    names = _one_per_kind()
    assert set(names) == set(KINDS)
    sparql = SPARQLWrapper(f"{full_server.url}/sparql")
    sparql.setReturnFormat(JSON)
    sparql.setQuery(
        f"SELECT DISTINCT ?x WHERE {{ VALUES ?x {{ {' '.join(names.values())} }} ?x ?p ?o }}"
    )
    found = {b["x"]["value"] for b in sparql.queryAndConvert()["results"]["bindings"]}
    assert {prefixed_name(iri) for iri in found} == set(names.values())


def test_vocabulary_prefixes_and_a_query_prefix_wins(full_server: Server) -> None:
    query = (
        "PREFIX region: <http://example.org/elsewhere/>\n"
        "SELECT (region:x AS ?mine) (STR(void:Dataset) AS ?v) (STR(dcat:Dataset) AS ?d) "
        "(STR(qb:Observation) AS ?q) ?label WHERE { challenge:funding skos:prefLabel ?label }"
    )
    response = httpx.get(
        f"{full_server.url}/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    row = response.json()["results"]["bindings"][0]
    assert row["mine"]["value"] == "http://example.org/elsewhere/x"
    assert row["v"]["value"] == "http://rdfs.org/ns/void#Dataset"
    assert row["q"]["value"] == "http://purl.org/linked-data/cube#Observation"
    assert row["label"]["value"]


def test_named_query_engine_accepts_predeclared_prefixes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "labels.rq").write_text(
        "#+ summary: label of a region\nSELECT ?label WHERE { region:saxony rdfs:label ?label }\n"
    )
    query = load_catalogue(tmp_path)["labels"]
    store = Store.from_file(release_nquads())
    assert b"Saxony" in store.query(QueryRequest(query.text, tabular="csv")).body


def test_turtle_export_binds_the_same_table() -> None:
    turtle = export_rdf(built_release().dataset, "ttl").decode("utf-8")
    bound = dict(re.findall(r"^@prefix ([\w-]+):\s+<([^>]+)> \.$", turtle, re.MULTILINE))
    assert bound == {name: iri for name, iri in PREFIXES.items() if name in bound}
    assert {"eocic", "region", "challenge", "measure", "skos", "prov"} <= set(bound)


@pytest.mark.parametrize("name", ["region", "challenge", "measure", "cluster"])
def test_cli_query_accepts_kind_prefixes(name: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = Store.from_file(release_nquads())
    text = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s a ?t FILTER(STRSTARTS(STR(?s), STR({name}:))) }}"
    body = store.query(QueryRequest(text, tabular="csv")).body
    assert int(body.decode().split()[1]) > 0


def test_service_description_declares_every_prefix(full_server: Server) -> None:
    turtle = httpx.get(f"{full_server.url}/sparql", headers={"Accept": "text/turtle"}).text
    graph = Graph().parse(data=turtle, format="turtle")
    rows = graph.query(
        "PREFIX sh: <http://www.w3.org/ns/shacl#> "
        "SELECT ?p ?ns WHERE { ?service sh:declare [ sh:prefix ?p ; sh:namespace ?ns ] }"
    )
    assert {str(p): str(ns) for p, ns in rows} == PREFIXES  # type: ignore[misc]


def test_readme_lists_every_predeclared_prefix() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Predeclared prefixes") :]
    section = section[: re.search(r"\n##+ ", section[4:]).start() + 4]  # to the next heading
    listed = set(re.findall(r"`([\w-]+):`", section))
    assert listed == set(PREFIXES)


@pytest.mark.parametrize("local", ["saxony\n", "saxony\r\n", "\n"])
def test_a_local_name_with_a_trailing_line_break_is_no_prefixed_name(local: str) -> None:
    """`$` also matches before a trailing line break: `region:saxony\\n` passed as a prefixed
    name (a 500 further on), and an IRI ending in one would be written `region:saxony` plus a
    line break in Turtle. The whole local name must match."""
    from eocic_kg.catalogue import ParameterError, internal
    from eocic_kg.export import Names
    from eocic_kg.prefixes import expand_iri

    iri = PREFIXES["region"] + local
    assert prefixed_name(iri) is None
    assert Names(PREFIXES).iri(iri) == URIRef(iri).n3()
    with pytest.raises(ValueError, match="parameter 'region'"):
        expand_iri(f"region:{local}", "region")
    with pytest.raises(ParameterError, match="not an absolute IRI"):
        internal("report-parts").filled(part=[iri])  # the IRIs a citation splices in
