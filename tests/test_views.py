"""The derived views: one bounded cache, keyed by validated arguments only (issue 20, finding 1);
pages that survive RDF 1.2 data (finding 13); page neighbourhoods capped (finding 14)."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, VOID

from eocic_kg import synth
from eocic_kg.bulk import bulk_load
from eocic_kg.catalogue import internal
from eocic_kg.store import Store
from eocic_kg.store_api import StoreAPI
from eocic_kg.web.app import create_app
from eocic_kg.web.front import Front, body_limit
from eocic_kg.web.hot import HotRoutes

from .release_cache import release_nquads

BASE = "https://w3id.org/eocic/"
DATA = "https://w3id.org/eocic/graph/data"
#: What RDF 1.2 adds and rdflib cannot hold: a triple term and a literal with a base direction.
SAXONY = f"<{BASE}id/region/saxony>"
RDF12 = f"""
{SAXONY} <http://example.org/says> <<( {SAXONY} <http://example.org/p> "x" )>> <{DATA}> .
{SAXONY} <http://example.org/note> "hello"@en--rtl <{DATA}> .
<{BASE}id/thing/rdf12> <http://example.org/note> "hello"@en--rtl <http://example.org/private> .
<{BASE}id/thing/rdf12> <{RDF.type}> <<( {SAXONY} <http://example.org/p> "x" )>> <{DATA}> .
"""
HTML = {"Accept": "text/html"}
HUB = synth.BASE + "generator"
#: The pages around a resource show at most this many statements pointing to it.
CAP = int(re.findall(r"LIMIT (\d+)", internal("page-incoming").text)[0])


def _until(condition, seconds: float = 30.0) -> None:
    """Wait for `condition()`; the deadline only bounds a failure."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def _app(directory: Path, extra: Path) -> Flask:
    """An app on an on-disk store holding the release and the file `extra`."""
    bulk_load(directory / "store", [release_nquads(), extra], progress=False)
    return create_app(store=Store.open(directory / "store"), executors=2, query_timeout=30)


@pytest.fixture(scope="module")
def rdf12_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a store (a `--store`) holding the release and RDF 1.2 statements."""
    directory = tmp_path_factory.mktemp("rdf12")
    (directory / "rdf12.nq").write_text(RDF12, encoding="utf-8")
    app = _app(directory, directory / "rdf12.nq")
    yield app
    app.extensions["eocic"].pool.stop()


@pytest.fixture(scope="module")
def hub_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a store holding the release and synthetic data, whose generator is a hub."""
    directory = tmp_path_factory.mktemp("hub")
    regions, clusters = synth.plan(8_000)
    synth.write(directory / "synthetic.nq", regions, clusters)
    app = _app(directory, directory / "synthetic.nq")
    yield app
    app.extensions["eocic"].pool.stop()


# --- finding 1: one bounded cache -------------------------------------------------------------


def test_junk_arguments_and_host_headers_do_not_grow_the_derived_views() -> None:
    """1,000 requests with distinct junk arguments and Host headers add no entry after the first
    round, and the views stay within their budget."""
    app = create_app(release_nquads(), views_mb=48, executors=2)
    client = app.test_client()
    views = app.extensions["eocic"].views

    def attack(i: int) -> None:
        host = {"Host": f"h{i}.attacker.example"}
        assert client.get(f"/graph/data.json?view=full&hops=x{i}").status_code == 400
        assert client.get(f"/graph/data.json?view=full&hops=1&junk={i}").status_code == 200
        assert client.get(f"/graph/data.json?view=regions&hops=2&j={i}").status_code == 200
        assert client.get(f"/graph?focus={BASE}id/region/saxony&view=x{i}").status_code == 200
        assert client.get("/.well-known/void", headers=host).status_code == 200
        assert client.get("/sparql", headers=host).status_code == 200
        assert client.get("/about/void", headers=host).status_code == 200
        assert client.get(f"/charts/region-challenge.svg?x={i}", headers=host).status_code == 200

    attack(0)
    first = views.stats()
    for i in range(1, 1_000):
        attack(i)
    last = views.stats()
    assert last.entries == first.entries and last.computed == first.computed
    assert 0 < last.bytes <= last.limit == 48 * 2**20


def test_host_header_is_not_reflected_in_descriptions() -> None:
    """VoID, the service description and /about name the configured base IRI, never Host."""
    app = create_app(release_nquads(), base_iri="http://example.org/kg/", executors=1)
    client = app.test_client()
    host = {"Host": "evil.attacker.example", "Accept": "text/turtle"}
    for path in ("/.well-known/void", "/sparql", "/about/void", "/about/service-description"):
        body = client.get(path, headers=host).get_data(as_text=True)
        assert "attacker" not in body, path
        assert "http://example.org/kg/sparql" in body, path


def test_a_view_is_computed_once_for_concurrent_requests_and_not_under_a_global_lock() -> None:
    from eocic_kg.web.views_cache import ViewCache

    cache = ViewCache(limit=0)  # nothing kept: only the computation is shared
    started, finish = threading.Event(), threading.Event()
    calls: list[str] = []
    results: dict[str, object] = {}

    def slow() -> str:
        calls.append("first")
        started.set()
        assert finish.wait(30)
        return "value"

    def again() -> str:
        calls.append("second")
        return "other"

    first = threading.Thread(target=lambda: results.update(a=cache.get(0, "k", slow)))
    first.start()
    assert started.wait(30)
    second = threading.Thread(target=lambda: results.update(b=cache.get(0, "k", again)))
    second.start()
    _until(lambda: cache.stats().waiting == 1)
    # another view computes while the first is still being computed
    assert cache.get(0, "other key", lambda: "free") == "free"
    finish.set()
    first.join(30)
    second.join(30)
    assert calls == ["first"] and results == {"a": "value", "b": "value"}
    assert cache.stats().computed == 2 and cache.stats().entries == 0


def test_views_are_dropped_by_a_write(writable_app) -> None:
    app = writable_app()
    client = app.test_client()
    views = app.extensions["eocic"].views

    def triples() -> int:
        body = client.get("/.well-known/void", query_string={"format": "nt"}).get_data(True)
        void = Graph().parse(data=body, format="nt")
        return int(void.value(URIRef(f"{BASE}.well-known/void#dataset"), VOID.triples))

    before = triples()
    computed = views.stats().computed
    assert triples() == before and views.stats().computed == computed  # kept
    update = (
        f"INSERT DATA {{ GRAPH <{DATA}> {{ <http://example.org/a> <http://example.org/p> 1 }} }}"
    )
    assert client.post("/sparql", data={"update": update}).status_code == 204
    assert triples() == before + 1


def test_a_dereferenced_resource_was_read_and_written_again_for_every_request(
    writable_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resource's description in an RDF format (~25 ms of store reads and rdflib for a
    region) is kept with the store's generation: asked again, by the Flask route (HEAD) or the
    hot route, it is neither read nor written again; a write shows in it at once."""
    from eocic_kg.web import resource_views

    made: list[str] = []  # what was read (the neighbourhood) and written (the description)
    read, describe = resource_views.neighbourhood, resource_views.describe

    def reading(store: StoreAPI, node: URIRef) -> resource_views.Neighbourhood:
        made.append("read")
        return read(store, node)

    def writing(graph: Graph, node: URIRef) -> Graph:
        made.append("written")
        return describe(graph, node)

    monkeypatch.setattr(resource_views, "neighbourhood", reading)
    monkeypatch.setattr(resource_views, "describe", writing)
    app = writable_app()
    client = app.test_client()
    thing, turtle = f"{BASE}id/thing/x", {"Accept": "text/turtle"}

    def label(text: str) -> None:
        update = f'INSERT DATA {{ GRAPH <{DATA}> {{ <{thing}> <{RDFS.label}> "{text}" }} }}'
        assert client.post("/sparql", data={"update": update}).status_code == 204

    async def hot_get() -> bytes:
        front = Front(app, threads=1, limit=body_limit(app), hot=HotRoutes(app))
        scope = {"type": "http", "method": "GET", "path": "/id/thing/x", "query_string": b""}
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        await front({**scope, "headers": [(b"accept", b"text/turtle")]}, _stays, send)
        assert sent[0]["status"] == 200
        return b"".join(m.get("body", b"") for m in sent[1:])

    assert client.get("/id/thing/x", headers=turtle).status_code == 404
    label("one")
    made.clear()
    first = client.get("/id/thing/x", headers=turtle)
    assert first.status_code == 200 and '"one"' in first.get_data(as_text=True)
    assert made == ["read", "written"]
    assert client.get("/id/thing/x", headers=turtle).data == first.data
    assert asyncio.run(hot_get()) == first.data
    head = client.head("/id/thing/x", headers=turtle)  # the Flask route's, as conditional GETs
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(first.data))
    assert made == ["read", "written"]  # kept
    label("two")
    assert '"two"' in client.get("/id/thing/x", headers=turtle).get_data(as_text=True)
    assert b'"two"' in asyncio.run(hot_get())


async def _stays() -> dict:
    """An ASGI `receive` of a client that stays."""
    await asyncio.sleep(3600)
    return {"type": "http.disconnect"}


# --- finding 13: RDF 1.2 terms ----------------------------------------------------------------

PAGES = (
    "/ontology",
    "/ontology?format=ttl",
    "/download/eocic.ttl",
    "/download/eocic.nt.gz",
    "/graph",
    "/graph/data.json?view=full",
    f"/graph?focus={BASE}id/region/saxony",
    "/charts",
    "/charts/region-challenge.svg",
    "/.well-known/void",
    "/sparql",
    "/api/vocabulary.json",
    "/id/region/saxony",
    "/id/region/saxony?format=ttl",
    "/id/thing/rdf12",
    "/ready",
)


def test_rdf12_terms_in_a_store_do_not_take_pages_down(rdf12_app: Flask) -> None:
    client = rdf12_app.test_client()
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
    dump = client.get("/download/eocic.ttl")
    assert dump.headers["X-EOCIC-Omitted"] == "3"  # in a release graph, left out and said so
    void = client.get("/.well-known/void", headers={"Accept": "text/turtle"}).get_data(True)
    assert Graph().parse(data=void, format="turtle")  # no triple term taken for a class
    ontology = client.get("/ontology", headers=HTML).get_data(as_text=True)
    assert "3 statements of the release hold an RDF 1.2 term" in ontology
    page = client.get("/id/region/saxony", headers=HTML).get_data(as_text=True)
    assert "2 statements about it hold an RDF 1.2 term" in page
    assert "more statements" not in page  # those two are not counted again
    other = client.get("/id/thing/rdf12", headers=HTML).get_data(as_text=True)
    assert "2 statements about it hold an RDF 1.2 term" in other


def test_rdf12_terms_inserted_by_a_writer_do_not_take_pages_down(writable_app) -> None:
    client: FlaskClient = writable_app().test_client()
    update = f"""INSERT DATA {{
      GRAPH <{DATA}> {{
        {SAXONY} <http://www.w3.org/2000/01/rdf-schema#label> "Saxony"@en .
        {SAXONY} <http://example.org/says> <<( {SAXONY} <http://example.org/p> "x" )>> .
        {SAXONY} <http://example.org/note> "hello"@en--rtl }}
      GRAPH <http://example.org/private> {{
        <{BASE}id/thing/rdf12> <http://example.org/n> "a"@en--rtl }}
    }}"""
    assert client.post("/sparql", data={"update": update}).status_code == 204
    for path in PAGES[:-1]:  # /ready: this store holds no release
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
    page = client.get("/id/region/saxony", headers=HTML).get_data(as_text=True)
    assert "2 statements about it hold an RDF 1.2 term" in page


# --- finding 14: the worker's share bounded ---------------------------------------------------


def test_hub_node_neighbourhood_is_capped_with_a_count_of_the_rest(hub_app: Flask) -> None:
    """The synthetic generator is the source of every synthetic resource: its neighbourhood is
    read as at most CAP incoming statements, and the page says how many more there are."""
    client = hub_app.test_client()
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p <{HUB}> }}"
    answer = client.get("/sparql", query_string={"query": count}).get_json()
    total = int(answer["results"]["bindings"][0]["n"]["value"])
    assert total > 2 * CAP
    data = client.get("/graph/data.json", query_string={"focus": HUB, "hops": "1"})
    assert data.status_code == 200
    elements = data.get_json()["elements"]
    incoming = [e for e in elements["edges"] if e["data"]["target"] == HUB]
    assert len(incoming) == CAP and len(elements["nodes"]) <= CAP + 10
    page = client.get("/graph", query_string={"focus": HUB}).get_data(as_text=True)
    assert f"and {total - CAP:,} more links of this resource" in page


def test_junk_kinds_do_not_grow_the_view_cache_past_its_budget() -> None:
    """The attack: `/id/<junk>` pages, each a 404 whose (empty) list of members was kept under
    a key holding the junk. A cache that counted only the values kept ~50 KB of key per
    ~60-byte entry, so its budget held a thousand times as much."""
    from eocic_kg.web.views_cache import deep_size

    app = create_app(store=Store(), views_mb=1, executors=1)
    client = app.test_client()
    for n in range(40):
        r = client.get(f"/id/{n}{'x' * 50_000}", headers={"Accept": "text/html"})
        assert r.status_code == 404
    views = app.extensions["eocic"].views
    assert deep_size(views) <= views.limit * 1.1
