"""The graph page (template `web/templates/graph.html`, script `web/static/graph.js`).

One template serves both: the server's `/graph` (assets and data by URL, so the page runs under
a strict Content-Security-Policy) and the offline file of `eocic-kg export --format html`
(Cytoscape.js, the script, the style sheet and the data inlined). The page lists its nodes and
its links as text too (nodes by group, links by type, with links to their pages), for screen
readers, find-in-page and browsers without scripts.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import networkx as nx
from jinja2 import Environment, FileSystemLoader, select_autoescape

from eocic_kg.export import GRAPH_SELECTIONS
from eocic_kg.graphview import VIEWS, colour_group, cytoscape_json, legend
from eocic_kg.namespaces import web_link

WEB = Path(__file__).parent / "web"
STATIC = WEB / "static"
VENDOR_SCRIPT = STATIC / "vendor" / "cytoscape" / "cytoscape.min.js"
#: Views offered by the page's switcher: every view (the class diagram is on the ontology page
#: too).
PAGE_VIEWS = dict(VIEWS)
LEGEND_TITLES = {
    "classes": "Colour: top class",
    "model": "Colour: top class",
}
#: What each `graphs=` selection (a GRAPH_SELECTIONS key) draws: its name and the links it keeps.
GRAPHS_DRAWN = {
    "asserted": ("the asserted graphs", "the links the ontology and the data state, none entailed"),
    "inferred": (
        "the inferred graph",
        "only the links the reasoner entailed, none of the asserted ones (labels and classes "
        "come from the whole release)",
    ),
    "all": ("every graph of the release", "the asserted links and the entailed ones"),
    "ontology": ("the ontology graph", "the links the ontology states, none entailed"),
    "data": ("the data graph", "the links the data states, none entailed"),
}


def script_json(value: object) -> str:
    """JSON that is safe inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def public_link(iri: str) -> str:
    """Where a node links to in an offline file: its IRI, if a browser may follow it."""
    return web_link(iri)


def node_groups(view: nx.MultiDiGraph, link: Callable[[str], str]) -> list[dict[str, object]]:
    """The view's nodes by colour group (legend order), sorted by label, with links."""
    rows = legend(view)
    members: dict[str, list[dict[str, object]]] = {str(r["name"]): [] for r in rows}
    for node, attributes in view.nodes(data=True):
        members[colour_group(attributes)].append(
            {
                "label": attributes["label"],
                "iri": node,
                "href": link(node),
                "links": view.degree(node),
            }
        )
    return [
        {
            **row,
            "nodes": sorted(members[str(row["name"])], key=lambda n: str(n["label"]).lower()),
        }
        for row in rows
    ]


def edge_types(view: nx.MultiDiGraph) -> list[dict[str, object]]:
    """The kinds of link of the view (compact predicate names), most frequent first, each with
    its label and count: the page's link filter."""
    counts = Counter(key for _, _, key in view.edges(keys=True))
    labels = {key: str(a["label"]) for _, _, key, a in view.edges(keys=True, data=True)}
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"key": key, "label": labels[key], "count": count} for key, count in ranked]


def edge_groups(view: nx.MultiDiGraph, link: Callable[[str], str]) -> list[dict[str, object]]:
    """The view's links by kind (`edge_types` order), each as its two ends with their links."""
    groups = []
    for kind in edge_types(view):
        rows = [
            {
                "source": view.nodes[source]["label"],
                "source_href": link(source),
                "target": view.nodes[target]["label"],
                "target_href": link(target),
            }
            for source, target, key in view.edges(keys=True)
            if key == kind["key"]
        ]
        rows.sort(key=lambda r: (str(r["source"]).lower(), str(r["target"]).lower()))
        groups.append({**kind, "links": rows})
    return groups


def graphs_drawn(graphs: str | None) -> dict[str, object]:
    """What the page says of the named graphs its links come from: those of the selection
    `graphs`, or (None) every graph of the store, for a resource outside the release."""
    if graphs is None:
        return {
            "key": None,
            "name": "every graph of the store",
            "iris": [],
            "what": "this resource is not in the release, so its links are read from every "
            "graph that holds them",
        }
    name, what = GRAPHS_DRAWN[graphs]
    iris = [str(iri) for iri in GRAPH_SELECTIONS[graphs]]
    return {"key": graphs, "name": name, "iris": iris, "what": what}


def page_context(
    view: nx.MultiDiGraph,
    *,
    link: Callable[[str], str] = public_link,
    focus_label: str | None = None,
) -> dict[str, object]:
    """The template context that does not depend on where the page is shown."""
    name = str(view.graph.get("name", ""))
    focus = view.graph.get("focus")
    if focus:
        hops = int(view.graph.get("hops", 1))
        heading = f"Around {focus_label or focus}: {hops} link{'s' if hops > 1 else ''} away"
        base = "full"
    else:
        heading = f"EOCIC knowledge graph: {name} view"
        base = name
    return {
        "title": heading,
        "heading": heading,
        "view": base,
        "views": PAGE_VIEWS,
        "focus": {"iri": focus, "hops": int(view.graph.get("hops", 1))} if focus else None,
        "legend": legend(view),
        "legend_title": LEGEND_TITLES.get(name, "Colour: class"),
        "groups": node_groups(view, link),
        "edge_types": edge_types(view),
        "edge_groups": edge_groups(view, link),
        "nodes_count": view.number_of_nodes(),
        "edges_count": view.number_of_edges(),
    }


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(WEB / "templates"),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
    )


def offline_page(view: nx.MultiDiGraph, graphs: str | None = None) -> str:
    """The page of `view` as one self-contained file (no server, no network); with `graphs`
    (the GRAPH_SELECTIONS key its links come from), it says which graphs it draws, as the
    served page does."""
    focus = view.graph.get("focus")
    context = page_context(
        view, focus_label=str(view.nodes[focus]["label"]) if focus in view else None
    )
    context.update(
        served=False,
        page_href="",
        css_inline=(STATIC / "graph.css").read_text(encoding="utf-8"),
        data_inline=script_json(cytoscape_json(view)),
        scripts=[
            {"inline": VENDOR_SCRIPT.read_text(encoding="utf-8")},
            {"inline": (STATIC / "graph.js").read_text(encoding="utf-8")},
        ],
        nav=[],
        downloads=[],
        drawn=None if graphs is None else graphs_drawn(graphs),
    )
    return _environment().get_template("graph.html").render(**context)
