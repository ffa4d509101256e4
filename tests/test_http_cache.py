"""HTTP caching through the real server: validators, 304s, cache policy, a write moving the tag."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from rdflib import OWL, Graph

from eocic_kg.bulk import bulk_load
from eocic_kg.settings import DEFAULT_BASE_IRI
from eocic_kg.store import Store
from eocic_kg.web.app import create_app
from eocic_kg.web.graph_page import DOWNLOADS
from eocic_kg.web.rdf_documents import DUMPS

from .conftest import GRAPH, Server

ASK = "/sparql?query=" + quote("ASK { ?s ?p ?o }")
FIRST_ID = (
    "SELECT ?s WHERE { ?s ?p ?o "
    f'FILTER(STRSTARTS(STR(?s), "{DEFAULT_BASE_IRI}id/")) }} ORDER BY ?s LIMIT 1'
)
#: GET routes that are never cached, and why.
EXEMPT = {
    "health.liveness": "a probe reports the live state",
    "health.readiness": "a probe reports the live state",
}


def samples(url: str) -> dict[str, list[str]]:
    """For every GET route of the app, paths of this server that it answers with 200."""
    first = httpx.get(f"{url}/sparql", params={"query": FIRST_ID, "format": "json"}).json()
    resource = first["results"]["bindings"][0]["s"]["value"].removeprefix(DEFAULT_BASE_IRI)
    query = httpx.get(f"{url}/api/queries").json()[0]["name"]
    chart = re.search(r'/charts/[^"]+\.svg', httpx.get(f"{url}/charts").text)
    assert chart, "the charts page links no chart"
    ontology = httpx.get(f"{url}/ontology", headers={"Accept": "text/turtle"}).text
    version_iri = next(Graph().parse(data=ontology, format="turtle").objects(None, OWL.versionIRI))
    version = str(version_iri).rsplit("/", 1)[-1]
    return {
        "query_page": ["/"],
        "dataset.void": ["/.well-known/void"],
        "workbench.about": ["/about/void", "/about/service-description"],
        "api.index": ["/api"],
        "workbench.cite": [f"/api/cite?iri={quote(DEFAULT_BASE_IRI + resource)}"],
        "api.openapi": ["/api/openapi.json"],
        "api.list_queries": ["/api/queries"],
        "api.run_query": [f"/api/queries/{query}"],
        "workbench.cite_query": [f"/api/queries/{query}/cite"],
        "workbench.standalone_named": [f"/api/queries/{query}/standalone"],
        "workbench.vocabulary_json": ["/api/vocabulary.json"],
        "search_pages.search_page": ["/search?q=report"],
        "search_pages.search_api": ["/api/search?q=report"],
        "chart_pages.charts_page": ["/charts"],
        "chart_pages.chart": [chart.group(0)],
        "dataset.download": [f"/download/eocic.{DUMPS[0]}", f"/download/eocic.{DUMPS[0]}.gz"],
        "graph_pages.graph_page": ["/graph"],
        "graph_pages.graph_data": ["/graph/data.json"],
        "graph_pages.graph_export": [f"/graph/export.{next(iter(DOWNLOADS))}"],
        "linked_data.resource": [f"/{resource}", "/" + "/".join(resource.split("/")[:2])],
        "dataset.ontology": ["/ontology"],
        "dataset.ontology_version": [f"/ontology/{version}"],
        "graph_pages.class_diagram_data": ["/ontology/diagram.json"],
        "dataset.diagram_svg": ["/ontology/diagram.svg"],
        "sparql.sparql": ["/sparql", ASK],
        "static": ["/static/query.js"],
        "sparql.graph_store": [f"/store?graph={quote(GRAPH + 'data')}"],
    }


def get_routes(app_release: Path) -> set[str]:
    app = create_app(app_release, executors=1)
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}


def test_every_get_route_is_covered_or_exempt(server: Server, small_release: Path) -> None:
    covered = set(samples(server.url)) | set(EXEMPT)
    assert get_routes(small_release) <= covered
    assert not set(EXEMPT) & set(samples(server.url))


def test_conditional_get_and_head_answer_304_on_every_resource(server: Server) -> None:
    for endpoint, paths in samples(server.url).items():
        for path in paths:
            url = server.url + path
            first = httpx.get(url)
            assert first.status_code == 200, (endpoint, path, first.text[:200])
            etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
            assert etag.startswith('"'), (path, etag)  # strong
            assert first.headers["Cache-Control"] == "public, max-age=300", path
            assert "Accept" in first.headers["Vary"], path
            again = httpx.get(url, headers={"If-None-Match": etag})
            assert (again.status_code, again.content) == (304, b""), path
            assert again.headers["ETag"] == etag
            assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
            head = httpx.head(url, headers={"If-Modified-Since": modified})
            assert (head.status_code, head.headers["ETag"]) == (304, etag), path
            assert httpx.head(url).headers["ETag"] == etag


def test_another_negotiated_format_has_another_etag(server: Server) -> None:
    resource, kind_index = samples(server.url)["linked_data.resource"]
    for path, types in (
        (resource, ("text/html", "text/turtle", "application/ld+json")),
        (kind_index, ("text/html", "text/turtle", "application/ld+json")),
        (ASK, ("application/sparql-results+json", "application/sparql-results+xml")),
    ):
        tags = {httpx.get(server.url + path, headers={"Accept": t}).headers["ETag"] for t in types}
        assert len(tags) == len(types), path
        html_tag = httpx.get(server.url + path, headers={"Accept": types[0]}).headers["ETag"]
        other = httpx.get(
            server.url + path, headers={"Accept": types[1], "If-None-Match": html_tag}
        )
        assert other.status_code == 200


def test_errors_and_writes_are_not_cached(server: Server) -> None:
    bad = httpx.get(server.url + "/sparql", params={"query": "SELECT nonsense"})
    assert bad.status_code == 400
    assert bad.headers["Cache-Control"] == "no-store" and "ETag" not in bad.headers
    refused = httpx.post(server.url + "/sparql", data={"update": "CLEAR ALL"})
    assert refused.status_code >= 400 and refused.headers["Cache-Control"] == "no-store"
    post = httpx.post(server.url + "/sparql", data={"query": "ASK {}"})
    assert post.status_code == 200 and post.headers["Cache-Control"] == "no-store"
    missing = httpx.get(server.url + "/id/no-such-thing")
    assert missing.status_code == 404 and "ETag" not in missing.headers
    for probe in ("/health", "/ready"):
        live = httpx.get(server.url + probe, headers={"If-None-Match": "*"})
        assert live.headers["Cache-Control"] == "no-store" and "ETag" not in live.headers


def test_if_none_match_star_on_a_missing_resource_is_not_304(server: Server) -> None:
    missing = httpx.get(server.url + "/id/no-such-thing", headers={"If-None-Match": "*"})
    assert missing.status_code == 404


def test_failed_if_match_is_a_bare_uncacheable_412_and_if_match_star_holds(
    server: Server,
) -> None:
    """werkzeug answered a failed If-Match with a 412 that carried the whole representation
    (a 1.7 MB dump), its ETag and `Cache-Control: public, max-age=300` (a shared cache may
    keep it for everyone), and `If-Match: *`, which holds for any resource that exists, with
    that 412 too; If-Unmodified-Since was ignored."""
    url = f"{server.url}/download/eocic.{DUMPS[0]}"
    whole = httpx.get(url)
    etag = whole.headers["ETag"]
    for method in ("GET", "HEAD"):
        for condition in (
            {"If-Match": '"other"'},
            {"If-Match": f"W/{etag}"},  # If-Match compares strongly
            {"If-Match": '"other"', "If-None-Match": etag},  # If-Match is evaluated first
            {"If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"},
        ):
            failed = httpx.request(method, url, headers=condition)
            assert failed.status_code == 412, (method, condition)
            assert failed.headers["Cache-Control"] == "no-store" and "ETag" not in failed.headers
            assert len(failed.content) < 200 and failed.headers["Content-Type"].startswith(
                "text/plain"
            )
        for condition in ({"If-Match": "*"}, {"If-Match": f'"other", {etag}'}):
            held = httpx.request(method, url, headers=condition)
            assert held.status_code == 200 and held.headers["ETag"] == etag, condition
    assert httpx.get(url, headers={"If-Match": "*"}).content == whole.content
    both = httpx.get(url, headers={"If-Match": etag, "If-None-Match": etag})
    assert both.status_code == 304 and not both.content


@pytest.fixture(scope="module")
def own_writable_server(start_server: Callable[..., Server], tmp_path_factory) -> Server:
    """A writable server of this module's own (its writes touch no other test)."""
    directory = tmp_path_factory.mktemp("cache-writable")
    empty = directory / "empty.nq"
    empty.write_bytes(b"")
    return start_server(empty, writable=True, workers=1, store_path=directory / "store")


def test_a_write_changes_the_etag_at_once(own_writable_server: Server) -> None:
    url = own_writable_server.url + ASK
    before = httpx.get(url, headers={"Accept": "text/csv"})
    assert before.text.strip().splitlines()[-1] == "false"
    assert before.headers["Cache-Control"] == "no-cache"
    etag, modified = before.headers["ETag"], before.headers["Last-Modified"]
    assert httpx.get(url, headers={"If-None-Match": etag, "Accept": "text/csv"}).status_code == 304
    write = httpx.post(
        own_writable_server.url + "/sparql",
        data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"},
    )
    assert write.status_code == 204 and write.headers["Cache-Control"] == "no-store"
    after = httpx.get(url, headers={"If-None-Match": etag, "Accept": "text/csv"})
    assert after.status_code == 200 and after.text.strip().splitlines()[-1] == "true"
    assert after.headers["ETag"] != etag
    since = httpx.get(url, headers={"If-Modified-Since": modified, "Accept": "text/csv"})
    assert since.status_code == 200


def test_if_modified_since_from_before_a_restart_after_fast_writes_is_not_a_stale_304(
    start_server: Callable[..., Server], tmp_path: Path
) -> None:
    """Each observed write moved Last-Modified a second past the previous one and past now:
    200 writes and reads in two seconds put it three minutes ahead of `Date`. A restarted
    server starts again from its clock, so a client revalidating with the Last-Modified it
    held was told 304 for a graph written since (the ETag, drawn anew, was not asked)."""
    empty = tmp_path / "empty.nq"
    empty.write_bytes(b"")
    options = {"writable": True, "workers": 1, "store_path": tmp_path / "store"}
    first = start_server(empty, **options)
    graph = first.url + "/store?graph=http://example.org/fast"
    turtle = {"Content-Type": "text/turtle"}
    for n in range(30):
        body = f'<http://example.org/a> <http://example.org/p> "{n}" .'.encode()
        assert httpx.put(graph, content=body, headers=turtle).status_code in (201, 204)
        held = httpx.get(graph)
    modified = held.headers["Last-Modified"]
    changed = b'<http://example.org/a> <http://example.org/p> "changed" .'
    assert httpx.put(graph, content=changed, headers=turtle).status_code == 204
    first.stop()
    second = start_server(empty, **options)
    again = httpx.get(
        second.url + "/store?graph=http://example.org/fast",
        headers={"If-Modified-Since": modified},
    )
    assert again.status_code == 200 and '"changed"' in again.text
    second.stop()


def test_last_modified_ran_ahead_of_the_clock_with_fast_writes(writable_server: Server) -> None:
    """Each write moved Last-Modified a second past the previous one: ten writes in a second
    put it ten seconds ahead of `Date`, so a server restarted within that lead started from
    an earlier date and answered the Last-Modified it had given with a stale 304. It now never
    passes the clock; writes within one second share it, and a date of that second tells
    neither a read (`If-Modified-Since`) nor a write (`If-Unmodified-Since`) it is current."""
    graph = writable_server.url + f"/store?graph=http://example.org/{uuid.uuid4()}"
    turtle = {"Content-Type": "text/turtle"}

    def put(n: int, **headers: str) -> httpx.Response:
        body = f'<http://example.org/a> <http://example.org/p> "{n}" .'.encode()
        return httpx.put(graph, content=body, headers=turtle | headers)

    for n in range(10):
        assert put(n).status_code in (201, 204)
        read = httpx.get(graph)
        modified, date = (parsedate_to_datetime(read.headers[h]) for h in ("Last-Modified", "Date"))
        assert modified <= date, n
    copy = httpx.get(graph)
    assert put(10).status_code == 204
    again = httpx.get(graph, headers={"If-Modified-Since": copy.headers["Last-Modified"]})
    assert again.status_code == 200 and '"10"' in again.text
    stale = put(11, **{"If-Unmodified-Since": copy.headers["Last-Modified"]})
    assert stale.status_code == 412
    assert '"10"' in httpx.get(graph).text


def test_if_modified_since_later_than_now_is_ignored(server: Server) -> None:
    future = httpx.get(
        server.url + ASK, headers={"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}
    )
    assert future.status_code == 200 and future.content
    past = httpx.get(
        server.url + ASK, headers={"If-Modified-Since": future.headers["Last-Modified"]}
    )
    assert past.status_code == 304 and not past.content


def test_replicas_of_one_release_agree_on_the_etag(small_release: Path) -> None:
    tags = {
        create_app(small_release, executors=1).test_client().get(ASK).headers["ETag"]
        for _ in range(2)
    }
    assert len(tags) == 1


def test_matching_validator_is_answered_without_evaluating(
    small_release: Path, tmp_path: Path
) -> None:
    """The store vanishes: a GET must evaluate and fails, a validated one is still a 304."""
    path = tmp_path / "store"
    bulk_load(path, [small_release], progress=False)
    app = create_app(store=Store.open(path), executors=1, views_mb=0, cache_mb=0)
    client = app.test_client()
    resource = "/id/" + client.get(
        "/sparql", query_string={"query": FIRST_ID, "format": "json"}
    ).get_json()["results"]["bindings"][0]["s"]["value"].removeprefix(DEFAULT_BASE_IRI + "id/")
    tags = {path: client.get(path).headers["ETag"] for path in (ASK, resource)}
    app.extensions["eocic"].pool.stop()
    shutil.rmtree(path)
    for page, etag in tags.items():
        assert client.get(page).status_code != 200
        assert client.get(page, headers={"If-None-Match": etag}).status_code == 304


def test_writable_reads_with_another_origin_have_another_etag(own_writable_server: Server) -> None:
    """A writable server's CORS headers depend on the Origin, so its tag does too."""
    url = own_writable_server.url + ASK
    plain = httpx.get(url)
    other = httpx.get(url, headers={"Origin": "https://elsewhere.example"})
    assert plain.headers["ETag"] != other.headers["ETag"]
    assert "Origin" in other.headers["Vary"]
    stale = httpx.get(
        url, headers={"Origin": "https://elsewhere.example", "If-None-Match": plain.headers["ETag"]}
    )
    assert stale.status_code == 200
