"""One query catalogue: the SPARQL the code runs is read from `queries/` by `eocic_kg.catalogue`.

The public named queries are `queries/*.rq` (the API); the code's own queries (chart data,
probes, VoID counts, page neighbourhoods) are `queries/internal/*.rq`, read by `internal`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.plugins.sparql import prepareQuery

from eocic_kg import catalogue
from eocic_kg.catalogue import (
    INTERNAL_DIR,
    ParameterError,
    internal,
    load_catalogue,
    parse_query_text,
)
from eocic_kg.queries import select
from eocic_kg.store import Store
from eocic_kg.store_api import QueryRequest
from eocic_kg.web.app import create_app

from .release_cache import release_nquads

SRC = Path(catalogue.__file__).resolve().parent
INTERNAL = sorted(path.stem for path in INTERNAL_DIR.glob("*.rq"))
#: A query form, a group after WHERE, or an update operation, in a string literal.
SPARQL = re.compile(
    r"\b(?:SELECT\s+(?:DISTINCT\s+|REDUCED\s+)?[?*(]|CONSTRUCT\s*\{|DESCRIBE\s+[?<]|ASK\s*\{"
    r"|WHERE\s*\{|(?:INSERT|DELETE)\s+(?:DATA|WHERE)\s*\{|(?:CLEAR|DROP|CREATE)\s+SILENT\b)",
    re.IGNORECASE,
)
#: The SPARQL text built in code, and why it cannot come from the catalogue.
ALLOWED = {
    # a whole graph read from a remote engine, by pages of the engine's own row limit; the
    # graph IRI is checked by named_node and stays a constant for the engine's planner
    ("remote.py", "RemoteStore._triples"),
    # a write's marker, added to the client's own update so that both commit in one
    # transaction, and its removal: the marker IRI is a fresh UUID checked by named_node
    ("store.py", "_with_marker"),
    ("store.py", "Store.forget_write"),
    # a Graph Store delete of a large graph, a chunk per transaction (an update: internal queries
    # are read-only); the graph IRI is checked by named_node first (`Store._graph`)
    ("store.py", "Store.drop_graph"),
    # a replacing Graph Store upload of one chunk, emptied and written in one transaction (an
    # update): the graph IRI is checked by named_node, the triples are the engine's own
    # N-Triples of the parsed body, never the client's text
    ("store.py", "Store._replace_graph"),
    # the ASK a client is told to send to learn a lost write's outcome: text for a person,
    # never run by the server
    ("web/pool.py", "QueryPool._settle"),
    # an internal ASK query's own text as the SELECT of the nodes it holds of (the query page's
    # suggestions): only the form is written here, the pattern stays the file's
    ("catalogue.py", "NamedQuery.selecting"),
}


def _literals(tree: ast.AST) -> Iterator[tuple[str, str, int]]:
    """(enclosing qualified name, text, line) of each string literal that is no docstring; an
    f-string's text has `{}` for each replacement field."""

    def visit(node: ast.AST, scope: str) -> Iterator[tuple[str, str, int]]:
        body = getattr(node, "body", None)
        docstring = None
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            docstring = body[0].value
        for child in ast.iter_child_nodes(node):
            if child is docstring or (isinstance(child, ast.Expr) and child.value is docstring):
                continue
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                yield from visit(child, f"{scope}.{child.name}".lstrip("."))
            elif isinstance(child, ast.JoinedStr):
                parts = (v.value if isinstance(v, ast.Constant) else "{}" for v in child.values)
                yield scope, "".join(parts), child.lineno
            elif isinstance(child, ast.Constant) and isinstance(child.value, str):
                yield scope, child.value, child.lineno
            else:
                yield from visit(child, scope)

    yield from visit(tree, "")


def _inline_sparql() -> list[tuple[str, str, int, str]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for scope, text, line in _literals(tree):
            if SPARQL.search(text):
                found.append((path.relative_to(SRC).as_posix(), scope, line, text))
    return found


def test_no_inline_sparql_outside_queries() -> None:
    inline = [f for f in _inline_sparql() if (f[0], f[1]) not in ALLOWED]
    assert not inline, "SPARQL in src; put it in queries/internal/*.rq and read it by internal()"


def test_the_allow_list_is_in_use() -> None:
    assert {(path, scope) for path, scope, _, _ in _inline_sparql()} == ALLOWED


def test_the_scan_sees_strings_and_f_strings_but_not_docstrings() -> None:
    code = '''
def f(x):
    """SELECT * WHERE { ?s ?p ?o }"""
    return f"CONSTRUCT {{ ?s ?p {x} }}", "ASK {}", "SELECT the rows"
'''
    texts = [t for _, t, _ in _literals(ast.parse(code)) if SPARQL.search(t)]
    assert texts == ["CONSTRUCT { ?s ?p {} }", "ASK {}"]


@pytest.mark.parametrize("name", INTERNAL)
def test_internal_query_parses_and_says_what_it_is_for(name: str) -> None:
    query = internal(name)
    assert query.name == name and query.summary != name
    assert not query.tags, "tags group the public named queries on the query page"
    prepareQuery(query.text)
    ox.Store().query(query.text)  # pyoxigraph parses it too (placeholders are empty VALUES)


@pytest.mark.parametrize("name", INTERNAL)
def test_internal_query_is_read_by_the_code(name: str) -> None:
    """Named in the code, or a ``takes-SORT`` check that a named query's ``#+ takes:`` uses."""
    sources = "\n".join(path.read_text(encoding="utf-8") for path in SRC.rglob("*.py"))
    taken = {
        f"takes-{sort}" for query in load_catalogue().values() for sort in query.takes.values()
    }
    assert f'"{name}"' in sources or name in taken, f"queries/internal/{name}.rq is not used"


def test_internal_queries_are_read_once_and_apart_from_the_api() -> None:
    assert internal("ping") is internal("ping")
    assert not set(INTERNAL) & set(load_catalogue())
    api = create_app(store=Store()).test_client().get("/api/queries").get_data(as_text=True)

    def listed(name: str) -> bool:
        return f'"{name}"' in api or f"/{name}" in api

    assert listed("regions-by-challenge")
    assert not [name for name in INTERNAL if listed(name)]


@pytest.mark.parametrize("name", ["nope", "../regions", "internal/ping", ""])
def test_unknown_internal_query(name: str) -> None:
    with pytest.raises(KeyError):
        internal(name)


def test_filled_lists_iris_and_nothing_else() -> None:
    query = internal("property-values")
    filled = query.filled(x=["https://w3id.org/eocic/id/region/saxony"], p=["urn:a", "urn:b"])
    assert "VALUES ?x { <https://w3id.org/eocic/id/region/saxony> }" in filled.text
    assert "VALUES ?p { <urn:a> <urn:b> }" in filled.text
    assert query.text != filled.text and "VALUES ?x {}" in internal("property-values").text
    for bad in ("> } ; DROP ALL", "not an iri", "urn:a b", "urn:{x}"):
        with pytest.raises(ParameterError, match="not an absolute IRI"):
            query.filled(x=[bad])
    with pytest.raises(ParameterError, match="placeholder"):
        query.filled(nothing=["urn:a"])


def test_select_runs_an_internal_query_on_the_store() -> None:
    store = Store.from_file(release_nquads())
    saxony = "https://w3id.org/eocic/id/region/saxony"
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    rows = select(internal("sources-of").filled(node=[saxony]), store=store)
    assert rows and all(row["part"].startswith("https://w3id.org/eocic/id/") for row in rows)
    assert {row["node"] for row in rows} == {saxony}
    values = internal("property-values").filled(x=[saxony], p=[label])
    text = store.query(QueryRequest(values.text, graph="ntriples")).body
    assert b'"Saxony"' in text
    counts = select(internal("void-counts"), store=store)[0]
    assert counts["triples"] == len(store) and counts["properties"] > 10


def test_examples_for_an_empty_catalogue() -> None:
    assert [q.name for q in catalogue.examples()] == ["classes", "graphs", "labels"]
    assert all(q.summary and not q.parameters for q in catalogue.examples())


def test_a_takes_header_naming_no_check_is_an_error_not_a_parameter_left_unchecked() -> None:
    """``#+ takes: part=reportpart`` (a misspelt sort) would leave the parameter unjudged."""
    with pytest.raises(ValueError, match=r"no internal query takes-reportpart\.rq"):
        parse_query_text("#+ takes: part=reportpart\nSELECT ?_part_iri WHERE {}", "misspelt")
