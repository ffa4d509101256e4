"""The result cache answers repeated queries and never serves a stale answer after a write."""

from __future__ import annotations

import json

import pytest

from eocic_kg.namespaces import RELEASE_GRAPHS
from eocic_kg.store import Result, Store
from eocic_kg.store_api import UpdateRequest
from eocic_kg.web import dataset
from eocic_kg.web.app import create_app
from eocic_kg.web.backend import backend
from eocic_kg.web.release_view import ReleaseView
from eocic_kg.web.result_cache import ResultCache
from eocic_kg.web.views_cache import deep_size, entry_size

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
FRESH = "SELECT (STRUUID() AS ?u) WHERE {}"


def _count(client) -> int:
    response = client.get("/sparql", query_string={"query": COUNT})
    assert response.status_code == 200
    return int(json.loads(response.data)["results"]["bindings"][0]["n"]["value"])


def test_cache_evicts_least_recently_used_within_its_byte_limit() -> None:
    def result() -> Result:
        return Result("bindings", "text/csv", b"12345")

    one = entry_size("a", result())  # every key here is one letter, every body five bytes
    cache = ResultCache(limit=2 * one + one // 2)  # room for two entries, not three
    cache.put("a", result(), 0)
    cache.put("b", result(), 0)
    assert cache.get("a") is not None  # "a" is now the most recently used
    cache.put("c", result(), 0)
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    cache.put("huge", Result("bindings", "text/csv", b"x" * 3 * one), 0)
    assert cache.get("huge") is None
    cache.put("d" * 3 * one, result(), 0)  # a key alone past the limit is not kept either
    assert cache.get("d" * 3 * one) is None and cache.get("c") is not None


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


def test_write_landing_between_the_release_and_its_dump_leaves_no_stale_dump(
    writable_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dump is made from the release view: a write landing after the release was read and
    before the dump was made kept the old dump as the new generation's, served after the
    write (and its 204) until the next write."""
    client = writable_app(executors=1).test_client()
    data = str(sorted(RELEASE_GRAPHS)[0])
    read_release = dataset.release

    def release_then_a_write() -> ReleaseView:  # another client's write, just then
        rel = read_release()
        update = f"INSERT DATA {{ GRAPH <{data}> {{ <urn:x:late> <urn:x:p> 1 }} }}"
        backend().store.update(UpdateRequest(update))
        return rel

    monkeypatch.setattr(dataset, "release", release_then_a_write)
    assert b"urn:x:late" not in client.get("/download/eocic.nt").data  # read before it
    monkeypatch.setattr(dataset, "release", read_release)
    after = client.get("/download/eocic.nt")
    assert after.status_code == 200 and b"<urn:x:late>" in after.data


def test_cache_keys_separate_formats_and_datasets() -> None:
    client = create_app(store=Store(), cache_mb=1, executors=1).test_client()
    variants = [{}, {"format": "csv"}, {"default-graph-uri": "http://example.org/g"}]
    answers = [_fresh(client, **params) for params in variants]
    assert len(set(answers)) == 3  # each evaluated: no variant answered from another's entry
    assert [_fresh(client, **params) for params in variants] == answers  # each one cached
    csv = client.get("/sparql", query_string={"query": COUNT, "format": "csv"})
    assert csv.mimetype == "text/csv"


def test_large_queries_with_small_answers_do_not_grow_the_result_cache_past_its_budget() -> None:
    """The attack: distinct queries near the size limit whose answers are tiny. A cache that
    counted only the answers kept ~60 KB of key per ~50-byte answer, so 1 MiB of budget held
    tens of megabytes (a 64 MiB budget: gigabytes)."""
    app = create_app(store=Store(), cache_mb=1, executors=1)
    client = app.test_client()
    padding = "#" + "x" * 60_000 + "\n"
    for n in range(40):
        r = client.post(
            "/sparql",
            data=f"{padding}ASK {{ FILTER({n} >= 0) }}",
            content_type="application/sparql-query",
        )
        assert r.status_code == 200 and json.loads(r.data)["boolean"] is True
    cache = app.extensions["eocic"].pool.cache
    assert deep_size(cache) <= cache.limit * 1.1
    again = client.post(
        "/sparql",
        data=f"{padding}ASK {{ FILTER(39 >= 0) }}",
        content_type="application/sparql-query",
    )
    assert again.status_code == 200  # the newest entries are still served
