"""Network views (`eocic_kg.graphview`) in the formats of graph tools.

- graphml: GraphML 1.0 with typed keys (`attr.type` int/double/boolean/string), for yEd,
  Gephi, networkx (`read_graphml`), igraph. Node ids are n0, n1, ... (the schema allows no
  "/" in an id); each node's IRI is its `iri` attribute.
- gexf: GEXF 1.2draft with typed attributes and node labels, for Gephi and networkx
  (`read_gexf`). No `viz:` colours: the published 1.2draft schema places them in the GEXF
  namespace, where Gephi does not look, so a valid file could not carry them usefully.
- cytoscape: Cytoscape JSON (`.cyjs`) that Cytoscape desktop imports and networkx's
  `cytoscape_graph` reads (node `id`, `name`, `value`; edge `id`, `source`, `target`, `key`,
  `interaction`); no positions: Cytoscape lays it out. A node's `classes` is a JSON list here
  and, in the other formats, one string with the classes joined by " | " (most specific first).
- dot: Graphviz DOT that names its layout engine in the file (`layout=sfdp`, a force-directed
  engine that lays out the full view in seconds; `layout=dot` for the class views), coloured by
  class; `dot -Tsvg` honours it.
- csv: `nodes.csv` (Id, Label, class, kind, iri, ...) and `edges.csv` (Source, Target, Type,
  Label, predicate, key) with Gephi's column names, written into a directory or a `.zip`.
- html: one offline page (the graph page with Cytoscape.js and the data inlined).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import networkx as nx

from eocic_kg.graphpage import offline_page
from eocic_kg.graphview import CREATOR, colour_group, cytoscape_json, legend

#: Formats of `write`: name -> (media type, file extension).
GRAPH_FORMATS: dict[str, tuple[str, str]] = {
    "graphml": ("application/graphml+xml", "graphml"),
    "gexf": ("application/gexf+xml", "gexf"),
    "cytoscape": ("application/json", "cyjs"),
    "dot": ("text/vnd.graphviz", "dot"),
    "csv": ("application/zip", "zip"),
    "html": ("text/html", "html"),
}
GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
GEXF_NS = "http://www.gexf.net/1.2draft"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: The Graphviz engine named in each view's DOT file.
DOT_ENGINES = {"classes": "dot", "model": "dot"}
DEFAULT_DOT_ENGINE = "sfdp"


def _flat(attributes: dict) -> dict:
    """`attributes` with each list (a node's `classes`) as one string, items joined by " | "."""
    return {k: " | ".join(map(str, v)) if isinstance(v, list) else v for k, v in attributes.items()}


def _attribute_types(items: list[dict]) -> dict[str, type]:
    """Attribute name -> its Python type (one per name: int, float, bool or str)."""
    types: dict[str, set[type]] = {}
    for attributes in items:
        for name, value in attributes.items():
            types.setdefault(name, set()).add(type(value))
    return {name: found.pop() if len(found) == 1 else str for name, found in sorted(types.items())}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _xml(root: ET.Element) -> bytes:
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


_GRAPHML_TYPES = {int: "int", float: "double", bool: "boolean", str: "string"}


def graphml(view: nx.MultiDiGraph) -> bytes:
    """The view as GraphML 1.0 (directed; typed keys; edge ids e1, e2, ...)."""
    ET.register_namespace("", GRAPHML_NS)
    ET.register_namespace("xsi", XSI_NS)
    root = ET.Element(
        f"{{{GRAPHML_NS}}}graphml",
        {
            f"{{{XSI_NS}}}schemaLocation": f"{GRAPHML_NS} {GRAPHML_NS}/1.0/graphml.xsd",
        },
    )
    node_attributes = {node: _flat(a) for node, a in view.nodes(data=True)}
    node_types = _attribute_types(list(node_attributes.values()))
    edge_types = _attribute_types([a for _, _, a in view.edges(data=True)])
    ids: dict[tuple[str, str], str] = {}
    for scope, types in (("node", node_types), ("edge", edge_types)):
        for name, kind in types.items():
            key = f"{scope[0]}{len(ids)}"
            ids[(scope, name)] = key
            ET.SubElement(
                root,
                f"{{{GRAPHML_NS}}}key",
                {
                    "id": key,
                    "for": scope,
                    "attr.name": name,
                    "attr.type": _GRAPHML_TYPES[kind],
                },
            )
    graph = ET.SubElement(
        root,
        f"{{{GRAPHML_NS}}}graph",
        {"id": str(view.graph.get("name", "eocic")), "edgedefault": "directed"},
    )
    # GraphML ids are XML name tokens ("/" is not allowed), so nodes are n0, n1, ... and the
    # IRI is the `iri` attribute.
    node_ids = {node: f"n{i}" for i, node in enumerate(view.nodes)}
    for node, attributes in node_attributes.items():
        element = ET.SubElement(graph, f"{{{GRAPHML_NS}}}node", {"id": node_ids[node]})
        for name, value in attributes.items():
            data = ET.SubElement(element, f"{{{GRAPHML_NS}}}data", {"key": ids[("node", name)]})
            data.text = _text(value)
    for i, (source, target, attributes) in enumerate(view.edges(data=True), start=1):
        element = ET.SubElement(
            graph,
            f"{{{GRAPHML_NS}}}edge",
            {"id": f"e{i}", "source": node_ids[source], "target": node_ids[target]},
        )
        for name, value in attributes.items():
            data = ET.SubElement(element, f"{{{GRAPHML_NS}}}data", {"key": ids[("edge", name)]})
            data.text = _text(value)
    return _xml(root)


_GEXF_TYPES = {int: "integer", float: "double", bool: "boolean", str: "string"}


def _gexf_attributes(parent: ET.Element, scope: str, types: dict[str, type]) -> dict[str, str]:
    block = ET.SubElement(parent, f"{{{GEXF_NS}}}attributes", {"class": scope, "mode": "static"})
    ids = {}
    for i, (name, kind) in enumerate(types.items()):
        ids[name] = str(i)
        ET.SubElement(
            block,
            f"{{{GEXF_NS}}}attribute",
            {"id": str(i), "title": name, "type": _GEXF_TYPES[kind]},
        )
    return ids


def _gexf_values(element: ET.Element, attributes: dict, ids: dict[str, str]) -> None:
    values = ET.SubElement(element, f"{{{GEXF_NS}}}attvalues")
    for name, value in attributes.items():
        ET.SubElement(values, f"{{{GEXF_NS}}}attvalue", {"for": ids[name], "value": _text(value)})


def gexf(view: nx.MultiDiGraph) -> bytes:
    """The view as GEXF 1.2draft: typed attributes and node labels."""
    ET.register_namespace("", GEXF_NS)
    ET.register_namespace("xsi", XSI_NS)
    root = ET.Element(
        f"{{{GEXF_NS}}}gexf",
        {"version": "1.2", f"{{{XSI_NS}}}schemaLocation": f"{GEXF_NS} {GEXF_NS}/gexf.xsd"},
    )
    meta = ET.SubElement(root, f"{{{GEXF_NS}}}meta")
    ET.SubElement(meta, f"{{{GEXF_NS}}}creator").text = CREATOR
    ET.SubElement(
        meta, f"{{{GEXF_NS}}}description"
    ).text = f"EOCIC knowledge graph, {view.graph.get('name', '')} view"
    graph = ET.SubElement(
        root, f"{{{GEXF_NS}}}graph", {"defaultedgetype": "directed", "mode": "static"}
    )
    node_attributes = {
        n: {k: v for k, v in _flat(a).items() if k != "label"} for n, a in view.nodes(data=True)
    }
    edge_attributes = [
        {k: v for k, v in a.items() if k != "label"} for _, _, a in view.edges(data=True)
    ]
    node_ids = _gexf_attributes(graph, "node", _attribute_types(list(node_attributes.values())))
    edge_ids = _gexf_attributes(graph, "edge", _attribute_types(edge_attributes))
    nodes = ET.SubElement(graph, f"{{{GEXF_NS}}}nodes")
    for node, attributes in view.nodes(data=True):
        element = ET.SubElement(
            nodes, f"{{{GEXF_NS}}}node", {"id": node, "label": str(attributes["label"])}
        )
        _gexf_values(element, node_attributes[node], node_ids)
    edges = ET.SubElement(graph, f"{{{GEXF_NS}}}edges")
    for i, ((source, target, attributes), values) in enumerate(
        zip(view.edges(data=True), edge_attributes, strict=True), start=1
    ):
        element = ET.SubElement(
            edges,
            f"{{{GEXF_NS}}}edge",
            {"id": f"e{i}", "source": source, "target": target, "label": attributes["label"]},
        )
        _gexf_values(element, values, edge_ids)
    return _xml(root)


def _dot_string(value: object) -> str:
    text = _text(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(view: nx.MultiDiGraph) -> str:
    """The view in Graphviz DOT, its layout engine named in the file (see DOT_ENGINES)."""
    name = str(view.graph.get("name", "eocic"))
    engine = DOT_ENGINES.get(name, DEFAULT_DOT_ENGINE)
    lines = [
        f"// Lay out with Graphviz: the file names its engine ({engine}); dot -Tsvg honours it.",
        f"digraph {_dot_string(name)} {{",
    ]
    if engine == "dot":
        lines.append("  graph [layout=dot, rankdir=BT, fontname=Helvetica];")
    else:
        lines.append(
            "  graph [layout=sfdp, overlap=prism, overlap_scaling=3, splines=false, "
            "outputorder=edgesfirst, fontname=Helvetica];"
        )
    lines.append(
        '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=10, '
        'fillcolor="#dddddd"];'
    )
    lines.append('  edge [fontname=Helvetica, fontsize=8, color="#888888"];')
    colours = {str(row["name"]): str(row["colour"]) for row in legend(view)}
    for node, a in view.nodes(data=True):
        attrs = [
            f"label={_dot_string(a['label'])}",
            f"class={_dot_string(a['class'])}",
            f"classes={_dot_string(_flat(a)['classes'])}",
            f"kind={_dot_string(a['kind'])}",
            f"URL={_dot_string(a['iri'])}",
            f"tooltip={_dot_string(a['class'])}",
            f"fillcolor={_dot_string(colours[colour_group(a)] + '99')}",
        ]
        lines.append(f"  {_dot_string(node)} [{', '.join(attrs)}];")
    for source, target, a in view.edges(data=True):
        style = ", arrowhead=onormal, style=dashed" if a["label"] == "subClassOf" else ""
        lines.append(
            f"  {_dot_string(source)} -> {_dot_string(target)} "
            f"[label={_dot_string(a['label'])}, predicate={_dot_string(a['predicate'])}{style}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _csv_table(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        [[_text(value) for value in row] for row in rows]
    )
    return buffer.getvalue().encode("utf-8")


def csv_tables(view: nx.MultiDiGraph) -> dict[str, bytes]:
    """`nodes.csv` (Id, Label, class, kind, iri, other attributes) and `edges.csv`."""
    first = ["label", "class", "kind", "iri"]
    others = sorted({k for _, a in view.nodes(data=True) for k in a} - set(first))
    nodes: list[list[object]] = [["Id", "Label", "class", "kind", "iri", *others]]
    for node, attributes in view.nodes(data=True):
        a = _flat(attributes)
        nodes.append([node, *(a[k] for k in first), *(a.get(k, "") for k in others)])
    edges: list[list[object]] = [["Source", "Target", "Type", "Label", "predicate", "key"]]
    for source, target, key, a in view.edges(keys=True, data=True):
        edges.append([source, target, "Directed", a["label"], a["predicate"], key])
    return {"nodes.csv": _csv_table(nodes), "edges.csv": _csv_table(edges)}


def csv_zip(view: nx.MultiDiGraph) -> bytes:
    """`csv_tables` as a zip (fixed timestamps, so the same view gives the same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in csv_tables(view).items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def write_csv(view: nx.MultiDiGraph, output: Path) -> list[Path]:
    """Write nodes.csv and edges.csv into the directory `output`, or a zip if it ends in .zip."""
    if output.suffix == ".zip":
        output.write_bytes(csv_zip(view))
        return [output]
    if output.suffix == ".csv":
        raise ValueError(
            f"{output}: csv writes two files, nodes.csv and edges.csv: give a directory "
            "or a file name ending in .zip"
        )
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in csv_tables(view).items():
        (output / name).write_bytes(data)
        written.append(output / name)
    return written


def write(view: nx.MultiDiGraph, fmt: str) -> bytes:
    """The view in `fmt` (a GRAPH_FORMATS key; csv gives the zip)."""
    if fmt == "graphml":
        return graphml(view)
    if fmt == "gexf":
        return gexf(view)
    if fmt == "cytoscape":
        text = json.dumps(cytoscape_json(view), ensure_ascii=False, indent=1)
        return (text + "\n").encode("utf-8")
    if fmt == "dot":
        return dot(view).encode("utf-8")
    if fmt == "csv":
        return csv_zip(view)
    if fmt == "html":
        return offline_page(view).encode("utf-8")
    raise ValueError(f"unknown graph format {fmt!r}; one of {sorted(GRAPH_FORMATS)}")
