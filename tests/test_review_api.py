"""Inputs that were answered with a silently wrong 200 (nothing, the wrong rows, or another
document than the one asked for), found by probing the API, the endpoint and the CLI."""

from __future__ import annotations

import json
import unicodedata
import uuid
from pathlib import Path

import httpx
import pytest

from eocic_kg.catalogue import ParameterError
from eocic_kg.queries import select

from .conftest import GRAPH, Server
from .release_cache import release_dist, run_cli

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ONTOLOGY = GRAPH + "ontology"


def count(server: Server, **params: str) -> httpx.Response:
    return httpx.get(
        f"{server.url}/sparql",
        params={"query": COUNT, **params},
        headers={"Accept": "application/sparql-results+json"},
    )


def number(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize(
    "name", ["Default-Graph-URI", "default_graph_uri", "defaultGraphUri", "default-graph"]
)
def test_sparql_misspelt_dataset_parameter_was_ignored_and_the_union_answered(
    server: Server, name: str
) -> None:
    """`Default-Graph-URI=<ontology>` was not read: the count of every graph came back, 200,
    as if it were the ontology's."""
    assert number(count(server, **{"default-graph-uri": ONTOLOGY})) < number(count(server))
    r = count(server, **{name: ONTOLOGY})
    assert r.status_code == 400, r.text
    assert name in r.text and "'default-graph-uri'" in r.text
    # by POST form too
    named = name.replace("default", "named").replace("Default", "Named")
    form = {"query": COUNT, named: ONTOLOGY}
    r = httpx.post(f"{server.url}/sparql", data=form)
    assert r.status_code == 400 and "'named-graph-uri'" in r.text, r.text


def test_sparql_other_client_parameters_still_pass(server: Server) -> None:
    """Parameters clients send for other engines (SPARQLWrapper's `results=`, Virtuoso's
    `timeout=`) are not near misses of the protocol's, and are let through."""
    assert number(count(server, results="json", timeout="5")) == number(count(server))


@pytest.mark.parametrize("name", ["Query", "QUERY", "qurey"])
def test_sparql_get_with_misspelt_query_answered_the_service_description(
    server: Server, name: str
) -> None:
    """`/sparql?Query=SELECT...` read no query: 200 with the service description in Turtle,
    not the rows asked for."""
    r = httpx.get(f"{server.url}/sparql", params={name: COUNT, "format": "json"})
    assert r.status_code == 400, r.text[:200]
    assert repr(name) in r.text and "'query'" in r.text
    # the service description itself is still a bare GET (with its format=)
    assert httpx.get(f"{server.url}/sparql", params={"format": "ttl"}).status_code == 200


def test_sparql_get_with_a_dataset_but_no_query_answered_the_service_description(
    server: Server,
) -> None:
    r = httpx.get(f"{server.url}/sparql", params={"default-graph-uri": ONTOLOGY})
    assert r.status_code == 400 and "query" in r.text, r.text[:200]


@pytest.mark.parametrize(
    "param", ["default-graph-uri", "named-graph-uri"], ids=["default", "named"]
)
@pytest.mark.parametrize(
    "graph",
    [GRAPH + "onotlogy", "graph:ontology", "eocic:ontology"],
    ids=["misspelt", "prefixed", "other-prefixed"],
)
def test_sparql_dataset_naming_a_graph_the_store_lacks_answered_no_rows(
    server: Server, param: str, graph: str
) -> None:
    """A dataset graph the store does not have (misspelt, or a prefixed name, which is an IRI
    of another scheme) was answered 200 with a count of 0, as if the data held nothing."""
    query = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    good = httpx.get(f"{server.url}/sparql", params={"query": query, param: ONTOLOGY})
    assert number(good) > 0
    r = httpx.get(f"{server.url}/sparql", params={"query": query, param: graph})
    assert r.status_code == 400, r.text
    assert f"<{graph}>" in r.text
    r = httpx.post(f"{server.url}/sparql", data={"query": query, param: graph})
    assert r.status_code == 400 and f"<{graph}>" in r.text, r.text


def test_sparql_dataset_graph_of_elsewhere_is_still_an_empty_graph(server: Server) -> None:
    """A graph IRI of another host that the store lacks is an empty graph, as the SPARQL 1.1
    Protocol tests have it (their `query_get` names a graph of kasei.us)."""
    r = count(server, **{"default-graph-uri": "http://kasei.us/2009/09/sparql/data/data0.rdf"})
    assert number(r) == 0


def test_sparql_dataset_with_an_invalid_graph_iri_is_still_the_engines_400(
    server: Server,
) -> None:
    r = count(server, **{"default-graph-uri": "not an iri"})
    assert r.status_code == 400 and "invalid graph IRI" in r.text, r.text


def test_sparql_dataset_graph_created_by_an_update_is_found(writable_server: Server) -> None:
    """The store's graphs are those it has now: a graph refused as missing is queried once an
    update has made it, and refused again once dropped."""
    graph = f"{GRAPH}review-{uuid.uuid4()}"
    url = f"{writable_server.url}/sparql"
    params = {"query": COUNT, "default-graph-uri": graph}
    assert httpx.get(url, params=params).status_code == 400
    insert = f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:a> <urn:b> <urn:c> }} }}"
    assert httpx.post(url, data={"update": insert}).status_code == 204
    try:
        assert number(httpx.get(url, params=params)) == 1
    finally:
        assert httpx.post(url, data={"update": f"DROP GRAPH <{graph}>"}).status_code == 204
    assert httpx.get(url, params=params).status_code == 400


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release_dist(tmp_path_factory.mktemp("dist"))


def test_cli_query_text_and_file_both_given_ran_the_file_alone(dist: Path) -> None:
    """`eocic-kg query TEXT -f FILE` ran the file and dropped the text unsaid."""
    queries = Path(__file__).resolve().parent.parent / "queries"
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    result = run_cli("query", text, "-f", str(queries / "regions.rq"), "-o", "json", dist=dist)
    assert result.returncode != 0, result.stdout[:300]
    assert "not both" in result.stderr
    alone = run_cli("query", text, "-o", "json", dist=dist)
    assert alone.returncode == 0 and json.loads(alone.stdout)["head"]["vars"] == ["n"]


def api_rows(server: Server, name: str, **params: str) -> httpx.Response:
    return httpx.get(
        f"{server.url}/api/queries/{name}",
        params=params,
        headers={"Accept": "application/sparql-results+json"},
    )


def test_named_query_string_in_decomposed_unicode_found_nothing(full_server: Server) -> None:
    """`search-labels?text=po\\u0302les` (o and a combining circumflex: the same text as
    "pôles", as macOS or a copy from the report's PDF may send it) answered 200 with no rows,
    while "pôles" found the labels."""
    composed = "Pôles de compétitivité"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    found = api_rows(full_server, "search-labels", text=composed)
    assert found.status_code == 200 and found.json()["results"]["bindings"]
    again = api_rows(full_server, "search-labels", text=decomposed)
    assert again.status_code == 200, again.text
    assert [b["resource"] for b in again.json()["results"]["bindings"]] == [
        b["resource"] for b in found.json()["results"]["bindings"]
    ]


@pytest.mark.parametrize("blank", [" ", "\t", "  \n"])
def test_named_query_blank_string_matched_every_label_holding_a_space(
    full_server: Server, dist: Path, blank: str
) -> None:
    """`search-labels?text=%20` answered 200 with every label holding a space (an empty text
    was already refused as missing); the CLI's `-p text=' '` likewise."""
    r = api_rows(full_server, "search-labels", text=blank)
    assert r.status_code == 400 and "'text'" in r.text and "blank" in r.text, r.text[:300]
    queries = Path(__file__).resolve().parent.parent / "queries"
    result = run_cli(
        "query", "-f", str(queries / "search-labels.rq"), "-p", f"text={blank}", dist=dist
    )
    assert result.returncode != 0 and "blank" in result.stderr, result.stdout[:300]


def test_query_with_a_byte_order_mark_was_a_400_about_something_else(
    server: Server, dist: Path, tmp_path: Path
) -> None:
    """A query file saved with a byte order mark (Windows editors) and sent as it is, by any
    of the protocol's three ways or run by `eocic-kg query -f`, was a 400 naming COUNT and
    CONSTRUCT; the mark is the encoding's, no part of the query."""
    expected = number(count(server))
    marked = "\ufeff" + COUNT
    url = f"{server.url}/sparql"
    accept = {"Accept": "application/sparql-results+json"}
    for r in (
        httpx.get(url, params={"query": marked}, headers=accept),
        httpx.post(url, data={"query": marked}, headers=accept),
        httpx.post(
            url,
            content=marked.encode("utf-8"),
            headers={**accept, "Content-Type": "application/sparql-query"},
        ),
    ):
        assert number(r) == expected
    path = tmp_path / "count.rq"
    path.write_bytes(marked.encode("utf-8"))
    result = run_cli("query", "-f", str(path), "-o", "json", dist=dist)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["head"]["vars"] == ["n"]


def test_select_with_a_misspelt_query_name_blamed_the_parameters() -> None:
    """`select("regions-by-chalenge", challenge=...)` said parameters are only for named
    queries, and `select("countz")` ran the name as SPARQL (a syntax error about the word):
    neither said the name is wrong."""
    with pytest.raises(ParameterError, match=r"no named query 'regions-by-chalenge'.*challenge'"):
        select("regions-by-chalenge", challenge="challenge:funding")
    with pytest.raises(ParameterError, match=r"no named query 'countz'.*'counts'"):
        select("countz")


def test_select_with_a_number_crashed_on_strip() -> None:
    """`select("survey-figures-above", threshold=70)`, a number as a Python user writes it,
    raised AttributeError ('int' object has no attribute 'strip'); it is the URL's
    `threshold=70`, and a value that is neither text nor a number is a ParameterError."""
    for threshold in (50, 70):
        as_text = select("survey-figures-above", threshold=str(threshold))
        assert as_text, threshold  # the comparison below must hold rows to mean anything
        assert select("survey-figures-above", threshold=threshold) == as_text
        assert select("survey-figures-above", threshold=float(threshold)) == as_text
    with pytest.raises(ParameterError, match="text or a number"):
        select("survey-figures-above", threshold=True)


def test_openapi_document_asked_for_as_yaml_came_as_json(server: Server) -> None:
    """`/api/openapi.json?format=yaml` was answered 200 with the JSON document, the parameter
    unread (as `/api/queries` refuses the parameters it does not take)."""
    r = httpx.get(f"{server.url}/api/openapi.json", params={"format": "yaml"})
    assert r.status_code == 400 and "format" in r.text, r.text[:200]
    assert httpx.get(f"{server.url}/api/openapi.json").json()["openapi"].startswith("3.")


def test_search_in_decomposed_unicode_found_nothing(full_server: Server, dist: Path) -> None:
    """`/api/search?q=po\\u0302les` and `eocic-kg search po\\u0302les` (a combining circumflex:
    the same word as "pôles") found nothing: the word was split at the mark."""
    composed = "pôles"
    decomposed = unicodedata.normalize("NFD", composed)

    def api(q: str) -> list[str]:
        r = httpx.get(f"{full_server.url}/api/search", params={"q": q})
        assert r.status_code == 200, r.text
        return r.json()["iris"]

    def cli(q: str) -> list[str]:
        result = run_cli("search", q, "-o", "json", dist=dist)
        assert result.returncode == 0, result.stderr
        return [hit["resource"] for hit in json.loads(result.stdout)]

    assert api(composed) and api(decomposed) == api(composed)
    assert cli(composed) and cli(decomposed) == cli(composed)


def test_cli_charts_directory_and_o_both_given_wrote_to_o_alone(dist: Path, tmp_path: Path) -> None:
    """`eocic-kg charts A -o B` wrote to B and dropped A unsaid."""
    result = run_cli("charts", str(tmp_path / "a"), "-o", str(tmp_path / "b"), dist=dist)
    assert result.returncode != 0 and "not both" in result.stderr, result.stdout[:300]
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_sparql_from_naming_a_graph_the_store_lacks_answered_no_rows(server: Server) -> None:
    """`FROM <.../graph/onotlogy>` answered 200 with a count of 0 where `default-graph-uri`
    naming the same graph is a 400: one dataset, two answers."""
    url = f"{server.url}/sparql"
    accept = {"Accept": "application/sparql-results+json"}

    def counted(graph: str, named: str = "") -> httpx.Response:
        query = f"SELECT (COUNT(*) AS ?n) FROM {named}<{graph}> WHERE {{ ?s ?p ?o }}"
        return httpx.get(url, params={"query": query}, headers=accept)

    assert number(counted(ONTOLOGY)) == number(count(server, **{"default-graph-uri": ONTOLOGY}))
    for graph in (GRAPH + "onotlogy", "graph:ontology"):
        for named in ("", "NAMED "):
            r = counted(graph, named)
            assert r.status_code == 400 and f"<{graph}>" in r.text, r.text
    assert number(counted("http://kasei.us/2009/09/sparql/data/data0.rdf")) == 0


def test_sparql_from_a_prefixed_name_the_store_lacks_answered_no_rows(server: Server) -> None:
    """`FROM eocic:ontology` (the ontology's namespace, not its graph) answered 200 with a count
    of 0; a prefixed name that names a graph of the store still reads it."""
    url = f"{server.url}/sparql"
    accept = {"Accept": "application/sparql-results+json"}
    wrong = "SELECT (COUNT(*) AS ?n) FROM eocic:ontology WHERE { ?s ?p ?o }"
    r = httpx.get(url, params={"query": wrong}, headers=accept)
    assert r.status_code == 400 and "ontology#ontology" in r.text, r.text
    right = f"PREFIX g: <{GRAPH}> SELECT (COUNT(*) AS ?n) FROM g:ontology WHERE {{ ?s ?p ?o }}"
    found = httpx.post(url, data={"query": right}, headers=accept)
    assert number(found) == number(count(server, **{"default-graph-uri": ONTOLOGY}))


def test_select_and_cli_query_answered_no_rows_for_a_graph_the_store_lacks(
    server: Server, dist: Path
) -> None:
    """/sparql refused a misspelt graph of the server's own (400), but the same question asked
    with `select(graphs=...)`, or with FROM in `select` or `eocic-kg query`, still answered
    0 rows, as if the data said nothing: one question, two answers. All three refuse it now,
    and a graph of elsewhere is an empty graph on every surface."""
    count = "SELECT (COUNT(*) AS ?n) {clause} WHERE {{ ?s ?p ?o }}"
    misspelt, foreign = f"{GRAPH}onotlogy", "http://example.org/graph"
    asked = count.format(clause=f"FROM <{misspelt}>")
    r = httpx.get(f"{server.url}/sparql", params={"query": asked})
    assert r.status_code == 400 and "no graph named" in r.text
    with pytest.raises(ParameterError, match="no graph named"):
        select(count.format(clause=""), graphs=[misspelt])
    with pytest.raises(ParameterError, match="no graph named"):
        select(count.format(clause=f"FROM <{misspelt}>"))
    assert select(count.format(clause=""), graphs=[foreign]) == [{"n": 0}]
    assert select(count.format(clause=""), graphs=[f"{GRAPH}ontology"])[0]["n"] > 0
    done = run_cli("query", count.format(clause=f"FROM <{misspelt}>"), dist=dist)
    assert done.returncode == 1 and "no graph named" in done.stderr, done.stderr
    done = run_cli("query", count.format(clause=f"FROM <{foreign}>"), dist=dist)
    assert done.returncode == 0, done.stderr
