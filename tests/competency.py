"""Run named queries against the release graph with pyoxigraph, for the competency tests."""

from __future__ import annotations

import functools

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from eocic_kg.catalogue import load_catalogue

from .release_cache import release_graph

ID = "https://w3id.org/eocic/id/"


def oxigraph_term(term: Node) -> ox.NamedNode | ox.Literal:
    """The pyoxigraph term for an rdflib IRI or literal."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    assert isinstance(term, Literal)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    datatype = ox.NamedNode(str(term.datatype)) if term.datatype else None
    return ox.Literal(str(term), datatype=datatype)


@functools.cache
def oxigraph_store() -> ox.Store:
    """The release graph in an in-memory pyoxigraph store."""
    store = ox.Store()
    data = release_graph().serialize(format="nt", encoding="utf-8")
    store.load(data, format=ox.RdfFormat.N_TRIPLES)
    return store


def run(name: str, **params: str) -> list[dict[str, str]]:
    """Rows of named query `name` with parameters bound; values as strings (IRIs unabbreviated)."""
    query = load_catalogue()[name]
    substitutions = {
        ox.Variable(variable): oxigraph_term(term)
        for variable, term in query.bindings(params).items()
    }
    solutions = oxigraph_store().query(query.text, substitutions=substitutions)
    names = [v.value for v in solutions.variables]
    return [
        {n: solution[n].value for n in names if solution[n] is not None} for solution in solutions
    ]


def column(rows: list[dict[str, str]], name: str) -> list[str]:
    """The values of one column, in order."""
    return [row[name] for row in rows if name in row]


def ids(kind: str, *slugs: str) -> set[str]:
    """Full data IRIs for slugs of one kind."""
    return {f"{ID}{kind}/{slug}" for slug in slugs}
