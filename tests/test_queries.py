"""The named-query catalogue: every query parses, runs, and both engines agree on it."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest
from rdflib import Literal
from rdflib.plugins.sparql import prepareQuery

from eocic_kg.catalogue import NamedQuery, ParameterError, load_catalogue

from .competency import oxigraph_store, oxigraph_term
from .release_cache import release_graph

CATALOGUE = load_catalogue()


def test_catalogue_has_at_least_25_queries() -> None:
    assert len(CATALOGUE) >= 25


@pytest.mark.parametrize("query", CATALOGUE.values(), ids=lambda q: q.name)
def test_query_has_summary_and_parses(query: NamedQuery) -> None:
    assert query.summary and query.summary != query.name
    assert query.tags
    prepareQuery(query.text)
    for parameter in query.parameters:
        assert parameter.required is False or parameter.name in query.defaults, parameter


def _normalise(value: object) -> str:
    """A comparable string; GROUP_CONCAT order is unspecified, so its parts are sorted."""
    if isinstance(value, ox.Literal):
        value = Literal(value.value, datatype=value.datatype.value)
    text = (
        str(value.toPython()) if isinstance(value, Literal) else str(getattr(value, "value", value))
    )
    for separator in ("; ", ", "):
        if separator in text:
            return separator.join(sorted(text.split(separator)))
    return text


@pytest.mark.parametrize("query", CATALOGUE.values(), ids=lambda q: q.name)
def test_engines_agree_on_default_parameters(query: NamedQuery) -> None:
    bindings = query.bindings({})
    rdflib_rows = Counter(
        tuple(_normalise(v) for v in row)
        for row in release_graph().query(query.text, initBindings=bindings)
    )
    solutions = oxigraph_store().query(
        query.text,
        substitutions={ox.Variable(k): oxigraph_term(v) for k, v in bindings.items()},
    )
    names = [v.value for v in solutions.variables]
    oxigraph_rows = Counter(
        tuple(_normalise(s[n]) if s[n] is not None else "None" for n in names) for s in solutions
    )
    assert oxigraph_rows, f"{query.name} returns no rows with its defaults"
    assert rdflib_rows == oxigraph_rows


def test_parameters_are_checked() -> None:
    query = CATALOGUE["regions-by-challenge"]
    with pytest.raises(ParameterError, match="not an absolute IRI"):
        query.bindings({"challenge": "> } ; DROP ALL"})
    with pytest.raises(ParameterError, match="unknown parameter"):
        query.bindings({"nope": "x"})
    with pytest.raises(ParameterError, match="not a decimal"):
        CATALOGUE["survey-figures-above"].bindings({"threshold": "ten"})
