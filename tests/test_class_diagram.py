"""The ontology page's class diagram through the real server, on a small ontology that states
domains and ranges in both forms (rdfs:domain/range and schema:domainIncludes/rangeIncludes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from rdflib import Graph

from .browser import AVAILABLE, Browser
from .conftest import GRAPH, Server, write_nquads

# one worker runs this file (`--dist loadgroup`): its server starts once
pytestmark = pytest.mark.xdist_group("class_diagram")

DIAGRAM = Path(__file__).parent / "data" / "diagram" / "ontology.ttl"
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
    assert 'id="class-diagram"' in page and 'data-src="/ontology/diagram.json"' in page
    rows = re.findall(
        r"<tr><td><a [^>]*>([^<]+)</a></td><td><a [^>]*>([^<]+)</a>.*?</td>"
        r"<td><a [^>]*>([^<]+)</a></td></tr>",
        page,
    )
    assert set(rows) == EXPECTED
    assert '<script src="/static/graph.js">' in page and "<script>" not in page


@pytest.mark.skipif(not AVAILABLE, reason="chromium is not installed")
def test_browser_draws_the_diagram(diagram_server: Server) -> None:
    with Browser() as browser:
        browser.open(
            f"{diagram_server.url}/ontology",
            "document.querySelector('.class-diagram').dataset.ready === 'true'"
            " || !!document.body.dataset.errors",
        )
        section = "document.querySelector('.class-diagram').dataset"
        assert browser.evaluate(f"{section}.edges") == str(len(EXPECTED))
        assert browser.evaluate(f"{section}.nodes") == "6"
        assert browser.evaluate("document.body.dataset.errors || ''") == ""
        assert [e for e in browser.errors() if "favicon" not in e] == []
        labels = browser.evaluate("eocicDiagram.edges().map(e => e.data('label')).sort()")
        assert "faces challenge" in labels
        # every class is labelled at the start zoom
        assert browser.evaluate(
            "eocicDiagram.nodes().every(n => parseFloat(n.style('font-size')) * eocicDiagram.zoom()"
            " >= parseFloat(n.style('min-zoomed-font-size')))"
        )
        # pressing a class keeps its links in view and lists them in the caption
        browser.evaluate("document.querySelector('.diagram-canvas').scrollIntoView(), true")
        x, y = browser.evaluate(
            """(function () {
              var n = eocicDiagram.getElementById('https://w3id.org/eocic/ontology#Region');
              var box = document.querySelector('.diagram-canvas').getBoundingClientRect();
              var p = n.renderedPosition();
              return [box.left + p.x, box.top + p.y]; })()"""
        )
        browser.click(x, y)
        browser.wait_for("document.querySelector('.class-diagram').dataset.selected")
        caption = browser.evaluate("document.querySelector('.diagram-caption').textContent")
        assert caption.startswith("region (https://w3id.org/eocic/ontology#Region)")
        assert "faces challenge \u2192 challenge" in caption
        assert "measure proposed for \u2192" in caption
        faded = browser.evaluate("eocicDiagram.nodes('.faded').map(n => n.data('label')).sort()")
        assert faded == ["Concept", "cluster"]  # the classes not linked to region
