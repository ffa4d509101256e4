"""Charts of the release computed by SPARQL: the survey figures by theme and a region x challenge
heat map, as PNG and SVG (matplotlib `Figure` objects drawn by the Agg/SVG
canvases, no pyplot state, so charts can be drawn in server threads).

Charts are named `survey-figure-{n}` (one per survey theme, n = the report's figure number) and
`region-challenge`. A value the report words vaguely keeps its comparator in the bar label
("about 54%", "more than 73%", "less than 30%") and is hatched; survey results without a
percentage are listed under the bars in the report's words.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from rdflib import Graph

#: Image formats of `render_chart`: name -> media type.
CHART_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
HEATMAP = "region-challenge"
_PREFIXES = """
PREFIX eocic: <https://w3id.org/eocic/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
SURVEY_QUERY = (
    _PREFIXES
    + """
SELECT ?notation ?themeLabel ?statementLabel ?value ?comparator ?verbatim WHERE {
  ?figure a eocic:SurveyFigure ;
          eocic:statement ?statement ;
          eocic:verbatimValue ?verbatim .
  ?statement rdfs:label ?statementLabel ;
             eocic:surveyTheme ?theme .
  ?theme rdfs:label ?themeLabel ;
         skos:notation ?notation .
  OPTIONAL { ?figure eocic:percentValue ?value }
  OPTIONAL { ?figure eocic:comparator/rdfs:label ?comparator }
}
ORDER BY ?notation ?statementLabel
"""
)
HEATMAP_QUERY = (
    _PREFIXES
    + """
SELECT DISTINCT ?regionLabel ?challengeLabel WHERE {
  ?region eocic:facesChallenge ?challenge ;
          rdfs:label ?regionLabel .
  ?challenge rdfs:label ?challengeLabel .
}
"""
)
REGIONS_QUERY = (
    _PREFIXES + "SELECT ?label WHERE { ?region a eocic:PilotRegion ; rdfs:label ?label }"
)
_QUALIFIERS = {"exactly": ""}


@dataclass(frozen=True)
class SurveyFigure:
    """One survey result as the chart shows it."""

    statement: str
    value: float | None
    comparator: str
    verbatim: str

    @property
    def bar_label(self) -> str:
        """The value with its comparator, e.g. "about 54%"."""
        qualifier = _QUALIFIERS.get(self.comparator, self.comparator)
        return f"{qualifier} {self.value:g}%".strip()


def survey_figures(graph: Graph) -> dict[str, tuple[str, list[SurveyFigure]]]:
    """Figure number -> (theme label, its survey results), from SURVEY_QUERY."""
    themes: dict[str, tuple[str, list[SurveyFigure]]] = {}
    for row in graph.query(SURVEY_QUERY):
        notation, theme, statement, value, comparator, verbatim = row  # type: ignore[misc]
        figure = SurveyFigure(
            str(statement),
            None if value is None else float(value),
            str(comparator).lower() if comparator is not None else "",
            str(verbatim),
        )
        themes.setdefault(str(notation), (str(theme), []))[1].append(figure)
    return dict(sorted(themes.items()))


def region_challenges(graph: Graph) -> tuple[list[str], list[str], set[tuple[str, str]]]:
    """Regions (rows), challenge themes faced by any region (columns) and the (row, column)
    pairs where the region faces the challenge, from HEATMAP_QUERY and the pilot regions."""
    pairs = {(str(row[0]), str(row[1])) for row in graph.query(HEATMAP_QUERY)}  # type: ignore[index]
    pilots = {str(row[0]) for row in graph.query(REGIONS_QUERY)}  # type: ignore[index]
    regions = sorted(pilots | {r for r, _ in pairs})
    challenges = sorted({c for _, c in pairs})
    return regions, challenges, pairs


def _survey_chart(number: str, theme: str, figures: list[SurveyFigure]) -> Figure:
    bars = [f for f in figures if f.value is not None]
    notes = [f for f in figures if f.value is None]
    height = 1.2 + 0.55 * len(bars) + 0.35 * len(notes)
    fig = Figure(figsize=(9, max(height, 2.5)))
    ax = fig.subplots()
    labels = [textwrap.fill(f.statement, 40) for f in bars]
    values = [f.value or 0.0 for f in bars]
    hatches = ["" if f.comparator in ("", "exactly") else "//" for f in bars]
    positions = list(range(len(bars)))[::-1]
    drawn = ax.barh(positions, values, color="#457b9d", edgecolor="#1d3557")
    for patch, hatch in zip(drawn.patches, hatches, strict=True):
        patch.set_hatch(hatch)
    for y, value, figure in zip(positions, values, bars, strict=True):
        ax.text(value + 1, y, figure.bar_label, va="center", fontsize=9)
    ax.set_yticks(positions, labels, fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xlabel("percent of respondents who agree (as quoted in the report)")
    ax.set_title(f"Figure {number}: {theme}", loc="left", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    if notes:
        text = "\n".join(
            textwrap.fill(f"{f.statement}: \u201c{f.verbatim}\u201d (no percentage given)", 120)
            for f in notes
        )
        fig.text(0.01, 0.01, text, fontsize=8, va="bottom")
    fig.tight_layout(rect=(0, 0.03 + 0.05 * len(notes), 1, 1))
    return fig


def _heatmap_chart(regions: list[str], challenges: list[str], pairs: set) -> Figure:
    fig = Figure(figsize=(2 + 0.45 * len(challenges), 2.5 + 0.4 * len(regions)))
    ax = fig.subplots()
    matrix = [[1 if (r, c) in pairs else 0 for c in challenges] for r in regions]
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1.4, aspect="auto")
    ax.set_xticks(range(len(challenges)), challenges, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(regions)), regions, fontsize=9)
    for i, row in enumerate(matrix):
        for j, hit in enumerate(row):
            if hit:
                ax.text(j, i, "\u25cf", ha="center", va="center", color="white", fontsize=8)
    ax.set_title("Challenges the report attributes to each pilot region", loc="left", fontsize=11)
    fig.tight_layout()
    return fig


def chart_names(graph: Graph) -> list[str]:
    """Names of the charts the release gives data for."""
    return [f"survey-figure-{n}" for n in survey_figures(graph)] + [HEATMAP]


def render_chart(graph: Graph, name: str, fmt: str) -> bytes:
    """The chart `name` (see `chart_names`) as `fmt` ("png" or "svg"); KeyError if unknown."""
    if fmt not in CHART_FORMATS:
        raise KeyError(f"unknown chart format {fmt!r}")
    if name == HEATMAP:
        fig = _heatmap_chart(*region_challenges(graph))
    else:
        number = name.removeprefix("survey-figure-")
        theme, figures = survey_figures(graph)[number] if name != number else ("", [])
        if not figures:
            raise KeyError(f"unknown chart {name!r}")
        fig = _survey_chart(number, theme, figures)
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "eocic", "svg.fonttype": "none"}):
        fig.savefig(buffer, format=fmt, dpi=150, metadata=metadata)
    return buffer.getvalue()


def write_charts(graph: Graph, outdir: Path) -> list[Path]:
    """Write every chart as PNG and SVG into `outdir`; return the paths written."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in chart_names(graph):
        for fmt in CHART_FORMATS:
            path = outdir / f"{name}.{fmt}"
            path.write_bytes(render_chart(graph, name, fmt))
            written.append(path)
    return written
