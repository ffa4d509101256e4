"""Blueprint `graph_pages`: the graph page and the class diagram's data.

Routes:
- `/graph?view=regions|classes|full` and `/graph?focus=IRI&hops=1|2` (the neighbourhood of a
  resource): the page (template `graph.html`, script `static/graph.js`, no inline script);
- `/graph/data.json` (same parameters): the view as Cytoscape JSON;
- `/graph/export.<ext>` (same parameters): the view as GraphML, GEXF, Cytoscape JSON (`cyjs`),
  DOT or a zip of CSV tables (`csv.zip`), the bytes of `eocic-kg export`;
- `/ontology/diagram.json`: the class diagram (view `model`) shown on the ontology page;

Views use the release's asserted graphs for edges (as `eocic-kg export` does by default) and the
whole release for labels and classes; they are computed once per store content.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from flask import Blueprint, Response, abort, render_template, request, url_for
from rdflib import Graph, URIRef

from eocic_kg import graphformats, graphpage, graphview
from eocic_kg.export import GRAPH_SELECTIONS
from eocic_kg.namespaces import web_link
from eocic_kg.web.backend import backend
from eocic_kg.web.linked_data import Release, local_href, neighbourhood, release

graph_pages = Blueprint("graph_pages", __name__)
DEFAULT_VIEW = "regions"
#: Download extensions of `/graph/export.<ext>` -> graph format.
DOWNLOADS = {
    "graphml": "graphml",
    "gexf": "gexf",
    "cyjs": "cytoscape",
    "dot": "dot",
    "csv.zip": "csv",
}


def _asserted(rel: Release) -> Graph:
    """The release's asserted graphs (no entailments): the edges of the views."""
    asserted = Graph()
    for name in GRAPH_SELECTIONS["asserted"]:
        for triple in rel.dataset.graph(name):
            asserted.add(triple)
    return asserted


def _view(name: str) -> nx.MultiDiGraph:
    rel = release()
    view = rel.cached(
        ("view", name),
        lambda: graphview.build_view(
            rel.union, name, rel.cached(("asserted",), lambda: _asserted(rel))
        ),
    )
    assert isinstance(view, nx.MultiDiGraph)
    return view


#: At most this many neighbours are expanded for a two-link neighbourhood read from the store.
STORE_EXPANSION = 60


def _store_neighbourhood(iri: str, hops: int) -> nx.MultiDiGraph:
    """The neighbourhood of a resource outside the release (data loaded beside it, another base
    IRI), read from the store with the linked-data pages' indexed queries; KeyError if none."""
    store = backend().store
    node = URIRef(iri)
    graph = neighbourhood(store, node)
    if (node, None, None) not in graph and (None, None, node) not in graph:
        raise KeyError(iri)
    if hops > 1:
        linked = {o for o in graph.objects(node, None) if isinstance(o, URIRef)}
        linked |= {s for s in graph.subjects(None, node) if isinstance(s, URIRef)}
        for other in sorted(linked - {node})[:STORE_EXPANSION]:
            for triple in neighbourhood(store, other):
                graph.add(triple)
    return graphview.focus_view(graphview.build_view(graph, "full"), iri, hops)


def _requested() -> nx.MultiDiGraph:
    """The view asked for by `view`, or the neighbourhood asked for by `focus` and `hops`."""
    focus = request.args.get("focus")
    if focus:
        hops = request.args.get("hops", "1")
        if hops not in ("1", "2"):
            abort(400, "hops is 1 or 2")
        if not focus.startswith(("http://", "https://", "urn:")) or any(
            c in focus for c in '<>"{}|\\^` '
        ):
            abort(400, "focus is the IRI of a resource")
        try:
            return release().cached(
                ("focus", focus, hops),
                lambda: graphview.focus_view(_view("full"), focus, int(hops)),
            )
        except KeyError:
            pass
        try:  # not cached: any resource of the store may be asked for
            view = _store_neighbourhood(focus, int(hops))
        except KeyError:
            abort(404, f"{focus} is not a node of the graph")
        view.graph["uncached"] = True
        return view
    name = request.args.get("view", DEFAULT_VIEW)
    if name not in graphview.VIEWS:
        abort(400, f"unknown view {name!r}; one of {', '.join(sorted(graphview.VIEWS))}")
    return _view(name)


def local_link(iri: str) -> str:
    """Where a node links to on this server: its page if served here, else its IRI if a
    browser may follow it (else "")."""
    return local_href(iri) or web_link(iri)


def _query_args() -> dict[str, Any]:
    return {k: v for k, v in request.args.items() if k in ("view", "focus", "hops")}


@graph_pages.get("/graph")
def graph_page() -> Response:
    """The interactive graph page of a view or of a resource's neighbourhood."""
    view = _requested()
    focus = view.graph.get("focus")
    context = graphpage.page_context(
        view,
        link=local_link,
        focus_label=str(view.nodes[focus]["label"]) if focus else None,
    )
    args = _query_args()
    context.update(
        served=True,
        page_href=url_for("graph_pages.graph_page"),
        css_href=url_for("static", filename="graph.css"),
        data_src=url_for("graph_pages.graph_data", **args),
        focus_href=url_for("graph_pages.graph_page") + "?focus=",
        scripts=[
            {"src": url_for("static", filename="vendor/cytoscape/cytoscape.min.js")},
            {"src": url_for("static", filename="graph.js")},
        ],
        nav=[
            ("Query", url_for("query_page")),
            ("Ontology", url_for("dataset.ontology")),
            ("Charts", url_for("chart_pages.charts_page")),
        ],
        downloads=[
            (ext, url_for("graph_pages.graph_export", ext=ext, **args)) for ext in DOWNLOADS
        ],
    )
    return Response(render_template("graph.html", **context), content_type="text/html")


def _bytes(view: nx.MultiDiGraph, fmt: str) -> bytes:
    """The view in `fmt`, kept for the next request when it is a view of the release."""
    if view.graph.get("uncached"):
        return graphformats.write(view, fmt)
    key = ("bytes", fmt, *sorted(_query_args().items()))
    return release().cached(key, lambda: graphformats.write(view, fmt))


@graph_pages.get("/graph/data.json")
def graph_data() -> Response:
    """A view of the release in Cytoscape JSON."""
    view = _requested()
    body = _bytes(view, "cytoscape")
    return Response(body, content_type="application/json")


@graph_pages.get("/graph/export.<path:ext>")
def graph_export(ext: str) -> Response:
    """A view of the release as a file for graph tools."""
    if ext not in DOWNLOADS:
        abort(404, f"no export .{ext}; one of {', '.join(DOWNLOADS)}")
    fmt = DOWNLOADS[ext]
    view = _requested()
    body = _bytes(view, fmt)
    name = str(view.graph.get("name", "graph"))
    response = Response(body, content_type=graphformats.GRAPH_FORMATS[fmt][0])
    response.headers["Content-Disposition"] = f'attachment; filename="eocic-{name}.{ext}"'
    return response


@graph_pages.get("/ontology/diagram.json")
def class_diagram_data() -> Response:
    """The class diagram (classes, subclass links, properties by domain and range)."""
    body = release().cached(
        ("bytes", "model"), lambda: graphformats.write(_view("model"), "cytoscape")
    )
    return Response(body, content_type="application/json")


def _diagram_rows(view: nx.MultiDiGraph) -> list[dict[str, str]]:
    rows = []
    for source, target, key, attributes in view.edges(keys=True, data=True):
        rows.append(
            {
                "domain": view.nodes[source]["label"],
                "domain_href": local_link(source),
                "property": attributes["label"],
                "property_key": key,
                "property_href": local_link(attributes["predicate"]),
                "range": view.nodes[target]["label"],
                "range_href": local_link(target),
            }
        )
    return sorted(rows, key=lambda r: (r["property_key"] != "rdfs:subClassOf", r["domain"]))


@graph_pages.app_context_processor
def class_diagram_context() -> dict[str, object]:
    """`class_diagram()` for templates: the legend, data URL and text rows of the diagram."""

    def class_diagram() -> dict[str, object]:
        view = _view("model")
        return {
            "legend": graphview.legend(view),
            "data_src": url_for("graph_pages.class_diagram_data"),
            "rows": _diagram_rows(view),
            "classes": view.number_of_nodes(),
            "links": view.number_of_edges(),
            "scripts": [
                url_for("static", filename="vendor/cytoscape/cytoscape.min.js"),
                url_for("static", filename="graph.js"),
            ],
            "css": url_for("static", filename="graph.css"),
        }

    return {"class_diagram": class_diagram}
