"""Network views and their formats, read back by networkx, Graphviz and headless Chromium."""

from __future__ import annotations

import functools
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Literal

from eocic_kg import graphview
from eocic_kg.build import nquads
from eocic_kg.store import Store
from eocic_kg.web.app import create_app
from eocic_kg.web.exports import exports

from .release_cache import built_release

CHROMIUM = Path("/usr/bin/chromium")
DOT = shutil.which("dot")
SAXONY = "https://w3id.org/eocic/id/region/saxony"
browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")


def chromium(*args: str) -> str:
    """Run headless Chromium with `args`; return its standard output."""
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    command += ["--window-size=1280,800", "--virtual-time-budget=8000", *args]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


@functools.cache
def view(name: str) -> nx.MultiDiGraph:
    return graphview.build_view(built_release().graph(), name)


@pytest.mark.parametrize("name", sorted(graphview.VIEWS))
@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_networkx_reads_the_same_counts(tmp_path: Path, name: str, fmt: str) -> None:
    path = tmp_path / f"view.{fmt}"
    path.write_bytes(graphview.write(view(name), fmt))
    parsed = nx.read_graphml(path) if fmt == "graphml" else nx.read_gexf(path)
    assert parsed.number_of_nodes() == view(name).number_of_nodes() > 0
    assert parsed.number_of_edges() == view(name).number_of_edges() > 0


def test_nodes_are_resources_with_attributes() -> None:
    regions = view("regions")
    saxony = regions.nodes[SAXONY]
    assert saxony["label"] == "Saxony"
    assert saxony["class"] == "eocic:PilotRegion"
    assert saxony["kind"] == "region"
    assert {a["kind"] for _, a in regions.nodes(data=True)} <= set(graphview.REGION_VIEW_KINDS)
    for _, _, key, attributes in regions.edges(keys=True, data=True):
        assert ":" in key and attributes["label"]
    full = view("full")
    assert all(not isinstance(n, Literal) and not n.startswith("_:") for n in full)
    assert "skos:prefLabel" in full.nodes[SAXONY]  # literals become attributes
    assert full.has_edge(SAXONY, "https://w3id.org/eocic/id/section/1")


def test_class_view_is_the_hierarchy() -> None:
    classes = view("classes")
    chapter = "https://w3id.org/eocic/ontology#Chapter"
    assert classes.has_edge(chapter, "https://w3id.org/eocic/ontology#ReportPart")
    assert {k for _, _, k in classes.edges(keys=True)} == {"rdfs:subClassOf"}


def test_cytoscape_and_csv() -> None:
    data = json.loads(graphview.write(view("regions"), "cytoscape"))
    assert len(data["elements"]["nodes"]) == view("regions").number_of_nodes()
    assert len(data["elements"]["edges"]) == view("regions").number_of_edges()
    with zipfile.ZipFile(io.BytesIO(graphview.write(view("regions"), "csv"))) as archive:
        nodes = archive.read("nodes.csv").decode().splitlines()
        edges = archive.read("edges.csv").decode().splitlines()
    assert nodes[0].startswith("Id,Label") and len(nodes) == view("regions").number_of_nodes() + 1
    assert (
        edges[0].startswith("Source,Target") and len(edges) == view("regions").number_of_edges() + 1
    )


def test_outputs_are_deterministic() -> None:
    for fmt in ("graphml", "cytoscape", "dot", "csv", "html"):
        again = graphview.build_view(built_release().graph(), "regions")
        assert graphview.write(again, fmt) == graphview.write(view("regions"), fmt), fmt


@pytest.mark.skipif(DOT is None, reason="Graphviz dot is not installed")
@pytest.mark.parametrize("name", ["regions", "classes"])
def test_graphviz_reads_the_dot(name: str) -> None:
    run = subprocess.run(
        [str(DOT), "-Tsvg"],
        input=graphview.write(view(name), "dot"),
        capture_output=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.count(b'<g id="node') == view(name).number_of_nodes()


def test_html_page_is_self_contained() -> None:
    page = graphview.write(view("regions"), "html").decode("utf-8")
    assert "<script src=" not in page and "cytoscape" in page
    assert not re.search(r"""(src|href)=["']https?://""", page)


@browser
def test_browser_shows_nodes_and_searches(tmp_path: Path) -> None:
    page = tmp_path / "graph.html"
    page.write_bytes(graphview.write(view("regions"), "html"))
    dom = chromium("--dump-dom", f"{page.as_uri()}?q=saxony")
    assert f'data-nodes="{view("regions").number_of_nodes()}"' in dom
    matches = re.search(r'data-matches="(\d+)"', dom)
    assert matches is not None and int(matches.group(1)) >= 1
    assert re.search(r'id="status"[^>]*>\d+ match', dom)
    idle = chromium("--dump-dom", page.as_uri())
    assert 'data-matches=""' in idle
    shot = tmp_path / "graph.png"
    chromium(f"--screenshot={shot}", f"{page.as_uri()}?q=saxony")
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    release = tmp_path_factory.mktemp("release") / "eocic.nq"
    release.write_bytes(nquads(built_release().dataset))
    app = create_app(store=Store.from_file(release))
    if "exports" not in app.blueprints:
        app.register_blueprint(exports)
    return app.test_client()


def test_server_routes(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/graph")
    assert page.status_code == 200 and b"/static/vendor/cytoscape/cytoscape.min.js" in page.data
    assert client.get("/static/vendor/cytoscape/cytoscape.min.js").status_code == 200
    data = client.get("/graph/data.json?view=regions").get_json()
    assert len(data["elements"]["nodes"]) == view("regions").number_of_nodes()
    assert client.get("/graph?view=nonsense").status_code == 400
    svg = client.get("/charts/region-challenge.svg")
    assert svg.status_code == 200 and svg.content_type.startswith("image/svg+xml")
    png = client.get("/charts/survey-figure-2.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    assert client.get("/charts/nonsense.svg").status_code == 404
    assert client.get("/charts/region-challenge.gif").status_code == 404


@browser
def test_served_graph_page_runs_under_its_content_security_policy(full_server) -> None:  # type: ignore[no-untyped-def]
    url = f"{full_server.url}/graph?view=regions&q=saxony"
    dom = chromium("--dump-dom", url)
    assert f'data-nodes="{view("regions").number_of_nodes()}"' in dom
    assert re.search(r'data-matches="[1-9]', dom)
