"""Blueprint `chart_pages`: `/charts` (every chart with its description) and
`/charts/<name>.svg|png`, kept in the cache of derived views."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from eocic_kg import charts
from eocic_kg.extras import MissingExtraError, missing
from eocic_kg.web.backend import backend
from eocic_kg.web.term_views import local_link

chart_pages = Blueprint("chart_pages", __name__)


@chart_pages.get("/charts")
def charts_page() -> Response:
    """Every chart of the release, with its description and downloads."""
    store = backend().store
    catalogue = backend().view(("chart-catalogue",), lambda: charts.chart_catalogue(store))
    regions, challenges, cells = backend().view(
        ("chart-cells",), lambda: charts.heatmap_cells(store)
    )
    return Response(
        render_template(
            "charts.html",
            charts=catalogue,
            heatmap=charts.HEATMAP,
            regions=regions,
            challenges=challenges,
            cells=cells,
            link=local_link,
            install=missing("matplotlib"),
        ),
        content_type="text/html",
    )


@chart_pages.get("/charts/<name>.<fmt>")
def chart(name: str, fmt: str) -> Response:
    """A chart of the release as SVG or PNG (heat map cells link to this server's pages); 501
    when the server is installed without matplotlib."""
    if fmt not in charts.CHART_FORMATS:
        abort(404, f"charts are served as {' or '.join(charts.CHART_FORMATS)}")
    store = backend().store
    if name not in backend().view(("chart-names",), lambda: charts.chart_names(store)):
        abort(404, f"no chart {name!r}")
    try:
        body = backend().view(
            ("chart", name, fmt), lambda: charts.render_chart(store, name, fmt, link=local_link)
        )
    except MissingExtraError as err:  # installed without the `charts` extra
        abort(501, f"this server cannot draw charts: {err}")
    return Response(body, content_type=charts.CHART_FORMATS[fmt])
