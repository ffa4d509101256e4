"""CONSTRUCT and DESCRIBE answers in Turtle bind the project's prefixes (issue 22): from
`eocic-kg query` and from /sparql, with the same triples as without them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from eocic_kg.prefixes import PREFIXES
from eocic_kg.results import used_prefixes

from .conftest import Server
from .release_cache import release_dist, run_cli

SAXONY = "https://w3id.org/eocic/id/region/saxony"
DESCRIBE = "DESCRIBE region:saxony"


def bound(turtle: str) -> dict[str, str]:
    """The prefixes a Turtle document declares, as rdflib reads them."""
    graph = Graph(bind_namespaces="none").parse(data=turtle, format="turtle")
    return {name: str(ns) for name, ns in graph.namespaces() if name}


def assert_prefixed(turtle: str) -> None:
    prefixes = bound(turtle)
    assert prefixes["region"] == PREFIXES["region"] and prefixes["rdfs"] == PREFIXES["rdfs"]
    assert "region:saxony" in turtle and f"<{SAXONY}>" not in turtle
    assert "id" not in prefixes  # each IRI takes its longest prefix, as the exports do


def test_cli_describe_turtle_had_no_prefixes(tmp_path: Path) -> None:
    run = run_cli("query", DESCRIBE, dist=release_dist(tmp_path))
    assert run.returncode == 0, run.stderr
    assert_prefixed(run.stdout)


def test_sparql_construct_turtle_had_no_prefixes(full_server: Server) -> None:
    query = f"CONSTRUCT {{ <{SAXONY}> ?p ?o }} WHERE {{ <{SAXONY}> ?p ?o }}"
    answers = {
        media: httpx.get(
            f"{full_server.url}/sparql", params={"query": query}, headers={"Accept": media}
        )
        for media in ("text/turtle", "application/n-triples")
    }
    assert all(r.status_code == 200 for r in answers.values())
    assert_prefixed(answers["text/turtle"].text)
    turtle = Graph().parse(data=answers["text/turtle"].text, format="turtle")
    plain = Graph().parse(data=answers["application/n-triples"].text, format="nt")
    assert len(turtle) > 5 and isomorphic(turtle, plain)


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        (SAXONY, {"region"}),
        ("https://w3id.org/eocic/ontology#Measure", {"eocic"}),
        ("https://example.org/x", set()),
    ],
)
def test_used_prefixes_take_the_longest_match(iri: str, expected: set[str]) -> None:
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    triples = [ox.Triple(ox.NamedNode(iri), label, ox.Literal("x"))]
    assert set(used_prefixes(triples)) == expected | {"rdfs"}


def test_used_prefixes_count_datatypes_but_not_those_turtle_leaves_out() -> None:
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    subject = ox.NamedNode(SAXONY)
    typed = ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    plain = [
        ox.Triple(subject, label, ox.Literal("x")),
        ox.Triple(subject, label, ox.Literal("x", language="en")),
    ]
    assert set(used_prefixes(plain)) == {"rdfs", "region"}
    assert set(used_prefixes([*plain, ox.Triple(subject, label, typed)])) == {
        "rdfs",
        "region",
        "xsd",
    }
