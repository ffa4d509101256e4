"""The result cache answers repeated queries and never serves a stale answer after a write."""

from __future__ import annotations

import json

from eocic_kg.store import Result, Store
from eocic_kg.web.app import create_app
from eocic_kg.web.result_cache import ResultCache

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _count(client) -> int:
    response = client.get("/sparql", query_string={"query": COUNT})
    assert response.status_code == 200
    return int(json.loads(response.data)["results"]["bindings"][0]["n"]["value"])


def test_cache_evicts_least_recently_used_within_its_byte_limit() -> None:
    cache = ResultCache(limit=10)
    cache.put("a", Result("bindings", "text/csv", b"12345"), 0)
    cache.put("b", Result("bindings", "text/csv", b"12345"), 0)
    assert cache.get("a") is not None  # "a" is now the most recently used
    cache.put("c", Result("bindings", "text/csv", b"12345"), 0)
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    cache.put("huge", Result("bindings", "text/csv", b"x" * 11), 0)
    assert cache.get("huge") is None


def test_repeated_query_is_served_from_the_cache_and_a_write_clears_it(writable_app) -> None:
    app = writable_app(cache_mb=1, executors=1)
    client = app.test_client()
    pool = app.extensions["eocic"].pool
    assert _count(client) == 0
    assert _count(client) == 0
    assert len(pool.cache._entries) == 1
    update = "INSERT DATA { <http://example.org/a> <http://example.org/p> 1 }"
    assert client.post("/sparql", data={"update": update}).status_code == 204
    assert _count(client) == 1  # not the cached 0


def test_cache_keys_separate_formats_and_datasets() -> None:
    app = create_app(store=Store(), cache_mb=1, executors=1)
    client = app.test_client()
    as_json = client.get("/sparql", query_string={"query": COUNT})
    as_csv = client.get("/sparql", query_string={"query": COUNT, "format": "csv"})
    named = client.get(
        "/sparql", query_string={"query": COUNT, "default-graph-uri": "http://example.org/g"}
    )
    assert as_json.mimetype == "application/sparql-results+json"
    assert as_csv.mimetype == "text/csv"
    assert named.status_code == 200
    assert len(app.extensions["eocic"].pool.cache._entries) == 3
