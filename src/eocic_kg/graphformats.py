"""Network views (`eocic_kg.graphview`) in the formats of graph tools, drawn as the page draws
them: every node at its `graphview.positions` place (seeded, so the same on every run), in the
colour and size of `graphview.drawing`.

- graphml: GraphML 1.0 with typed keys (`attr.type` int/double/boolean/string), for yEd,
  Gephi, networkx (`read_graphml`), igraph. Node ids are n0, n1, ... (the schema allows no
  "/" in an id); each node's IRI is its `iri` attribute. Gephi reads the keys `label`, `x`,
  `y`, `size`, `r`, `g`, `b`; yEd reads the yFiles extension (`y:ShapeNode`: geometry, fill,
  shape and label; `y:PolyLineEdge`: arrow and dashes).
- gexf: GEXF 1.3 with typed attributes, node labels and the viz module (`viz:color`,
  `viz:position`, `viz:size`, `viz:thickness`), for Gephi and networkx (`read_gexf`).
  Gephi's y axis points up, so y is negated there (and in GraphML's `y`).
- cytoscape: Cytoscape JSON (`.cyjs`) with node positions, that Cytoscape desktop imports and
  networkx's `cytoscape_graph` reads (node `id`, `name`, `value`; edge `id`, `source`,
  `target`, `key`, `interaction`); `cytoscape-style` is its style sheet (`styles.json`, the
  format Cytoscape desktop writes and Cytoscape.js reads), mapping `group` to colour and
  shape, `size` to size and `short` to the label. A node's `classes` is a JSON list there and,
  in the other formats, one string with the classes joined by " | " (most specific first).
- dot: Graphviz DOT with every node pinned at its place (`layout=neato`, `pos="x,y!"`), shapes
  and colours of the legend, short labels beside the shapes, and the legend as the picture's
  caption; `dot -Tsvg` honours the engine named in the file.
- csv: `nodes.csv` (Id, Label, class, kind, iri, ...) and `edges.csv` (Source, Target, Type,
  Label, predicate, key) with Gephi's column names, written into a directory or a `.zip`.
- html: one offline page (the graph page with Cytoscape.js and the data inlined).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import networkx as nx

from eocic_kg.export import NOT_IN_XML
from eocic_kg.graph_html import offline_page
from eocic_kg.graphview import CREATOR, cytoscape_json, drawing, legend

#: Formats of `write`: name -> (media type, file extension).
GRAPH_FORMATS: dict[str, tuple[str, str]] = {
    "graphml": ("application/graphml+xml", "graphml"),
    "gexf": ("application/gexf+xml", "gexf"),
    "cytoscape": ("application/json", "cyjs"),
    "cytoscape-style": ("application/json", "styles.json"),
    "dot": ("text/vnd.graphviz", "dot"),
    "csv": ("application/zip", "zip"),
    "html": ("text/html", "html"),
}
GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
GEXF_NS = "http://gexf.net/1.3"
VIZ_NS = "http://gexf.net/1.3/viz"
YFILES_NS = "http://www.yworks.com/xml/graphml"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: The Graphviz engine named in every DOT file: it keeps the pinned positions.
DOT_ENGINE = "neato"
#: Cytoscape.js shape -> the nearest yEd shape and Graphviz shape (one of each per shape).
SHAPE_NAMES: dict[str, tuple[str, str]] = {
    "ellipse": ("ellipse", "circle"),
    "round-rectangle": ("roundrectangle", "box"),
    "diamond": ("diamond", "diamond"),
    "triangle": ("triangle", "triangle"),
    "hexagon": ("hexagon", "hexagon"),
    "star": ("star5", "star"),
    "vee": ("trapezoid2", "invtriangle"),
    "tag": ("fatarrow", "cds"),
    "pentagon": ("trapezoid", "pentagon"),
    "octagon": ("octagon", "octagon"),
    "rectangle": ("rectangle", "square"),
    "barrel": ("rectangle3d", "cylinder"),
    "rhomboid": ("parallelogram", "parallelogram"),
    "heptagon": ("star8", "septagon"),
    "concave-hexagon": ("parallelogram2", "invtrapezium"),
    "cut-rectangle": ("fatarrow2", "house"),
}


def _flat(attributes: dict) -> dict:
    """`attributes` with each list (a node's `classes`) as one string, items joined by " | "."""
    return {k: " | ".join(map(str, v)) if isinstance(v, list) else v for k, v in attributes.items()}


class _Long(int):
    """The type of an integer attribute with a value beyond 32 bits: GraphML's `int` and GEXF's
    `integer` are Java's 32-bit int (Gephi, yEd), so such an attribute is a `long`."""


_INT_BITS = {int: 31, _Long: 63}


def _integer_type(values: list[int]) -> type:
    """int, _Long, or str for integers beyond 64 bits (no type of both formats holds them)."""
    for kind, bits in _INT_BITS.items():
        if all(-(2**bits) <= v < 2**bits for v in values):
            return kind
    return str


def _attribute_types(items: list[dict]) -> dict[str, type]:
    """Attribute name -> its type (one per name: int, _Long, float, bool or str)."""
    types: dict[str, set[type]] = {}
    integers: dict[str, list[int]] = {}
    for attributes in items:
        for name, value in attributes.items():
            types.setdefault(name, set()).add(type(value))
            if type(value) is int:
                integers.setdefault(name, []).append(value)
    found_types = {name: found.pop() if len(found) == 1 else str for name, found in types.items()}
    return {
        name: _integer_type(integers[name]) if kind is int else kind
        for name, kind in sorted(found_types.items())
    }


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _xml(root: ET.Element) -> bytes:
    """`root` as an XML 1.0 document; a character XML cannot hold (a control character in a
    literal) is written as U+FFFD, which ElementTree would have written as it is, making the
    file unreadable to every XML parser. A carriage return in element text is written as a
    character reference: ElementTree writes it as it is (in attributes it escapes it), and XML
    parsers read a raw "\r\n" or "\r" as "\n", so a literal's "\r\n" came back as "\n"."""
    ET.indent(root, space=" ")
    text = ET.tostring(root, encoding="unicode", xml_declaration=False)
    declaration = "<?xml version='1.0' encoding='utf-8'?>\n"
    text = NOT_IN_XML.sub("\ufffd", text).replace("\r", "&#13;")
    return (declaration + text + "\n").encode("utf-8")


_GRAPHML_TYPES = {int: "int", _Long: "long", float: "double", bool: "boolean", str: "string"}
#: A character that GraphML's `attr.name` (an XML name token) may hold, in any XML edition.
_NOT_IN_TOKEN = re.compile(r"[^A-Za-z0-9._:-]")


def _graphml_names(names: list[str]) -> dict[str, str]:
    """Each attribute name as a GraphML `attr.name`, which must be an XML name token: the name
    itself if it is one, else its other characters as "_" (its angle brackets dropped), made
    unique; the key then gives the name whole as its `desc`. A predicate outside the known
    prefixes is named as an IRI (`<http://...>`), which is no name token."""
    tokens: dict[str, str] = {}
    taken = {name for name in names if not _NOT_IN_TOKEN.search(name)}
    for name in names:
        if name in taken:
            tokens[name] = name
            continue
        token = _NOT_IN_TOKEN.sub("_", name.removeprefix("<").removesuffix(">")) or "_"
        unique, n = token, 1
        while unique in taken:
            n += 1
            unique = f"{token}_{n}"
        taken.add(unique)
        tokens[name] = unique
    return tokens


#: GraphML keys that Gephi reads as the drawing: name -> type.
_GEPHI_KEYS = {"x": float, "y": float, "size": float, "r": int, "g": int, "b": int}


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _gephi_look(look: dict) -> dict[str, object]:
    """A node's drawing as Gephi's GraphML keys (Gephi's y axis points up)."""
    red, green, blue = _rgb(str(look["colour"]))
    return {"x": look["x"], "y": -look["y"], "size": look["size"], "r": red, "g": green, "b": blue}


def _yed_node(parent: ET.Element, label: str, look: dict) -> None:
    """yEd's drawing of a node (the yFiles extension): shape, place, fill and label."""
    y = f"{{{YFILES_NS}}}"
    node = ET.SubElement(parent, f"{y}ShapeNode")
    size = float(look["size"])  # type: ignore[arg-type]
    ET.SubElement(
        node,
        f"{y}Geometry",
        {
            "x": _text(float(look["x"]) - size / 2),  # type: ignore[arg-type]
            "y": _text(float(look["y"]) - size / 2),  # type: ignore[arg-type]
            "width": _text(size),
            "height": _text(size),
        },
    )
    ET.SubElement(node, f"{y}Fill", {"color": str(look["colour"]), "transparent": "false"})
    ET.SubElement(node, f"{y}BorderStyle", {"color": "#333333", "type": "line", "width": "1.0"})
    ET.SubElement(
        node, f"{y}NodeLabel", {"modelName": "sides", "modelPosition": "s", "fontSize": "11"}
    ).text = label
    ET.SubElement(node, f"{y}Shape", {"type": SHAPE_NAMES[str(look["shape"])][0]})


def _yed_edge(parent: ET.Element, key: str) -> None:
    y = f"{{{YFILES_NS}}}"
    edge = ET.SubElement(parent, f"{y}PolyLineEdge")
    dashed = "dashed" if key == "rdfs:subClassOf" else "line"
    ET.SubElement(edge, f"{y}LineStyle", {"color": "#9A9A9A", "type": dashed, "width": "1.0"})
    ET.SubElement(edge, f"{y}Arrows", {"source": "none", "target": "standard"})


def graphml(view: nx.MultiDiGraph) -> bytes:
    """The view as GraphML 1.0 (directed; typed keys; edge ids e1, e2, ...), drawn for Gephi
    (keys x, y, size, r, g, b) and yEd (the yFiles extension)."""
    ET.register_namespace("", GRAPHML_NS)
    ET.register_namespace("xsi", XSI_NS)
    ET.register_namespace("y", YFILES_NS)
    root = ET.Element(
        f"{{{GRAPHML_NS}}}graphml",
        {
            f"{{{XSI_NS}}}schemaLocation": f"{GRAPHML_NS} {GRAPHML_NS}/1.0/graphml.xsd",
        },
    )
    drawn = drawing(view)
    node_attributes = {node: _flat(a) for node, a in view.nodes(data=True)}
    node_types = {**_attribute_types(list(node_attributes.values())), **_GEPHI_KEYS}
    edge_types = _attribute_types([a for _, _, a in view.edges(data=True)])
    ids: dict[tuple[str, str], str] = {}
    for scope, types in (("node", node_types), ("edge", edge_types)):
        tokens = _graphml_names(list(types))
        for name, kind in types.items():
            key = f"{scope[0]}{len(ids)}"
            ids[(scope, name)] = key
            element = ET.SubElement(
                root,
                f"{{{GRAPHML_NS}}}key",
                {
                    "id": key,
                    "for": scope,
                    "attr.name": tokens[name],
                    "attr.type": _GRAPHML_TYPES[kind],
                },
            )
            if tokens[name] != name:
                ET.SubElement(element, f"{{{GRAPHML_NS}}}desc").text = name
    for scope in ("node", "edge"):
        ET.SubElement(
            root,
            f"{{{GRAPHML_NS}}}key",
            {"id": f"{scope}graphics", "for": scope, "yfiles.type": f"{scope}graphics"},
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
        graphics = ET.SubElement(element, f"{{{GRAPHML_NS}}}data", {"key": "nodegraphics"})
        _yed_node(graphics, str(drawn[node]["short"]), drawn[node])
        for name, value in {**attributes, **_gephi_look(drawn[node])}.items():
            data = ET.SubElement(element, f"{{{GRAPHML_NS}}}data", {"key": ids[("node", name)]})
            data.text = _text(value)
    for i, (source, target, key, attributes) in enumerate(
        view.edges(keys=True, data=True), start=1
    ):
        element = ET.SubElement(
            graph,
            f"{{{GRAPHML_NS}}}edge",
            {"id": f"e{i}", "source": node_ids[source], "target": node_ids[target]},
        )
        graphics = ET.SubElement(element, f"{{{GRAPHML_NS}}}data", {"key": "edgegraphics"})
        _yed_edge(graphics, key)
        for name, value in attributes.items():
            data = ET.SubElement(element, f"{{{GRAPHML_NS}}}data", {"key": ids[("edge", name)]})
            data.text = _text(value)
    return _xml(root)


_GEXF_TYPES = {int: "integer", _Long: "long", float: "double", bool: "boolean", str: "string"}


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


def _gexf_look(element: ET.Element, look: dict) -> None:
    """A node's drawing in GEXF's viz module (Gephi's y axis points up)."""
    red, green, blue = _rgb(str(look["colour"]))
    viz = f"{{{VIZ_NS}}}"
    ET.SubElement(element, f"{viz}color", {"r": str(red), "g": str(green), "b": str(blue)})
    ET.SubElement(
        element,
        f"{viz}position",
        {"x": _text(look["x"]), "y": _text(-look["y"]), "z": "0.0"},
    )
    ET.SubElement(element, f"{viz}size", {"value": _text(look["size"])})


def gexf(view: nx.MultiDiGraph) -> bytes:
    """The view as GEXF 1.3: typed attributes, node labels, and the drawing (viz module)."""
    ET.register_namespace("", GEXF_NS)
    ET.register_namespace("viz", VIZ_NS)
    # no xsi:schemaLocation: the normative GEXF 1.3 schema (RELAX NG) does not allow it
    root = ET.Element(f"{{{GEXF_NS}}}gexf", {"version": "1.3"})
    meta = ET.SubElement(root, f"{{{GEXF_NS}}}meta")
    ET.SubElement(meta, f"{{{GEXF_NS}}}creator").text = CREATOR
    ET.SubElement(
        meta, f"{{{GEXF_NS}}}description"
    ).text = f"EOCIC knowledge graph, {view.graph.get('name', '')} view"
    graph = ET.SubElement(
        root, f"{{{GEXF_NS}}}graph", {"defaultedgetype": "directed", "mode": "static"}
    )
    drawn = drawing(view)
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
        _gexf_look(element, drawn[node])
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
        ET.SubElement(element, f"{{{VIZ_NS}}}color", {"r": "154", "g": "154", "b": "154"})
    return _xml(root)


def _selector_value(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cytoscape_style(view: nx.MultiDiGraph) -> list[dict]:
    """The style sheet of the Cytoscape JSON (`styles.json`): one style, in the format that
    Cytoscape desktop writes (and imports) and Cytoscape.js reads (`selector` and `css`)."""
    rules: list[dict] = [
        {
            "selector": "node",
            "css": {
                "content": "data(short)",
                "width": "data(size)",
                "height": "data(size)",
                "background-color": "#7F7F7F",
                "shape": "ellipse",
                "border-width": 1.0,
                "border-color": "#333333",
                "font-size": 11,
                "color": "#111111",
                "text-valign": "bottom",
                "text-halign": "center",
            },
        }
    ]
    for row in legend(view):
        rules.append(
            {
                "selector": f"node[group = {_selector_value(str(row['name']))}]",
                "css": {"background-color": row["colour"], "shape": row["shape"]},
            }
        )
    rules += [
        {
            "selector": "edge",
            "css": {
                "width": 1.2,
                "line-color": "#9A9A9A",
                "target-arrow-color": "#9A9A9A",
                "target-arrow-shape": "triangle",
                "font-size": 9,
                "content": "",
            },
        },
        {"selector": 'edge[key = "rdfs:subClassOf"]', "css": {"line-style": "dashed"}},
        {"selector": "node:selected", "css": {"border-width": 4.0, "border-color": "#000000"}},
    ]
    return [
        {
            "format_version": "1.0",
            "generated_by": CREATOR,
            "target_cytoscapejs_version": "~2.1",
            "title": f"eocic {view.graph.get('name', '')}".strip(),
            "style": rules,
        }
    ]


def _dot_string(value: object) -> str:
    """`value` as a quoted DOT string; a NUL, which Graphviz takes for the end of the text (so
    `dot` rejected the whole file), is written as U+FFFD, as the XML formats write it."""
    text = _text(value).replace("\x00", "\ufffd")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _pin(look: dict) -> str:
    """A node's place as Graphviz's pinned `pos` (points, y up)."""
    return f"{look['x']},{-float(look['y'])}!"


def _dot_legend(view: nx.MultiDiGraph) -> str:
    """The legend as an HTML-like table: one row per group, its colour and name."""
    rows = "".join(
        f'<TR><TD BGCOLOR="{row["colour"]}" WIDTH="14"> </TD>'
        f'<TD ALIGN="LEFT">{html.escape(str(row["name"]))} ({row["count"]},'
        f" {SHAPE_NAMES[str(row['shape'])][1]})</TD></TR>"
        for row in legend(view)
    )
    return f'<<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2">{rows}</TABLE>>'


def dot(view: nx.MultiDiGraph) -> str:
    """The view in Graphviz DOT: every node pinned at its place (so `dot -Tsvg` draws what the
    page shows), the legend as the caption."""
    name = str(view.graph.get("name", "eocic"))
    lines = [
        f"// Lay out with Graphviz: the file names its engine ({DOT_ENGINE}), which keeps the "
        "pinned positions; dot -Tsvg honours it.",
        f"digraph {_dot_string(name)} {{",
        f"  graph [layout={DOT_ENGINE}, inputscale=72, splines=false, outputorder=edgesfirst, "
        f"forcelabels=true, fontname=Helvetica, fontsize=11, labelloc=b, labeljust=l, "
        f"label={_dot_legend(view)}];",
        '  node [style=filled, fontname=Helvetica, fontsize=10, fixedsize=true, color="#333333"];',
        '  edge [fontname=Helvetica, fontsize=8, color="#9a9a9a", arrowsize=0.6];',
    ]
    drawn = drawing(view)
    for node, a in view.nodes(data=True):
        look = drawn[node]
        inches = float(look["size"]) / 72  # type: ignore[arg-type]
        attrs = [
            f"label={_dot_string('')}",
            f"xlabel={_dot_string(look['short'])}",
            f"shape={SHAPE_NAMES[str(look['shape'])][1]}",
            f"width={inches:.3f}, height={inches:.3f}",
            f"pos={_dot_string(_pin(look))}",
            f"fillcolor={_dot_string(look['colour'])}",
            f"class={_dot_string(a['class'])}",
            f"classes={_dot_string(_flat(a)['classes'])}",
            f"kind={_dot_string(a['kind'])}",
            f"URL={_dot_string(a['iri'])}",
            f"tooltip={_dot_string(a['label'])}",
        ]
        lines.append(f"  {_dot_string(node)} [{', '.join(attrs)}];")
    for source, target, key, a in view.edges(keys=True, data=True):
        style = ", arrowhead=onormal, style=dashed" if key == "rdfs:subClassOf" else ""
        lines.append(
            f"  {_dot_string(source)} -> {_dot_string(target)} "
            f"[tooltip={_dot_string(a['label'])}, predicate={_dot_string(a['predicate'])}{style}];"
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


def write(view: nx.MultiDiGraph, fmt: str, graphs: str | None = None) -> bytes:
    """The view in `fmt` (a GRAPH_FORMATS key; csv gives the zip); the html page says which
    `graphs` (a GRAPH_SELECTIONS key) its links come from, when given."""
    if fmt == "graphml":
        return graphml(view)
    if fmt == "gexf":
        return gexf(view)
    if fmt == "cytoscape":
        text = json.dumps(cytoscape_json(view), ensure_ascii=False, indent=1)
        return (text + "\n").encode("utf-8")
    if fmt == "cytoscape-style":
        text = json.dumps(cytoscape_style(view), ensure_ascii=False, indent=1)
        return (text + "\n").encode("utf-8")
    if fmt == "dot":
        return dot(view).encode("utf-8")
    if fmt == "csv":
        return csv_zip(view)
    if fmt == "html":
        return offline_page(view, graphs).encode("utf-8")
    raise ValueError(f"unknown graph format {fmt!r}; one of {sorted(GRAPH_FORMATS)}")
