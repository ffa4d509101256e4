"""Survey charts and the region x challenge heat map, computed by SPARQL from the release."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from rdflib import RDF, URIRef

from eocic_kg import charts
from eocic_kg.namespaces import EOCIC

from .release_cache import built_release, release_graph
from .test_graphview import browser, chromium


def test_one_chart_per_survey_figure_and_the_heat_map() -> None:
    names = charts.chart_names(release_graph())
    assert names == [f"survey-figure-{n}" for n in range(2, 7)] + ["region-challenge"]


def test_comparators_are_in_the_bar_labels() -> None:
    labels = {
        f.statement: f.bar_label
        for _, figures in charts.survey_figures(release_graph()).values()
        for f in figures
        if f.value is not None
    }
    assert labels["Sufficient cluster organisations"] == "about 54%"
    assert labels["Universities doing industry-related RDI"] == "more than 73%"
    assert labels["Joint curricula with industry at university level"] == "less than 30%"
    assert labels["Sufficiently qualified labour force"] == "42%"


def test_every_survey_figure_is_shown() -> None:
    shown = sum(len(figures) for _, figures in charts.survey_figures(release_graph()).values())
    assert shown == len(
        set(release_graph().subjects(predicate=RDF.type, object=EOCIC.SurveyFigure))
    )


def test_svg_shows_the_qualifiers_as_text() -> None:
    svg = charts.render_chart(release_graph(), "survey-figure-4", "svg").decode("utf-8")
    ElementTree.fromstring(svg)
    assert "about 54%" in svg
    assert "no percentage given" in svg  # results without a number are listed in words
    assert "Figure 4: Collaboration" in svg


def test_heat_map_matches_faces_challenge() -> None:
    regions, challenges, pairs = charts.region_challenges(release_graph())
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
    written = charts.write_charts(built_release().graph(), tmp_path)
    assert len(written) == 2 * len(charts.chart_names(release_graph()))
    for path in written:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG") if path.suffix == ".png" else b"<svg" in data[:500]


def test_charts_are_deterministic() -> None:
    for fmt in charts.CHART_FORMATS:
        first = charts.render_chart(release_graph(), "region-challenge", fmt)
        assert charts.render_chart(release_graph(), "region-challenge", fmt) == first


@browser
def test_browser_renders_a_chart(tmp_path: Path) -> None:
    chart = tmp_path / "survey-figure-2.svg"
    chart.write_bytes(charts.render_chart(release_graph(), "survey-figure-2", "svg"))
    assert "less than 30%" in chromium("--dump-dom", chart.as_uri())
    shot = tmp_path / "chart.png"
    chromium(f"--screenshot={shot}", chart.as_uri())
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 5_000
