"""Pages for people at every URL a browser may open (issue 22, item 4), through the real app."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import RDF, Graph, Literal, URIRef

from eocic_kg import classdiagram
from eocic_kg.graphview import build_view
from eocic_kg.web.app import create_app

from .browser import AVAILABLE, Browser
from .conftest import Server
from .release_cache import built_release, release_dist, release_graph

#: What Chromium sends when a person opens a URL.
CHROMIUM_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BROWSER = {"Accept": CHROMIUM_ACCEPT}
ID = "https://w3id.org/eocic/id/"
SD_SERVICE = URIRef("http://www.w3.org/ns/sparql-service-description#Service")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    path = release_dist(tmp_path_factory.mktemp("pages")) / "eocic.nq"
    return create_app(path, executors=1, query_timeout=30)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _cell_value(cell: str) -> str:
    """The IRI (its link's title) or the literal text of a value cell of a statements table."""
    literal = re.match(r'<span class="literal">([^<]*)</span>', cell)
    return unescape(literal.group(1)) if literal else re.findall(r'title="([^"]+)"', cell)[0]


def _hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def test_browser_opening_sparql_downloads_rdf_instead_of_the_query_page(
    client: FlaskClient,
) -> None:
    response = client.get("/sparql", headers=BROWSER, follow_redirects=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Content-Disposition" not in response.headers
    assert 'id="query-form"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("accept", "reader"),
    [
        (None, "turtle"),
        ("*/*", "turtle"),
        ("text/turtle", "turtle"),
        ("application/rdf+xml", "xml"),
        ("application/xml", "xml"),
        ("application/ld+json", "json-ld"),
    ],
)
def test_machine_clients_still_get_the_service_description(
    client: FlaskClient, accept: str | None, reader: str
) -> None:
    response = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    graph = Graph().parse(data=response.get_data(as_text=True), format=reader)
    assert any(graph.subjects(RDF.type, SD_SERVICE))


def test_service_description_page_links_browsers_to_an_rdfxml_download(
    client: FlaskClient,
) -> None:
    html = client.get("/about/service-description", headers=BROWSER).get_data(as_text=True)
    links = [h for h in _hrefs(html) if urlsplit(h).path == "/sparql"]
    assert links
    for link in links:
        response = client.get(link, headers=BROWSER)
        named = "format=" in link  # an "Also as" link names its format; any other is a page
        assert named or response.status_code in (200, 303), link
        assert named or response.mimetype == "text/html", (link, response.mimetype)


@pytest.mark.parametrize(
    ("page", "raw"), [("service-description", "/sparql"), ("void", "/.well-known/void")]
)
def test_description_pages_are_raw_turtle_not_tables(
    client: FlaskClient, page: str, raw: str
) -> None:
    html = client.get(f"/about/{page}", headers=BROWSER).get_data(as_text=True)
    assert "<pre" not in html and "<table" in html
    graph = Graph().parse(data=client.get(raw, headers={"Accept": "text/turtle"}).data)
    cells = {m.strip() for m in re.findall(r'<span class="literal">([^<]*)</span>', html)}
    literals = {str(o) for o in graph.objects() if isinstance(o, Literal)}
    assert literals and literals <= {c.replace("&amp;", "&") for c in cells}


def test_not_found_is_a_line_of_plain_text_for_browsers(client: FlaskClient) -> None:
    response = client.get("/no/such/page", headers=BROWSER)
    assert response.status_code == 404 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'action="/search"' in html and 'name="q"' in html
    assert {"/", "/ontology", "/id/region"} <= set(_hrefs(html))
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [(None, "text/plain"), ("*/*", "text/plain"), ("application/json", "application/json")],
)
def test_not_found_for_other_clients_by_negotiation(
    client: FlaskClient, accept: str | None, mimetype: str
) -> None:
    response = client.get("/id/region/atlantis", headers={"Accept": accept} if accept else {})
    assert response.status_code == 404 and response.mimetype == mimetype
    assert "atlantis" in response.get_data(as_text=True)
    if mimetype == "application/json":
        assert response.get_json()["status"] == 404


@pytest.mark.parametrize("kind", ["region", "measure", "challenge", "cluster"])
def test_kind_index_page_is_a_404(client: FlaskClient, kind: str) -> None:
    members = {
        s
        for s in release_graph().subjects(RDF.type, None)
        if isinstance(s, URIRef) and str(s).startswith(f"{ID}{kind}/")
    }
    assert members
    response = client.get(f"/id/{kind}", headers=BROWSER)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    linked = {h for h in _hrefs(html) if h.startswith(f"/id/{kind}/")}
    assert linked == {"/id/" + str(m)[len(ID) :] for m in members}
    for member in members:
        label = release_graph().value(member, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))
        assert label is None or str(label).replace("&", "&amp;") in html


def test_ten_regions_on_the_region_index(client: FlaskClient) -> None:
    html = client.get("/id/region", headers=BROWSER).get_data(as_text=True)
    assert len({h for h in _hrefs(html) if h.startswith("/id/region/")}) == 10


def test_unknown_kind_is_a_404(client: FlaskClient) -> None:
    assert client.get("/id/unicorn", headers=BROWSER).status_code == 404


@pytest.mark.skipif(not AVAILABLE, reason="chromium is not installed")
def test_chromium_opening_sparql_downloads_a_file(full_server: Server, tmp_path: Path) -> None:
    with Browser() as browser:
        browser.send("Browser.setDownloadBehavior", behavior="deny")
        browser.open(f"{full_server.url}/sparql")
        assert browser.evaluate("location.pathname") == "/"
        assert browser.evaluate("document.getElementById('query-form') !== null")
        assert [e for e in browser.errors() if "favicon" not in e] == []


def test_resource_turtle_lists_incoming_links_before_its_own_statements(
    client: FlaskClient,
) -> None:
    text = client.get("/id/region/saxony", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    graph = Graph().parse(data=text, format="turtle")
    node = URIRef(ID + "region/saxony")
    assert any(graph.subjects(None, node)), "the description holds incoming links"
    body = [line for line in text.splitlines() if line.strip() and line[0] not in "@#"]
    assert body[0] in ("region:saxony", f"<{node}>"), body[:3]
    own = text.index(body[0])
    for subject in set(graph.subjects(None, node)) - {node}:
        name = graph.namespace_manager.normalizeUri(subject)
        assert text.index(f"\n{name}\n") > own, name


def test_resource_jsonld_is_expanded_without_a_context(client: FlaskClient) -> None:
    response = client.get("/id/region/saxony", headers={"Accept": "application/ld+json"})
    document = response.get_json()
    dump = client.get("/download/eocic.jsonld").get_json()["@context"]
    assert document["@context"] and document["@context"].items() <= dump.items()
    assert "region:saxony" in {node["@id"] for node in document["@graph"]}
    turtle = client.get("/id/region/saxony", headers={"Accept": "text/turtle"}).data
    expanded = Graph().parse(data=response.data, format="json-ld")
    assert expanded.isomorphic(Graph().parse(data=turtle, format="turtle"))


@pytest.mark.parametrize("slug", ["region/saxony", "challenge/funding"])
def test_resource_page_does_not_mark_entailed_statements(client: FlaskClient, slug: str) -> None:
    node = URIRef(ID + slug)
    dataset = built_release().dataset
    inferred = dataset.graph(URIRef("https://w3id.org/eocic/graph/inferred"))
    data = dataset.graph(URIRef("https://w3id.org/eocic/graph/data"))
    expected = {(str(p), str(o)) for p, o in inferred.predicate_objects(node) if p != RDF.type}
    assert expected and not any((node, p, URIRef(o)) in data for p, o in expected)
    html = client.get(f"/id/{slug}", headers=BROWSER).get_data(as_text=True)
    outgoing = html[html.index('<section id="outgoing">') : html.index('<section id="incoming">')]
    rows = re.findall(
        r'<tr( class="entailed")?><td>.*?title="([^"]+)".*?</td><td>(.*?)</td></tr>', outgoing, re.S
    )
    marked = {(p, _cell_value(cell)) for mark, p, cell in rows if mark}
    unmarked = {(p, _cell_value(cell)) for mark, p, cell in rows if not mark}
    assert marked == expected
    assert not unmarked & expected
    types = html[
        html.index('<p class="types">') : html.index("</p>", html.index('<p class="types">'))
    ]
    marked_types = set(re.findall(r'title="([^"]+)">[^<]*</a> <small class="entailed-mark"', types))
    assert marked_types == {str(t) for t in inferred.objects(node, RDF.type)}


@pytest.mark.skipif(not AVAILABLE, reason="chromium is not installed")
def test_chromium_new_pages_have_no_console_or_csp_errors(full_server: Server) -> None:
    with Browser() as browser:
        for path, heading in (
            ("/id/region", "Every region"),
            ("/no/such/page", "Not found"),
            ("/about/void", "Dataset description (VoID and DCAT)"),
            ("/id/region/saxony", "Saxony"),
        ):
            browser.open(f"{full_server.url}{path}")
            assert browser.evaluate("document.querySelector('h1').textContent") == heading, path
        expected = f"({full_server.url}/no/such/page)"  # the 404 of the page itself, logged
        assert [e for e in browser.errors() if "favicon" not in e and expected not in e] == []


@pytest.mark.skipif(not AVAILABLE, reason="chromium is not installed")
def test_ontology_page_overflows_a_phone_screen_and_squeezes_its_table(
    full_server: Server,
) -> None:
    with Browser(width=390) as browser:
        browser.resize(390, 800, mobile=True)
        browser.open(f"{full_server.url}/ontology")
        browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true), true")
        assert browser.evaluate("document.documentElement.scrollWidth") <= 390
        widths = browser.evaluate(
            "Array.from(document.querySelectorAll('main td'),"
            " td => td.getBoundingClientRect().width)"
        )
        assert widths and min(widths) >= 300  # every value (metadata, shapes) reads across


@pytest.mark.skipif(not AVAILABLE, reason="chromium is not installed")
def test_ontology_page_is_83000_px_tall(full_server: Server) -> None:
    with Browser() as browser:
        browser.open(f"{full_server.url}/ontology")
        assert browser.evaluate("document.documentElement.scrollHeight") < 15_000
        folded = browser.evaluate(
            "Array.from(document.querySelectorAll('section article, section details.term'),"
            " e => e.tagName + (e.open ? ' open' : ''))"
        )
        assert folded and set(folded) == {"DETAILS"}  # every entry folded


@pytest.mark.skipif(not AVAILABLE, reason="chromium is not installed")
def test_link_to_a_folded_ontology_term_opens_it(full_server: Server) -> None:
    with Browser() as browser:
        browser.open(f"{full_server.url}/ontology#PilotRegion")
        assert browser.evaluate("document.getElementById('PilotRegion').open")
        # the diagram opens on the class with most links, not on an empty corner
        centre = classdiagram.centre(build_view(release_graph(), "model"))
        assert browser.evaluate(
            f"""(box => {{ var outer = box.getBoundingClientRect(),
                 inner = box.querySelector('a[*|href="{centre}"]').getBoundingClientRect();
                 return inner.left >= outer.left && inner.right <= outer.right
                     && inner.top >= outer.top && inner.bottom <= outer.bottom; }})
               (document.querySelector('.diagram-scroll'))"""
        )
        x, y = browser.evaluate(  # the class "measure" in the diagram, pressed
            """(a => { a.scrollIntoView({block: 'center', inline: 'center'});
                       var r = a.getBoundingClientRect();
                       return [r.left + r.width / 2, r.top + r.height / 2]; })
               (document.querySelector('.diagram-scroll a[*|href="#Measure"]'))"""
        )
        browser.click(x, y)
        browser.wait_for("document.getElementById('Measure').open")
        assert [e for e in browser.errors() if "favicon" not in e] == []
