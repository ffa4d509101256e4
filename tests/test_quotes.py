"""Every quote in the data is the report's own words."""

from __future__ import annotations

from rdflib import Literal

from eocic_kg.namespaces import EOCIC

from .release_cache import REPORT_TEXT, release_graph


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _quotes() -> list[tuple[str, str]]:
    graph = release_graph()
    return sorted((str(s), str(q)) for s, q in graph.subject_objects(EOCIC.quote))


def test_every_quote_is_verbatim() -> None:
    quotes = _quotes()
    assert len(quotes) > 100
    report = _normalise(REPORT_TEXT.read_text(encoding="utf-8"))
    missing = [f"{s}: {q!r}" for s, q in quotes if _normalise(q) not in report]
    assert not missing, "not in the report:\n" + "\n".join(missing)


def test_quotes_are_plain_strings() -> None:
    for _, quote in release_graph().subject_objects(EOCIC.quote):
        assert isinstance(quote, Literal) and quote.datatype is None
