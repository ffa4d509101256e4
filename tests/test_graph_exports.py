"""Graph formats read back by independent readers: networkx, xmllint with the formats' schemas
(vendored in tests/data/schemas: GEXF 1.3 with its viz module, GraphML with the yFiles
extension), Graphviz, and the CLI's files at default settings; every file drawn as the page
draws it (palette, sizes, the seeded layout)."""

from __future__ import annotations

import csv
import functools
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import networkx as nx
import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef

from eocic_kg import graphformats, graphview
from eocic_kg.export import STANDARD_PREFIXES, Names

from .conftest import Server
from .release_cache import built_release, cli_in_process, release_nquads
from .test_graphview import pilot_region_classes, selected

# one worker runs this file (`--dist loadgroup`): its exports by the command (cli_dir) start once
pytestmark = pytest.mark.xdist_group("graph_exports")

XMLLINT = shutil.which("xmllint")
DOT = shutil.which("dot")
SCHEMAS = Path(__file__).parent / "data" / "schemas"
#: xmllint's option and schema per format: GEXF 1.3's normative schema is its RELAX NG (the
#: XSD made from it leaves the viz module out of the GEXF elements); GraphML's is the 1.0 XSD,
#: extended as its documentation says for the yFiles elements that yEd reads.
SCHEMA_FILES = {
    "graphml": ("--schema", SCHEMAS / "graphml-yfiles" / "graphml-yfiles.xsd"),
    "gexf": ("--relaxng", SCHEMAS / "gexf-1.3" / "gexf.rng"),
}
READERS = {"graphml": nx.read_graphml, "gexf": nx.read_gexf}
VIEW_NAMES = sorted(graphview.VIEWS)


def run_cli(*args: str, dist: Path) -> subprocess.CompletedProcess[str]:
    """`eocic-kg ARGS` in a fresh interpreter, from `dist` (the import path kept as it is)."""
    env = {"EOCIC_DIST": str(dist), "PATH": "/usr/bin:/bin:/usr/local/bin"}
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run(
        [sys.executable, "-m", "eocic_kg.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=dist,
        check=False,
    )


@functools.cache
def view(name: str) -> nx.MultiDiGraph:
    return graphview.build_view(built_release().graph(), name, selected("asserted"))


@functools.cache
def exported(name: str, fmt: str) -> bytes:
    return graphformats.write(view(name), fmt)


@functools.cache
def cli_exports(tmp: Path) -> Path:
    """Every graph format of every view, written by `eocic-kg export` at default settings (run
    in-process; tests/test_cli.py and tests/test_readme.py run the command as a program)."""
    release = str(release_nquads())
    for name in VIEW_NAMES:
        for fmt in ("graphml", "gexf", "cytoscape", "cytoscape-style", "dot", "html", "csv"):
            out = str(tmp / f"{name}.{'zip' if fmt == 'csv' else fmt}")
            args = ("--release", release, "export", "--format", fmt, "--view", name, "-o", out)
            status, errors = cli_in_process(*args)
            assert status == 0, errors
    return tmp


@pytest.fixture(scope="module")
def cli_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cli_exports(tmp_path_factory.mktemp("cli-exports"))


@pytest.mark.parametrize("name", VIEW_NAMES)
@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_networkx_reads_the_same_graph(cli_dir: Path, name: str, fmt: str) -> None:
    parsed = READERS[fmt](cli_dir / f"{name}.{fmt}")
    assert parsed.number_of_nodes() == view(name).number_of_nodes() > 0
    assert parsed.number_of_edges() == view(name).number_of_edges() > 0
    by_iri = {a["iri"]: a for _, a in parsed.nodes(data=True)}
    for node, attributes in view(name).nodes(data=True):
        assert by_iri[node]["label"] == attributes["label"]
        assert by_iri[node]["class"] == attributes["class"]
    assert not any(k.startswith("networkx") for _, _, a in parsed.edges(data=True) for k in a)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_numeric_attributes_are_typed(cli_dir: Path, fmt: str) -> None:
    text = (cli_dir / f"full.{fmt}").read_text(encoding="utf-8")
    if fmt == "graphml":
        declared = dict(re.findall(r'attr\.name="([^"]+)" attr\.type="([^"]+)"', text))
        numbers = {"int", "double"}
    else:
        declared = dict(re.findall(r'title="([^"]+)" type="([^"]+)"', text))
        numbers = {"integer", "double"}
    assert declared["eocic:percentValue"] == "double"
    assert declared["eocic:numberOfSubClusters"] in numbers
    assert declared["eocic:page"] in numbers
    assert declared["eocic:foundingYear"] in numbers  # a year (xsd:gYear): a range filter works
    parsed = READERS[fmt](cli_dir / f"full.{fmt}")
    percents = [
        a["eocic:percentValue"] for _, a in parsed.nodes(data=True) if "eocic:percentValue" in a
    ]
    assert percents and all(isinstance(p, float) for p in percents)
    years = [
        a["eocic:foundingYear"] for _, a in parsed.nodes(data=True) if "eocic:foundingYear" in a
    ]
    assert years and all(isinstance(y, int) for y in years)


def parsed_nodes(cli_dir: Path, name: str, fmt: str) -> dict[str, dict]:
    """IRI -> attributes of the nodes of `cli_dir/name.fmt`, read by networkx or csv."""
    if fmt == "cytoscape":
        data = json.loads((cli_dir / f"{name}.cytoscape").read_text(encoding="utf-8"))
        graph = nx.cytoscape_graph(data)
    elif fmt == "csv":
        with zipfile.ZipFile(cli_dir / f"{name}.zip") as archive:
            rows = csv.DictReader(io.StringIO(archive.read("nodes.csv").decode("utf-8")))
            return {row["iri"]: row for row in rows}
    else:
        graph = READERS[fmt](cli_dir / f"{name}.{fmt}")
    return {a["iri"]: a for _, a in graph.nodes(data=True)}


@pytest.mark.parametrize("name", ["regions", "full"])
@pytest.mark.parametrize("fmt", ["graphml", "gexf", "cytoscape", "csv"])
def test_exports_lose_no_class_of_a_pilot_region(cli_dir: Path, name: str, fmt: str) -> None:
    expected = pilot_region_classes()
    nodes = parsed_nodes(cli_dir, name, fmt)
    assert {iri for iri, a in nodes.items() if a["class"] == "eocic:PilotRegion"} == set(expected)
    assert len(expected) == 10
    for region, classes in expected.items():
        found = nodes[region]["classes"]
        listed = found if fmt == "cytoscape" else found.split(" | ")
        assert listed[0] == "eocic:PilotRegion" and set(listed) == classes


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "cytoscape"])
def test_full_export_has_no_isolated_schema_nodes(cli_dir: Path, fmt: str) -> None:
    if fmt == "cytoscape":
        data = json.loads((cli_dir / "full.cytoscape").read_text(encoding="utf-8"))
        graph = nx.cytoscape_graph(data)
    else:
        graph = READERS[fmt](cli_dir / f"full.{fmt}")
    assert list(nx.isolates(graph)) == []
    iris = {a["iri"] for _, a in graph.nodes(data=True)}
    datatypes = {
        str(o.datatype) for o in built_release().graph().objects() if getattr(o, "datatype", None)
    }
    assert datatypes and not datatypes & iris
    assert str(RDF.nil) not in iris


@pytest.mark.skipif(XMLLINT is None, reason="xmllint (libxml2-utils) is not installed")
@pytest.mark.parametrize("name", VIEW_NAMES)
@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_valid_against_the_xml_schema(cli_dir: Path, name: str, fmt: str) -> None:
    run = xmllint(fmt, cli_dir / f"{name}.{fmt}")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "validates" in run.stderr


def xmllint(fmt: str, path: Path) -> subprocess.CompletedProcess[str]:
    option, schema = SCHEMA_FILES[fmt]
    return subprocess.run(
        [str(XMLLINT), "--noout", "--nonet", option, str(schema), str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.skipif(XMLLINT is None, reason="xmllint (libxml2-utils) is not installed")
@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("gexf", '<viz:color r="0"', '<viz:color r="300"'),  # a channel is 0..255
        ("gexf", "<viz:size ", "<viz:sise "),  # no such viz element
        ("graphml", 'attr.type="double"', 'attr.type="decimal"'),
        ("graphml", 'yfiles.type="nodegraphics"', 'yfiles.kind="nodegraphics"'),
        ("graphml", "<y:ShapeNode>", '<z xmlns="urn:x"/><y:ShapeNode>'),  # yFiles only in data
    ],
)
def test_the_schemas_refuse_a_broken_file(
    cli_dir: Path, tmp_path: Path, fmt: str, good: str, bad: str
) -> None:
    """The schema checks can fail: one wrong attribute or element makes the file invalid."""
    text = (cli_dir / f"regions.{fmt}").read_text(encoding="utf-8")
    assert good in text
    broken = tmp_path / f"broken.{fmt}"
    broken.write_text(text.replace(good, bad, 1), encoding="utf-8")
    assert xmllint(fmt, broken).returncode != 0


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_networkx_reads_the_cytoscape_json(cli_dir: Path, name: str) -> None:
    data = json.loads((cli_dir / f"{name}.cytoscape").read_text(encoding="utf-8"))
    parsed = nx.cytoscape_graph(data)
    assert parsed.is_directed() and parsed.is_multigraph()
    assert parsed.number_of_nodes() == view(name).number_of_nodes()
    assert parsed.number_of_edges() == view(name).number_of_edges()
    # what Cytoscape desktop needs of a .cyjs file: string ids, a name, edge ends that exist
    ids = {n["data"]["id"] for n in data["elements"]["nodes"]}
    assert all(isinstance(n["data"]["name"], str) for n in data["elements"]["nodes"])
    for edge in data["elements"]["edges"]:
        assert edge["data"]["source"] in ids and edge["data"]["target"] in ids
        assert edge["data"]["interaction"]
    assert data["format_version"] == "1.0" and data["elements"]


@pytest.mark.skipif(DOT is None, reason="Graphviz dot is not installed")
@pytest.mark.parametrize("name", VIEW_NAMES)
def test_graphviz_lays_out_the_dot_with_its_named_engine(cli_dir: Path, name: str) -> None:
    text = (cli_dir / f"{name}.dot").read_text(encoding="utf-8")
    engine = re.search(r"layout=(\w+)", text)
    assert engine is not None and engine.group(1) == graphformats.DOT_ENGINE
    # `dot` follows the engine named in the file; a layout that took minutes would time out.
    run = subprocess.run(
        [str(DOT), "-Tsvg", str(cli_dir / f"{name}.dot")],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.count(b'<g id="node') == view(name).number_of_nodes()


def test_csv_is_a_directory_or_a_named_zip(tmp_path: Path) -> None:
    (tmp_path / "eocic.nq").write_bytes(release_nquads().read_bytes())
    run = run_cli("export", "--format", "csv", "--view", "regions", "-o", "tables", dist=tmp_path)
    assert run.returncode == 0, run.stderr
    with (tmp_path / "tables" / "nodes.csv").open(encoding="utf-8") as f:
        nodes = list(csv.DictReader(f))
    with (tmp_path / "tables" / "edges.csv").open(encoding="utf-8") as f:
        edges = list(csv.DictReader(f))
    assert len(nodes) == view("regions").number_of_nodes()
    assert len(edges) == view("regions").number_of_edges()
    assert {"Id", "Label", "class", "kind", "iri"} <= set(nodes[0])
    assert {"Source", "Target", "Label", "predicate"} <= set(edges[0])
    run = run_cli("export", "--format", "csv", "-o", "graph.zip", dist=tmp_path)
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(tmp_path / "graph.zip") as archive:
        assert sorted(archive.namelist()) == ["edges.csv", "nodes.csv"]
        table = archive.read("nodes.csv").decode("utf-8")
    assert len(list(csv.reader(io.StringIO(table)))) == view("full").number_of_nodes() + 1
    refused = run_cli("export", "--format", "csv", "-o", "graph.csv", dist=tmp_path)
    assert refused.returncode != 0 and "nodes.csv and edges.csv" in refused.stderr
    assert not (tmp_path / "graph.csv").exists()


def test_offline_page_is_self_contained(cli_dir: Path) -> None:
    page = (cli_dir / "regions.html").read_text(encoding="utf-8")
    assert "<script src=" not in page and "cytoscape" in page
    # nothing is loaded from the network (node links point to the IRIs, which is fine)
    assert not re.search(r"""src=["']https?://""", page)
    assert not re.search(r"""<link[^>]+href=["']https?://""", page)
    assert "fetch(" not in page.split('id="graph-data"')[0]
    for node in view("regions"):
        assert f'data-iri="{node}"' in page  # the text alternative lists every node


def _graphs_drawn(page: str) -> str:
    """The text of a graph page's "Graphs drawn" section ("" if it has none)."""
    found = re.search(r'<section class="drawn-from".*?</section>', page, re.DOTALL)
    return "" if found is None else html.unescape(re.sub(r"<[^>]+>", "", found.group(0)))


def test_offline_page_says_which_graphs_it_draws(cli_dir: Path, tmp_path: Path) -> None:
    """`eocic-kg export --format html --graphs inferred` drew only the entailed links and said
    so nowhere, where the served page names the graphs it draws."""
    asserted = _graphs_drawn((cli_dir / "regions.html").read_text(encoding="utf-8"))
    assert "https://w3id.org/eocic/graph/data" in asserted and "inferred" not in asserted
    out = tmp_path / "regions-inferred.html"
    release = str(release_nquads())
    args = ("--release", release, "export", "--format", "html", "--view", "regions")
    status, errors = cli_in_process(*args, "--graphs", "inferred", "-o", str(out))
    assert status == 0, errors
    inferred = _graphs_drawn(out.read_text(encoding="utf-8"))
    assert "https://w3id.org/eocic/graph/inferred" in inferred
    assert "https://w3id.org/eocic/graph/data" not in inferred
    drawn = graphview.build_view(built_release().graph(), "regions", selected("inferred"))
    assert f"{drawn.number_of_edges()} links" in inferred


@pytest.mark.parametrize("fmt", sorted(graphformats.GRAPH_FORMATS))
def test_outputs_are_deterministic(fmt: str) -> None:
    again = graphview.build_view(built_release().graph(), "regions", selected("asserted"))
    assert graphformats.write(again, fmt) == exported("regions", fmt), fmt


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown graph format"):
        graphformats.write(view("regions"), "gml")


def legend_looks(name: str) -> dict[str, tuple[str, str]]:
    """Group -> (colour, shape) of the view's legend, as the page shows it."""
    return {
        str(r["name"]): (str(r["colour"]), str(r["shape"])) for r in graphview.legend(view(name))
    }


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_gephi_opened_grey_nodes_at_the_origin(cli_dir: Path, name: str) -> None:
    """GEXF carried no viz: colour, position or size; now every node has its legend colour,
    its place in the seeded layout (Gephi's y points up) and its size."""
    parsed = nx.read_gexf(cli_dir / f"{name}.gexf")
    looks = legend_looks(name)
    drawn = graphview.drawing(view(name))
    for node, attributes in parsed.nodes(data=True):
        viz = attributes["viz"]
        group = graphview.colour_group(view(name).nodes[node])
        assert (viz["color"]["r"], viz["color"]["g"], viz["color"]["b"]) == rgb(looks[group][0])
        assert (viz["position"]["x"], -viz["position"]["y"]) == pytest.approx(
            (drawn[node]["x"], drawn[node]["y"])
        )
        assert viz["size"] == pytest.approx(drawn[node]["size"])
    places = {
        (a["viz"]["position"]["x"], a["viz"]["position"]["y"]) for _, a in parsed.nodes(data=True)
    }
    assert len(places) == parsed.number_of_nodes()  # no two nodes on one spot, none all at 0


@pytest.mark.skipif(XMLLINT is None, reason="xmllint (libxml2-utils) is not installed")
def test_graphml_of_a_predicate_outside_the_known_prefixes_failed_its_schema(
    tmp_path: Path,
) -> None:
    """A literal of a predicate with no known prefix is an attribute named by its IRI, which
    GraphML's `attr.name` (an XML name token) cannot hold: the file failed its schema. It is
    now written as a token (unique, even where two IRIs make the same one), the IRI whole in
    the key's `desc`, and each value read back under its own name."""
    ex = Namespace("http://example.org/vocab/")
    saxony = URIRef("https://w3id.org/eocic/id/region/saxony")
    graph = Graph()
    graph.add((saxony, RDFS.label, Literal("Saxony", lang="en")))
    graph.add((saxony, ex.population, Literal(4_000_000)))
    graph.add((saxony, ex["note%20a"], Literal("escaped")))
    graph.add((saxony, ex["note_20a"], Literal("plain")))
    path = tmp_path / "custom.graphml"
    path.write_bytes(graphformats.write(graphview.build_view(graph, "full"), "graphml"))

    run = xmllint("graphml", path)
    assert run.returncode == 0, run.stderr[-2000:]
    ns = {"g": graphformats.GRAPHML_NS}
    keys = ET.parse(path).getroot().findall("g:key[@attr.name]", ns)
    named = {key.get("attr.name"): key.findtext("g:desc", None, ns) for key in keys}
    iris = {f"<{ex[local]}>" for local in ("population", "note%20a", "note_20a")}
    assert {desc for desc in named.values() if desc} == iris
    assert named["label"] is None  # a name token already: no desc
    values = nx.read_graphml(path).nodes["n0"]
    by_iri = {desc: values[name] for name, desc in named.items() if desc}
    assert by_iri == {
        f"<{ex.population}>": 4_000_000,
        f"<{ex['note%20a']}>": "escaped",
        f"<{ex['note_20a']}>": "plain",
    }


@pytest.mark.parametrize("name", ["regions", "classes"])
def test_graphml_is_drawn_for_yed_and_gephi(cli_dir: Path, name: str) -> None:
    """yEd reads the yFiles ShapeNode (fill, geometry, label, shape); Gephi reads the keys x, y,
    size, r, g, b; networkx still reads the same labels."""
    y = "{http://www.yworks.com/xml/graphml}"
    tree = ET.parse(cli_dir / f"{name}.graphml")
    drawn = graphview.drawing(view(name))
    by_label = {str(d["short"]): d for d in drawn.values()}
    shapes = tree.getroot().iter(f"{y}ShapeNode")
    count = 0
    for shape in shapes:
        label = shape.find(f"{y}NodeLabel")
        assert label is not None and label.text in by_label
        look = by_label[str(label.text)]
        fill = shape.find(f"{y}Fill")
        geometry = shape.find(f"{y}Geometry")
        kind = shape.find(f"{y}Shape")
        assert fill is not None and fill.get("color") == look["colour"]
        assert geometry is not None and kind is not None
        centre = float(geometry.get("x", "")) + float(geometry.get("width", "")) / 2
        assert centre == pytest.approx(look["x"])
        assert kind.get("type") == graphformats.SHAPE_NAMES[str(look["shape"])][0]
        count += 1
    assert count == view(name).number_of_nodes()
    parsed = nx.read_graphml(cli_dir / f"{name}.graphml")
    by_iri = {a["iri"]: a for _, a in parsed.nodes(data=True)}
    for node, look in drawn.items():
        found = by_iri[node]
        assert (found["r"], found["g"], found["b"]) == rgb(str(look["colour"]))
        assert (found["x"], -found["y"], found["size"]) == pytest.approx(
            (look["x"], look["y"], look["size"])
        )


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_cytoscape_json_has_positions_and_a_style_file(cli_dir: Path, name: str) -> None:
    """Cytoscape opened the .cyjs with no positions and no style; now each node has its place,
    and styles.json (Cytoscape desktop's style format) maps every legend group."""
    data = json.loads((cli_dir / f"{name}.cytoscape").read_text(encoding="utf-8"))
    drawn = graphview.drawing(view(name))
    for node in data["elements"]["nodes"]:
        look = drawn[node["data"]["id"]]
        assert node["position"] == {"x": look["x"], "y": look["y"]}
        assert node["data"]["group"] == look["group"]
    styles = json.loads((cli_dir / f"{name}.cytoscape-style").read_text(encoding="utf-8"))
    assert isinstance(styles, list) and len(styles) == 1
    assert {"format_version", "generated_by", "title", "style"} <= set(styles[0])
    rules = {rule["selector"]: rule["css"] for rule in styles[0]["style"]}
    assert rules["node"]["width"] == "data(size)" and rules["node"]["content"] == "data(short)"
    for group, (colour, shape) in legend_looks(name).items():
        css = rules[f"node[group = {json.dumps(group)}]"]
        assert (css["background-color"], css["shape"]) == (colour, shape)


def svg_size(svg: bytes) -> tuple[float, float]:
    found = re.search(rb'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    assert found is not None
    return float(found[1]), float(found[2])


@pytest.mark.skipif(DOT is None, reason="Graphviz dot is not installed")
@pytest.mark.parametrize("name", VIEW_NAMES)
def test_dot_classes_view_was_a_strip_with_no_legend(cli_dir: Path, name: str) -> None:
    """The classes view was drawn as a 6,606 x 275 px strip with no legend; now every view is
    drawn at the page's places, about as tall as wide, with a legend of every group."""
    run = subprocess.run(
        [str(DOT), "-Tsvg", str(cli_dir / f"{name}.dot")],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    width, height = svg_size(run.stdout)
    assert 0.5 <= width / height <= 2, (width, height)
    text = html.unescape(run.stdout.decode("utf-8"))
    for group in legend_looks(name):
        assert group in text
    drawn = graphview.drawing(view(name))
    pins = dict(
        re.findall(
            r'^  "([^"]+)" \[.*pos="([-\d.]+,[-\d.]+)!"',
            (cli_dir / f"{name}.dot").read_text(encoding="utf-8"),
            re.M,
        )
    )
    assert len(pins) == len(drawn)
    for node, pin in pins.items():
        x, y = map(float, pin.split(","))
        assert (x, -y) == pytest.approx((drawn[node]["x"], drawn[node]["y"]))


def test_layout_was_random_on_every_load() -> None:
    """The layout is seeded: a view built again is drawn at the same places, and a
    neighbourhood has its resource in the middle."""
    again = graphview.build_view(built_release().graph(), "regions", selected("asserted"))
    assert graphview.positions(again) == graphview.positions(view("regions"))
    saxony = "https://w3id.org/eocic/id/region/saxony"
    around = graphview.focus_view(view("full"), saxony, 1)
    assert "positions" not in around.graph or around.graph["positions"] != {}
    assert graphview.positions(around)[saxony] == (0.0, 0.0)
    assert set(graphview.positions(around)) == set(around)


def test_exports_need_no_scipy(tmp_path: Path) -> None:
    """Every graph format at its default settings works without scipy (not a dependency):
    the layout uses numpy only."""
    code = (
        "import sys; sys.modules['scipy'] = None\n"
        "from eocic_kg.cli import main\n"
        "for fmt in ('graphml', 'gexf', 'cytoscape', 'cytoscape-style', 'dot', 'html'):\n"
        "    assert main(['export', '--format', fmt, '-o', 'out.' + fmt]) == 0\n"
    )
    (tmp_path / "eocic.nq").write_bytes(release_nquads().read_bytes())
    env = {"EOCIC_DIST": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/local/bin"}
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert nx.read_gexf(tmp_path / "out.gexf").number_of_nodes() == view("full").number_of_nodes()


def test_graphs_all_keeps_the_links_of_equivalent_properties() -> None:
    """`--graphs all` adds the entailments to the asserted edges and takes none away. The
    ontology makes some properties equivalent (each a sub-property of the other, as
    eocic:measureFor and eocic:proposedFor); the entailments hold both edges, and dropping "a
    super-property beside its sub-property" once dropped both, so measures lost their region
    in the file (the edges `eocic-kg export --graphs all` draws, read back by networkx)."""
    everything = graphview.build_view(built_release().graph(), "regions", selected("all"))
    parsed = nx.read_graphml(io.BytesIO(graphformats.write(everything, "graphml")))
    iri = {node: a["iri"] for node, a in parsed.nodes(data=True)}
    drawn = {(iri[s], a["predicate"], iri[t]) for s, t, a in parsed.edges(data=True)}
    asserted = {(s, a["predicate"], t) for s, t, a in view("regions").edges(data=True)}
    assert asserted
    assert asserted <= drawn, sorted(asserted - drawn)[:5]


def test_one_edge_stays_of_two_equivalent_properties() -> None:
    """Of two equivalent properties' edges between the same nodes, exactly one is drawn; a
    strict super-property's edge still gives way to its sub-property's."""
    ex = Namespace("http://example.org/")
    graph = Graph()
    for triple in (
        (ex.p, RDFS.subPropertyOf, ex.q),
        (ex.q, RDFS.subPropertyOf, ex.p),
        (ex.q, RDFS.subPropertyOf, ex.top),
        (ex.a, ex.p, ex.b),
        (ex.a, ex.q, ex.b),
        (ex.a, ex.top, ex.b),
        (ex.a, RDF.type, ex.Thing),
        (ex.b, RDF.type, ex.Thing),
    ):
        graph.add(triple)
    drawn = graphview.build_view(graph, "full")
    assert [d["predicate"] for _, _, d in drawn.edges(data=True)] == [str(ex.p)]


@pytest.mark.parametrize("name", ["regions", "full"])
@pytest.mark.parametrize("fmt", ["graphml", "gexf", "csv"])
def test_national_names_were_joined_to_english_ones_and_lost_their_language(
    cli_dir: Path, name: str, fmt: str
) -> None:
    """A literal's language was dropped: "Norra Mellansverige"@sv and "North-Middle Sweden"@en
    became one string "... | ..." under `skos:altLabel`. Each other language than English now
    has its own attribute (`skos:altLabel_sv`), read back by networkx or the csv module, and
    the bare attribute holds the English (or untagged) values only."""
    nodes = parsed_nodes(cli_dir, name, fmt)
    asserted = selected("asserted")
    names = Names(STANDARD_PREFIXES)
    tagged = [
        (s, p, o)
        for s, p, o in asserted
        if isinstance(o, Literal) and o.language not in (None, "en") and str(s) in nodes
    ]
    assert {"de", "fr", "sv", "lt"} <= {o.language for _, _, o in tagged}
    for node, predicate, value in tagged:
        attributes, attribute = nodes[str(node)], names.iri(str(predicate))
        assert str(value) in attributes[f"{attribute}_{value.language}"].split(" | ")
        english = {
            str(v)
            for v in asserted.objects(node, predicate)
            if isinstance(v, Literal) and v.language in (None, "en")
        }
        assert set((attributes.get(attribute) or "").split(" | ")) - {""} <= english
    sweden = nodes["https://w3id.org/eocic/id/region/north-middle-sweden"]
    assert sweden["skos:altLabel"] == "North-Middle Sweden"
    assert sweden["skos:altLabel_sv"] == "Norra Mellansverige"


@pytest.mark.parametrize("ext", ["graphml", "gexf", "csv.zip"])
def test_graph_downloads_of_the_server_keep_the_language_of_national_names(
    full_server: Server, tmp_path: Path, ext: str
) -> None:
    """The server's graph downloads are the same views: Saxony's official name is its German
    attribute there too, read back by networkx or the csv module."""
    r = httpx.get(f"{full_server.url}/graph/export.{ext}", params={"view": "regions"}, timeout=60)
    assert r.status_code == 200
    fmt = {"csv.zip": "csv"}.get(ext, ext)
    (tmp_path / f"regions.{'zip' if fmt == 'csv' else fmt}").write_bytes(r.content)
    saxony = parsed_nodes(tmp_path, "regions", fmt)["https://w3id.org/eocic/id/region/saxony"]
    assert saxony["skos:altLabel_de"] == "Sachsen"
    assert "Sachsen" not in (saxony.get("skos:altLabel") or "")


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_a_control_character_in_a_literal_made_the_xml_unreadable(fmt: str) -> None:
    """A literal holding a control character (which a write or a remote endpoint can bring)
    was written as it is: no XML parser read the file. XML 1.0 cannot hold it even escaped,
    so it is written as U+FFFD and the file stays readable."""
    eocic = Namespace("https://w3id.org/eocic/ontology#")
    graph = Graph()
    here, there = (URIRef(f"https://w3id.org/eocic/id/region/{n}") for n in ("here", "there"))
    for node in (here, there):
        graph.add((node, RDF.type, eocic.PilotRegion))
    graph.add((here, RDFS.label, Literal("bell\x07 and tab\t", lang="en")))
    graph.add((here, eocic.quote, Literal("form\x0cfeed")))
    graph.add((here, eocic.near, there))
    data = graphformats.write(graphview.build_view(graph, "full"), fmt)
    parsed = READERS[fmt](io.BytesIO(data))
    attributes = {a["iri"]: a for _, a in parsed.nodes(data=True)}[str(here)]
    assert attributes["label"] == "bell\ufffd and tab\t"
    assert attributes["eocic:quote"] == "form\ufffdfeed"
