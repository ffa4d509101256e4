"""The results writer: the row limit applied while the engine serialises, every format exact."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from eocic_kg.results import TABULAR_FORMATS, bounded_solutions

XSD_INTEGER = "<http://www.w3.org/2001/XMLSchema#integer>"
DATA = f"""
<http://e/a> <http://e/p> "line one\\nline\\ttwo \\"quoted\\"" , "chat"@fr , "3"^^{XSD_INTEGER} .
<http://e/a> <http://e/p> _:b1 .
<http://e/b> <http://e/p> <http://e/c> .
_:b1 <http://e/q> "" .
"""
QUERIES = [
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o",
    "SELECT ?s ?x WHERE { ?s ?p ?o OPTIONAL { ?o ?q ?x } } ORDER BY ?s ?x",
    "SELECT * WHERE { }",
    "SELECT ?s WHERE { ?s <http://e/none> ?o }",
    "SELECT (TRIPLE(<http://e/a>, <http://e/p>, <http://e/b>) AS ?t) WHERE { }",
]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    store.load(input=DATA.encode(), format=ox.RdfFormat.TURTLE)
    return store


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("fmt", list(TABULAR_FORMATS))
def test_unbounded_results_equal_the_engine_s_own(store: ox.Store, query: str, fmt: str) -> None:
    body, truncated = bounded_solutions(store.query(query), fmt, 1000)
    expected = store.query(query).serialize(format=TABULAR_FORMATS[fmt][1])
    assert not truncated
    if fmt == "json":
        assert json.loads(body) == json.loads(expected)
    else:
        assert body == expected


@pytest.mark.parametrize("fmt", list(TABULAR_FORMATS))
def test_cut_results_are_the_first_rows_and_say_so(store: ox.Store, fmt: str) -> None:
    query = QUERIES[0]
    body, truncated = bounded_solutions(store.query(query), fmt, 2)
    assert truncated
    full = store.query(query).serialize(format=TABULAR_FORMATS[fmt][1])
    if fmt == "json":
        document, expected = json.loads(body), json.loads(full)
        assert document["results"]["bindings"] == expected["results"]["bindings"][:2]
        assert document["truncated"] is True and "2 rows" in document["warning"]
    elif fmt == "xml":
        assert body.count(b"<result>") == 2
        assert body.split(b"</result>")[:2] == full.split(b"</result>")[:2]
    else:  # one line per row after the header (values hold no raw line breaks here)
        assert body.splitlines() == full.splitlines()[:3]
