"""The W3C SPARQL 1.1 Protocol test suite against the live server.

Writable mode: all 34 tests must pass (each starts from DROP ALL and loads its ut:graphData
through the Graph Store Protocol). Read-only mode (test data in the release): the query and
bad_* tests must pass, and the update tests must be refused with 4xx.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import httpx
import pytest
from rdflib import Graph, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from tests.conftest import CONFORMANCE_DIR, Server

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
STATUS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest.ttl"

#: Media types the manifest's mf:expectedFormat values allow.
EXPECTED_TYPES = {
    "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
    "tabular": {
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    },
    "RDF": {"text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"},
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # after the manifest's "/sparql/" prefix
    headers: dict[str, str]
    body: bytes | None
    statuses: frozenset[int]  # accepted status classes: 2, 3, 4, 5
    expected_format: str | None
    expected_boolean: bool | None


@dataclass(frozen=True)
class ProtocolTest:
    id: str
    graph_data: tuple[tuple[str, str], ...]  # (data file, graph IRI)
    requests: tuple[Request, ...]


def _request(g: Graph, node) -> Request:
    headers = {}
    if (hs := g.value(node, HT.headers)) is not None:
        for h in Collection(g, hs):
            headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
    body = None
    if (b := g.value(node, HT.body)) is not None:
        encoding = str(g.value(b, CNT.characterEncoding) or "UTF-8")
        body = str(g.value(b, CNT.chars)).encode(encoding)
    resp = g.value(node, HT.resp)
    boolean = g.value(resp, MF.expectedBoolean)
    fmt = g.value(resp, MF.expectedFormat)
    return Request(
        method=str(g.value(node, HT.methodName)),
        path=str(g.value(node, HT.absolutePath)).removeprefix("/sparql/"),
        headers=headers,
        body=body,
        statuses=frozenset(int(str(s)[len(STATUS)]) for s in g.objects(resp, MF.expectedStatus)),
        expected_format=None if fmt is None else str(fmt),
        expected_boolean=None if boolean is None else boolean.toPython(),
    )


def load_manifest() -> list[ProtocolTest]:
    """The tests of the manifest, in its order."""
    g = Graph().parse(CONFORMANCE_DIR / "manifest.ttl", format="turtle", publicID=BASE)
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    tests = []
    for t in Collection(g, g.value(manifest, MF.entries)):
        data = tuple(
            sorted(
                (str(g.value(d, UT.graph)).rsplit("/", 1)[-1], str(g.value(d, RDFS.label)))
                for d in g.objects(t, UT.graphData)
            )
        )
        requests = Collection(g, g.value(g.value(t, MF.action), HT.requests))
        tests.append(
            ProtocolTest(str(t).rsplit("#", 1)[-1], data, tuple(_request(g, r) for r in requests))
        )
    return tests


TESTS = load_manifest()


def _boolean(media_type: str, text: str) -> bool | None:
    if media_type.endswith("json"):
        return json.loads(text).get("boolean")
    for element in ET.fromstring(text).iter():
        if element.tag.endswith("boolean"):
            return (element.text or "").strip() == "true"
    return None


def problems(req: Request, response: httpx.Response) -> list[str]:
    """What is wrong with `response` to `req`, per the manifest."""
    if response.status_code // 100 not in req.statuses:
        return [f"status {response.status_code}, expected {sorted(req.statuses)}xx"]
    if response.status_code >= 300:
        return []
    found = []
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if req.expected_format and media_type not in EXPECTED_TYPES[req.expected_format]:
        found.append(f"media type {media_type!r} is not {req.expected_format}")
    if req.expected_boolean is not None:
        value = _boolean(media_type, response.text)
        if value != req.expected_boolean:
            found.append(f"boolean {value!r}, expected {req.expected_boolean!r}")
    return found


def send(client: httpx.Client, server: Server, req: Request) -> httpx.Response:
    return client.request(
        req.method, f"{server.url}/sparql{req.path}", headers=req.headers, content=req.body
    )


def test_manifest_has_34_tests() -> None:
    assert len(TESTS) == 34


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_writable(test: ProtocolTest, writable_server: Server) -> None:
    with httpx.Client(timeout=10) as client:
        reset = client.post(
            f"{writable_server.url}/sparql",
            content=b"DROP ALL",
            headers={"content-type": "application/sparql-update"},
        )
        assert reset.status_code == 204, reset.text
        created: set[str] = set()
        for filename, graph in test.graph_data:
            put = client.put(
                f"{writable_server.url}/store",
                params={"graph": graph},
                content=(CONFORMANCE_DIR / filename).read_bytes(),
                headers={"content-type": "application/n-triples"},
            )
            assert put.status_code == (204 if graph in created else 201), put.text  # after DROP ALL
            created.add(graph)
        found = [
            f"request {i}: {p}"
            for i, req in enumerate(test.requests, 1)
            for p in problems(req, send(client, writable_server, req))
        ]
    assert not found


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_read_only(test: ProtocolTest, w3c_readonly_server: Server) -> None:
    with httpx.Client(timeout=10) as client:
        if test.id.startswith("update_"):
            response = send(client, w3c_readonly_server, test.requests[0])
            assert 400 <= response.status_code < 500, response.text
            return
        found = [
            f"request {i}: {p}"
            for i, req in enumerate(test.requests, 1)
            for p in problems(req, send(client, w3c_readonly_server, req))
        ]
    assert not found
