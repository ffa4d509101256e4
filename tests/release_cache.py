"""One build of the release per test session, shared by the test modules that read it."""

from __future__ import annotations

import functools
from pathlib import Path

from rdflib import Graph

from eocic_kg.build import Release, make_release

REPORT_TEXT = Path(__file__).parent / "data" / "report.txt"


@functools.cache
def built_release() -> Release:
    """The release made from the bundled ontology and data (built once)."""
    return make_release(progress=lambda message: None)


@functools.cache
def release_graph() -> Graph:
    """The release as one graph: ontology, data and entailments."""
    return built_release().graph()
