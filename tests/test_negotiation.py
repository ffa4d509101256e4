"""The one content-negotiation table: what each kind of route answers to each Accept header."""

from __future__ import annotations

import pytest

from eocic_kg.results import GRAPH_FORMATS, TABULAR_FORMATS
from eocic_kg.web.negotiation import (
    GRAPH,
    MEDIA_TYPES,
    PAGE,
    TABULAR,
    named,
    names_of,
    preferred,
)


@pytest.mark.parametrize(
    ("accept", "offered", "expected"),
    [
        (None, TABULAR, "json"),
        ("", GRAPH, "turtle"),
        ("*/*", PAGE, "turtle"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", PAGE, "html"),
        ("application/json", TABULAR, "json"),
        ("application/json", GRAPH, "jsonld"),
        ("application/xml", TABULAR, "xml"),
        ("application/xml", PAGE, "rdfxml"),
        ("text/csv;q=0.5, text/tab-separated-values", TABULAR, "tsv"),
        ("text/*", TABULAR, "csv"),
        ("text/plain", GRAPH, "ntriples"),
        ("text/n3", GRAPH, "turtle"),
        ("image/png", TABULAR, None),
        ("text/html", GRAPH, None),
    ],
)
def test_preferred_format_by_route_kind(
    accept: str | None, offered: frozenset[str], expected: str | None
) -> None:
    assert preferred(accept, offered) == expected


def test_named_formats_pick_the_kind_the_route_offers() -> None:
    assert named("JSON ", TABULAR) == "json"
    assert named("json", PAGE) == "jsonld"
    assert named("xml", GRAPH) == "rdfxml"
    assert named("text/csv", TABULAR) == "csv"
    assert named("application/json", GRAPH) == "jsonld"
    assert named("csv", GRAPH) is None
    assert named("html", TABULAR) is None
    assert names_of(TABULAR) == ["json", "xml", "csv", "tsv"]
    assert "html" in names_of(PAGE) and "csv" not in names_of(PAGE)


def test_every_format_a_route_offers_is_reachable_and_served() -> None:
    """Each offered format has a media type that selects it, and a serialiser behind it."""
    for offered in (TABULAR, GRAPH, PAGE):
        for fmt in offered:
            media = next(m for m, f in MEDIA_TYPES if f == fmt)
            assert preferred(media, offered) == fmt
    assert set(TABULAR_FORMATS) == TABULAR
    assert set(GRAPH_FORMATS) == GRAPH
