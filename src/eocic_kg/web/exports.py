"""Blueprint `exports`: the interactive graph page and the survey charts of the served release.

Routes: `/graph?view=regions` (the page; it loads the vendored Cytoscape.js from
`/static/vendor/` and its data from `/graph/data.json`), `/graph/data.json?view=...`
(Cytoscape.js JSON) and `/charts/<name>.svg` / `/charts/<name>.png`. The views and charts are
computed from the store's release graph, once per store content.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app, request, url_for
from rdflib import Dataset, Graph

from eocic_kg import charts, graphview
from eocic_kg.namespaces import RELEASE_GRAPHS
from eocic_kg.sources import union_graph
from eocic_kg.web.sparql import backend

exports = Blueprint("exports", __name__)
DEFAULT_VIEW = "regions"
_lock = threading.Lock()


def release_graph() -> Graph:
    """The release graphs of the store as one rdflib graph (cached until the store is written)."""
    store = backend().store
    cache = current_app.extensions.setdefault("eocic-exports", {})
    key = (id(store), backend().pool.generation)
    with _lock:
        if cache.get("key") != key:
            dataset = Dataset()
            dataset.parse(data=store.dump(graphs=[str(g) for g in RELEASE_GRAPHS]), format="nquads")
            cache.update(key=key, graph=union_graph(dataset), renders={})
        return cache["graph"]


def _cached(name: tuple[str, ...], make: Callable[[Graph], bytes]) -> bytes:
    graph = release_graph()
    renders = current_app.extensions["eocic-exports"]["renders"]
    if name not in renders:
        renders[name] = make(graph)
    return renders[name]


def _view() -> str:
    view = request.args.get("view", DEFAULT_VIEW)
    if view not in graphview.VIEWS:
        abort(400, f"unknown view {view!r}; one of {', '.join(sorted(graphview.VIEWS))}")
    return view


@exports.get("/graph")
def graph_page() -> Response:
    """The interactive graph page of a view."""
    view = _view()
    page = graphview.html_page(
        view,
        script_url=url_for("static", filename="vendor/cytoscape/cytoscape.min.js"),
        data_url=url_for("exports.graph_data", view=view),
    )
    response = Response(page, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = _page_csp(page)
    return response


_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)


def _page_csp(page: str) -> str:
    """A CSP that admits this server's assets and exactly the page's own inline code (by hash)."""
    allowed: dict[str, list[str]] = {"script": [], "style": []}
    for tag, body in _INLINE.findall(page):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        allowed[tag].append(f"'sha256-{digest}'")
    return (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        f"script-src 'self' {' '.join(allowed['script'])}; "
        f"style-src 'self' {' '.join(allowed['style'])}"
    )


@exports.get("/graph/data.json")
def graph_data() -> Response:
    """A view of the release in Cytoscape.js JSON."""
    view = _view()
    body = _cached(
        ("view", view), lambda g: graphview.write(graphview.build_view(g, view), "cytoscape")
    )
    return Response(body, content_type="application/json")


@exports.get("/charts/<name>.<fmt>")
def chart(name: str, fmt: str) -> Response:
    """A chart of the release as SVG or PNG."""
    if fmt not in charts.CHART_FORMATS:
        abort(404, f"charts are served as {' or '.join(charts.CHART_FORMATS)}")
    if name not in charts.chart_names(release_graph()):
        abort(404, f"no chart {name!r}")
    body = _cached(("chart", name, fmt), lambda g: charts.render_chart(g, name, fmt))
    return Response(body, content_type=charts.CHART_FORMATS[fmt])
