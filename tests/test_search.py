"""Search the report's words: relevance, the query language, the index's life, HTTP and CLI."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from flask import Flask
from rdflib import URIRef
from rdflib.namespace import PROV

from eocic_kg.remote import RemoteStore
from eocic_kg.search import (
    INDEX_NAME,
    SearchError,
    SearchIndex,
    build_index,
    file_digest,
    parse,
    release_index,
)
from eocic_kg.web.app import create_app

from .conftest import Server
from .release_cache import REPORT_TEXT, built_release, release_dist, release_graph, run_cli

ID = "https://w3id.org/eocic/id/"
#: Phrases of the report and the resources each must find among its first five hits: the
#: resource the phrase names, read from the report and data/*.ttl.
RELEVANCE: list[tuple[str, tuple[str, ...]]] = [
    ("Brain Drain", ("challenge/talent-attraction",)),
    ("Joint Peer Review Meeting", ("event/joint-peer-review-meeting",)),
    ("Pôles de compétitivité", ("cluster-organisation-form/poles-de-competitivite",)),
    ("Hauts-de-France", ("region/hauts-de-france",)),
    ("Piemonte", ("region/piemonte",)),
    ("Centre-Val de Loire", ("region/centre-val-de-loire",)),
    ("East & North Finland", ("region/east-north-finland",)),
    ("North Middle Sweden", ("region/north-middle-sweden",)),
    ("Saxony", ("region/saxony",)),
    ("Demographic change", ("challenge/demographic-change", "megatrend/demographic-change")),
    ("entrepreneurial culture", ("challenge/entrepreneurial-culture",)),
    ("securing sufficient funding", ("challenge/funding",)),
    ("Collaboration and outreach", ("challenge/collaboration-and-outreach",)),
    ("competing with machines", ("challenge/automation",)),
    ("climate change", ("megatrend/climate-change",)),
    ("circular economy", ("sector/circular-economy", "challenge/climate-change-circular-economy")),
    ("megatrends", ("scheme/megatrends",)),
    ("European Service Innovation Scoreboard", ("service/european-service-innovation-scoreboard",)),
    ("Regional Eco-system Scoreboard", ("service/regional-eco-system-scoreboard",)),
    (
        "European Cluster Collaboration Platform",
        ("platform/european-cluster-collaboration-platform",),
    ),
    ("single access point for statistical information", ("organisation/eocic",)),
    ("DG GROW", ("organisation/dg-grow",)),
    ("Strategiewerkstatt", ("measure/saxony-strategiewerkstatt",)),
    ("spearhead clusters", ("measure/east-north-finland-spearhead-clusters",)),
    ("cluster coaching", ("measure/centre-val-de-loire-cluster-coaching",)),
    ("human resource landscape", ("measure/hauts-de-france-human-resource-landscape",)),
    ("Digital Innovation Hubs", ("survey-statement/digital-innovation-hubs-impact",)),
    ("forestry and mining", ("sector/forestry", "sector/mining")),
    ("food production and processing", ("sector/food-production-and-processing",)),
    ("Lombardy", ("place/lombardy",)),
]
#: Inputs refused with a message, never passed to FTS5.
BAD_INPUT = [
    "",
    "   ",
    "x" * 1_000_000,
    '"brain drain',
    'brain "drain" "',
    "brain AND drain",
    "brain OR drain",
    "NOT brain",
    "NEAR(brain drain)",
    "label:brain",
    "{label quote}: brain",
    "^brain",
    "*",
    "br*ain",
    '"brain dr*"',
    "brain\x00drain",
    "brain\x1bdrain",
    "a " * 40,
]


def _report() -> str:
    return re.sub(r"\s+", " ", REPORT_TEXT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dist directory holding the release and, written by `build_index`, its index."""
    directory = release_dist(tmp_path_factory.mktemp("dist"))
    build_index(directory / "eocic.nq")
    return directory


@pytest.fixture(scope="module")
def index(dist: Path) -> SearchIndex:
    return release_index(dist / "eocic.nq")


@pytest.fixture(scope="module")
def app(dist: Path) -> Flask:
    return create_app(dist / "eocic.nq", executors=1, query_timeout=30)


def _top(index: SearchIndex, text: str, n: int = 5) -> list[str]:
    return [hit.resource.removeprefix(ID) for hit in index.search(text, n)]


@pytest.mark.parametrize(("phrase", "expected"), RELEVANCE, ids=[p for p, _ in RELEVANCE])
def test_phrase_of_the_report_finds_its_resources(
    index: SearchIndex, phrase: str, expected: tuple[str, ...]
) -> None:
    assert phrase in _report(), f"{phrase!r} is not in the report"
    top = _top(index, phrase)
    assert set(expected) <= set(top), top


def test_relevance_set_is_thirty_distinct_phrases() -> None:
    assert len({phrase for phrase, _ in RELEVANCE}) == len(RELEVANCE) == 30


@pytest.mark.parametrize(
    ("written", "as_in_report", "resource"),
    [
        ("hauts de france", "Hauts-de-France", "region/hauts-de-france"),
        (
            "poles de competitivite",
            "Pôles de compétitivité",
            "cluster-organisation-form/poles-de-competitivite",
        ),
        ("PIEMONTE", "Piemonte", "region/piemonte"),
        ("east north finland", "East & North Finland", "region/east-north-finland"),
    ],
)
def test_accents_case_and_punctuation_do_not_matter(
    index: SearchIndex, written: str, as_in_report: str, resource: str
) -> None:
    assert as_in_report in _report()
    assert _top(index, written)[0] == resource
    assert _top(index, written) == _top(index, as_in_report)


@pytest.mark.parametrize(("possessive", "word"), [("cluster's", "cluster"), ("SME\u2019s", "SME")])
def test_a_possessive_found_nothing_unless_the_report_has_it_so(
    index: SearchIndex, app: Flask, possessive: str, word: str
) -> None:
    """`cluster's` was the phrase "cluster s" (the index splits off the "s"), which finds only
    the possessive itself: no hit, 200, though the report is full of clusters. A possessive
    now searches the word it is formed from, on the API as in process."""
    assert possessive.lower() not in _report().lower()
    hits = _top(index, possessive, 20)
    assert hits and hits == _top(index, word, 20)
    response = app.test_client().get("/api/search", query_string={"q": possessive})
    assert response.status_code == 200
    assert [iri.removeprefix(ID) for iri in response.get_json()["iris"]] == hits
    # a phrase keeps its words as written: "Europe's regions" is in the report
    assert "Europe's regions" in _report() and _top(index, '"Europe\'s regions"')


def test_english_stemming_matches_other_forms_of_a_word(index: SearchIndex) -> None:
    """The report says "competing with machines"; "compete machine" shares the stems."""
    assert "compete machine" not in _report().lower()
    assert "challenge/automation" in _top(index, "compete machine")


def test_prefix_matches_words_starting_so(index: SearchIndex) -> None:
    hits = index.search("strategiewerk*", 5)
    assert hits[0].resource == ID + "measure/saxony-strategiewerkstatt"
    innovat = index.search("innovat*", 20)
    assert innovat
    for hit in innovat:
        marked = [text for text, matched in hit.snippet if matched]
        assert marked and all(m.lower().startswith("innovat") for m in marked), hit.snippet


def test_prefix_combines_with_stemmed_words(index: SearchIndex) -> None:
    hits = index.search("digitali* hauts", 10)
    assert hits and hits[0].resource == ID + "attribution/hauts-de-france--digitalisation"
    assert all("hauts" in hit.snippet_text().lower() for hit in hits)


def test_phrase_needs_its_words_in_order(index: SearchIndex) -> None:
    assert index.search('"drain brain"') == []
    assert "challenge/talent-attraction" in _top(index, "drain brain")


def test_snippet_marks_the_words_found(index: SearchIndex) -> None:
    hit = index.search("brain drain", 1)[0]
    assert ("brain drain", True) in hit.snippet
    start, end = hit.as_json()["highlights"][0]
    assert hit.as_json()["snippet"][start:end] == "brain drain"


def test_hit_names_the_report_parts_its_resource_comes_from(index: SearchIndex) -> None:
    graph = release_graph()
    for hit in index.search("brain drain", 5):
        stated = {str(part) for part in graph.objects(URIRef(hit.resource), PROV.wasDerivedFrom)}
        assert stated and {part.iri for part in hit.parts} == stated
        assert all(part.label != part.iri for part in hit.parts)


@pytest.mark.parametrize("text", BAD_INPUT, ids=range(len(BAD_INPUT)))
def test_bad_input_is_refused_with_advice(text: str) -> None:
    with pytest.raises(SearchError) as err:
        parse(text)
    assert len(str(err.value)) < 200


@pytest.mark.parametrize(
    "text",
    [
        "R&D",
        "(brain) drain",
        "brain-drain",
        "a+b",
        "drain;",
        "'brain'",
        "brain -drain",
        "x = y",
        "é*",
    ],
)
def test_fts_syntax_in_words_never_reaches_sqlite(index: SearchIndex, text: str) -> None:
    """Punctuation FTS5 reads as syntax is a separator of our words: a search or a refusal,
    never an SQLite error."""
    try:
        index.search(text)
    except SearchError:
        pass
    except sqlite3.Error as err:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"{text!r} reached SQLite: {err}")


def test_index_is_written_beside_the_release_and_reused(dist: Path) -> None:
    release = dist / "eocic.nq"
    assert (dist / INDEX_NAME).is_file()
    assert SearchIndex.open(dist / INDEX_NAME).source == file_digest(release)


def test_build_writes_the_index_beside_the_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`eocic-kg build` writes the index of the bytes it wrote (the session's release stands in
    for reasoning and validation, tested in test_build.py)."""
    from eocic_kg import build as build_module

    release = build_module.Release(built_release().dataset, report=None)  # type: ignore[arg-type]
    monkeypatch.setattr(build_module, "make_release", lambda data_dir, progress: release)
    said: list[str] = []
    build_module.build(tmp_path / "eocic.nq", progress=said.append)
    assert said[-1] == f"wrote {tmp_path / INDEX_NAME}"
    assert SearchIndex.open(tmp_path / INDEX_NAME).source == file_digest(tmp_path / "eocic.nq")


def test_stale_index_is_rebuilt(tmp_path: Path) -> None:
    release = release_dist(tmp_path) / "eocic.nq"
    (tmp_path / INDEX_NAME).write_bytes(b"not an index")
    assert release_index(release).search("brain drain", 1)
    assert SearchIndex.open(tmp_path / INDEX_NAME).source == file_digest(release)


def test_failed_index_build_keeps_the_previous_index(tmp_path: Path, dist: Path) -> None:
    good = (dist / INDEX_NAME).read_bytes()
    (tmp_path / INDEX_NAME).write_bytes(good)
    broken = tmp_path / "eocic.nq"
    broken.write_text("<not> <n-quads\n", encoding="utf-8")
    with pytest.raises(SyntaxError):
        build_index(broken)
    assert (tmp_path / INDEX_NAME).read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([INDEX_NAME, "eocic.nq"])


# --- HTTP --------------------------------------------------------------------------------


def test_search_page_links_hits_to_resource_pages(full_server: Server) -> None:
    response = httpx.get(
        f"{full_server.url}/search", params={"q": "brain drain"}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'href="/id/challenge/talent-attraction"' in response.text
    assert "<mark>brain drain</mark>" in response.text
    assert response.headers["Content-Security-Policy"]


def test_search_json_by_negotiation_and_format(full_server: Server) -> None:
    url = f"{full_server.url}/search"
    by_accept = httpx.get(url, params={"q": "Piemonte"}, headers={"Accept": "application/json"})
    by_format = httpx.get(
        url, params={"q": "Piemonte", "format": "json"}, headers={"Accept": "text/html"}
    )
    assert by_accept.json() == by_format.json()
    first = by_accept.json()["hits"][0]
    assert first["resource"] == ID + "region/piemonte"
    assert httpx.get(full_server.url + first["page"]).status_code == 200


def test_api_search_values_join_with_sparql(full_server: Server) -> None:
    found = httpx.get(f"{full_server.url}/api/search", params={"q": "entrepreneurial culture"})
    assert found.status_code == 200
    document = found.json()
    assert ID + "challenge/entrepreneurial-culture" in document["iris"]
    query = (
        "SELECT ?resource ?region WHERE { "
        + document["values"]
        + " ?resource eocic:region/rdfs:label ?region }"
    )
    rows = httpx.get(
        f"{full_server.url}/sparql",
        params={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    ).json()["results"]["bindings"]
    joined = {row["resource"]["value"] for row in rows}
    assert joined and joined <= set(document["iris"])


def test_api_search_refuses_a_bad_variable_name(app: Flask) -> None:
    response = app.test_client().get("/api/search?q=funding&var=x}%20DROP")
    assert response.status_code == 400
    assert "variable" in response.get_data(as_text=True)


@pytest.mark.parametrize("text", BAD_INPUT, ids=range(len(BAD_INPUT)))
def test_bad_search_over_http_is_a_400(app: Flask, text: str) -> None:
    client = app.test_client()
    for path, accept in (
        ("/search", "text/html"),
        ("/search", "application/json"),
        ("/api/search", "*/*"),
    ):
        response = client.get(path, query_string={"q": text}, headers={"Accept": accept})
        assert response.status_code == 400, (path, accept)
        assert "quoted phrases" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "misspelt"),
    [
        ("/api/search", "limt"),
        ("/api/search", "variable"),
        ("/search", "lmit"),
        ("/search", "query"),
    ],
)
def test_a_misspelt_search_parameter_is_a_400_not_ignored_with_twenty_hits(
    full_server: Server, path: str, misspelt: str
) -> None:
    """`/api/search?q=cluster&limt=1` answered 200 with the 20 best hits: the misspelt limit was
    ignored as if read. A parameter the search does not take is a 400 naming it and those it
    takes; the parameters it takes still answer."""
    url = f"{full_server.url}{path}"
    wrong = httpx.get(url, params={"q": "cluster", misspelt: "1"}, headers={"Accept": "*/*"})
    assert wrong.status_code == 400, wrong.text[:300]
    assert f"unknown parameter(s) {misspelt}" in wrong.text and "limit" in wrong.text
    right = httpx.get(url, params={"q": "cluster", "limit": "1", "format": "json"})
    assert right.status_code == 200
    found = right.json()
    assert len(found.get("iris", found.get("hits", []))) == 1


@pytest.mark.parametrize("limit", ["0", "101", "ten", "-1"])
def test_bad_limit_is_a_400(app: Flask, limit: str) -> None:
    response = app.test_client().get(f"/search?q=funding&limit={limit}&format=json")
    assert response.status_code == 400
    assert "limit" in response.get_data(as_text=True)


def test_search_page_without_words_shows_the_form(app: Flask) -> None:
    response = app.test_client().get("/search", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert 'name="q"' in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/id/region/saxony", "/api", "/charts"])
def test_pages_carry_a_search_box(app: Flask, path: str) -> None:
    page = app.test_client().get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert re.search(r'<form[^>]*role="search"[^>]*action="/search"', page), path


def test_index_follows_writes_to_the_served_store(writable_app: Callable[..., Flask]) -> None:
    client = writable_app().test_client()
    assert client.get("/api/search?q=zorblax").get_json()["iris"] == []
    update = 'INSERT DATA { <http://example.org/z> rdfs:label "Zorblax cluster" }'
    assert client.post("/sparql", data={"update": update}).status_code in (200, 204)
    assert client.get("/api/search?q=zorblax").get_json()["iris"] == ["http://example.org/z"]


def test_search_in_front_of_a_remote_engine(full_server: Server, index: SearchIndex) -> None:
    """The index is ours: built by reading a remote engine's literals (here our own server)."""
    app = create_app(store=RemoteStore(f"{full_server.url}/sparql"), executors=1)
    hits = app.test_client().get("/search?q=brain+drain&format=json").get_json()["hits"]
    assert [h["resource"] for h in hits] == [h.resource for h in index.search("brain drain")]


# --- CLI ---------------------------------------------------------------------------------


def test_cli_search_prints_ranked_hits(tmp_path: Path) -> None:
    dist = release_dist(tmp_path)
    result = run_cli("search", "hauts de france", "--limit", "3", dist=dist)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == " 1. Hauts-de-France"
    assert f"{ID}region/hauts-de-france" in result.stdout
    assert "[Hauts-de-France]" in result.stdout
    assert (dist / INDEX_NAME).is_file()


@pytest.mark.parametrize("words", ['"brain drain', "brain AND drain", "label:x"])
def test_cli_search_bad_input_is_an_error(dist: Path, words: str) -> None:
    result = run_cli("search", words, dist=dist)
    assert result.returncode == 2
    assert result.stderr.startswith("eocic-kg: error: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("limit", ["²", "①", "\u0665", "9" * 5000])
def test_search_limit_of_unicode_digits_or_thousands_of_digits_is_a_400_not_a_500(
    full_server: Server, limit: str
) -> None:
    """`limit=²` passed `str.isdigit()` and failed `int()`: a 500 on /search and /api/search;
    so did a limit of 5,000 digits (past int()'s 4,300)."""
    for path in ("/search", "/api/search"):
        r = httpx.get(
            full_server.url + path, params={"q": "funding", "limit": limit, "format": "json"}
        )
        assert r.status_code == 400, (path, r.status_code, r.text[:200])
        assert "limit must be a whole number from 1 to 100" in r.text


def test_cli_and_api_search_show_as_many_hits_by_default(
    tmp_path: Path, full_server: Server
) -> None:
    """One truth: the CLI showed 10 resources unless told, /search and /api/search 20."""
    cli = run_cli("search", "cluster", "-o", "json", dist=release_dist(tmp_path))
    assert cli.returncode == 0, cli.stderr
    api = httpx.get(f"{full_server.url}/api/search", params={"q": "cluster"}).json()["iris"]
    assert len(api) > 10  # enough hits to tell the two defaults apart
    assert [hit["resource"] for hit in json.loads(cli.stdout)] == api


def test_api_search_format_other_than_json_is_a_400_not_json_unsaid(app: Flask) -> None:
    client = app.test_client()
    refused = client.get("/api/search", query_string={"q": "funding", "format": "csv"})
    assert refused.status_code == 400 and "json" in refused.get_data(as_text=True)
    assert client.get("/api/search", query_string={"q": "funding", "format": "json"}).is_json
