"""Charts of the release computed by SPARQL: the survey figures by theme and a region x challenge
heat map, as PNG and SVG (matplotlib `Figure` objects drawn by the Agg/SVG
canvases, no pyplot state, so charts can be drawn in server threads). Their data are the rows of
``queries/internal/chart-*.rq``, run on a store over the release graphs.

Charts are named `survey-figure-{n}` (one per survey theme, n = the report's figure number) and
`region-challenge`. A value the report words vaguely keeps its comparator in the bar label
("about 54%", "more than 73%", "less than 30%") and is hatched, and a legend says what the
hatching means; survey results without a percentage are listed under the bars in the report's
words. Each heat map cell shows how many passages of the report (quote and detail) attribute
the challenge to the region, and links to that attribution. Every SVG opens with a `<title>` and
a `<desc>` that gives its content in words.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eocic_kg.catalogue import internal
from eocic_kg.extras import need
from eocic_kg.namespaces import RELEASE_GRAPHS, web_link
from eocic_kg.queries import select

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eocic_kg.store_api import StoreAPI

#: Image formats of `render_chart`: name -> media type.
CHART_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
HEATMAP = "region-challenge"
BAR_COLOUR = "#0072B2"
#: Heat map fill by number of passages (Okabe-Ito blues: colour-blind safe).
CELL_COLOURS = {1: "#9ED3F2", 2: "#0072B2"}
_QUALIFIERS = {"exactly": ""}
#: A link as matplotlib's SVG writer starts it.
_LINK = re.compile(r'<a xlink:href="([^"]*)"(?: target="_blank")?>')
APPROXIMATE_NOTE = "hatched: approximate, the report says “about”, “more than” or “less than”"


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

    @property
    def approximate(self) -> bool:
        """Whether the report gives the value with a comparator other than "exactly"."""
        return self.comparator not in ("", "exactly")


@dataclass(frozen=True)
class Cell:
    """A heat map cell: the region faces the challenge, says the report in `passages` passages
    (its quote and detail); `attribution` is the IRI of the qualified statement, if any."""

    region: str
    challenge: str
    passages: int
    attribution: str | None


def _rows(store: StoreAPI, name: str) -> list[dict[str, Any]]:
    """The rows of the internal query `name` over the release graphs of `store`."""
    return select(internal(name), store=store, graphs=RELEASE_GRAPHS)


def survey_figures(store: StoreAPI) -> dict[str, tuple[str, list[SurveyFigure]]]:
    """Figure number -> (theme label, its survey results)."""
    themes: dict[str, tuple[str, list[SurveyFigure]]] = {}
    for row in _rows(store, "chart-survey-figures"):
        figure = SurveyFigure(
            str(row["statementLabel"]),
            None if row.get("value") is None else float(row["value"]),
            str(row.get("comparator", "")).lower(),
            str(row["verbatim"]),
        )
        themes.setdefault(str(row["notation"]), (str(row["themeLabel"]), []))[1].append(figure)
    return dict(sorted(themes.items()))


def heatmap_cells(store: StoreAPI) -> tuple[list[str], list[str], dict[tuple[str, str], Cell]]:
    """Regions (rows: the pilot regions and any region facing a challenge), challenge themes
    (columns: those faced by any region) and the cells where a region faces a challenge."""
    cells = {}
    for row in _rows(store, "chart-region-challenges"):
        region, challenge = str(row["regionLabel"]), str(row["challengeLabel"])
        passages = int(row.get("passages", 0)) or 1
        cells[(region, challenge)] = Cell(region, challenge, passages, row.get("link"))
    pilots = {str(row["label"]) for row in _rows(store, "chart-pilot-regions")}
    regions = sorted(pilots | {r for r, _ in cells})
    challenges = sorted({c for _, c in cells})
    return regions, challenges, cells


def region_challenges(store: StoreAPI) -> tuple[list[str], list[str], set[tuple[str, str]]]:
    """Regions (rows), challenge themes faced by any region (columns) and the (row, column)
    pairs where the region faces the challenge."""
    regions, challenges, cells = heatmap_cells(store)
    return regions, challenges, set(cells)


def _survey_chart(number: str, theme: str, figures: list[SurveyFigure]) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    bars = [f for f in figures if f.value is not None]
    notes = [f for f in figures if f.value is None]
    height = 1.9 + 0.55 * len(bars) + 0.35 * len(notes)
    fig = Figure(figsize=(9, max(height, 3.0)))
    ax = fig.subplots()
    labels = [textwrap.fill(f.statement, 40) for f in bars]
    values = [f.value or 0.0 for f in bars]
    positions = list(range(len(bars)))[::-1]
    drawn = ax.barh(positions, values, color=BAR_COLOUR, edgecolor="#1d3557")
    for patch, figure in zip(drawn.patches, bars, strict=True):
        if figure.approximate:
            patch.set_hatch("//")
            patch.set_facecolor("#9ED3F2")
    for y, value, figure in zip(positions, values, bars, strict=True):
        weight = "bold" if figure.approximate else "normal"
        ax.text(value + 1, y, figure.bar_label, va="center", fontsize=9, fontweight=weight)
    ax.set_yticks(positions, labels, fontsize=9)
    ax.set_xlim(0, 100)
    ax.set_xlabel("percent of respondents who agree (as quoted in the report)")
    ax.set_title(f"Figure {number}: {theme}", loc="left", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    handles = [
        Patch(facecolor=BAR_COLOUR, edgecolor="#1d3557", label="value as the report gives it"),
        Patch(facecolor="#9ED3F2", edgecolor="#1d3557", hatch="//", label=APPROXIMATE_NOTE),
    ]
    fig.legend(handles=handles, loc="upper right", fontsize=8, frameon=False, ncols=1)
    if notes:
        text = "\n".join(
            textwrap.fill(f"{f.statement}: \u201c{f.verbatim}\u201d (no percentage given)", 120)
            for f in notes
        )
        fig.text(0.01, 0.01, text, fontsize=8, va="bottom")
    top = 1 - 0.5 / fig.get_figheight()
    fig.tight_layout(rect=(0, 0.03 + 0.05 * len(notes), 1, top))
    return fig


def _heatmap_chart(
    regions: list[str],
    challenges: list[str],
    cells: dict[tuple[str, str], Cell],
    link: Callable[[str], str],
) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    fig = Figure(figsize=(3 + 0.5 * len(challenges), 3.6 + 0.42 * len(regions)))
    ax = fig.subplots()
    for i, region in enumerate(regions):
        for j, challenge in enumerate(challenges):
            cell = cells.get((region, challenge))
            if cell is None:
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5),
                        1,
                        1,
                        facecolor="#f4f4f4",
                        edgecolor="white",
                        linewidth=1.5,
                    )
                )
                continue
            url = (link(cell.attribution) if cell.attribution else "") or None
            colour = CELL_COLOURS[min(cell.passages, 2)]
            ax.add_patch(
                Rectangle(
                    (j - 0.5, i - 0.5),
                    1,
                    1,
                    facecolor=colour,
                    edgecolor="white",
                    linewidth=1.5,
                    url=url,
                )
            )
            ax.text(
                j,
                i,
                str(cell.passages),
                ha="center",
                va="center",
                fontsize=9,
                color="white" if cell.passages >= 2 else "#0b2545",
                url=url,
            )
    per_region = {r: sum(1 for (rr, _) in cells if rr == r) for r in regions}
    per_challenge = {c: sum(1 for (_, cc) in cells if cc == c) for c in challenges}
    ax.set_xlim(-0.5, len(challenges) - 0.5)
    ax.set_ylim(len(regions) - 0.5, -0.5)
    ax.set_xticks(
        range(len(challenges)),
        [f"{c} ({per_challenge[c]})" for c in challenges],
        rotation=60,
        ha="right",
        fontsize=8,
    )
    ax.set_yticks(range(len(regions)), [f"{r} ({per_region[r]})" for r in regions], fontsize=9)
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    ax.set_title("Challenges the report attributes to each pilot region", loc="left", fontsize=11)
    handles = [
        Patch(facecolor=CELL_COLOURS[1], label="1: one passage of the report (its quote)"),
        Patch(facecolor=CELL_COLOURS[2], label="2: quote and a detail"),
        Patch(facecolor="#f4f4f4", label="not attributed"),
    ]
    fig.legend(
        handles=handles,
        loc="lower left",
        fontsize=8,
        frameon=False,
        ncols=3,
        title="Number in a cell: passages of the report; (n): cells in the row or column",
        title_fontsize=8,
    )
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def chart_names(store: StoreAPI) -> list[str]:
    """Names of the charts the release gives data for."""
    return [f"survey-figure-{n}" for n in survey_figures(store)] + [HEATMAP]


def describe_chart(store: StoreAPI, name: str) -> tuple[str, str]:
    """(title, description in words) of the chart `name`; KeyError if unknown."""
    if name == HEATMAP:
        regions, challenges, cells = heatmap_cells(store)
        listed = "; ".join(
            f"{r}: "
            + (
                ", ".join(f"{c} ({cells[(r, c)].passages})" for c in challenges if (r, c) in cells)
                or "none"
            )
            for r in regions
        )
        return (
            "Challenges the report attributes to each pilot region",
            f"Grid of {len(regions)} pilot regions by {len(challenges)} challenge themes. A "
            "filled cell means the report attributes the challenge to the region; its number "
            "counts the report's passages that say so, and it links to that statement. "
            f"By region: {listed}.",
        )
    number = name.removeprefix("survey-figure-")
    themes = survey_figures(store)
    if name == number or number not in themes:
        raise KeyError(f"unknown chart {name!r}")
    theme, figures = themes[number]
    values = "; ".join(
        f"{f.statement}: {f.bar_label}"
        if f.value is not None
        else f"{f.statement}: \u201c{f.verbatim}\u201d (no percentage given)"
        for f in figures
    )
    return (
        f"Figure {number}: {theme}",
        f"Bar chart of Figure {number} of the report, survey theme {theme}: the percentage of "
        f"respondents who agree with each statement. Hatched bars are approximate values "
        f"(about, more than, less than). {values}.",
    )


def _with_title(svg: bytes, title: str, description: str) -> bytes:
    """`svg` with <title> and <desc> first in the root element, named by aria-labelledby,
    and links that open in the top window (the chart may be shown in a frame)."""
    text = svg.decode("utf-8")
    start = text.index("<svg")
    end = text.index(">", start)
    root = text[start:end]
    root += ' role="img" aria-labelledby="chart-title chart-desc"'
    head = (
        f'>\n <title id="chart-title">{escape(title)}</title>\n'
        f' <desc id="chart-desc">{escape(description)}</desc>'
    )
    text = text[:start] + root + head + text[end + 1 :]
    # matplotlib >= 3.11 writes target="_blank", older versions no target
    text = _LINK.sub(r'<a xlink:href="\1" target="_top">', text)
    return text.encode("utf-8")


def render_chart(
    store: StoreAPI, name: str, fmt: str, link: Callable[[str], str] | None = None
) -> bytes:
    """The chart `name` (see `chart_names`) as `fmt` ("png" or "svg"); KeyError if unknown.

    `link` maps the IRI of a heat map cell's statement to the URL the SVG links to (default:
    the IRI itself, if a browser may follow it; "" for no link). Drawing needs matplotlib (the
    `charts` extra): MissingExtraError without it.
    """
    matplotlib = need("matplotlib", "drawing charts")
    if fmt not in CHART_FORMATS:
        raise KeyError(f"unknown chart format {fmt!r}")
    title, description = describe_chart(store, name)
    if name == HEATMAP:
        fig = _heatmap_chart(*heatmap_cells(store), link or web_link)
    else:
        number = name.removeprefix("survey-figure-")
        theme, figures = survey_figures(store)[number]
        fig = _survey_chart(number, theme, figures)
    buffer = io.BytesIO()
    metadata = {"Date": None, "Title": title} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "eocic", "svg.fonttype": "none"}):
        fig.savefig(buffer, format=fmt, dpi=150, metadata=metadata)
    data = buffer.getvalue()
    return _with_title(data, title, description) if fmt == "svg" else data


def chart_catalogue(store: StoreAPI) -> list[dict[str, str]]:
    """Every chart with its name, title and description, in `chart_names` order."""
    return [
        dict(zip(("name", "title", "description"), (n, *describe_chart(store, n)), strict=True))
        for n in chart_names(store)
    ]


def write_charts(store: StoreAPI, outdir: Path) -> list[Path]:
    """Write every chart as PNG and SVG into `outdir`; return the paths written."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in chart_names(store):
        for fmt in CHART_FORMATS:
            path = outdir / f"{name}.{fmt}"
            path.write_bytes(render_chart(store, name, fmt))
            written.append(path)
    return written
