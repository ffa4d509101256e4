"""The ontology page's class diagram through the real server, on a small ontology that states
domains and ranges in both forms (rdfs:domain/range and schema:domainIncludes/rangeIncludes)."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from rdflib import RDFS, Graph, Literal, URIRef

from eocic_kg import classdiagram
from eocic_kg.graphview import build_view
from eocic_kg.web.app import create_app

from .browser import AVAILABLE, Browser
from .conftest import GRAPH, Server, write_nquads
from .release_cache import release_graph

# one worker runs this file (`--dist loadgroup`): its server starts once
pytestmark = pytest.mark.xdist_group("class_diagram")

DIAGRAM = Path(__file__).parent / "data" / "diagram" / "ontology.ttl"
SVG = "http://www.w3.org/2000/svg"
EXPECTED = {
    ("region", "faces challenge", "challenge"),
    ("measure", "proposed for", "region"),
    ("cluster", "located in", "place"),
    ("measure", "located in", "place"),
    ("region", "subClassOf", "place"),
    ("challenge", "subClassOf", "Concept"),
}


@pytest.fixture(scope="module")
def diagram_server(
    start_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory
) -> Server:
    graphs = {GRAPH + "ontology": Graph().parse(DIAGRAM)}
    path = write_nquads(graphs, tmp_path_factory.mktemp("diagram") / "eocic.nq")
    return start_server(path, workers=1)


def test_diagram_data_has_the_domains_and_ranges(diagram_server: Server) -> None:
    data = httpx.get(f"{diagram_server.url}/ontology/diagram.json", timeout=30).json()
    labels = {n["data"]["id"]: n["data"]["label"] for n in data["elements"]["nodes"]}
    edges = {
        (labels[e["data"]["source"]], e["data"]["label"], labels[e["data"]["target"]])
        for e in data["elements"]["edges"]
    }
    assert edges == EXPECTED


def test_ontology_page_shows_the_diagram_and_its_table(diagram_server: Server) -> None:
    page = httpx.get(
        f"{diagram_server.url}/ontology", headers={"Accept": "text/html"}, timeout=30
    ).text
    assert 'id="class-diagram"' in page and '<svg width="' in page
    rows = re.findall(
        r"<tr><td[^>]*><a [^>]*>([^<]+)</a></td><td[^>]*><a [^>]*>([^<]+)</a>.*?</td>"
        r"<td[^>]*><a [^>]*>([^<]+)</a></td></tr>",
        page,
    )
    assert set(rows) == EXPECTED
    # a picture: nothing for the CSP to refuse; the one script opens folded entries
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/ontology.js">']


def test_class_diagram_alone_is_an_svg_naming_every_link(diagram_server: Server) -> None:
    response = httpx.get(f"{diagram_server.url}/ontology/diagram.svg", timeout=30)
    assert response.headers["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(response.content)
    texts = {"".join(t.itertext()) for t in root.iter(f"{{{SVG}}}text")}
    assert {label for _, label, _ in EXPECTED if label != "subClassOf"} <= texts
    assert {label for edge in EXPECTED for label in (edge[0], edge[2])} <= texts


#: The class diagram's boxes (classes, properties, the titles of the subclass boxes) as the
#: browser draws them: text, kind, font size, screen rectangle; and the pairs that overlap.
BOXES = """(function (svg) {
  var boxes = Array.from(svg.querySelectorAll('g.node'), function (g) {
    var r = g.getBoundingClientRect(), text = g.querySelector('text');
    return {text: Array.from(g.querySelectorAll('text'), t => t.textContent).join(' '),
            kind: g.classList.contains('property') ? 'property' : 'class',
            size: text.getBoundingClientRect().height,
            rect: [r.left, r.top, r.right, r.bottom]};
  });
  svg.querySelectorAll('g.cluster > text').forEach(function (t) {  // the boxes' titles
    var r = t.getBoundingClientRect();
    boxes.push({text: t.textContent, kind: 'title', size: r.height,
                rect: [r.left, r.top, r.right, r.bottom]});
  });
  var overlaps = [];
  boxes.forEach(function (a, i) { boxes.slice(i + 1).forEach(function (b) {
    if (a.rect[0] < b.rect[2] && b.rect[0] < a.rect[2] && a.rect[1] < b.rect[3]
        && b.rect[1] < a.rect[3]) overlaps.push(a.text + ' / ' + b.text);
  }); });
  return {boxes: boxes, overlaps: overlaps};
})(document.querySelector(%s))"""


def drawn_boxes(browser: Browser, selector: str) -> dict:
    """`BOXES` of the SVG that `selector` picks in the open page."""
    return browser.evaluate(BOXES % json.dumps(selector))


@pytest.mark.skipif(not AVAILABLE, reason="chromium is not installed")
def test_class_diagram_is_a_pile_of_overlapping_labels_without_property_names(
    diagram_server: Server,
) -> None:
    with Browser() as browser:
        browser.open(f"{diagram_server.url}/ontology")
        drawn = drawn_boxes(browser, ".diagram-scroll svg")
        assert [e for e in browser.errors() if "favicon" not in e] == []
    assert drawn["overlaps"] == []
    by_kind: dict[str, set[str]] = {"class": set(), "property": set(), "title": set()}
    for box in drawn["boxes"]:
        by_kind[box["kind"]].add(box["text"])
        assert box["size"] >= 10, box  # readable as the page opens, no zooming needed
    assert by_kind["class"] == {"place", "region", "challenge", "measure", "cluster", "Concept"}
    assert by_kind["title"] == {"place", "Concept"}  # the boxes of region and challenge
    # "located in" joins two domains to one range: drawn once
    assert sorted(b["text"] for b in drawn["boxes"] if b["kind"] == "property") == [
        "faces challenge",
        "located in",
        "proposed for",
    ]


@pytest.mark.skipif(not AVAILABLE, reason="chromium is not installed")
def test_shipped_class_diagram_of_the_bundled_ontology_has_no_overlapping_boxes() -> None:
    view = build_view(release_graph(), "model")
    assert classdiagram.shipped_digest() == classdiagram.digest(classdiagram.diagram_dot(view)), (
        "the ontology changed: redraw the diagram with `python -m eocic_kg.classdiagram`"
    )
    with Browser() as browser:
        browser.open(classdiagram.SHIPPED.as_uri())
        drawn = drawn_boxes(browser, "svg")
    assert drawn["overlaps"] == []
    classes = {str(a["label"]) for _, a in view.nodes(data=True)}
    properties = {str(a["label"]) for *_, a in view.edges(data=True)} - {"subClassOf"}
    assert {b["text"] for b in drawn["boxes"] if b["kind"] == "class"} == classes
    assert {b["text"] for b in drawn["boxes"] if b["kind"] == "property"} == properties


def test_without_graphviz_the_page_keeps_the_table_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_nquads({GRAPH + "ontology": Graph().parse(DIAGRAM)}, tmp_path / "eocic.nq")
    # the bundled release, first: the first test of a worker to ask builds it, with Java (CI,
    # Python 3.13: asked for with PATH emptied below, the build found no `java`)
    bundled = release_graph()
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on it
    client = create_app(path, executors=1).test_client()
    page = client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "needs Graphviz" in page and "<svg width=" not in page
    assert "faces challenge" in page  # the table still lists the links
    missing = client.get("/ontology/diagram.svg")
    assert missing.status_code == 404 and "Graphviz" in missing.get_data(as_text=True)
    # the bundled ontology's picture ships with the package: no Graphviz needed
    assert classdiagram.svg(build_view(bundled, "model")) is not None


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_class_label_injects_markup_or_dot_statements_into_the_diagram() -> None:
    evil = '<script>alert(1)</script> "]; x -> y [label="\\N'
    graph = Graph().parse(DIAGRAM)
    graph.set((URIRef("https://w3id.org/eocic/ontology#Region"), RDFS.label, Literal(evil)))
    svg = classdiagram.svg(build_view(graph, "model"))
    assert svg is not None
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    nodes = [g for g in root.iter(f"{{{SVG}}}g") if "node" in g.get("class", "").split()]
    texts = [" ".join("".join(t.itertext()) for t in g.iter(f"{{{SVG}}}text")) for g in nodes]
    assert evil in texts  # drawn as text, whole
    assert len([g for g in nodes if "class" in g.get("class", "").split()]) == 6  # no node x, y
