"""Every quote in the data is the report's own words."""

from __future__ import annotations

import pytest
from rdflib import Literal

from eocic_kg.namespaces import EOCIC

from .release_cache import REPORT_TEXT, release_graph


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _quotes() -> list[tuple[str, str]]:
    graph = release_graph()
    return sorted((str(s), str(q)) for s, q in graph.subject_objects(EOCIC.quote))


def test_there_are_quotes() -> None:
    assert len(_quotes()) > 100


@pytest.mark.parametrize(("subject", "quote"), _quotes(), ids=lambda v: v[-60:])
def test_quote_is_verbatim(subject: str, quote: str) -> None:
    report = _normalise(REPORT_TEXT.read_text(encoding="utf-8"))
    assert _normalise(quote) in report, f"{subject}: not in the report: {quote!r}"


def test_quotes_are_plain_strings() -> None:
    for _, quote in release_graph().subject_objects(EOCIC.quote):
        assert isinstance(quote, Literal) and quote.datatype is None
