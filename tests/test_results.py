"""The results writer: the row limit applied while the engine serialises, every format exact."""

from __future__ import annotations

import json
from collections.abc import Callable

import pyoxigraph as ox
import pytest

from eocic_kg.results import _ROW_MARKS, TABULAR_FORMATS, bounded_solutions

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


def _counted(store: ox.Store, query: str) -> tuple[list[int], Callable[[], ox.QuerySolutions]]:
    """The evaluations of `query` that `again` makes (a list that grows), and `again`."""
    calls: list[int] = []

    def again() -> ox.QuerySolutions:
        calls.append(1)
        solutions = store.query(query)
        assert isinstance(solutions, ox.QuerySolutions)
        return solutions

    return calls, again


@pytest.fixture(scope="module")
def many() -> ox.Store:
    """9,001 triples: enough solutions to pass a one-pass budget."""
    store = ox.Store()
    data = "".join(f'<http://e/s{i}> <http://e/p> "{i}" .\n' for i in range(9001))
    store.load(input=data.encode(), format=ox.RdfFormat.N_TRIPLES)
    return store


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("fmt", list(TABULAR_FORMATS))
def test_a_result_within_the_budget_takes_one_pass_and_equals_the_counted_one(
    store: ox.Store, query: str, fmt: str
) -> None:
    calls, again = _counted(store, query)
    body, truncated = bounded_solutions(store.query(query), fmt, 10_000, again)
    counted, _ = bounded_solutions(store.query(query), fmt, 10_000)
    assert not truncated and body == counted
    assert calls == []


@pytest.mark.parametrize("fmt", list(_ROW_MARKS))
@pytest.mark.parametrize("rows", [0, 1, 9001])
def test_every_solution_writes_the_row_mark_and_the_frame_its_share(
    many: ox.Store, fmt: str, rows: int
) -> None:
    """The first pass holds at most `max_rows` solutions only if each solution, even an empty
    one, writes the format's mark at least once and the rest of the document `frame` times."""
    empty = many.query(f"SELECT ?x WHERE {{ ?s ?p ?o }} LIMIT {rows}")  # solutions binding nothing
    body = empty.serialize(format=TABULAR_FORMATS[fmt][1]) or b""
    mark, frame = _ROW_MARKS[fmt]
    assert body.count(mark) >= rows + frame


@pytest.mark.parametrize("fmt", list(_ROW_MARKS))
@pytest.mark.parametrize("max_rows", [1000, 3000, 9000, 9001])
@pytest.mark.parametrize("query", ["SELECT ?x WHERE { ?s ?p ?o }", "SELECT * WHERE { ?s ?p ?o }"])
def test_a_result_past_the_bound_is_evaluated_again_and_cut_exactly(
    many: ox.Store, fmt: str, max_rows: int, query: str
) -> None:
    """9,001 solutions, empty (the most that fit a bound) or binding three terms: past the
    bound, they are counted on a second evaluation; either way the answer is the counted one,
    cut only when the solutions are more than the limit."""
    calls, again = _counted(many, query)
    body, truncated = bounded_solutions(many.query(query), fmt, max_rows, again)
    assert (body, truncated) == bounded_solutions(many.query(query), fmt, max_rows)
    assert truncated is (max_rows < 9001)
    assert calls == [1] if truncated else calls in ([], [1])
    rows = {
        "json": lambda: len(json.loads(body)["results"]["bindings"]),
        "xml": lambda: body.count(b"<result>"),
        "csv": lambda: body.count(b"\n") - 1,
    }[fmt]()
    assert rows == min(9001, max_rows)


def test_a_result_within_the_bound_takes_one_pass_even_when_large(many: ox.Store) -> None:
    """2,000 solutions of three terms each, under a limit of 10,000 (8,003 marks in JSON):
    one evaluation."""
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 2000"
    calls, again = _counted(many, query)
    body, truncated = bounded_solutions(many.query(query), "json", 10_000, again)
    assert calls == [] and not truncated
    assert len(json.loads(body)["results"]["bindings"]) == 2000


def test_a_small_row_limit_counts_at_once(many: ox.Store) -> None:
    """Under a row limit below `_WORTH_A_TRY` most results would pass the bound, each then
    evaluated twice: the solutions are counted in the first evaluation."""
    query = "SELECT ?o WHERE { ?s ?p ?o }"
    calls, again = _counted(many, query)
    body, truncated = bounded_solutions(many.query(query), "json", 10, again)
    assert truncated and calls == []
    assert len(json.loads(body)["results"]["bindings"]) == 10
