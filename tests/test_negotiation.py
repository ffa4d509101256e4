"""The one content-negotiation table: what each kind of route answers to each Accept header."""

from __future__ import annotations

import httpx
import pytest

from eocic_kg.results import GRAPH_FORMATS, TABULAR_FORMATS
from eocic_kg.web.negotiation import (
    GRAPH,
    MEDIA_TYPES,
    PAGE,
    TABULAR,
    named,
    names_of,
    preferred,
)

from .conftest import Server


@pytest.mark.parametrize(
    ("accept", "offered", "expected"),
    [
        (None, TABULAR, "json"),
        ("", GRAPH, "turtle"),
        ("*/*", PAGE, "turtle"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", PAGE, "html"),
        ("application/json", TABULAR, "json"),
        ("application/json", GRAPH, "jsonld"),
        ("application/xml", TABULAR, "xml"),
        ("application/xml", PAGE, "rdfxml"),
        ("text/csv;q=0.5, text/tab-separated-values", TABULAR, "tsv"),
        ("text/*", TABULAR, "csv"),
        ("text/plain", GRAPH, "ntriples"),
        ("text/n3", GRAPH, "turtle"),
        ("image/png", TABULAR, None),
        ("text/html", GRAPH, None),
    ],
)
def test_preferred_format_by_route_kind(
    accept: str | None, offered: frozenset[str], expected: str | None
) -> None:
    assert preferred(accept, offered) == expected


def test_named_formats_pick_the_kind_the_route_offers() -> None:
    assert named("JSON ", TABULAR) == "json"
    assert named("json", PAGE) == "jsonld"
    assert named("xml", GRAPH) == "rdfxml"
    assert named("text/csv", TABULAR) == "csv"
    assert named("application/json", GRAPH) == "jsonld"
    assert named("csv", GRAPH) is None
    assert named("html", TABULAR) is None
    assert names_of(TABULAR) == ["json", "xml", "csv", "tsv"]
    assert "html" in names_of(PAGE) and "csv" not in names_of(PAGE)


def test_every_format_a_route_offers_is_reachable_and_served() -> None:
    """Each offered format has a media type that selects it, and a serialiser behind it."""
    for offered in (TABULAR, GRAPH, PAGE):
        for fmt in offered:
            media = next(m for m, f in MEDIA_TYPES if f == fmt)
            assert preferred(media, offered) == fmt
    assert set(TABULAR_FORMATS) == TABULAR
    assert set(GRAPH_FORMATS) == GRAPH


@pytest.mark.parametrize(
    ("path", "accept", "media"),
    [
        ("/id/region/saxony", "text/turtle; charset=utf-8", "text/turtle"),
        (
            "/id/region/saxony",
            'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted", '
            "text/html;q=0.5",
            "application/ld+json",
        ),
        (
            "/id/region/saxony",
            "application/n-triples; charset=utf-8, text/html;q=0.1",
            "application/n-triples",
        ),
        (
            "/sparql?query=CONSTRUCT%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%201",
            "application/n-triples;charset=UTF-8",
            "application/n-triples",
        ),
        (
            "/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%201",
            "text/csv;charset=utf-8",
            "text/csv",
        ),
        (
            "/api/queries/regions",
            "text/tab-separated-values; charset=utf-8",
            "text/tab-separated-values",
        ),
    ],
)
def test_accept_with_a_charset_or_profile_parameter_gets_that_type_not_406_or_html(
    full_server: Server, path: str, accept: str, media: str
) -> None:
    """werkzeug matches a media range with parameters only to a type offered with the same
    parameters: `Accept: text/turtle; charset=utf-8` was a 406, and JSON-LD's own request
    (`application/ld+json; profile="...#compacted"`) with an HTML fallback got the HTML page."""
    r = httpx.get(full_server.url + path, headers={"Accept": accept})
    assert r.status_code == 200, (r.status_code, r.text[:200])
    assert r.headers["content-type"].split(";")[0] == media


_SELECT = "/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%201"


@pytest.mark.parametrize(
    "path",
    [
        _SELECT + "&format=csv&format=xml",
        _SELECT + "&format=csv&output=xml",
        "/api/queries/regions?format=csv&format=xml",
        "/id/region/saxony?format=ttl&format=nt",
        "/search?q=funding&format=json&format=html",
    ],
)
def test_two_different_formats_asked_for_are_a_400_not_the_first_one_silently(
    full_server: Server, path: str
) -> None:
    """`format=csv&format=xml` (or `format=` with `output=`) was answered in whichever came
    first, unsaid: a client that built its URL by appending got the other format."""
    r = httpx.get(full_server.url + path)
    assert r.status_code == 400, (r.status_code, r.text[:200])
    assert "which name different formats: ask for one" in r.text


@pytest.mark.parametrize(
    ("path", "media"),
    [
        (_SELECT + "&format=application/sparql-results+json", "application/sparql-results+json"),
        (_SELECT + "&format=csv&output=CSV", "text/csv"),
        ("/id/region/saxony?format=application/rdf+xml", "application/rdf+xml"),
        ("/id/region/saxony?format=application/ld+json", "application/ld+json"),
    ],
)
def test_format_media_type_with_an_unencoded_plus_is_that_media_type_not_a_400(
    full_server: Server, path: str, media: str
) -> None:
    """`format=application/rdf+xml` written into a URL as is arrives as "application/rdf xml"
    (a "+" in a query string is a space): it was a 400 "unknown format"."""
    r = httpx.get(full_server.url + path)
    assert r.status_code == 200, (r.status_code, r.text[:200])
    assert r.headers["content-type"].split(";")[0] == media


@pytest.mark.parametrize(
    ("query", "fmt", "offered", "other"),
    [
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "turtle", TABULAR_FORMATS, "CONSTRUCT/DESCRIBE"),
        ("ASK { ?s ?p ?o }", "ntriples", TABULAR_FORMATS, "CONSTRUCT/DESCRIBE"),
        ("DESCRIBE region:saxony", "csv", GRAPH_FORMATS, "SELECT/ASK"),
    ],
)
def test_a_format_for_the_other_kind_of_query_is_a_406_that_names_the_right_ones(
    full_server: Server, query: str, fmt: str, offered: dict[str, object], other: str
) -> None:
    """SELECT with format=turtle said only "no acceptable media type for SELECT/ASK results"."""
    r = httpx.get(f"{full_server.url}/sparql", params={"query": query, "format": fmt})
    assert r.status_code == 406, r.text
    assert ", ".join(offered) in r.text and f"{fmt}" in r.text and other in r.text


@pytest.mark.parametrize("accept", ["text/csv; q=abc", "text/csv;q=1.5, application/json"])
@pytest.mark.parametrize("path", ["/sparql?query=ASK%7B%7D", "/id/region/saxony"])
def test_an_accept_header_with_a_broken_q_value_is_a_400_not_another_format(
    full_server: Server, path: str, accept: str
) -> None:
    """werkzeug drops a media range whose q-value is not one: the client got JSON, unsaid."""
    r = httpx.get(full_server.url + path, headers={"Accept": accept})
    assert r.status_code == 400, (r.status_code, r.headers.get("Content-Type"))
    assert "is not a q-value" in r.text
    fine = httpx.get(full_server.url + path, headers={"Accept": "text/turtle;q=0.5, text/csv;q=1"})
    assert fine.status_code == 200


_CONSTRUCT = "/sparql?query=CONSTRUCT%20%7B%3Fs%20%3Fp%20%3Fo%7D%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D"


@pytest.mark.parametrize("path", ["/id/region/saxony", "/ontology", _CONSTRUCT + "%20LIMIT%201"])
def test_a_wildcard_accept_gets_a_media_type_it_matches(full_server: Server, path: str) -> None:
    """`Accept: application/*` asks for an application/... type, and the RDF routes offer three
    (JSON-LD, N-Triples, RDF/XML); they answered text/turtle, because the wildcard matched the
    alias `application/turtle` first, and Turtle is sent as text/turtle."""
    r = httpx.get(full_server.url + path, headers={"Accept": "application/*"})
    assert r.status_code == 200, (r.status_code, r.text[:200])
    assert r.headers["content-type"].startswith("application/"), r.headers["content-type"]


def test_each_format_is_matched_by_the_media_type_it_is_sent_as() -> None:
    """A wildcard matches the type a format is sent as (`SENT_AS`), never an alias: that type
    is the one each answer carries (query results, RDF results and documents)."""
    from eocic_kg.results import GRAPH_FORMATS, TABULAR_FORMATS
    from eocic_kg.web.negotiation import SENT_AS
    from eocic_kg.web.rdf_documents import REPRESENTATIONS

    sent = {fmt: media for fmt, (media, _) in {**TABULAR_FORMATS, **GRAPH_FORMATS}.items()}
    sent |= {fmt: media for fmt, (media, _) in REPRESENTATIONS.items()}
    assert sent == SENT_AS
