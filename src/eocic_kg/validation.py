"""SHACL validation of the release graph with pyshacl."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import SH, Graph
from rdflib.term import Node

from eocic_kg.extras import need
from eocic_kg.resources import SHAPES_DIR
from eocic_kg.sources import parse_turtle

#: What pyshacl (the `build` extra) is needed for.
SHACL = "SHACL validation (build, validate)"


@dataclass(frozen=True)
class ShapeResult:
    """One SHACL validation result, flattened for reading."""

    severity: str
    focus: str
    path: str
    message: str
    shape: str

    def __str__(self) -> str:
        path = f" {self.path}" if self.path else ""
        return f"{self.severity}: {self.focus}{path}: {self.message} [{self.shape}]"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of a validation: violations break conformance, warnings do not."""

    results: tuple[ShapeResult, ...]
    graph: Graph

    @property
    def violations(self) -> list[ShapeResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ShapeResult]:
        return [r for r in self.results if r.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def text(self) -> str:
        """A readable report: one line per result, then a summary."""
        lines = [str(r) for r in self.results]
        lines.append(f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines)


def load_shapes(shapes_dir: Path = SHAPES_DIR) -> Graph:
    """All shapes files in one graph."""
    shapes = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        shapes += parse_turtle(path)
    return shapes


def _source_node_shape(report: Graph, shape: Node) -> Node:
    """The node shape a result comes from (climbing from a nested property shape)."""
    parent = report.value(predicate=SH.property, object=shape)
    return parent if parent is not None else shape


def validate(
    graph: Graph, shapes: Graph | None = None, ontology: Graph | None = None
) -> ValidationReport:
    """Validate `graph` (already holding its entailments) against the shapes."""
    pyshacl = need("pyshacl", SHACL)
    shapes = load_shapes() if shapes is None else shapes
    _, report, _ = pyshacl.validate(
        graph,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="rdfs" if ontology is not None else "none",
        allow_warnings=True,
        advanced=True,
    )
    report += shapes
    results = []
    for result in report.objects(None, SH.result):
        severity = report.value(result, SH.resultSeverity)
        shape = _source_node_shape(report, report.value(result, SH.sourceShape))
        results.append(
            ShapeResult(
                severity=str(severity).rsplit("#", 1)[-1],
                focus=str(report.value(result, SH.focusNode)),
                path=str(report.value(result, SH.resultPath) or ""),
                message=str(report.value(result, SH.resultMessage) or ""),
                shape=str(shape),
            )
        )
    results.sort(key=lambda r: (r.severity != "Violation", r.focus, r.path, r.message))
    return ValidationReport(tuple(results), report)
