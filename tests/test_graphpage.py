"""The graph page through the real server in headless Chromium: every view, labels, legend,
view switch, neighbourhood view, node panel, search, link filter, pictures, the seeded layout,
phone and desktop width, no console errors."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator
from urllib.parse import quote
from xml.etree import ElementTree as ET

import httpx
import networkx as nx
import pytest

from eocic_kg import graphview
from eocic_kg.export import GRAPH_SELECTIONS
from eocic_kg.namespaces import RELEASE_GRAPHS

from .browser import AVAILABLE, Browser
from .conftest import Server
from .release_cache import built_release
from .test_graph_exports import view
from .test_graphview import pilot_region_classes, selected

# one worker runs this file (`--dist loadgroup`): its browser and servers start once
pytestmark = pytest.mark.xdist_group("graphpage")

SAXONY = "https://w3id.org/eocic/id/region/saxony"
READY = "document.body.dataset.ready === 'true' || !!document.body.dataset.errors"
browser_only = pytest.mark.skipif(not AVAILABLE, reason="chromium is not installed")
#: Nodes whose label the renderer draws at the current zoom (Cytoscape.js hides a label whose
#: font size times the zoom is below min-zoomed-font-size).
LABELLED = """eocicGraph.nodes().filter(function (n) {
  return parseFloat(n.style('font-size')) * eocicGraph.zoom()
      >= parseFloat(n.style('min-zoomed-font-size'));
}).length"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not AVAILABLE:
        pytest.skip("chromium is not installed")
    with Browser() as b:
        yield b


def page_errors(b: Browser) -> list[str]:
    """Errors of the page: console, exceptions, CSP violations (not the browser's favicon)."""
    recorded = b.evaluate("document.body.dataset.errors || ''")
    found = [e for e in b.errors() if "favicon" not in e]
    return found + ([recorded] if recorded else [])


def open_graph(b: Browser, server: Server, query: str) -> None:
    b.events.clear()
    b.open(f"{server.url}/graph?{query}", READY)


def test_every_view_and_its_data_answer(full_server: Server) -> None:
    for name in ("regions", "classes", "full"):
        page = httpx.get(f"{full_server.url}/graph", params={"view": name}, timeout=60)
        assert page.status_code == 200
        csp = page.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "default-src 'self'" in csp
        assert "<script>" not in page.text  # no inline script: the CSP stays strict
        data = httpx.get(f"{full_server.url}/graph/data.json", params={"view": name}, timeout=60)
        assert data.status_code == 200
        assert len(data.json()["elements"]["nodes"]) == view(name).number_of_nodes()
    bad = httpx.get(f"{full_server.url}/graph", params={"view": "nonsense"}, timeout=10)
    assert bad.status_code == 400
    missing = httpx.get(f"{full_server.url}/graph", params={"focus": "https://x.org/"}, timeout=10)
    assert missing.status_code == 404


def test_graph_legend_counts_every_pilot_region(full_server: Server) -> None:
    expected = pilot_region_classes()
    for name in ("regions", "full"):
        page = httpx.get(f"{full_server.url}/graph", params={"view": name}, timeout=60).text
        count = re.search(
            r'data-group="eocic:PilotRegion".*?class="legend-count">\((\d+)\)', page, re.S
        )
        assert count and int(count[1]) == len(expected) == 10
        data = httpx.get(f"{full_server.url}/graph/data.json", params={"view": name}, timeout=60)
        nodes = {n["data"]["id"]: n["data"] for n in data.json()["elements"]["nodes"]}
        assert {n for n, d in nodes.items() if d["class"] == "eocic:PilotRegion"} == set(expected)
        assert all(set(nodes[r]["classes"]) == c for r, c in expected.items())


def test_downloads_from_the_page(full_server: Server) -> None:
    for ext, fmt in (
        ("graphml", "graphml"),
        ("gexf", "gexf"),
        ("cyjs", "cytoscape"),
        ("styles.json", "cytoscape"),
        ("dot", "dot"),
        ("csv.zip", "csv"),
    ):
        r = httpx.get(
            f"{full_server.url}/graph/export.{ext}", params={"view": "regions"}, timeout=60
        )
        assert r.status_code == 200, ext
        assert f'filename="eocic-regions.{ext}"' in r.headers["Content-Disposition"]
        assert r.headers["Content-Type"].startswith(
            {
                "graphml": "application/graphml+xml",
                "gexf": "application/gexf+xml",
                "cytoscape": "application/json",
                "dot": "text/vnd.graphviz",
                "csv": "application/zip",
            }[fmt]
        )


def test_resource_pages_link_to_their_neighbourhood(full_server: Server) -> None:
    page = httpx.get(f"{full_server.url}/id/region/saxony", headers={"Accept": "text/html"})
    assert f"/graph?focus={SAXONY}" in page.text.replace("&amp;", "&")


@browser_only
@pytest.mark.parametrize("name", ["regions", "classes", "full", "model"])
def test_view_in_the_browser(browser: Browser, full_server: Server, name: str) -> None:
    open_graph(browser, full_server, f"view={name}")
    assert page_errors(browser) == []
    nodes = view(name).number_of_nodes()
    assert browser.evaluate("document.body.dataset.nodes") == str(nodes)
    # labels: the important nodes at the start zoom, every node once zoomed in
    labelled = browser.evaluate(LABELLED)
    assert labelled >= min(20, nodes)
    browser.evaluate("eocicGraph.zoom(1.5), true")
    assert browser.evaluate(LABELLED) == nodes
    # the legend: one entry per group with its count, distinct colour-and-shape pairs, and the
    # nodes drawn in their group's colour
    legend = browser.evaluate("""Array.from(document.querySelectorAll('.legend-item')).map(
        b => [b.dataset.group, b.dataset.colour, b.dataset.shape,
              b.querySelector('.legend-count').textContent])""")
    expected = graphview.legend(view(name))
    assert [row[0] for row in legend] == [r["name"] for r in expected]
    assert [row[3] for row in legend] == [f"({r['count']})" for r in expected]
    assert len({(row[1], row[2]) for row in legend}) == len(legend)
    drawn = browser.evaluate("""(function () {
        var out = {};
        eocicGraph.nodes().forEach(function (n) {
          var d = n.data();
          out[d.group || d['class']] = [n.style('background-color'), n.style('shape')];
        });
        return out; })()""")
    for group, colour, shape, _ in legend:
        red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert drawn[group] == [f"rgb({red},{green},{blue})", shape], group
    # the text alternative lists every node with a link
    assert browser.evaluate("document.querySelectorAll('#nodes a[data-iri]').length") == nodes
    assert browser.evaluate("document.documentElement.scrollWidth") <= 1280  # no overflow


@browser_only
def test_view_switch_and_node_panel(browser: Browser, full_server: Server) -> None:
    open_graph(browser, full_server, "view=regions")
    browser.evaluate("""(function () { var s = document.getElementById('view');
        s.value = 'classes'; s.dispatchEvent(new Event('change')); return true; })()""")
    browser.wait_for("location.search.indexOf('view=classes') >= 0")
    browser.wait_for(READY)
    assert browser.evaluate("document.body.dataset.view") == "classes"
    assert browser.evaluate("document.body.dataset.nodes") == str(view("classes").number_of_nodes())
    open_graph(browser, full_server, "view=regions")
    # a real click on Saxony's node opens the panel with its label, class and page link
    x, y = browser.evaluate(f"""(function () {{
        var n = eocicGraph.getElementById({json.dumps(SAXONY)});
        var box = document.getElementById('graph').getBoundingClientRect();
        var p = n.renderedPosition();
        return [box.left + p.x, box.top + p.y]; }})()""")
    browser.click(x, y)
    browser.wait_for("!document.getElementById('panel').hidden")
    assert browser.evaluate("document.getElementById('panel-title').textContent") == "Saxony"
    assert "eocic:PilotRegion" in browser.evaluate(
        "document.getElementById('panel-class').textContent"
    )
    link = browser.evaluate("document.getElementById('panel-link').getAttribute('href')")
    assert link == "/id/region/saxony"
    around = browser.evaluate("document.getElementById('panel-hop1').getAttribute('href')")
    assert around == f"/graph?focus={quote(SAXONY, safe='')}&hops=1"
    assert page_errors(browser) == []


@browser_only
@pytest.mark.parametrize("hops", [1, 2])
def test_neighbourhood_view(browser: Browser, full_server: Server, hops: int) -> None:
    open_graph(browser, full_server, f"focus={quote(SAXONY, safe='')}&hops={hops}")
    assert page_errors(browser) == []
    expected = graphview.focus_view(view("full"), SAXONY, hops)
    assert browser.evaluate("document.body.dataset.nodes") == str(expected.number_of_nodes())
    assert browser.evaluate(f"eocicGraph.getElementById({json.dumps(SAXONY)}).hasClass('focus')")
    assert "Around Saxony" in browser.evaluate("document.querySelector('h1').textContent")


@browser_only
def test_search(browser: Browser, full_server: Server) -> None:
    open_graph(browser, full_server, "view=regions&q=saxony")
    assert int(browser.evaluate("document.body.dataset.matches")) >= 1
    assert "match" in browser.evaluate("document.getElementById('status').textContent")


@browser_only
def test_search_found_no_region_by_its_national_name(browser: Browser, full_server: Server) -> None:
    """The exports keep each language's names in their own attribute (`skos:altLabel_de`), and
    the page's search read only `skos:altLabel`: "Sachsen" found nothing."""
    open_graph(browser, full_server, "view=regions&q=sachsen")
    assert int(browser.evaluate("document.body.dataset.matches")) == 1
    assert browser.evaluate(f"eocicGraph.getElementById({json.dumps(SAXONY)}).hasClass('match')")


@browser_only
def test_phone_width(full_server: Server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with Browser(390, 844) as phone:
        phone.resize(390, 844, mobile=True)
        phone.open(f"{full_server.url}/graph?view=regions", READY)
        assert page_errors(phone) == []
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing wider than the screen
        box = phone.evaluate("document.getElementById('graph').getBoundingClientRect().toJSON()")
        assert box["width"] >= 350 and box["height"] >= 300
        search = phone.evaluate("document.getElementById('search').getBoundingClientRect().right")
        assert search <= 390
        # fewer labels than on a desktop (a dozen fit), each on lines wide enough to read
        assert phone.evaluate(LABELLED) >= 10
        shot = tmp_path / "phone.png"
        phone.screenshot(shot)
        assert shot.stat().st_size > 10_000


@browser_only
def test_offline_file_runs_without_a_server(browser: Browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from eocic_kg import graphformats

    page = tmp_path / "full.html"
    page.write_bytes(graphformats.write(view("full"), "html"))
    browser.events.clear()
    browser.open(page.as_uri(), READY)
    assert page_errors(browser) == []
    assert browser.evaluate("document.body.dataset.nodes") == str(view("full").number_of_nodes())
    assert browser.evaluate(LABELLED) >= 20
    link = browser.evaluate("document.querySelector('#nodes a[data-iri]').getAttribute('href')")
    assert link.startswith("http")  # offline, nodes link to their IRIs


def test_neighbourhood_of_data_loaded_beside_the_release(
    start_server, tmp_path_factory: pytest.TempPathFactory
) -> None:  # type: ignore[no-untyped-def]
    """A resource outside the release's graphs (data loaded next to it) gets its neighbourhood
    from the store, so the link on its page is no dead end."""
    from rdflib import Graph

    from .conftest import GRAPH, write_nquads

    extra = Graph().parse(
        data="""
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <https://example.org/region/north> rdfs:label "North"@en ;
            <https://example.org/next> <https://example.org/region/south> .
        <https://example.org/region/south> rdfs:label "South"@en ;
            <https://example.org/next> <https://example.org/region/east> .
        <https://example.org/region/east> rdfs:label "East"@en .
        """,
        format="turtle",
    )
    graphs = {
        str(name): built_release().dataset.graph(name)
        for name in (GRAPH + "ontology", GRAPH + "data")
    }
    graphs["https://example.org/graph/extra"] = extra
    path = write_nquads(graphs, tmp_path_factory.mktemp("beside") / "eocic.nq")
    server = start_server(path, workers=1)
    north = "https://example.org/region/north"
    one = httpx.get(f"{server.url}/graph/data.json", params={"focus": north}, timeout=60).json()
    assert {n["data"]["label"] for n in one["elements"]["nodes"]} == {"North", "South"}
    two = httpx.get(
        f"{server.url}/graph/data.json", params={"focus": north, "hops": "2"}, timeout=60
    ).json()
    assert {n["data"]["label"] for n in two["elements"]["nodes"]} == {"North", "South", "East"}
    page = httpx.get(f"{server.url}/graph", params={"focus": north}, timeout=60)
    assert page.status_code == 200 and "Around North" in page.text
    said = drawn_from(page.text)  # not the release's graphs: the store's
    assert "every graph of the store" in said and "https://w3id.org/eocic/graph/" not in said
    missing = httpx.get(
        f"{server.url}/graph", params={"focus": "https://example.org/none"}, timeout=60
    )
    assert missing.status_code == 404
    bad = httpx.get(f"{server.url}/graph", params={"focus": "not an iri"}, timeout=60)
    assert bad.status_code == 400


SVG = "{http://www.w3.org/2000/svg}"
STRATEGY = "https://w3id.org/eocic/id/measure/saxony-strategiewerkstatt"


@pytest.mark.parametrize("name", sorted(graphview.VIEWS))
def test_view_selector_showed_regions_on_the_model_view(full_server: Server, name: str) -> None:
    """The selector showed "regions" on `view=model` and did not offer "model"."""
    page = httpx.get(f"{full_server.url}/graph", params={"view": name}, timeout=60).text
    select = re.search(r'<select id="view".*?</select>', page, re.S)
    assert select is not None
    offered = re.findall(r'<option value="([^"]*)"', select[0])
    assert offered == list(graphview.VIEWS)
    assert re.findall(r'<option value="([^"]*)" selected', select[0]) == [name]


def test_text_alternative_listed_no_edges(full_server: Server) -> None:
    """The text alternative listed the nodes only; now every link too, by kind."""
    page = httpx.get(f"{full_server.url}/graph", params={"view": "regions"}, timeout=60).text
    links = page.split('id="links"', 1)[1]
    rows = re.findall(r'<li data-key="([^"]+)"><a href="[^"]*">([^<]*)</a>', links)
    expected = view("regions")
    assert len(rows) == expected.number_of_edges()
    by_key: dict[str, int] = {}
    for key, _ in rows:
        by_key[key] = by_key.get(key, 0) + 1
    assert by_key == {
        key: sum(1 for *_, k in expected.edges(keys=True) if k == key)
        for key in {k for *_, k in expected.edges(keys=True)}
    }


def focus_search(b: Browser, text: str) -> None:
    """Type `text` into the search box and press Enter, as a person would."""
    b.evaluate("document.getElementById('search').focus(), true")
    b.type(text)
    for kind in ("keyDown", "keyUp"):
        b.send(
            "Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13
        )


@browser_only
def test_enter_on_saxony_selected_a_measure(browser: Browser, full_server: Server) -> None:
    """Search + Enter on "Saxony" selected the Strategiewerkstatt measure (its label contains
    the word); the exact label comes first now."""
    open_graph(browser, full_server, "view=regions")
    labels = browser.evaluate(
        "eocicGraph.nodes().filter(n => /saxony/i.test(n.data('label'))).map(n => n.id())"
    )
    assert SAXONY in labels and len(labels) > 1  # partial matches are there to be wrongly picked
    focus_search(browser, "Saxony")
    browser.wait_for("document.body.dataset.selected")
    assert browser.evaluate("document.body.dataset.selected") == SAXONY
    assert browser.evaluate("document.getElementById('panel-title').textContent") == "Saxony"
    assert page_errors(browser) == []


@browser_only
def test_panel_listed_the_hidden_label(browser: Browser, full_server: Server) -> None:
    """The panel listed skos:hiddenLabel (a misspelling kept for search)."""
    open_graph(browser, full_server, "view=regions")
    assert browser.evaluate(
        f"!!eocicGraph.getElementById({json.dumps(STRATEGY)}).data('skos:hiddenLabel')"
    )
    focus_search(browser, "Strategy")
    browser.wait_for("document.body.dataset.selected")
    assert browser.evaluate("document.body.dataset.selected") == STRATEGY
    listed = browser.evaluate("document.getElementById('panel-attributes').textContent")
    assert "skos:altLabel" in listed or "eocic:" in listed  # the panel lists attributes
    assert "hiddenLabel" not in listed and "short" not in listed.split()


@browser_only
def test_focus_labels_were_identical_stubs(browser: Browser, full_server: Server) -> None:
    """Around Saxony, four labels were drawn as "Saxony faces t..."; drawn labels now tell
    every node apart and stay short."""
    open_graph(browser, full_server, f"focus={quote(SAXONY, safe='')}&hops=1")
    drawn = browser.evaluate("eocicGraph.nodes().map(n => [n.data('label'), n.style('label')])")
    faces = [shown for label, shown in drawn if label.startswith("Saxony faces the challenge")]
    assert len(faces) >= 4 and len(set(faces)) == len(faces)
    shown = [s for _, s in drawn]
    assert len(set(shown)) == len(shown)
    assert all(len(s) <= 60 for s in shown)


def node_places(b: Browser) -> dict[str, tuple[float, float]]:
    return {
        node: (x, y)
        for node, x, y in b.evaluate(
            "eocicGraph.nodes().map(n => [n.id(), n.position('x'), n.position('y')])"
        )
    }


@browser_only
def test_layout_was_random_on_every_load(browser: Browser, full_server: Server) -> None:
    """The layout was random on every load; now it is the seeded one, the same on every load
    and in the exports (here the GEXF of the same view, read by networkx)."""
    open_graph(browser, full_server, "view=regions")
    first = node_places(browser)
    open_graph(browser, full_server, "view=regions")
    assert node_places(browser) == first
    expected = graphview.positions(view("regions"))
    assert first == {n: pytest.approx(xy) for n, xy in expected.items()}
    gexf = httpx.get(f"{full_server.url}/graph/export.gexf", params={"view": "regions"}, timeout=60)
    parsed = nx.read_gexf(io.BytesIO(gexf.content))
    for node, attributes in parsed.nodes(data=True):
        position = attributes["viz"]["position"]
        assert (position["x"], -position["y"]) == pytest.approx(first[node])


@browser_only
def test_legend_pick_did_not_refit(browser: Browser, full_server: Server) -> None:
    """Picking a legend group highlighted it where it was; now the view fits the group."""
    open_graph(browser, full_server, "view=full")
    group = "eocic:PilotRegion"
    before = browser.evaluate("eocicGraph.zoom()")
    browser.evaluate(
        f"document.querySelector('.legend-item[data-group=\"{group}\"]').click(), true"
    )
    assert browser.evaluate("document.body.dataset.picked") == group
    box = browser.evaluate("eocicGraph.nodes('.match').renderedBoundingBox()")
    width, height = browser.evaluate("[eocicGraph.width(), eocicGraph.height()]")
    assert browser.evaluate("eocicGraph.zoom()") > before
    assert (
        box["x1"] >= -1 and box["y1"] >= -1 and box["x2"] <= width + 1 and box["y2"] <= height + 1
    )
    assert box["w"] >= 0.6 * width or box["h"] >= 0.6 * height  # the group fills the view


def picture_svg(b: Browser) -> ET.Element:
    return ET.fromstring(b.evaluate("eocicPictures.svg()"))


@browser_only
def test_no_edge_type_filter(browser: Browser, full_server: Server) -> None:
    """There was no way to hide a kind of link; unticking one hides its links, in the picture
    and in the SVG."""
    open_graph(browser, full_server, "view=regions")
    assert page_errors(browser) == []
    kinds = browser.evaluate(
        "Array.from(document.querySelectorAll('.edge-type')).map(b => b.value)"
    )
    keys = {k for *_, k in view("regions").edges(keys=True)}
    assert set(kinds) == keys
    total = view("regions").number_of_edges()
    kind = kinds[0]
    hidden = sum(1 for *_, k in view("regions").edges(keys=True) if k == kind)
    browser.evaluate(f"""(function () {{
        var box = document.querySelector('.edge-type[value="{kind}"]');
        box.click(); return true; }})()""")
    shown = f"eocicGraph.edges(':visible').length === {total - hidden}"
    browser.wait_for(shown, timeout=10)  # the deadline only bounds a failure
    assert browser.evaluate("document.body.dataset.edgesShown") == str(total - hidden)
    svg = picture_svg(browser)
    lines = svg.findall(f".//{SVG}line")
    assert len(lines) == total - hidden and all(line.get("data-key") != kind for line in lines)
    assert page_errors(browser) == []


@browser_only
def test_no_png_or_svg_of_the_canvas(browser: Browser, full_server: Server) -> None:
    """There was no PNG or SVG of the canvas; both now save what is shown."""
    open_graph(browser, full_server, "view=regions")
    png = browser.evaluate("""eocicPictures.png().arrayBuffer().then(b => {
        var bytes = new Uint8Array(b), text = '';
        for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
        return btoa(text); })""")
    data = base64.b64decode(png)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    width = int.from_bytes(data[16:20], "big")
    assert width > 500
    svg = picture_svg(browser)
    nodes = svg.findall(f".//{SVG}g[@class='node']")
    assert {g.get("data-id") for g in nodes} == set(view("regions"))
    colours = {g.get("data-id"): g[1].get("fill") for g in nodes}
    drawn = graphview.drawing(view("regions"))
    assert colours == {n: d["colour"] for n, d in drawn.items()}
    assert len(svg.findall(f".//{SVG}line")) == view("regions").number_of_edges()
    for button in ("save-png", "save-svg"):  # the buttons save without an error
        browser.evaluate(f"document.getElementById('{button}').click(), true")
    assert page_errors(browser) == []


@pytest.mark.parametrize("query", ["view=regions&view=full", "hops=1&hops=2&focus=region:saxony"])
def test_a_graph_argument_given_twice_is_a_400_not_the_first_one_unsaid(
    full_server: Server, query: str
) -> None:
    """`/graph?view=regions&view=full` drew the regions view and said nothing of the other."""
    for path in ("/graph", "/graph/data.json", "/graph/export.graphml"):
        r = httpx.get(f"{full_server.url}{path}?{query}")
        assert r.status_code == 400, (path, r.status_code)
        assert "exactly one" in r.text


@pytest.mark.parametrize(
    ("query", "meant"),
    [("veiw=full", "view"), ("View=full", "view"), ("Focus=region:saxony", "focus"),
     ("focus=region:saxony&hop=2", "hops"), ("view=full&graph=inferred", "graphs")],
)  # fmt: skip
def test_a_misspelt_graph_argument_drew_the_default_unsaid(
    full_server: Server, query: str, meant: str
) -> None:
    """`/graph?veiw=full` drew the regions view, 200, the argument unread (and `graph=inferred`
    the asserted edges); a near miss of an argument the page reads is a 400 that names it,
    while a parameter of no resemblance (a tracker's `utm_source`) is still let through."""
    for path in ("/graph", "/graph/data.json", "/graph/export.graphml"):
        r = httpx.get(f"{full_server.url}{path}?{query}", timeout=60)
        assert r.status_code == 400, (path, r.status_code)
        assert f"is {meant!r}" in r.text, r.text
    assert httpx.get(f"{full_server.url}/graph?view=full&utm_source=x").status_code == 200


def test_an_empty_focus_is_a_400_not_the_default_view(full_server: Server) -> None:
    """`/graph?focus=` (a form sent with its field empty) drew the regions view, unsaid."""
    for path in ("/graph", "/graph/data.json", "/graph/export.graphml"):
        r = httpx.get(f"{full_server.url}{path}?focus=&hops=2", timeout=60)
        assert r.status_code == 400, (path, r.status_code)
        assert "focus" in r.text


def test_a_class_as_focus_is_a_404_before_its_neighbours_are_read(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A class is never a node of a view, yet `/graph?focus=<class>&hops=2` first read the
    neighbourhoods of 60 of its instances (seconds of a worker on each request, nothing kept)
    and only then answered 404: now the first read tells."""
    from collections import Counter

    from rdflib import RDF

    from eocic_kg.build import nquads
    from eocic_kg.web import graph_page
    from eocic_kg.web.app import create_app

    release = tmp_path / "eocic.nq"
    release.write_bytes(nquads(built_release().dataset))
    types = Counter(built_release().graph().objects(None, RDF.type))
    busiest, instances = types.most_common(1)[0]
    assert instances > 1
    reads = []
    read = graph_page.neighbourhood
    monkeypatch.setattr(
        graph_page, "neighbourhood", lambda store, node: reads.append(node) or read(store, node)
    )
    client = create_app(release, executors=1).test_client()
    r = client.get("/graph/data.json", query_string={"focus": str(busiest), "hops": "2"})
    assert r.status_code == 404
    assert reads == [busiest]


def drawn_from(page: str) -> str:
    """The text of the page's statement of the graphs it draws (tags and spacing dropped)."""
    found = re.search(r'<section class="drawn-from" id="drawn-from".*?</section>', page, re.S)
    assert found, "the page does not say which graphs it draws"
    text = re.sub(r"<[^>]+>", " ", found[0].replace("<wbr>", ""))
    return " ".join(text.replace("&amp;", "&").split())


@pytest.mark.parametrize("graphs", list(GRAPH_SELECTIONS))
def test_graph_page_says_which_graphs_it_draws(full_server: Server, graphs: str) -> None:
    """`/graph?graphs=inferred` drew the entailed links and said nowhere that it did; the page
    names the graphs its links come from (as `graphs=` and by their IRIs), with the numbers of
    nodes and links, and its downloads are the same view, from the same graphs."""
    expected = graphview.build_view(built_release().graph(), "regions", selected(graphs))
    page = httpx.get(
        f"{full_server.url}/graph", params={"view": "regions", "graphs": graphs}, timeout=60
    ).text
    said = drawn_from(page)
    assert f"graphs={graphs}" in said
    named = {str(g) for g in RELEASE_GRAPHS if re.search(rf"{re.escape(str(g))}(?![\w/])", said)}
    assert named == {str(g) for g in GRAPH_SELECTIONS[graphs]}
    counts = f"{expected.number_of_nodes()} nodes, {expected.number_of_edges()} links."
    assert counts in said
    assert "entailed" in said  # whether the entailments are drawn is said either way
    assert 'aria-describedby="drawn-from"' in page  # the picture points to it
    # the other selections are offered, this one marked as current
    assert re.search(rf'<strong aria-current="page">{graphs}</strong>', page)
    # every download carries the choice, and is the view drawn
    links = re.findall(r'href="(/graph/export\.[^"]+)"', page)
    assert len(links) == 6
    data = httpx.get(
        f"{full_server.url}/graph/data.json", params={"view": "regions", "graphs": graphs}
    )
    for link in links:
        link = link.replace("&amp;", "&")
        assert (f"graphs={graphs}" in link) == (graphs != "asserted"), link
        r = httpx.get(f"{full_server.url}{link}", timeout=60)
        assert r.status_code == 200, link
        suffix = "" if graphs == "asserted" else f"-{graphs}"
        assert f'filename="eocic-regions{suffix}.' in r.headers["Content-Disposition"]
        if link.startswith("/graph/export.cyjs"):
            assert r.content == data.content
            drawn = json.loads(r.content)["elements"]
            assert len(drawn["edges"]) == expected.number_of_edges()


def test_graph_page_says_which_graphs_a_neighbourhood_draws(full_server: Server) -> None:
    """A neighbourhood says its graphs too, and is not offered graphs it may not be in."""
    page = httpx.get(
        f"{full_server.url}/graph", params={"focus": SAXONY, "graphs": "inferred"}, timeout=60
    ).text
    said = drawn_from(page)
    assert "graphs=inferred" in said and f"{GRAPH_SELECTIONS['inferred'][0]} :" in said
    assert "Draw from" not in said
    assert "graphs=inferred" in re.search(r'href="(/graph/export\.gexf[^"]+)"', page)[1]


PAGES_AT_390 = [
    "view=regions",
    "view=full&graphs=inferred",
    "view=model",
    f"focus={quote(SAXONY, safe='')}&hops=2&graphs=all",
]
#: Elements reaching past the right edge of the screen.
PAST_THE_EDGE = """Array.from(document.querySelectorAll('body *')).filter(function (e) {
  return e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5;
}).map(function (e) { return e.tagName + '#' + e.id + '.' + e.className; })"""


def rect(b: Browser, element_id: str) -> dict[str, float]:
    """The box of the element `element_id` on the screen."""
    return b.evaluate(f"document.getElementById('{element_id}').getBoundingClientRect().toJSON()")


@browser_only
def test_graph_page_fits_390px_without_sideways_scroll(full_server: Server) -> None:
    """Narrowed to a phone's 390 px (a phone turned upright, a window made narrow), the page
    scrolled sideways: the picture's canvases kept their old width (960 px) until Cytoscape.js
    resized them, and nothing clipped them. Now the page fits at once and stays fitted, with
    the statement of its graphs right under the picture; at 1280 px, beside it."""
    canvas = "parseFloat(document.querySelector('#graph canvas').style.width)"
    with Browser(1280, 800) as b:
        for query in PAGES_AT_390:
            b.resize(1280, 800)
            b.open(f"{full_server.url}/graph?{query}", READY)
            assert page_errors(b) == []
            side, picture = rect(b, "drawn-from"), rect(b, "graph")
            assert side["left"] >= picture["right"] - 1 and side["top"] < 200, query
            assert b.evaluate("document.documentElement.scrollWidth") <= 1280
            b.resize(390, 844, mobile=True)
            width, wide = b.evaluate(f"[document.documentElement.scrollWidth, {canvas}]")
            assert width <= 390, (query, width, wide)
            b.wait_for(f"{canvas} <= 390", timeout=10)  # the deadline only bounds a failure
            b.evaluate("document.querySelectorAll('details').forEach(d => d.open = true), true")
            assert b.evaluate(PAST_THE_EDGE) == [], query
            assert b.evaluate("document.documentElement.scrollWidth") <= 390
            side, picture = rect(b, "drawn-from"), rect(b, "graph")
            assert picture["width"] >= 350 and 0 <= side["top"] - picture["bottom"] < 40, query
            assert rect(b, "search")["right"] <= 390 - 16 + 0.5  # within the bar's padding


@browser_only
def test_graph_page_fits_390px_around_a_long_unbroken_label(
    start_server, tmp_path_factory: pytest.TempPathFactory
) -> None:  # type: ignore[no-untyped-def]
    """A heading "Around <a label of no spaces>" (a name written as one word, a local name
    taken for a label) was as wide as its label, and the page scrolled sideways."""
    from rdflib import Graph

    from .conftest import GRAPH, write_nquads

    name = "WestfaelischeWilhelmsUniversitaetMuensterInnovationsregionMuensterland"
    extra = Graph().parse(
        data=f"""
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        <https://example.org/region/long> rdfs:label "{name}"@en ;
            <https://example.org/next> <https://example.org/region/short> .
        <https://example.org/region/short> rdfs:label "Short"@en .
        """,
        format="turtle",
    )
    graphs = {str(g): built_release().dataset.graph(g) for g in (GRAPH + "ontology",)}
    graphs["https://example.org/graph/extra"] = extra
    server = start_server(write_nquads(graphs, tmp_path_factory.mktemp("long") / "eocic.nq"))
    with Browser(390, 844) as phone:
        phone.resize(390, 844, mobile=True)
        phone.open(f"{server.url}/graph?focus={quote('https://example.org/region/long')}", READY)
        assert page_errors(phone) == []
        assert name in phone.evaluate("document.querySelector('h1').textContent")
        assert phone.evaluate(PAST_THE_EDGE) == []
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
