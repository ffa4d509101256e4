"""The result cache answers repeated queries and never serves a stale answer after a write."""

from __future__ import annotations

import json

from eocic_kg.store import Result, Store
from eocic_kg.web.app import create_app
from eocic_kg.web.result_cache import ResultCache

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
FRESH = "SELECT (STRUUID() AS ?u) WHERE {}"


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


def _fresh(client, **params: str) -> bytes:
    """The answer to a query that gives a new UUID each time it is evaluated: a repeated
    answer came from the cache, a new one from an executor."""
    response = client.get("/sparql", query_string={"query": FRESH, **params})
    assert response.status_code == 200
    return response.data


def test_repeated_query_is_served_from_the_cache_and_a_write_clears_it(writable_app) -> None:
    client = writable_app(cache_mb=1, executors=1).test_client()
    first = _fresh(client)
    assert _fresh(client) == first  # not evaluated again
    assert _count(client) == 0
    update = "INSERT DATA { <http://example.org/a> <http://example.org/p> 1 }"
    assert client.post("/sparql", data={"update": update}).status_code == 204
    assert _fresh(client) != first  # the write cleared the cache
    assert _count(client) == 1  # not the cached 0
    uncached = writable_app(cache_mb=0, executors=1).test_client()
    assert _fresh(uncached) != _fresh(uncached)  # the query does tell the two apart


def test_cache_keys_separate_formats_and_datasets() -> None:
    client = create_app(store=Store(), cache_mb=1, executors=1).test_client()
    variants = [{}, {"format": "csv"}, {"default-graph-uri": "http://example.org/g"}]
    answers = [_fresh(client, **params) for params in variants]
    assert len(set(answers)) == 3  # each evaluated: no variant answered from another's entry
    assert [_fresh(client, **params) for params in variants] == answers  # each one cached
    csv = client.get("/sparql", query_string={"query": COUNT, "format": "csv"})
    assert csv.mimetype == "text/csv"
