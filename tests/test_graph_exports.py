"""Graph formats read back by independent readers: networkx, xmllint with the formats' XML
schemas (vendored in tests/data/schemas), Graphviz, and the CLI's files at default settings."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import networkx as nx
import pytest
from rdflib import RDF

from eocic_kg import graphformats, graphview

from .release_cache import built_release, cli_in_process, release_nquads
from .test_graphview import pilot_region_classes, selected

# one worker runs this file (`--dist loadgroup`): its exports by the command (cli_dir) start once
pytestmark = pytest.mark.xdist_group("graph_exports")

XMLLINT = shutil.which("xmllint")
DOT = shutil.which("dot")
SCHEMAS = Path(__file__).parent / "data" / "schemas"
SCHEMA_FILES = {
    "graphml": SCHEMAS / "graphml-1.0" / "graphml.xsd",
    "gexf": SCHEMAS / "gexf-1.2draft" / "gexf.xsd",
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
        for fmt in ("graphml", "gexf", "cytoscape", "dot", "html", "csv"):
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
    run = subprocess.run(
        [
            str(XMLLINT),
            "--noout",
            "--nonet",
            "--schema",
            str(SCHEMA_FILES[fmt]),
            str(cli_dir / f"{name}.{fmt}"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "validates" in run.stderr


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
    assert engine is not None and engine.group(1) == graphformats.DOT_ENGINES.get(
        name, graphformats.DEFAULT_DOT_ENGINE
    )
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


@pytest.mark.parametrize("fmt", sorted(graphformats.GRAPH_FORMATS))
def test_outputs_are_deterministic(fmt: str) -> None:
    again = graphview.build_view(built_release().graph(), "regions", selected("asserted"))
    assert graphformats.write(again, fmt) == exported("regions", fmt), fmt


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown graph format"):
        graphformats.write(view("regions"), "gml")
