"""Network views of the release graph and their formats for graph tools and the browser.

A view is a `networkx.MultiDiGraph`: nodes are resources (keyed by IRI) with the attributes
`label`, `class`, `kind` and `iri`, plus one attribute per datatype property (the compact
predicate name, values joined with " | "); edges are object properties, keyed by the compact
predicate name, with `predicate` (IRI) and `label`. Blank nodes are left out.

Formats: graphml, gexf, cytoscape (Cytoscape.js JSON, with positions), dot (Graphviz),
csv (a zip of `nodes.csv` and `edges.csv` with Gephi's Id/Label/Source/Target columns)
and html (one offline page with the vendored Cytoscape.js inlined).
"""

from __future__ import annotations

import csv
import html
import io
import json
import zipfile
from collections import defaultdict
from pathlib import Path

import networkx as nx
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, SKOS

from eocic_kg.export import STANDARD_PREFIXES, Names
from eocic_kg.namespaces import ID

#: Views of `build_view`: name -> description.
VIEWS: dict[str, str] = {
    "full": "every resource of the release and the object properties between them",
    "regions": "regions, challenges, measures and clusters and the links between them",
    "classes": "the class hierarchy of the ontology (rdfs:subClassOf)",
}
#: Formats of `write`: name -> (media type, file extension).
GRAPH_FORMATS: dict[str, tuple[str, str]] = {
    "graphml": ("application/graphml+xml", "graphml"),
    "gexf": ("application/gexf+xml", "gexf"),
    "cytoscape": ("application/json", "cyjs"),
    "dot": ("text/vnd.graphviz", "dot"),
    "csv": ("application/zip", "zip"),
    "html": ("text/html", "html"),
}
REGION_VIEW_KINDS = ("region", "challenge", "measure", "cluster")
VENDOR_SCRIPT = (
    Path(__file__).parent / "web" / "static" / "vendor" / "cytoscape" / "cytoscape.min.js"
)
#: The public IRI base that the server answers for under its own root (`/id/...`).
PUBLIC_BASE = "https://w3id.org/eocic"
_NAMES = Names(STANDARD_PREFIXES)
_CLASS_TYPES = (OWL.Class, RDFS.Class)


def _label(graph: Graph, node: URIRef) -> str:
    for predicate in (RDFS.label, SKOS.prefLabel):
        labels = sorted(
            (o for o in graph.objects(node, predicate) if isinstance(o, Literal)),
            key=lambda lit: (lit.language != "en", str(lit)),
        )
        if labels:
            return str(labels[0])
    iri = str(node)
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


def _kind(node: URIRef) -> str:
    iri = str(node)
    if iri.startswith(str(ID)):
        return iri[len(ID) :].split("/", 1)[0]
    if iri.startswith(STANDARD_PREFIXES["eocic"]) or iri == f"{PUBLIC_BASE}/ontology":
        return "ontology"
    return "external"


def _main_class(graph: Graph, node: URIRef) -> str:
    """The most specific class of `node` (eocic: first, then by IRI), as a compact name."""
    types = {t for t in graph.objects(node, RDF.type) if isinstance(t, URIRef)}
    supers = {s for t in types for s in graph.transitive_objects(t, RDFS.subClassOf) if s != t}
    specific = sorted(types - supers, key=lambda t: (_kind(t) != "ontology", str(t)))
    return _NAMES.iri(str(specific[0])) if specific else ""


def _node_attributes(graph: Graph, node: URIRef) -> dict[str, str]:
    attributes = {
        "label": _label(graph, node),
        "class": _main_class(graph, node),
        "kind": _kind(node),
        "iri": str(node),
    }
    values: dict[str, list[str]] = defaultdict(list)
    for predicate, obj in graph.predicate_objects(node):
        if isinstance(obj, Literal) and predicate != RDFS.label:
            values[_NAMES.iri(str(predicate))].append(str(obj))
    for name in sorted(values):
        attributes[name] = " | ".join(sorted(set(values[name])))
    return attributes


def _view_nodes(graph: Graph, view: str) -> set[URIRef]:
    if view == "classes":
        classes = {c for t in _CLASS_TYPES for c in graph.subjects(RDF.type, t)}
        for sub, sup in graph.subject_objects(RDFS.subClassOf):
            classes.update((sub, sup))
        return {c for c in classes if isinstance(c, URIRef) and c != OWL.Thing}
    resources = {s for s in graph.subjects() if isinstance(s, URIRef) and _kind(s) != "ontology"}
    resources -= {c for t in _CLASS_TYPES for c in graph.subjects(RDF.type, t)}
    if view == "regions":
        return {r for r in resources if _kind(r) in REGION_VIEW_KINDS}
    for _, predicate, obj in graph:
        if isinstance(obj, URIRef) and predicate != RDF.type:
            resources.add(obj)
    return {r for r in resources if _kind(r) != "ontology"}


def build_view(graph: Graph, view: str = "full") -> nx.MultiDiGraph:
    """The network view `view` (a VIEWS key) of the release `graph`."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; one of {sorted(VIEWS)}")
    nodes = _view_nodes(graph, view)
    result = nx.MultiDiGraph(name=view)
    for node in sorted(nodes):
        result.add_node(str(node), **_node_attributes(graph, node))
    predicates = [RDFS.subClassOf] if view == "classes" else None
    edges = []
    for subject, predicate, obj in graph.triples((None, None, None)):
        if predicates is not None and predicate not in predicates:
            continue
        if predicate == RDF.type or isinstance(subject, BNode) or isinstance(obj, BNode):
            continue
        if subject in nodes and obj in nodes and not isinstance(obj, Literal):
            edges.append((str(subject), str(obj), str(predicate)))
    for source, target, iri in sorted(edges):
        result.add_edge(
            source, target, key=_NAMES.iri(iri), predicate=iri, label=_label(graph, URIRef(iri))
        )
    return result


def layout(view_graph: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Deterministic 2-D positions (a seeded spring layout, scaled for the browser)."""
    if view_graph.number_of_nodes() == 0:
        return {}
    simple = nx.Graph(view_graph)
    positions = nx.spring_layout(simple, seed=7, scale=150 * len(simple) ** 0.5)
    return {n: (round(float(x), 1), round(float(y), 1)) for n, (x, y) in positions.items()}


def cytoscape_json(view_graph: nx.MultiDiGraph) -> dict:
    """The view in Cytoscape.js JSON (`elements` with `data` and preset `position`)."""
    positions = layout(view_graph)
    nodes = []
    for node, attributes in view_graph.nodes(data=True):
        x, y = positions[node]
        nodes.append({"data": {"id": node, **attributes}, "position": {"x": x, "y": y}})
    edges = []
    for i, (source, target, key, attributes) in enumerate(
        view_graph.edges(keys=True, data=True), start=1
    ):
        data = {"id": f"e{i}", "source": source, "target": target, "key": key, **attributes}
        edges.append({"data": data})
    return {
        "data": {"name": view_graph.graph.get("name", "")},
        "elements": {"nodes": nodes, "edges": edges},
    }


def _dot_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(view_graph: nx.MultiDiGraph) -> str:
    """The view in Graphviz DOT: node label, class, kind and URL; edge label."""
    lines = [f"digraph {_dot_string(str(view_graph.graph.get('name', 'eocic')))} {{"]
    lines.append('  node [shape=box, style="rounded,filled", fillcolor="#eef3fb"];')
    for node, a in view_graph.nodes(data=True):
        attrs = ", ".join(
            f"{name}={_dot_string(a[key])}"
            for name, key in (
                ("label", "label"),
                ("class", "class"),
                ("kind", "kind"),
                ("URL", "iri"),
            )
        )
        lines.append(f"  {_dot_string(node)} [{attrs}];")
    for source, target, a in view_graph.edges(data=True):
        lines.append(
            f"  {_dot_string(source)} -> {_dot_string(target)} [label={_dot_string(a['label'])}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _csv_table(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def csv_zip(view_graph: nx.MultiDiGraph) -> bytes:
    """A zip of nodes.csv (Id, Label, class, kind) and edges.csv (Source, Target, Label, ...)."""
    nodes = [["Id", "Label", "class", "kind"]]
    nodes += [[n, a["label"], a["class"], a["kind"]] for n, a in view_graph.nodes(data=True)]
    edges = [["Source", "Target", "Type", "Label", "predicate"]]
    edges += [
        [s, t, "Directed", a["label"], a["predicate"]] for s, t, a in view_graph.edges(data=True)
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in (("nodes.csv", nodes), ("edges.csv", edges)):
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), _csv_table(rows)
            )
    return buffer.getvalue()


def _script_json(value: object) -> str:
    """JSON that is safe inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def html_page(
    view: str,
    data: dict | None = None,
    *,
    script_url: str | None = None,
    data_url: str | None = None,
) -> str:
    """The interactive page of `view`.

    Offline file: `data` (Cytoscape.js JSON) and the library are inlined. Served page: the
    library is loaded from `script_url` and the data fetched from `data_url`.
    """
    if script_url is None:
        library = VENDOR_SCRIPT.read_text(encoding="utf-8")
        script = f"<script>{library}</script>"
    else:
        script = f'<script src="{html.escape(script_url)}"></script>'
    return (
        _PAGE.replace("%TITLE%", html.escape(f"EOCIC knowledge graph: {view} view"))
        .replace("%LIBRARY%", script)
        .replace("%DATA%", _script_json(data))
        .replace("%DATA_URL%", _script_json(data_url))
        .replace("%BASE%", _script_json(PUBLIC_BASE))
    )


def write(view_graph: nx.MultiDiGraph, fmt: str) -> bytes:
    """The view in `fmt` (a GRAPH_FORMATS key)."""
    if fmt == "graphml":
        return b"\n".join(line.encode("utf-8") for line in nx.generate_graphml(view_graph)) + b"\n"
    if fmt == "gexf":
        return b"\n".join(line.encode("utf-8") for line in nx.generate_gexf(view_graph)) + b"\n"
    if fmt == "cytoscape":
        text = json.dumps(cytoscape_json(view_graph), ensure_ascii=False, indent=1)
        return (text + "\n").encode("utf-8")
    if fmt == "dot":
        return dot(view_graph).encode("utf-8")
    if fmt == "csv":
        return csv_zip(view_graph)
    if fmt == "html":
        name = str(view_graph.graph.get("name", ""))
        return html_page(name, cytoscape_json(view_graph)).encode("utf-8")
    raise ValueError(f"unknown graph format {fmt!r}; one of {sorted(GRAPH_FORMATS)}")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%TITLE%</title>
<style>
  html, body { margin: 0; height: 100%; font: 14px system-ui, sans-serif; }
  header { display: flex; gap: 1em; align-items: center; padding: 0.5em 1em;
           background: #1d3557; color: #fff; flex-wrap: wrap; }
  header h1 { font-size: 1.1em; margin: 0; }
  #search { padding: 0.3em; width: 18em; }
  #graph { position: absolute; top: 3.2em; bottom: 0; left: 0; right: 16em; }
  #legend { position: absolute; top: 3.2em; bottom: 0; right: 0; width: 16em; overflow: auto;
            border-left: 1px solid #ccc; padding: 0.5em; box-sizing: border-box; }
  #classes > div { display: flex; gap: 0.4em; align-items: center; margin: 0.15em 0; }
  #legend span.swatch { width: 0.9em; height: 0.9em; border-radius: 50%; flex: none; }
  #info { margin-top: 1em; font-size: 0.9em; word-break: break-word; }
</style>
</head>
<body>
<header>
  <h1>%TITLE%</h1>
  <input id="search" type="search" placeholder="Search by label" aria-label="Search by label">
  <span id="status" aria-live="polite"></span>
  <button id="fit" type="button">Fit</button>
</header>
<div id="graph"></div>
<aside id="legend"><strong>Classes</strong><div id="classes"></div><div id="info"></div></aside>
%LIBRARY%
<script id="graph-data" type="application/json">%DATA%</script>
<script>
(function () {
  "use strict";
  var DATA_URL = %DATA_URL%, BASE = %BASE%;
  function colour(name) {
    var h = 0;
    for (var i = 0; i < name.length; i++) { h = (h * 31 + name.charCodeAt(i)) % 360; }
    return "hsl(" + h + ", 65%, 50%)";
  }
  function link(iri) {
    var web = location.protocol === "http:" || location.protocol === "https:";
    return web && iri.indexOf(BASE + "/id/") === 0 ? iri.slice(BASE.length) : iri;
  }
  function start(data) {
    var elements = data.elements;
    elements.nodes.forEach(function (n) { n.data.colour = colour(n.data["class"] || "?"); });
    var cy = cytoscape({
      container: document.getElementById("graph"),
      elements: elements,
      layout: { name: "preset", fit: true },
      wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: { "background-color": "data(colour)", "label": "data(label)",
          "font-size": 10, "min-zoomed-font-size": 7, "width": 14, "height": 14 } },
        { selector: "edge", style: { "width": 1, "line-color": "#bbb", "curve-style": "bezier",
          "target-arrow-shape": "triangle", "target-arrow-color": "#bbb", "arrow-scale": 0.6,
          "label": "data(label)", "font-size": 7, "min-zoomed-font-size": 9 } },
        { selector: ".faded", style: { "opacity": 0.12 } },
        { selector: ".match", style: { "border-width": 3, "border-color": "#e63946",
          "width": 24, "height": 24, "font-size": 14, "z-index": 10 } }
      ]
    });
    window.eocicGraph = cy;
    var classes = {};
    elements.nodes.forEach(function (n) {
      var c = n.data["class"] || "?"; classes[c] = (classes[c] || 0) + 1;
    });
    var legend = document.getElementById("classes");
    Object.keys(classes).sort().forEach(function (c) {
      var row = document.createElement("div"), sw = document.createElement("span");
      sw.className = "swatch"; sw.style.background = colour(c);
      row.appendChild(sw); row.appendChild(document.createTextNode(c + " (" + classes[c] + ")"));
      legend.appendChild(row);
    });
    var status = document.getElementById("status"), box = document.getElementById("search");
    function search(text) {
      var q = text.trim().toLowerCase();
      cy.elements().removeClass("faded match");
      if (!q) {
        status.textContent = cy.nodes().length + " nodes, " + cy.edges().length + " edges";
        document.body.setAttribute("data-matches", "");
        return;
      }
      var hits = cy.nodes().filter(function (n) {
        return String(n.data("label")).toLowerCase().indexOf(q) >= 0;
      });
      cy.elements().addClass("faded");
      hits.removeClass("faded").addClass("match");
      hits.connectedEdges().removeClass("faded");
      status.textContent = hits.length + " match" + (hits.length === 1 ? "" : "es");
      document.body.setAttribute("data-matches", String(hits.length));
      if (hits.length) { cy.fit(hits, 60); }
    }
    box.addEventListener("input", function () { search(box.value); });
    document.getElementById("fit").addEventListener("click", function () { cy.fit(); });
    cy.on("tap", "node", function (event) {
      window.location.href = link(event.target.data("iri"));
    });
    cy.on("mouseover", "node", function (event) {
      var d = event.target.data();
      document.getElementById("info").textContent = d.label + " (" + d["class"] + ") " + d.iri;
    });
    document.body.setAttribute("data-nodes", String(cy.nodes().length));
    var params = new URLSearchParams(location.search || location.hash.slice(1));
    box.value = params.get("q") || "";
    search(box.value);
  }
  var inline = JSON.parse(document.getElementById("graph-data").textContent);
  if (inline) { start(inline); }
  else { fetch(DATA_URL).then(function (r) { return r.json(); }).then(start); }
})();
</script>
</body>
</html>
"""
