"""Push the release to a real Oxigraph server and query it through our front end.

Skipped when the `oxigraph` server binary (`pip install oxigraph` outside the project, or
`cargo install oxigraph-cli`) is not on PATH or named by $EOCIC_OXIGRAPH.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest
from rdflib import URIRef

from eocic_kg.catalogue import internal, load_catalogue
from eocic_kg.push import push
from eocic_kg.remote import RemoteStore, engine_text
from eocic_kg.sparql_lexer import Analysis
from eocic_kg.store import QueryError, RefusedError, Store
from eocic_kg.store_api import QueryRequest, UpdateRequest
from eocic_kg.web.app import create_app

from .release_cache import release_nquads

OXIGRAPH = os.environ.get("EOCIC_OXIGRAPH") or shutil.which("oxigraph")
# one worker runs this file (`--dist loadgroup`): its Oxigraph server starts once
pytestmark = [
    pytest.mark.xdist_group("remote"),
    pytest.mark.skipif(OXIGRAPH is None, reason="the oxigraph server CLI is missing"),
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _port()
    location = tmp_path_factory.mktemp("oxigraph")
    process = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/query?query=ASK%7B%7D", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("oxigraph did not start")
        yield base
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def pushed(server: str) -> dict[str | None, int]:
    return push(release_nquads(), f"{server}/store", quiet=True)


@pytest.fixture(scope="module")
def remote(server: str, pushed: dict[str | None, int]) -> RemoteStore:
    return RemoteStore(f"{server}/query")


@pytest.fixture(scope="module")
def embedded() -> Store:
    return Store.from_file(release_nquads())


def _rows(body: bytes) -> list[str]:
    """Rows as canonical strings (blank node labels dropped, GROUP_CONCAT parts sorted)."""
    document = json.loads(body)
    if "boolean" in document:
        return [str(document["boolean"])]
    out = []
    for row in document["results"]["bindings"]:
        for term in row.values():
            if term["type"] == "bnode":
                term["value"] = "_"
            elif term["type"] == "literal":  # GROUP_CONCAT order is up to the engine
                for sep in ("; ", ", "):
                    term["value"] = sep.join(sorted(term["value"].split(sep)))
        out.append(json.dumps(row, sort_keys=True))
    return out


def test_push_uploads_every_graph(
    pushed: dict[str | None, int], remote: RemoteStore, embedded: Store
) -> None:
    expected = {g: n for g, n in embedded.graph_sizes().items() if g is not None}
    assert pushed == expected
    sizes = remote.graph_sizes()
    assert {g: n for g, n in sizes.items() if g is not None} == expected
    assert len(remote) == len(embedded)


@pytest.mark.parametrize("name", sorted(load_catalogue()))
def test_competency_queries_answer_the_same(
    name: str, remote: RemoteStore, embedded: Store
) -> None:
    query = load_catalogue()[name]
    try:
        bindings = {k.lstrip("?$"): v for k, v in query.bindings({}).items()}
    except ValueError:
        pytest.skip("the query needs a parameter without a default")
    ours = embedded.query(QueryRequest(query.text, substitutions=bindings))
    theirs = remote.query(QueryRequest(query.text, substitutions=bindings))
    assert ours.kind == theirs.kind
    if ours.kind == "graph":
        return
    a, b = _rows(ours.body), _rows(theirs.body)
    assert sorted(a) == sorted(b)  # ORDER BY ties may come in any order


@pytest.mark.parametrize("name", ["regions", "regions-by-challenge"])
def test_front_end_over_remote(name: str, remote: RemoteStore, embedded: Store) -> None:
    text = (
        load_catalogue()[name]
        .text.replace("?_challenge_iri", "<https://w3id.org/eocic/id/challenge/funding>")
        .replace("SELECT <https://w3id.org/eocic/id/challenge/funding>", "SELECT")
    )
    answers = []
    for store in (embedded, remote):
        client = create_app(store=store, executors=1).test_client()
        response = client.post(
            "/sparql",
            data={"query": text},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        answers.append(_rows(response.get_data()))
    assert answers[0] == answers[1]
    assert answers[0], "no rows"


def test_remote_is_read_only(remote: RemoteStore) -> None:
    with pytest.raises(RefusedError):
        remote.update(UpdateRequest("INSERT DATA { <urn:a> <urn:b> <urn:c> }"))


def test_construct_and_graph_download(remote: RemoteStore, embedded: Store) -> None:
    graph = "https://w3id.org/eocic/graph/ontology"
    assert remote.has_graph(graph)
    assert len(remote.serialize_graph(graph, "ntriples").splitlines()) == len(
        embedded.serialize_graph(graph, "ntriples").splitlines()
    )
    text = "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c }"
    assert len(remote.query(QueryRequest(text, graph="ntriples")).body.splitlines()) == len(
        embedded.query(QueryRequest(text, graph="ntriples")).body.splitlines()
    )


def test_query_form_is_read_by_our_tokenizer_not_guessed_by_sparqlwrapper(
    remote: RemoteStore, embedded: Store
) -> None:
    """Issue 20, finding 7: SPARQLWrapper's regular expression took this CONSTRUCT for a
    SELECT (a comment after the prologue) and asked the engine for the wrong kind of result."""
    text = (
        "PREFIX r: <https://w3id.org/eocic/id/region/> # select\nCONSTRUCT WHERE { r:saxony ?p ?o }"
    )
    theirs = remote.query(QueryRequest(text, graph="ntriples"))
    ours = embedded.query(QueryRequest(text, graph="ntriples"))
    assert theirs.kind == "graph"
    assert sorted(theirs.body.splitlines()) == sorted(ours.body.splitlines())
    assert len(ours.body.splitlines()) > 10


def test_a_typo_is_refused_here_before_the_engine_sees_it(remote: RemoteStore) -> None:
    """Issue 19, finding 2: the engine's 400 came back as a Python bytes dump."""
    text = "SELECT ?s WHERE { ?s ?p ?o }\nLIMT 10"
    with pytest.raises(QueryError) as here:
        remote.query(QueryRequest(text))
    with pytest.raises(QueryError) as embedded_error:
        Store().query(QueryRequest(text))
    assert str(here.value) == str(embedded_error.value)
    assert "did you mean LIMIT?" in str(here.value)


def test_parameters_reach_subqueries_in_front_of_a_remote_engine() -> None:
    """The resource pages' queries bind their node inside a subquery: the text sent to a remote
    engine bound it only in the outer group (every page 404'd in front of Virtuoso), or put the
    VALUES before a subquery that is the whole group (a syntax error there)."""
    node = URIRef("https://w3id.org/eocic/id/region/saxony")
    for name in ("page-outgoing", "page-incoming"):
        text = engine_text(Analysis(internal(name).text), None, {"_node_iri": node})
        inner = text[text.index("SELECT") :]
        assert "VALUES ?_node_iri { <https://w3id.org/eocic/id/region/saxony> }" in inner
        assert (
            "{ VALUES ?_node_iri { <https://w3id.org/eocic/id/region/saxony> } SELECT" not in text
        )
        embedded = Store.from_file(release_nquads())  # the text means what the query does
        bound = {"_node_iri": node}
        ours = embedded.query(
            QueryRequest(internal(name).text, graph="ntriples", substitutions=bound)
        )
        sent = embedded.query(QueryRequest(text, graph="ntriples"))
        assert ours.body and set(ours.body.splitlines()) == set(sent.body.splitlines())
