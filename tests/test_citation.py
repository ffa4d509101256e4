"""Citations, vocabulary and readable descriptions, through the live server."""

from __future__ import annotations

import html
import json
import re

import httpx

from eocic_kg.citation import citations, citations_of
from eocic_kg.prefixes import PREFIXES
from eocic_kg.store import Store
from eocic_kg.store_api import QueryRequest, Result

from .conftest import Server
from .release_cache import REPORT_TEXT, release_nquads

CSL_FIELDS = {"id", "type", "title", "publisher", "language", "section", "page", "note", "URL"}


def _page(server: Server, path: str) -> str:
    response = httpx.get(f"{server.url}{path}", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["Content-Security-Policy"]  # 'self' only
    assert not re.search(r"<script>(?!</script>)", response.text)  # no inline code
    return response.text


def _quote(item: dict) -> str:
    return item["note"].removeprefix("Quote: \u201c").removesuffix("\u201d")


def test_resource_page_cite_block_holds_only_what_the_graph_says(full_server: Server) -> None:
    page = _page(full_server, "/id/challenge/funding")
    block = page[page.index('<section id="cite"') :]
    bibtex = html.unescape(re.search(r'<pre class="bibtex">(.*?)</pre>', block, re.S).group(1))
    csl = json.loads(html.unescape(re.search(r'<pre class="csl-json">(.*?)</pre>', block, re.S)[1]))
    assert bibtex.startswith("@report{eocic_") and "institution = {European Commission}" in bibtex
    item = csl[0]
    assert set(item) <= CSL_FIELDS and item["type"] == "report"
    assert item["publisher"] == "European Commission" and item["URL"].startswith(
        "https://w3id.org/eocic/id/"
    )
    report = " ".join(REPORT_TEXT.read_text(encoding="utf-8").split())
    assert " ".join(_quote(item).split()) in report  # the report's words, not ours


def test_named_query_result_citations(full_server: Server) -> None:
    response = httpx.get(
        f"{full_server.url}/api/queries/regions-by-challenge/cite",
        params={"challenge": "https://w3id.org/eocic/id/challenge/automation"},
    )
    assert response.status_code == 200
    items = response.json()
    assert items and all(set(i["csl"]) <= CSL_FIELDS for i in items)
    assert all(i["bibtex"].startswith("@report{") for i in items)
    assert any(i["quote"] for i in items)
    bad = httpx.get(f"{full_server.url}/api/queries/regions-by-challenge/cite?challenge=x y")
    assert bad.status_code == 400


def test_citing_an_iri_nothing_mentions_is_a_400_not_an_empty_list(full_server: Server) -> None:
    """`/api/cite?iri=region:saxny` (misspelt) answered 200 with `[]`, as if Saxony came from no
    part of the report; it is a 400 naming the IRI and where regions are listed, and the right
    spelling still gives its citations."""
    url = f"{full_server.url}/api/cite"
    wrong = httpx.get(url, params={"iri": "region:saxny"})
    assert wrong.status_code == 400, wrong.text
    assert "nothing in the graph mentions <https://w3id.org/eocic/id/region/saxny>" in wrong.text
    assert "/id/region" in wrong.text
    right = httpx.get(url, params={"iri": "region:saxony"})
    assert right.status_code == 200 and right.json()


def test_vocabulary_for_the_editor(full_server: Server) -> None:
    vocabulary = httpx.get(f"{full_server.url}/api/vocabulary.json").json()
    assert vocabulary["prefixes"] == PREFIXES
    terms = {t["name"]: t for t in vocabulary["terms"]}
    assert terms["eocic:PilotRegion"]["kind"] == "class"
    assert terms["eocic:PilotRegion"]["label"] == "pilot region"
    assert terms["eocic:facesChallenge"]["kind"] == "property"
    assert terms["region:saxony"]["label"] == "Saxony"
    assert terms["rdfs:label"]["kind"] == "property"


def test_service_description_and_void_are_readable_pages(full_server: Server) -> None:
    for path, expected in (
        ("/about/service-description", "sd:Service"),
        ("/about/void", "void:Dataset"),
    ):
        page = _page(full_server, path)
        assert expected in html.unescape(page)
    query_page = _page(full_server, "/")
    assert 'href="/about/service-description"' in query_page
    assert 'href="/about/void"' in query_page
    api = _page(full_server, "/api")
    assert 'class="run-defaults"' in api and "/static/api.js" in api
    assert httpx.get(f"{full_server.url}/about/nothing").status_code == 404


def test_editor_bundle_is_served_with_its_licences_and_no_cdn(full_server: Server) -> None:
    page = _page(full_server, "/")
    assert not re.search(r"""(src|href)=["']https?://""", page)
    bundle = httpx.get(f"{full_server.url}/static/vendor/codemirror/editor.js")
    assert bundle.status_code == 200 and "EOCICEditor" in bundle.text
    licences = httpx.get(f"{full_server.url}/static/vendor/codemirror/LICENSES.txt").text
    assert "@codemirror/view" in licences and "MIT" in licences


class _Counting:
    """A store that counts the queries it answers."""

    def __init__(self, store: Store) -> None:
        self.store, self.queries = store, 0

    def query(self, request: QueryRequest) -> Result:
        self.queries += 1
        return self.store.query(request)


def test_citations_of_many_resources_take_two_queries() -> None:
    """A named query's citations asked one resource at a time: two queries each, up to 21 per
    request, which under load held every executor for tens of seconds (the CI runs' "all query
    executors are busy"). Now two queries in all, with the same citations as one at a time."""
    store = Store.from_file(release_nquads())
    iris = [f"https://w3id.org/eocic/id/region/{r}" for r in ("saxony", "wallonia", "piemonte")]
    iris += ["https://w3id.org/eocic/id/challenge/funding", "https://w3id.org/eocic/id/nowhere"]
    counting = _Counting(store)
    together = citations_of(counting, iris, limit=2)  # type: ignore[arg-type]
    assert counting.queries == 2
    assert together == {iri: citations(store, iri, limit=2) for iri in iris}
    assert all(together[iri] for iri in iris[:-1]) and together[iris[-1]] == []
