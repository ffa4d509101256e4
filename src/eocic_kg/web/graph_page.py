"""Blueprint `graph_pages`: the graph page and the class diagram's data.

Routes:
- `/graph?view=regions|classes|full|model` and `/graph?focus=IRI&hops=1|2` (the neighbourhood of a
  resource), each with `graphs=asserted|inferred|all|ontology|data` (the named graphs whose
  statements are the edges, as `eocic-kg export --graphs`): the page (template `graph.html`,
  script `static/graph.js`, no inline script);
- `/graph/data.json` (same parameters): the view as Cytoscape JSON;
- `/graph/export.<ext>` (same parameters): the view as GraphML, GEXF, Cytoscape JSON (`cyjs`)
  and its style sheet (`styles.json`), DOT or a zip of CSV tables (`csv.zip`), the bytes of
  `eocic-kg export`, drawn at the places the page shows (`graphview.positions`);
- `/ontology/diagram.json`: the class diagram (view `model`) shown on the ontology page;

Views take their edges from the chosen graphs (default the asserted ones, as `eocic-kg export`)
and labels and classes from the whole release; they are kept in the cache of derived views,
keyed by the validated arguments the view depends on (`view`, or `focus` and `hops`, and
`graphs`), and nothing else. The neighbourhood of a resource outside the release is read from
every graph of the store, as many links as a resource page shows (the rest counted), and not
kept; a `graphs=` other than `all` is refused for it (it would not be read).
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from flask import Blueprint, Response, abort, render_template, url_for
from rdflib import Graph, URIRef

from eocic_kg import graph_html, graphformats, graphview
from eocic_kg.export import GRAPH_SELECTIONS, select_graphs
from eocic_kg.web.backend import backend
from eocic_kg.web.release_view import ReleaseView, release
from eocic_kg.web.request_input import iri_param, one, refuse_misspelt, url_params
from eocic_kg.web.resource_views import neighbourhood
from eocic_kg.web.term_views import local_link

Selection = tuple[str, ...]

graph_pages = Blueprint("graph_pages", __name__)
DEFAULT_VIEW = "regions"
#: The graphs whose statements are a view's edges unless `graphs=` says otherwise.
DEFAULT_GRAPHS = "asserted"
#: Download extensions of `/graph/export.<ext>` -> graph format.
DOWNLOADS = {
    "graphml": "graphml",
    "gexf": "gexf",
    "cyjs": "cytoscape",
    "styles.json": "cytoscape-style",
    "dot": "dot",
    "csv.zip": "csv",
}


def _edges(rel: ReleaseView, graphs: str) -> Graph:
    """The release's named graphs chosen by `graphs` (a GRAPH_SELECTIONS key), merged: the
    statements that are a view's edges."""
    edges = Graph()
    for _, graph in select_graphs(rel.dataset, graphs):
        for triple in graph:
            edges.add(triple)
    return edges


def _view(name: str, graphs: str = DEFAULT_GRAPHS) -> nx.MultiDiGraph:
    rel = release()
    return backend().view(
        ("graph-view", name, graphs),
        lambda: graphview.build_view(
            rel.union, name, backend().view(("edges", graphs), lambda: _edges(rel, graphs))
        ),
    )


#: At most this many neighbours are expanded for a two-link neighbourhood read from the store.
STORE_EXPANSION = 60


def _store_neighbourhood(iri: str, hops: int) -> nx.MultiDiGraph:
    """The neighbourhood of a resource outside the release (data loaded beside it, another base
    IRI), read from the store with the linked-data pages' capped queries; KeyError if none.
    `graph["more"]` counts the links of the resource left out."""
    store = backend().store
    node = URIRef(iri)
    around = neighbourhood(store, node)
    if not around.found:
        raise KeyError(iri)
    graph = around.graph
    full = graphview.build_view(graph, "full")
    if iri not in full:  # a class, a property, an ontology term: no node, whatever is read next
        raise KeyError(iri)
    if hops > 1:
        linked = {o for o in graph.objects(node, None) if isinstance(o, URIRef)}
        linked |= {s for s in graph.subjects(None, node) if isinstance(s, URIRef)}
        for other in sorted(linked - {node})[:STORE_EXPANSION]:
            for triple in neighbourhood(store, other).graph:
                graph.add(triple)
        full = graphview.build_view(graph, "full")
    view = graphview.focus_view(full, iri, hops)
    view.graph["more"] = around.more_outgoing + around.more_incoming
    return view


def _selection() -> Selection:
    """What the request asks for, validated and normalised: ("view", name, graphs) or
    ("focus", iri, hops, graphs); an argument the branch ignores is dropped, an invalid one is a
    400."""
    params = url_params()  # each argument once: view=regions&view=full took the first, unsaid
    refuse_misspelt(params, ("view", "focus", "hops", "graphs"), "the graph page's")
    graphs = one(params, "graphs")
    graphs = DEFAULT_GRAPHS if graphs is None else graphs
    if graphs not in GRAPH_SELECTIONS:
        abort(400, f"unknown graphs {graphs!r}; one of {', '.join(GRAPH_SELECTIONS)}")
    hops = one(params, "hops")
    hops = "1" if hops is None else hops
    if hops not in ("1", "2"):
        abort(400, "hops is 1 or 2")
    focus = one(params, "focus")
    if focus is not None:  # an empty focus= is a 400 (iri_param), never the default view
        return ("focus", iri_param("focus"), hops, graphs)
    name = one(params, "view")
    name = DEFAULT_VIEW if name is None else name
    if name not in graphview.VIEWS:
        abort(400, f"unknown view {name!r}; one of {', '.join(sorted(graphview.VIEWS))}")
    return ("view", name, graphs)


def _requested(selection: Selection) -> nx.MultiDiGraph:
    """The view, or the neighbourhood, that `selection` names."""
    if selection[0] == "view":
        return _view(selection[1], selection[2])
    _, focus, hops, graphs = selection
    try:
        return backend().view(
            selection, lambda: graphview.focus_view(_view("full", graphs), focus, int(hops))
        )
    except KeyError:
        pass
    if graphs not in (DEFAULT_GRAPHS, "all"):  # the store's neighbourhood reads every graph
        abort(
            400,
            f"{focus} is not in the release: graphs={graphs} chooses among the release's "
            "graphs, and a resource outside it is drawn from every graph of the store (leave "
            "graphs= out, or give graphs=all)",
        )
    try:  # not kept: any resource of the store may be asked for
        view = _store_neighbourhood(focus, int(hops))
    except KeyError:
        abort(404, f"{focus} is not a node of the graph")
    view.graph["uncached"] = True
    return view


def _url_args(selection: Selection) -> dict[str, Any]:
    """The query arguments of `selection`, for the page's links."""
    graphs = {} if selection[-1] == DEFAULT_GRAPHS else {"graphs": selection[-1]}
    if selection[0] == "view":
        return {"view": selection[1], **graphs}
    return {"focus": selection[1], "hops": selection[2], **graphs}


def _graph_choices(selection: Selection) -> list[tuple[str, str, bool]]:
    """The same view drawn from each selection of graphs: (key, URL, whether it is this one);
    none for a neighbourhood (its resource may have no link in some graphs: a 400)."""
    if selection[0] != "view":
        return []
    name, current = selection[1], selection[2]
    return [
        (key, url_for("graph_pages.graph_page", **_url_args(("view", name, key))), key == current)
        for key in GRAPH_SELECTIONS
    ]


@graph_pages.get("/graph")
def graph_page() -> Response:
    """The interactive graph page of a view or of a resource's neighbourhood."""
    selection = _selection()
    view = _requested(selection)
    focus = view.graph.get("focus")
    context = graph_html.page_context(
        view,
        link=local_link,
        focus_label=str(view.nodes[focus]["label"]) if focus else None,
    )
    args = _url_args(selection)
    chosen = {"graphs": args["graphs"]} if "graphs" in args else {}
    around = url_for("graph_pages.graph_page", **chosen) + ("&" if chosen else "?") + "focus="
    context.update(
        served=True,
        more=view.graph.get("more", 0),
        page_href=url_for("graph_pages.graph_page"),
        css_href=url_for("static", filename="graph.css"),
        data_src=url_for("graph_pages.graph_data", **args),
        graphs=args.get("graphs"),  # kept by the page's forms and neighbourhood links
        drawn=graph_html.graphs_drawn(None if view.graph.get("uncached") else selection[-1]),
        graph_choices=_graph_choices(selection),
        focus_href=around,
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


def _bytes(selection: Selection, fmt: str) -> tuple[nx.MultiDiGraph, bytes]:
    """The view `selection` names, and its bytes in `fmt` (kept when it is of the release)."""
    view = _requested(selection)
    if view.graph.get("uncached"):
        return view, graphformats.write(view, fmt)
    return view, backend().view(
        ("graph-bytes", fmt, *selection), lambda: graphformats.write(view, fmt)
    )


@graph_pages.get("/graph/data.json")
def graph_data() -> Response:
    """A view of the release in Cytoscape JSON."""
    _, body = _bytes(_selection(), "cytoscape")
    return Response(body, content_type="application/json")


@graph_pages.get("/graph/export.<path:ext>")
def graph_export(ext: str) -> Response:
    """A view of the release as a file for graph tools."""
    if ext not in DOWNLOADS:
        abort(404, f"no export .{ext}; one of {', '.join(DOWNLOADS)}")
    selection = _selection()
    view, body = _bytes(selection, DOWNLOADS[ext])
    name = str(view.graph.get("name", "graph"))
    if selection[-1] != DEFAULT_GRAPHS:  # two selections of one view: two file names
        name += f"-{selection[-1]}"
    response = Response(body, content_type=graphformats.GRAPH_FORMATS[DOWNLOADS[ext]][0])
    response.headers["Content-Disposition"] = f'attachment; filename="eocic-{name}.{ext}"'
    return response


@graph_pages.get("/ontology/diagram.json")
def class_diagram_data() -> Response:
    """The class diagram (classes, subclass links, properties by domain and range)."""
    body = backend().view(
        ("graph-bytes", "cytoscape", "view", "model", DEFAULT_GRAPHS),
        lambda: graphformats.write(_view("model"), "cytoscape"),
    )
    return Response(body, content_type="application/json")
