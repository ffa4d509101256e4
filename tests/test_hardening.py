"""Hardening of the public endpoint (issue 7): limits, no SSRF/XXE, escaping, probes, shutdown.

What tests/test_endpoint.py already proves is not repeated here (other queries answered while
a runaway computes, SERVICE/LOAD/FROM never connecting, 413 for long queries, CORS).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph

from eocic_kg.sparql_lexer import MAX_NESTING
from eocic_kg.store import Store
from eocic_kg.web import app as web_app
from eocic_kg.web.app import create_app
from tests import procs
from tests.conftest import GRAPH, Server, connected, free_port

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
EVIL = "<script>alert(1)</script>\"'"
#: A query taking about two seconds on the small release (ten copies of a 2-way cross product).
SLOW_QUERY = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . VALUES ?x { 1 2 3 4 5 6 7 8 9 10 } }"
)
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def _insert(app: Flask, triples: str, graph: str = GRAPH + "data") -> None:
    update = f"INSERT DATA {{ GRAPH <{graph}> {{ {triples} }} }}"
    r = app.test_client().post("/sparql", data={"update": update})
    assert r.status_code == 204, r.get_data(as_text=True)


# 1. Time limits that really stop work


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_runaway_query_is_killed_and_its_cpu_released(small_release: Path) -> None:
    before = procs.descendants(os.getpid())
    app = create_app(store=Store.from_file(small_release), query_timeout=1.0, executors=2)
    client = app.test_client()
    outcome: dict[str, object] = {}

    def run() -> None:
        r = client.get("/sparql", query_string={"query": RUNAWAY_QUERY})
        outcome.update(status=r.status_code, text=r.get_data(as_text=True))

    thread = threading.Thread(target=run)
    thread.start()
    fresh = lambda: {p for p in procs.new_executors(before) if procs.alive(p)}  # noqa: E731
    assert procs.until(lambda: any(procs.running(p) for p in fresh()))
    busy = fresh()  # the executor computing the runaway query

    def cpu() -> float:
        return sum(procs.cpu_seconds(p) for p in busy if procs.alive(p))

    computed = procs.until(lambda: cpu() > 0)
    thread.join()
    assert outcome["status"] == 503 and "time limit" in str(outcome["text"])
    assert busy, "the runaway query should be running in an executor process"
    assert computed, "the executor should have been computing"
    # the limit stopped the work itself: the executor that computed it was killed (SIGKILL)
    assert procs.until(lambda: not any(procs.alive(p) for p in busy)), "still computing"
    assert procs.until(lambda: not any(procs.alive(p) for p in busy)), "the executor lived on"


# 2. Result and request limits


@pytest.fixture
def client_over_five_triples(writable_app: Callable[..., Flask]) -> FlaskClient:
    """A client of a server limited to 3 rows, holding 5 triples."""
    app = writable_app(max_rows=3)
    _insert(
        app, " ".join(f"<http://example.org/s{i}> <http://example.org/p> {i} ." for i in range(5))
    )
    return app.test_client()


def test_select_results_are_truncated_and_say_so(client_over_five_triples: FlaskClient) -> None:
    client = client_over_five_triples
    query = "SELECT ?s WHERE { ?s ?p ?o }"
    r = client.get("/sparql", query_string={"query": query})
    assert r.status_code == 200 and r.headers["X-EOCIC-Truncated"] == "true"
    assert r.headers["X-EOCIC-Max-Rows"] == "3"
    document = r.get_json(force=True)
    assert len(document["results"]["bindings"]) == 3
    assert document["truncated"] is True and "3 rows" in document["warning"]
    for fmt, lines in (("csv", 4), ("tsv", 4)):
        r = client.get("/sparql", query_string={"query": query, "format": fmt})
        assert r.headers["X-EOCIC-Truncated"] == "true"
        assert len(r.get_data(as_text=True).strip().splitlines()) == lines
    r = client.get("/sparql", query_string={"query": query, "format": "xml"})
    assert r.headers["X-EOCIC-Truncated"] == "true" and r.get_data().count(b"<result>") == 3
    small = client.get("/sparql", query_string={"query": query + " LIMIT 3"})
    assert "X-EOCIC-Truncated" not in small.headers and "truncated" not in small.get_json(True)
    assert len(small.get_json(True)["results"]["bindings"]) == 3
    assert "X-EOCIC-Truncated" in small.headers["Access-Control-Expose-Headers"]


def test_construct_results_are_truncated_and_say_so(client_over_five_triples: FlaskClient) -> None:
    client = client_over_five_triples
    query = "CONSTRUCT WHERE { ?s ?p ?o }"
    r = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["X-EOCIC-Truncated"] == "true"
    assert len(Graph().parse(data=r.get_data(as_text=True), format="turtle")) == 3
    small = client.get(
        "/sparql", query_string={"query": "CONSTRUCT WHERE { <http://example.org/s1> ?p ?o }"}
    )
    assert "X-EOCIC-Truncated" not in small.headers


def test_request_body_limit(writable_app: Callable[..., Flask]) -> None:
    client = writable_app(max_upload_bytes=1000).test_client()
    big = b"<http://example.org/a> <http://example.org/p> 'x' .\n" * 100
    r = client.put("/store?graph=http://example.org/g", data=big, content_type="text/turtle")
    assert r.status_code == 413
    r = client.post("/sparql", data={"update": "#" * 2000}, content_type=None)
    assert r.status_code == 413


# 3. No server-side request forgery, no file access


def test_from_named_and_protocol_dataset_never_connect(server: Server, loopback) -> None:
    url, sock = loopback
    query = f"SELECT * FROM NAMED <{url}/g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    r = httpx.get(f"{server.url}/sparql", params={"query": query})
    assert r.status_code == 200 and r.json()["results"]["bindings"] == []
    params = {"query": "ASK { ?s ?p ?o }", "default-graph-uri": url, "named-graph-uri": url}
    r = httpx.get(f"{server.url}/sparql", params=params)
    assert r.status_code == 200 and r.json()["boolean"] is False
    assert not connected(sock)


def _rdfxml(entities: str, value: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [{entities}]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:ex="http://example.org/">'
        f'<rdf:Description rdf:about="http://example.org/a"><ex:p>{value}</ex:p>'
        "</rdf:Description></rdf:RDF>"
    ).encode()


def test_no_xml_external_entities(writable_server: Server, loopback, tmp_path: Path) -> None:
    url, sock = loopback
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    graph = "http://example.org/xxe"
    laughs = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    payloads = [
        _rdfxml(f'<!ENTITY xxe SYSTEM "file://{secret}">', "&xxe;"),
        _rdfxml(f'<!ENTITY xxe SYSTEM "{url}/entity">', "&xxe;"),
        _rdfxml(f'<!ENTITY % p SYSTEM "{url}/dtd"> %p;', "x"),
        _rdfxml(laughs, "&a9;"),  # billion laughs: pyoxigraph would expand it for minutes
        "<?xml version='1.0' encoding='UTF-16'?><x/>".encode("utf-16"),
    ]
    for payload in payloads:
        r = httpx.put(
            f"{writable_server.url}/store",
            params={"graph": graph},
            content=payload,
            headers={"Content-Type": "application/rdf+xml"},
            timeout=10,
        )
        assert r.status_code == 400 and "TOP-SECRET" not in r.text  # within the 10 s timeout
    r = httpx.get(f"{writable_server.url}/sparql", params={"query": "SELECT * { ?s ?p ?o }"})
    assert "TOP-SECRET" not in r.text and "lollol" not in r.text
    assert not connected(sock)


def test_no_remote_json_ld_context(writable_server: Server, loopback, tmp_path: Path) -> None:
    url, sock = loopback
    secret = tmp_path / "context.jsonld"
    secret.write_text('{"@context": {"name": "http://example.org/TOP-SECRET"}}')
    documents = [
        {"@context": f"{url}/context.jsonld", "@id": "http://example.org/a", "name": "x"},
        {"@context": [f"{url}/c1", {"x": "http://x/"}], "@id": "http://example.org/a"},
        {"@context": {"@import": f"{url}/c2"}, "@id": "http://example.org/a"},
        {"@context": f"file://{secret}", "@id": "http://example.org/a", "name": "x"},
    ]
    for document in documents:
        r = httpx.put(
            f"{writable_server.url}/store",
            params={"graph": "http://example.org/jsonld"},
            content=json.dumps(document).encode(),
            headers={"Content-Type": "application/ld+json"},
        )
        assert r.status_code == 400 and "TOP-SECRET" not in r.text
    deep = b'{"http://example.org/p": ' * 5000 + b"1" + b"}" * 5000
    r = httpx.put(
        f"{writable_server.url}/store",
        params={"graph": "http://example.org/jsonld"},
        content=deep,
        headers={"Content-Type": "application/ld+json"},
        timeout=10,
    )
    assert r.status_code == 400
    assert not connected(sock)


def test_deeply_nested_requests_are_refused_not_crashing(writable_server: Server) -> None:
    """pyoxigraph overflows its stack (SIGSEGV) on deeply nested SPARQL: refuse it first."""
    url = writable_server.url
    deep_query = "ASK { FILTER(" + "(" * 30000 + "1" + ")" * 30000 + ") }"
    r = httpx.post(
        url + "/sparql", content=deep_query, headers={"Content-Type": "application/sparql-query"}
    )
    assert r.status_code in (400, 413)
    nested = "ASK { FILTER(" + "(" * MAX_NESTING + "1" + ")" * MAX_NESTING + ") }"
    assert httpx.get(url + "/sparql", params={"query": nested}).status_code == 400
    ok = "ASK { FILTER(" + "(" * 20 + "1" + ")" * 20 + ") }"
    assert httpx.get(url + "/sparql", params={"query": ok}).status_code == 200
    deep_update = "INSERT { ?s ?p ?o } WHERE { " + "{" * 3000 + "}" * 3000 + " }"
    r = httpx.post(url + "/sparql", data={"update": deep_update})
    assert r.status_code == 400
    assert httpx.get(url + "/health").status_code == 200  # the worker did not die


# 7. A failed update changes nothing


def test_failed_updates_change_nothing(writable_app: Callable[..., Flask]) -> None:
    app = writable_app()
    _insert(app, "<http://example.org/a> <http://example.org/p> 'kept' .")
    client = app.test_client()

    def dump() -> str:
        r = client.get("/sparql", query_string={"query": "SELECT * { GRAPH ?g { ?s ?p ?o } }"})
        return r.get_data(as_text=True)

    before = dump()
    failing = [
        "INSERT DATA { <http://example.org/b> <http://example.org/p> 'new' } ; "
        "DROP GRAPH <http://example.org/missing>",
        "INSERT DATA { <http://example.org/b> <http://example.org/p> 'new' } ; INSERT DATA {",
        "DELETE WHERE { ?s ?p ?o } ; LOAD <http://127.0.0.1:1/x>",
    ]
    for update in failing:
        assert client.post("/sparql", data={"update": update}).status_code == 400
        assert dump() == before
    r = client.put(
        f"/store?graph={GRAPH}data",
        data=b"<http://a> <http://b> 'c' . oops",
        content_type="text/turtle",
    )
    assert r.status_code == 400 and dump() == before


# 4. HTML pages escape everything and send a CSP


def test_html_pages_escape_labels_and_send_csp(writable_app: Callable[..., Flask]) -> None:
    app = writable_app()
    label = json.dumps(EVIL)
    _insert(
        app,
        f"<https://w3id.org/eocic/id/evil> <{RDFS_LABEL}> {label}@en ; "
        f"<http://example.org/note> {label} ; <http://example.org/link> <http://example.org/x> .",
    )
    _insert(
        app,
        "<https://w3id.org/eocic/ontology#Evil> a <http://www.w3.org/2002/07/owl#Class> ; "
        f"<{RDFS_LABEL}> {label}@en .",
        graph=GRAPH + "ontology",
    )
    client = app.test_client()
    pages = ["/", "/id/evil", "/ontology", "/api", "/graph", "/health"]
    seen_html = 0
    for page in pages:
        r = client.get(page, headers={"Accept": "text/html"})
        if r.status_code == 404:
            continue
        body = r.get_data(as_text=True)
        if r.mimetype == "text/html":
            seen_html += 1
            assert (
                "script-src" in r.headers["Content-Security-Policy"]
                or "default-src 'self'" in (r.headers["Content-Security-Policy"])
            )
            assert "<script>alert(1)" not in body, page
    assert seen_html >= 2
    page = client.get("/id/evil", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&#39;" in page or "&quot;&#39;" in page or "&#34;&#x27;" in page
    # an error page echoing user input is plain text, never HTML
    r = client.get("/sparql", query_string={"query": "<script>alert(1)</script>"})
    assert r.status_code == 400 and r.mimetype == "text/plain"


def test_query_page_renders_results_as_text_only() -> None:
    """The query page shows results with textContent (never innerHTML), under a strict CSP."""
    js = (Path(web_app.__file__).parent / "static" / "query.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in js
    assert "textContent" in js


# 8. Graceful operation


def test_health_and_ready(writable_app: Callable[..., Flask]) -> None:
    app = writable_app()
    client = app.test_client()
    assert client.get("/health").get_json() == {"status": "ok"}
    empty = client.get("/ready")
    assert empty.status_code == 503 and len(empty.get_json()["graphs"]) == 3
    for name in ("ontology", "data", "inferred"):
        _insert(app, "<http://example.org/a> <http://example.org/p> 1 .", graph=GRAPH + name)
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_sigterm_completes_in_flight_queries(small_release: Path, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("wb")
    command = [sys.executable, "-m", "eocic_kg.cli", "--release", str(small_release), "serve"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--workers", "1", "--query-timeout", "10"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"{url}/health", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        if not procs.until(healthy, 60):
            pytest.fail((tmp_path / "serve.log").read_text())
        # a query answered first: the executors are up; the slow query is the only request
        # from then on, so the executor whose CPU time grows by more than a quick query's is
        # its (one merely "running" may be one starting: SIGTERM then came before the request)
        ask = httpx.get(f"{url}/sparql", params={"query": "ASK {}"}, timeout=30)
        assert ask.status_code == 200
        outcome: dict[str, object] = {}

        def run() -> None:
            try:
                r = httpx.get(f"{url}/sparql", params={"query": SLOW_QUERY}, timeout=30)
            except httpx.HTTPError as e:  # named in the failure, with the server's log
                outcome.update(error=repr(e), log=(tmp_path / "serve.log").read_text())
            else:
                outcome.update(status=r.status_code, text=r.text)

        def tree() -> set[int]:
            return procs.descendants(process.pid)

        def executors() -> set[int]:
            return procs.executors(process.pid)

        before = procs.cpu_of(executors())
        thread = threading.Thread(target=run)
        thread.start()
        computing = procs.evaluating(executors, before)  # the query computes for ~2.4 s
        assert computing, "none in flight"
        in_flight = tree()
        process.send_signal(signal.SIGTERM)
        # the query was in flight when the signal arrived: admitted (its executor computing)
        # before the signal, its response not yet received after it, and its executor still
        # alive after it (it is the one that answers)
        answered_before_signal = bool(outcome)
        assert not answered_before_signal, "the query was answered before SIGTERM was sent"
        assert any(procs.alive(e) for e in computing), "its executor died before the signal"
        thread.join(30)
        assert outcome.get("status") == 200, outcome
        assert int(json.loads(str(outcome["text"]))["results"]["bindings"][0]["n"]["value"]) > 0
        assert process.wait(30) == 0
        gone = procs.until(lambda: not any(procs.alive(p) for p in in_flight))
        assert gone, "workers or executors outlived the server"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
