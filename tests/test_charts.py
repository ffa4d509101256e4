"""Survey charts and the region x challenge heat map, computed by SPARQL from the release."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from rdflib import RDF, URIRef

from eocic_kg import charts
from eocic_kg.namespaces import EOCIC
from eocic_kg.store import Store

from .browser import AVAILABLE, Browser
from .conftest import Server
from .release_cache import release_graph, release_nquads

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
browser_only = pytest.mark.skipif(not AVAILABLE, reason="chromium is not installed")


@functools.cache
def release_store() -> Store:
    """The release in the embedded store, where the charts' queries run."""
    return Store.from_file(release_nquads())


def test_one_chart_per_survey_figure_and_the_heat_map() -> None:
    names = charts.chart_names(release_store())
    assert names == [f"survey-figure-{n}" for n in range(2, 7)] + ["region-challenge"]


def test_comparators_are_in_the_bar_labels() -> None:
    labels = {
        f.statement: f.bar_label
        for _, figures in charts.survey_figures(release_store()).values()
        for f in figures
        if f.value is not None
    }
    assert labels["Sufficient cluster organisations"] == "about 54%"
    assert labels["Universities doing industry-related RDI"] == "more than 73%"
    assert labels["Joint curricula with industry at university level"] == "less than 30%"
    assert labels["Sufficiently qualified labour force"] == "42%"


def test_every_survey_figure_is_shown() -> None:
    shown = sum(len(figures) for _, figures in charts.survey_figures(release_store()).values())
    assert shown == len(
        set(release_graph().subjects(predicate=RDF.type, object=EOCIC.SurveyFigure))
    )


def test_svg_shows_the_qualifiers_as_text() -> None:
    svg = charts.render_chart(release_store(), "survey-figure-4", "svg").decode("utf-8")
    ElementTree.fromstring(svg)
    assert "about 54%" in svg
    assert "no percentage given" in svg  # results without a number are listed in words
    assert "Figure 4: Collaboration" in svg


def test_heat_map_matches_faces_challenge() -> None:
    regions, challenges, pairs = charts.region_challenges(release_store())
    assert len(regions) == 10 and "Saxony" in regions
    faces = set(release_graph().subject_objects(EOCIC.facesChallenge))
    assert len(pairs) == len(faces) > 0
    saxony = URIRef("https://w3id.org/eocic/id/region/saxony")
    assert {c for r, c in pairs if r == "Saxony"} == {
        str(release_graph().value(c, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
        for c in release_graph().objects(saxony, EOCIC.facesChallenge)
    }
    assert len(challenges) == len({c for _, c in faces})


def test_write_charts(tmp_path: Path) -> None:
    written = charts.write_charts(release_store(), tmp_path)
    assert len(written) == 2 * len(charts.chart_names(release_store()))
    for path in written:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG") if path.suffix == ".png" else b"<svg" in data[:500]


def test_charts_are_deterministic() -> None:
    for fmt in charts.CHART_FORMATS:
        first = charts.render_chart(release_store(), "region-challenge", fmt)
        assert charts.render_chart(release_store(), "region-challenge", fmt) == first


def test_svg_has_title_and_description_first() -> None:
    for name in charts.chart_names(release_store()):
        root = ElementTree.fromstring(charts.render_chart(release_store(), name, "svg"))
        title, desc = list(root)[:2]
        assert title.tag == f"{SVG}title" and desc.tag == f"{SVG}desc", name
        expected_title, expected_desc = charts.describe_chart(release_store(), name)
        assert title.text == expected_title and desc.text == expected_desc
        assert root.get("aria-labelledby") == "chart-title chart-desc"


def test_survey_charts_explain_the_hatching() -> None:
    svg = charts.render_chart(release_store(), "survey-figure-2", "svg").decode("utf-8")
    assert "hatched: approximate" in svg and "value as the report gives it" in svg
    assert "less than 30%" in svg
    title, desc = charts.describe_chart(release_store(), "survey-figure-2")
    assert "less than 30%" in desc and title.startswith("Figure 2")


def test_heat_map_cells_count_passages_and_link_to_their_statement() -> None:
    _, _, cells = charts.heatmap_cells(release_store())
    attributions = set(release_graph().subjects(predicate=None, object=EOCIC.ChallengeAttribution))
    assert {URIRef(c.attribution) for c in cells.values()} <= attributions
    graph = release_graph()
    for cell in cells.values():
        assert cell.attribution is not None
        node = URIRef(cell.attribution)
        passages = len(list(graph.objects(node, EOCIC.quote))) + len(
            list(graph.objects(node, EOCIC.detail))
        )
        assert cell.passages == passages >= 1, cell
    root = ElementTree.fromstring(
        charts.render_chart(release_store(), "region-challenge", "svg", link=lambda i: "L" + i)
    )
    links = {a.get(f"{XLINK}href") for a in root.iter(f"{SVG}a")}
    assert links == {"L" + c.attribution for c in cells.values() if c.attribution}
    assert all(a.get("target") == "_top" for a in root.iter(f"{SVG}a"))
    assert len({c.passages for c in cells.values()}) > 1  # cells tell something apart


def test_charts_page_through_the_server(full_server: Server) -> None:
    page = httpx.get(f"{full_server.url}/charts", timeout=60)
    assert (
        page.status_code == 200 and "unsafe-inline" not in page.headers["Content-Security-Policy"]
    )
    for name in charts.chart_names(release_store()):
        assert f'src="/charts/{name}.svg"' in page.text
        title, _ = charts.describe_chart(release_store(), name)
        assert title.replace("&", "&amp;") in page.text
    assert "hatched, lighter bar" in page.text  # the legend of approximate values, in words
    cell_links = re.findall(r'<td><a href="(/id/attribution/[^"]+)"', page.text)
    assert len(cell_links) == len(charts.heatmap_cells(release_store())[2])
    assert (
        httpx.get(full_server.url + cell_links[0], headers={"Accept": "text/html"}).status_code
        == 200
    )
    svg = httpx.get(f"{full_server.url}/charts/region-challenge.svg", timeout=60).text
    assert 'xlink:href="/id/attribution/' in svg  # served cells link to this server's pages
    home = httpx.get(f"{full_server.url}/", timeout=30).text
    assert 'href="/charts"' in home
    figure = httpx.get(
        f"{full_server.url}/id/survey-figure/qualified-labour-force",
        headers={"Accept": "text/html"},
        timeout=30,
    ).text
    assert 'href="/charts"' in figure
    region = httpx.get(
        f"{full_server.url}/id/region/saxony", headers={"Accept": "text/html"}, timeout=30
    ).text
    assert 'href="/charts">Charts of the survey' not in region


@browser_only
def test_browser_shows_every_chart(full_server: Server, tmp_path: Path) -> None:
    with Browser() as browser:
        browser.open(f"{full_server.url}/charts")
        images = browser.evaluate(
            "Array.from(document.images).map(i => [i.src, i.complete, i.naturalWidth])"
        )
        assert all(done and width > 0 for _, done, width in images), images
        count = browser.evaluate("document.querySelectorAll('img.chart-image').length")
        assert count == len(charts.chart_names(release_store()))
        assert [e for e in browser.errors() if "favicon" not in e] == []
        shot = tmp_path / "charts.png"
        browser.screenshot(shot)
        assert shot.stat().st_size > 10_000


def test_charts_requested_at_once_all_render(full_server: Server) -> None:
    """Regression: the charts page asks for every chart at once, and rdflib's SPARQL parser is
    not thread-safe (concurrent chart queries failed with a ParseException, a 500)."""
    from concurrent.futures import ThreadPoolExecutor

    names = charts.chart_names(release_store())

    def get(name: str) -> httpx.Response:
        return httpx.get(f"{full_server.url}/charts/{name}.svg", timeout=120)

    with ThreadPoolExecutor(len(names)) as pool:
        answers = list(pool.map(get, names))
    for answer in answers:
        assert answer.status_code == 200, answer.text
        ElementTree.fromstring(answer.content)
