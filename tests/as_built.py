"""Validation as the build does it, for graphs that were not built: fixtures, synthetic data.

The build validates the ontology, the data and their entailments with pySHACL and no inference
of its own (`eocic_kg.validation.validate`). The entailments here are the part of the build's
`infer` computed in-process (values of inverse and super-properties, then inherited types),
without HermiT's run (a Java start-up per graph); `tests/test_shapes.py` has a slow test that
HermiT's full entailments change no fixture's verdict.
"""

from __future__ import annotations

from collections.abc import Callable

from rdflib import Graph

from eocic_kg.reasoning import _inherited_types, _property_entailments
from eocic_kg.validation import ValidationReport, validate


def build_entailments(graph: Graph) -> Graph:
    """`graph` with what the build's `infer` adds to HermiT's entailments."""
    entailed = graph + _property_entailments(graph)
    return entailed + _inherited_types(entailed)


def validate_as_built(
    data: Graph,
    ontology: Graph,
    shapes: Graph | None = None,
    entail: Callable[[Graph], Graph] = build_entailments,
) -> ValidationReport:
    """Validate `data` merged with `ontology` and entailed by `entail`, as the build does."""
    merged = ontology + data
    return validate(entail(merged), shapes)
