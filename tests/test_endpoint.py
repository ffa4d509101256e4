"""The live SPARQL endpoint: formats, negotiation, errors, limits, CORS, query page."""

from __future__ import annotations

import csv
import io
import json
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDFS, VOID
from SPARQLWrapper import CSV, JSON, JSONLD, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from eocic_kg import resources
from eocic_kg.store import Store
from eocic_kg.web.app import create_app
from tests import procs
from tests.conftest import Server, connected, post_query

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SOURCES = "https://w3id.org/eocic/graph/data"
COUNT_LABELS = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
)
CONSTRUCT_LABELS = (
    "CONSTRUCT { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } "
    "WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
)
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def expected() -> Graph:
    """The small release as one rdflib graph (the union default graph)."""
    graph = Graph().parse(resources.ONTOLOGY_FILE)
    return graph.parse(resources.DATA_DIR / "sources.ttl")


def wrapper(server: Server, fmt: str, query: str, method: str = "GET") -> SPARQLWrapper:
    sparql = SPARQLWrapper(f"{server.url}/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    sparql.setMethod(method)
    return sparql


# Result formats, through SPARQLWrapper


@pytest.mark.parametrize("method", ["GET", POST])
def test_select_json(server: Server, expected: Graph, method: str) -> None:
    result = wrapper(server, JSON, COUNT_LABELS, method).queryAndConvert()
    count = int(result["results"]["bindings"][0]["n"]["value"])
    assert count == len(set(expected.triples((None, RDFS.label, None)))) > 0


def test_select_xml(server: Server) -> None:
    document = wrapper(server, XML, "SELECT ?x WHERE { BIND(<http://e/x> AS ?x) }").query()
    text = document.response.read().decode()
    assert "application/sparql-results+xml" in document.response.headers["Content-Type"]
    assert "<uri>http://e/x</uri>" in text


@pytest.mark.parametrize(("fmt", "delimiter"), [(CSV, ","), (TSV, "\t")])
def test_select_csv_tsv(server: Server, fmt: str, delimiter: str) -> None:
    query = 'SELECT ?a ?b WHERE { VALUES (?a ?b) { ("x,y" 1) ("z" 2) } }'
    raw = wrapper(server, fmt, query).queryAndConvert()
    rows = list(csv.reader(io.StringIO(raw.decode()), delimiter=delimiter))
    assert len(rows) == 3
    if fmt == CSV:
        assert rows == [["a", "b"], ["x,y", "1"], ["z", "2"]]
    else:
        assert rows[0] == ["?a", "?b"]


def test_ask(server: Server) -> None:
    assert wrapper(server, JSON, "ASK { ?s ?p ?o }").queryAndConvert()["boolean"] is True
    xml = wrapper(server, XML, "ASK { <http://nothing> ?p ?o }").queryAndConvert()
    assert xml.getElementsByTagName("boolean")[0].firstChild.data == "false"


@pytest.mark.parametrize("fmt", [TURTLE, JSONLD, RDFXML, "ntriples"])
def test_construct_formats(server: Server, expected: Graph, fmt: str) -> None:
    if fmt == "ntriples":
        sparql = wrapper(server, TURTLE, CONSTRUCT_LABELS)
        sparql.setOnlyConneg(True)
        sparql.addCustomHttpHeader("Accept", "application/n-triples")
        response = sparql.query().response
        assert response.headers["Content-Type"] == "application/n-triples"
        graph = Graph().parse(data=response.read().decode(), format="nt")
    else:
        result = wrapper(server, fmt, CONSTRUCT_LABELS).queryAndConvert()
        graph = result if isinstance(result, Graph) else Graph().parse(data=result, format=fmt)
    assert len(graph) == len(set(expected.triples((None, RDFS.label, None)))) > 0


def test_describe(server: Server) -> None:
    query = "DESCRIBE <https://w3id.org/eocic/ontology#Report>"
    graph = wrapper(server, TURTLE, query).queryAndConvert()
    graph = Graph().parse(data=graph, format="turtle") if isinstance(graph, bytes) else graph
    assert (URIRef("https://w3id.org/eocic/ontology#Report"), None, None) in graph


def test_same_answers_as_rdflib(server: Server, expected: Graph) -> None:
    query = "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY ?class"
    ours = wrapper(server, JSON, query).queryAndConvert()["results"]["bindings"]
    theirs = [(str(row[0]), int(row[1])) for row in expected.query(query)]
    assert [(r["class"]["value"], int(r["n"]["value"])) for r in ours] == theirs


# Datasets


def test_default_graph_is_the_union_unless_named(server: Server, expected: Graph) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    url = f"{server.url}/sparql"

    def count(**params: object) -> int:
        r = httpx.get(url, params={"query": query, **params}, headers={"Accept": "text/csv"})
        return int(r.text.split()[1])

    assert count() == len(expected)
    in_sources = count(**{"default-graph-uri": SOURCES})
    assert 0 < in_sources < len(expected)
    from_query = httpx.get(
        url,
        params={"query": f"SELECT (COUNT(*) AS ?n) FROM <{SOURCES}> WHERE {{ ?s ?p ?o }}"},
        headers={"Accept": "text/csv"},
    )
    assert int(from_query.text.split()[1]) == in_sources
    named = httpx.get(
        url,
        params={
            "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": SOURCES,
        },
        headers={"Accept": "text/csv"},
    )
    assert named.text.split() == ["g", SOURCES]


# Content negotiation


@pytest.mark.parametrize(
    ("accept", "query", "media_type"),
    [
        (
            "text/csv;q=0.5, application/sparql-results+xml",
            "SELECT * {}",
            "application/sparql-results+xml",
        ),
        ("text/csv;q=0.9, text/tab-separated-values;q=0.2", "SELECT * {}", "text/csv"),
        ("*/*", "SELECT * {}", "application/sparql-results+json"),
        ("text/*", "ASK {}", "text/csv"),
        (
            "application/rdf+xml;q=0.3, application/ld+json",
            "CONSTRUCT WHERE {}",
            "application/ld+json",
        ),
        ("text/html, */*;q=0.1", "CONSTRUCT WHERE {}", "text/turtle"),
        ("", "CONSTRUCT WHERE {}", "text/turtle"),
    ],
)
def test_accept_q_values(server: Server, accept: str, query: str, media_type: str) -> None:
    r = httpx.get(f"{server.url}/sparql", params={"query": query}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media_type


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
        ("xml", "application/sparql-results+xml"),
    ],
)
def test_format_parameter_overrides_accept(server: Server, fmt: str, media_type: str) -> None:
    r = httpx.get(
        f"{server.url}/sparql",
        params={"query": "SELECT * {}", "format": fmt},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert r.headers["content-type"].split(";")[0] == media_type


@pytest.mark.parametrize(
    ("accept", "query"),
    [
        ("image/png", "SELECT * {}"),
        ("text/turtle", "SELECT * {}"),
        ("text/csv", "CONSTRUCT WHERE {}"),
    ],
)
def test_not_acceptable(server: Server, accept: str, query: str) -> None:
    r = httpx.get(f"{server.url}/sparql", params={"query": query}, headers={"Accept": accept})
    assert r.status_code == 406


# Service description


@pytest.mark.parametrize(("accept", "fmt"), [(None, "turtle"), ("application/ld+json", "json-ld")])
def test_service_description(server: Server, expected: Graph, accept: str | None, fmt: str) -> None:
    headers = {"Accept": accept} if accept else {}
    r = httpx.get(f"{server.url}/sparql", headers=headers)
    assert r.status_code == 200
    sd = Graph().parse(data=r.text, format=fmt)
    endpoint = URIRef("https://w3id.org/eocic/sparql")  # the base IRI, not the request's Host
    assert (endpoint, SD.endpoint, endpoint) in sd
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in sd
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Update) not in sd
    assert len(set(sd.objects(endpoint, SD.resultFormat))) == 8
    dataset = sd.value(endpoint, SD.defaultDataset)
    default = sd.value(dataset, SD.defaultGraph)
    assert sd.value(default, VOID.triples) == Literal(len(expected))
    names = {sd.value(n, SD.name) for n in sd.objects(dataset, SD.namedGraph)}
    assert URIRef(SOURCES) in names


# Errors


def test_malformed_query_gets_400_with_position(server: Server) -> None:
    r = httpx.get(f"{server.url}/sparql", params={"query": "SELECT * WHERE {\n ?s ?p "})
    assert r.status_code == 400
    assert 'line 1, column 16: this "{" is never closed' in r.text


@pytest.mark.parametrize(
    ("method", "headers", "body", "status"),
    [
        ("PUT", {}, b"", 405),
        ("DELETE", {}, b"", 405),
        ("POST", {"Content-Type": "text/plain"}, b"ASK {}", 415),
        ("POST", {}, b"query=ASK%20%7B%7D", 415),
        ("POST", {"Content-Type": "application/sparql-query; charset=latin-1"}, b"ASK {}", 415),
        ("POST", {"Content-Type": "application/sparql-query"}, b"ASK {\xff}", 400),
        ("POST", {"Content-Type": "application/x-www-form-urlencoded"}, b"format=json", 400),
        (
            "POST",
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"query=ASK{}&update=CLEAR+ALL",
            400,
        ),
        ("POST", {"Content-Type": "application/sparql-update"}, b"CLEAR ALL", 403),
        ("POST", {"Content-Type": "application/x-www-form-urlencoded"}, b"update=CLEAR+ALL", 403),
    ],
)
def test_bad_requests(server: Server, method: str, headers: dict, body: bytes, status: int) -> None:
    r = httpx.request(method, f"{server.url}/sparql", headers=headers, content=body)
    assert r.status_code == status, r.text


def test_exactly_one_query(server: Server) -> None:
    r = httpx.get(f"{server.url}/sparql", params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert r.status_code == 400


def test_unknown_format(server: Server) -> None:
    r = httpx.get(f"{server.url}/sparql", params={"query": "ASK {}", "format": "yaml"})
    assert r.status_code == 400


def test_query_size_limit(server: Server) -> None:
    big = "ASK {}" + "#" * 70_000
    assert httpx.post(f"{server.url}/sparql", data={"query": big}).status_code == 413
    r = httpx.post(
        f"{server.url}/sparql", content=big, headers={"Content-Type": "application/sparql-query"}
    )
    assert r.status_code == 413


def test_graph_store_is_read_only(server: Server) -> None:
    r = httpx.put(
        f"{server.url}/store",
        params={"graph": "http://example.org/g"},
        content=b"<http://a> <http://b> <http://c> .",
        headers={"Content-Type": "application/n-triples"},
    )
    assert r.status_code == 403
    r = httpx.get(
        f"{server.url}/store", params={"graph": SOURCES}, headers={"Accept": "text/turtle"}
    )
    assert r.status_code == 200 and len(Graph().parse(data=r.text, format="turtle")) > 0
    assert httpx.get(f"{server.url}/store", params={"graph": "http://none"}).status_code == 404
    assert httpx.get(f"{server.url}/store").status_code == 400


def test_read_only_graph_store_write_naming_no_graph_answered_400_not_403(
    server: Server,
) -> None:
    """A read-only server answered a write that named no graph, or a bad one, with a 400 on
    the graph: its client fixed the name and only then learnt no write is taken here."""
    body, turtle = b"<http://a> <http://b> <http://c> .", {"Content-Type": "text/turtle"}
    for method in ("PUT", "POST", "DELETE"):
        for query in ("", "?graph=no-scheme", "?default&graph=http://example.org/g"):
            r = httpx.request(method, f"{server.url}/store{query}", content=body, headers=turtle)
            assert r.status_code == 403 and "read-only" in r.text, (method, query)


# Nothing is ever fetched


def test_service_is_refused(server: Server, loopback) -> None:
    base, sock = loopback
    url = f"{base}/sparql"
    query = f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"
    r = httpx.get(f"{server.url}/sparql", params={"query": query})
    assert r.status_code == 400 and "SERVICE" in r.text
    assert not connected(sock)


def test_from_remote_iri_is_not_fetched(server: Server, loopback) -> None:
    base, sock = loopback
    url = f"{base}/sparql"
    r = httpx.get(f"{server.url}/sparql", params={"query": f"ASK FROM <{url}> {{ ?s ?p ?o }}"})
    assert r.status_code == 200 and json.loads(r.text)["boolean"] is False
    assert not connected(sock)


def test_load_is_refused_even_when_writable(writable_server: Server, loopback) -> None:
    base, sock = loopback
    url = f"{base}/sparql"
    r = httpx.post(
        f"{writable_server.url}/sparql",
        content=f"LOAD <{url}>".encode(),
        headers={"Content-Type": "application/sparql-update"},
    )
    assert r.status_code == 400 and "LOAD" in r.text
    assert not connected(sock)


# Writable mode


def test_update_and_graph_store_round_trip(writable_server: Server) -> None:
    url = writable_server.url
    graph = f"http://example.org/{uuid.uuid4()}"  # this test's own graph on the shared server
    triple = "<http://example.org/a> <http://example.org/p> 'three'"
    turtle = b"<http://example.org/a> <http://example.org/p> 'one' ."
    r = httpx.put(
        f"{url}/store",
        params={"graph": graph},
        content=turtle,
        headers={"Content-Type": "text/turtle"},
    )
    assert r.status_code == 201  # a new graph
    r = httpx.post(
        f"{url}/store",
        params={"graph": graph},
        content=b'<http://example.org/a> <http://example.org/p> "two" .',
        headers={"Content-Type": "application/n-triples"},
    )
    assert r.status_code == 204
    r = httpx.post(
        f"{url}/sparql",
        data={"update": f"INSERT DATA {{ GRAPH <{graph}> {{ {triple} }} }}"},
    )
    assert r.status_code == 204
    r = httpx.get(
        f"{url}/store", params={"graph": graph}, headers={"Accept": "application/n-triples"}
    )
    assert len(Graph().parse(data=r.text, format="nt")) == 3
    q = httpx.get(
        f"{url}/sparql", params={"query": f"SELECT * {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"}
    )
    assert len(q.json()["results"]["bindings"]) == 3
    r = httpx.put(
        f"{url}/store",
        params={"graph": graph},
        content=b"not turtle <",
        headers={"Content-Type": "text/turtle"},
    )
    assert r.status_code == 400
    r = httpx.put(
        f"{url}/store", params={"graph": graph}, content=b"x", headers={"Content-Type": "image/png"}
    )
    assert r.status_code == 415
    assert httpx.delete(f"{url}/store", params={"graph": graph}).status_code == 204
    assert httpx.delete(f"{url}/store", params={"graph": graph}).status_code == 404
    sd = httpx.get(f"{url}/sparql").text
    assert "SPARQL11Update" in sd


def test_graph_store_prefixed_or_undecodable_graph_name_wrote_another_graph(
    writable_server: Server,
) -> None:
    """`?graph=` was taken as written: `graph=id:...` created a graph named `id:...` (201)
    where every other IRI input expands the prefix, `graph=ex:g` (no such prefix) a graph
    under the scheme `ex`, and invalid UTF-8 was read with U+FFFD, so a GET of the graph the
    client meant answered 404 after a 201."""
    url, slug = writable_server.url, f"gsp-{uuid.uuid4().hex}"
    body = {"Content-Type": "text/turtle"}
    triple = b"<http://example.org/a> <http://example.org/p> 'one' ."
    r = httpx.put(f"{url}/store", params={"graph": f"id:{slug}"}, content=triple, headers=body)
    assert r.status_code == 201
    expanded = httpx.get(
        f"{url}/store",
        params={"graph": f"https://w3id.org/eocic/id/{slug}"},
        headers={"Accept": "application/n-triples"},
    )
    assert expanded.status_code == 200 and '"one"' in expanded.text
    for name in ("ex:g", "regoin:saxony", "no-scheme"):
        r = httpx.put(f"{url}/store", params={"graph": name}, content=triple, headers=body)
        assert r.status_code == 400 and "known prefixes" in r.text, name
        assert httpx.get(f"{url}/store?graph={name}").status_code == 400
    r = httpx.put(f"{url}/store?graph=http://example.org/%FF", content=triple, headers=body)
    assert r.status_code == 400 and "UTF-8" in r.text
    names = httpx.get(
        f"{url}/sparql",
        params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"},
        headers={"Accept": "text/csv"},
    ).text
    assert "ex:g" not in names and "\ufffd" not in names and f"id:{slug}" not in names


def test_update_with_a_query_dataset_parameter_answered_204_having_read_other_graphs(
    writable_server: Server,
) -> None:
    """`default-graph-uri` (a query's parameter) sent with an update was dropped unsaid: the
    update's WHERE read the store's default graph instead of the graph named, matched nothing,
    and the client was told 204. An update takes `using-graph-uri`; anything else is a 400."""
    url, source = writable_server.url, f"http://example.org/{uuid.uuid4()}"
    target = f"{source}-copy"
    triple, turtle = b"<http://example.org/a> <http://example.org/p> 'one' .", "text/turtle"
    put = httpx.put(f"{url}/store?graph={source}", content=triple, headers={"Content-Type": turtle})
    assert put.status_code == 201
    copy = f"INSERT {{ GRAPH <{target}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}"
    for wrong in ("default-graph-uri", "named-graph-uri", "format"):
        r = httpx.post(f"{url}/sparql", data={"update": copy, wrong: source})
        assert r.status_code == 400 and wrong in r.text and "using-graph-uri" in r.text, wrong
        assert httpx.get(f"{url}/store", params={"graph": target}).status_code == 404
    r = httpx.post(f"{url}/sparql", data={"update": copy, "using-graph-uri": source})
    assert r.status_code == 204
    got = httpx.get(f"{url}/store", params={"graph": target}, headers={"Accept": "text/turtle"})
    assert got.status_code == 200 and '"one"' in got.text


def test_query_with_an_update_dataset_parameter_answered_over_every_graph(
    full_server: Server,
) -> None:
    """`using-graph-uri` (an update's parameter) sent with a query was ignored: the answer was
    over the union of every graph, not the graph named, with a 200 (found by an audit). On
    the hot route (GET) and the Flask one (POST) alike, it is a 400 naming the query's own."""
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    graph = "https://w3id.org/eocic/graph/ontology"
    for name in ("using-graph-uri", "using-named-graph-uri"):
        asked = {"query": query, name: graph}
        for r in (
            httpx.get(f"{full_server.url}/sparql", params=asked),
            httpx.post(f"{full_server.url}/sparql", data=asked),
        ):
            assert r.status_code == 400 and name in r.text and "default-graph-uri" in r.text
    r = httpx.get(f"{full_server.url}/sparql", params={"query": query, "default-graph-uri": graph})
    assert r.status_code == 200


def test_graph_store_upload_declared_latin1_is_refused_not_read_as_utf8(
    writable_server: Server,
) -> None:
    """The bytes of Latin-1 "cafÃ©" are valid UTF-8 for "café": read as UTF-8 against the
    charset the client declared, the graph held other text than was sent, with a 201."""
    url, graph = writable_server.url, f"http://example.org/{uuid.uuid4()}"
    body = '<http://example.org/a> <http://example.org/p> "cafÃ©" .'.encode("latin-1")
    for charset in ("iso-8859-1", "latin1", "utf-16"):
        r = httpx.put(
            f"{url}/store",
            params={"graph": graph},
            content=body,
            headers={"Content-Type": f"text/turtle; charset={charset}"},
        )
        assert r.status_code == 415 and "UTF-8" in r.text
    assert httpx.get(f"{url}/store", params={"graph": graph}).status_code == 404  # untouched
    utf8 = '<http://example.org/a> <http://example.org/p> "café" .'.encode()
    r = httpx.put(
        f"{url}/store",
        params={"graph": graph},
        content=utf8,
        headers={"Content-Type": "text/turtle; charset=UTF-8"},
    )
    assert r.status_code == 201
    got = httpx.get(f"{url}/store", params={"graph": graph}, headers={"Accept": "text/turtle"})
    assert "café" in got.text


def test_graph_store_conditional_writes_never_overwrite_an_unseen_change(
    writable_server: Server,
) -> None:
    """Lost updates: the Graph Store ignored If-Match and If-None-Match on writes, so a PUT
    made conditional on the tag its client had read overwrote another client's change, a
    DELETE with a stale tag deleted, and `If-None-Match: *` (create only) replaced a graph."""
    url, graph = writable_server.url, f"http://example.org/{uuid.uuid4()}"
    params, turtle = {"graph": graph}, {"Content-Type": "text/turtle", "Accept": "text/turtle"}

    def put(value: str, **headers: str) -> httpx.Response:
        body = f'<http://example.org/a> <http://example.org/p> "{value}" .'.encode()
        return httpx.put(f"{url}/store", params=params, content=body, headers=turtle | headers)

    def held() -> str:
        return httpx.get(f"{url}/store", params=params, headers={"Accept": "text/turtle"}).text

    assert put("mine", **{"If-Match": "*"}).status_code == 412  # no graph yet
    assert put("mine", **{"If-None-Match": "*"}).status_code == 201  # created
    assert put("clobber", **{"If-None-Match": "*"}).status_code == 412  # exists: not replaced
    read = httpx.get(f"{url}/store", params=params, headers={"Accept": "text/turtle"})
    tag = read.headers["ETag"]
    assert put("theirs").status_code == 204  # another client's change
    assert put("lost", **{"If-Match": tag}).status_code == 412  # made before that change
    assert (
        put("lost", **{"If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}).status_code == 412
    )
    stale = httpx.delete(f"{url}/store", params=params, headers={"If-Match": tag})
    assert stale.status_code == 412 and '"theirs"' in held()
    fresh = httpx.get(f"{url}/store", params=params, headers={"Accept": "text/turtle"})
    assert put("next", **{"If-Match": fresh.headers["ETag"]}).status_code == 204
    assert '"next"' in held()
    gone = httpx.delete(f"{url}/store", params=params, headers={"If-Match": "*"})
    assert gone.status_code == 204
    assert httpx.get(f"{url}/store", params=params).status_code == 404


def test_conditional_put_with_the_tag_of_another_format_answered_412_for_an_unchanged_graph(
    writable_server: Server,
) -> None:
    """A tag digested the raw Accept header: a client that read a graph as Turtle and PUT it
    back with `If-Match` and its HTTP library's `Accept: */*` was told 412 for a graph nobody
    had changed, however often it read again. A tag now holds for a write in any format of
    the state it names; a stale one still fails, and a read's tags stay one per format."""
    url, graph = writable_server.url, f"http://example.org/{uuid.uuid4()}"
    params, turtle = {"graph": graph}, {"Content-Type": "text/turtle"}

    def put(value: str, **headers: str) -> httpx.Response:
        body = f'<http://example.org/a> <http://example.org/p> "{value}" .'.encode()
        return httpx.put(f"{url}/store", params=params, content=body, headers=turtle | headers)

    def tag(accept: str) -> str:
        read = httpx.get(f"{url}/store", params=params, headers={"Accept": accept})
        return read.headers["ETag"]

    assert put("one").status_code == 201
    as_turtle, as_ntriples = tag("text/turtle"), tag("application/n-triples")
    assert as_turtle != as_ntriples  # one strong tag per representation
    revalidated = httpx.get(
        f"{url}/store",
        params=params,
        headers={"Accept": "application/n-triples", "If-None-Match": as_turtle},
    )
    assert revalidated.status_code == 200  # a Turtle tag never validates N-Triples
    assert put("two", **{"If-Match": as_turtle}).status_code == 204  # Accept: */*
    assert put("three", **{"If-Match": as_ntriples}).status_code == 412  # read before "two"
    assert put("three", **{"If-None-Match": tag("text/turtle")}).status_code == 412
    got = httpx.get(f"{url}/store", params=params, headers={"Accept": "application/n-triples"})
    assert '"two"' in got.text


# CORS


def test_cors(server: Server) -> None:
    r = httpx.get(
        f"{server.url}/sparql", params={"query": "ASK {}"}, headers={"Origin": "http://x"}
    )
    assert r.headers["access-control-allow-origin"] == "*"
    preflight = httpx.options(
        f"{server.url}/sparql",
        headers={
            "Origin": "http://x",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    error = httpx.get(f"{server.url}/sparql", params={"query": "ASK {"})
    assert error.headers["access-control-allow-origin"] == "*"


# Time limit


def test_a_runaway_query_does_not_block_other_queries(server: Server) -> None:
    """While an executor computes a runaway query, other queries are answered (each answer
    comes while the runaway still computes, unanswered); its client hangs up, and it stops.
    The stop at the time limit is tests/test_hardening.py's."""

    def executors() -> set[int]:
        return procs.executors(server.process.pid)

    before = procs.cpu_of(executors())
    runaway = post_query(server.url, CROSS_PRODUCT)
    runaway.setblocking(False)

    def unanswered() -> bool:
        """Whether nothing has come back on the runaway's connection yet."""
        try:
            runaway.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return True
        return False

    try:
        busy = procs.evaluating(executors, before)
        assert busy, "the runaway query never started computing"
        for _ in range(5):
            r = httpx.get(f"{server.url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
            assert r.status_code == 200
            assert unanswered() and all(procs.alive(e) for e in busy), "the runaway ended first"
    finally:
        runaway.close()
    assert procs.until(lambda: not any(procs.running(e) for e in busy)), "still computing"
    assert httpx.get(f"{server.url}/sparql", params={"query": "ASK {}"}).status_code == 200


# Query page


def test_query_page_offline_and_escaped(server: Server) -> None:
    r = httpx.get(f"{server.url}/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "<textarea" in html
    for attribute in ('src="http', "src='http", 'href="http', "//cdn"):
        assert attribute not in html.replace(server.url, "")
    js = httpx.get(f"{server.url}/static/query.js")
    assert js.status_code == 200 and "fetch(" in js.text


def test_query_page_escapes_examples(tmp_path: Path) -> None:
    (tmp_path / "evil.rq").write_text(
        "#+ summary: <script>alert(1)</script>\nSELECT * { ?s ?p '</textarea><b>x</b>' }\n"
    )
    app = create_app(store=Store(), queries_dir=tmp_path)
    html = app.test_client().get("/").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "</textarea><b>" not in html


def test_query_page_built_in_examples(tmp_path: Path) -> None:
    html = (
        create_app(store=Store(), queries_dir=tmp_path)
        .test_client()
        .get("/")
        .get_data(as_text=True)
    )
    assert "Named graphs and their sizes" in html


@pytest.mark.browser
def _rendered(page: str, profile: Path) -> str:
    """The DOM of `page` once headless Chromium ran its scripts (skip without Chromium)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            page,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


def test_query_page_in_headless_chromium(server: Server, tmp_path: Path) -> None:
    query = "SELECT ?graph WHERE { GRAPH ?graph { } } ORDER BY ?graph"
    dom = _rendered(str(httpx.URL(f"{server.url}/", params={"query": query})), tmp_path)
    assert '<table class="results">' in dom
    link = f'<a href="{SOURCES}" title="{SOURCES}">{SOURCES}</a>'
    assert link in dom.replace("<wbr>", "")  # a full IRI may break after its / and #
    assert "2 rows in " in dom


def test_a_10kb_share_link_runs_in_the_query_page(server: Server, tmp_path: Path) -> None:
    """Issue 20, finding 4: gunicorn answered 414 past a 4 KB request line. (Browsers cut a
    Referer at 4 KB, so the page's own requests stay within gunicorn's header field limit.)"""
    query = "SELECT ?graph WHERE { GRAPH ?graph { } } ORDER BY ?graph\n# " + "x" * 10_000
    page = str(httpx.URL(f"{server.url}/", params={"query": query}))
    assert len(page) > 10_000
    dom = _rendered(page, tmp_path)
    assert '<table class="results">' in dom and "2 rows in " in dom
