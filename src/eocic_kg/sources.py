"""Load the ontology and the data files, naming the file and line of any fault."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax

from eocic_kg.errors import BuildError
from eocic_kg.namespaces import DATA_GRAPH, EOCIC_IRI, ONTOLOGY_GRAPH, ORG, QB
from eocic_kg.resources import DATA_DIR, ONTOLOGY_FILE


def data_files(data_dir: Path = DATA_DIR) -> list[Path]:
    """The Turtle data files, in a stable order; a BuildError if there are none."""
    if not data_dir.is_dir():
        raise BuildError(f"{data_dir}: no such data directory")
    files = sorted(data_dir.glob("*.ttl"))
    if not files:
        raise BuildError(f"{data_dir}: no .ttl data files in this directory")
    return files


def parse_turtle(path: Path) -> Graph:
    """Parse one Turtle file; a syntax error becomes a BuildError with file and line."""
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except BadSyntax as err:
        raise BuildError(f"{path}:{err.lines + 1}: Turtle syntax error: {err._why}") from err
    except Exception as err:  # rdflib raises plain exceptions for some lexical faults
        raise BuildError(f"{path}: cannot parse Turtle: {err}") from err
    return graph


def _line_of(path: Path, needle: str) -> int:
    """1-based line of the first occurrence of `needle` in `path` (0 when absent)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    return 0


def check_terms(path: Path, graph: Graph, defined: set[URIRef]) -> None:
    """Fail on any eocic: term used in `graph` that the ontology does not define."""
    for node in sorted({n for triple in graph for n in triple if isinstance(n, URIRef)}):
        if str(node).startswith(EOCIC_IRI) and node not in defined:
            local = str(node)[len(EOCIC_IRI) :]
            line = _line_of(path, f"eocic:{local}") or _line_of(path, str(node))
            raise BuildError(f"{path}:{line}: unknown ontology term eocic:{local}")


def ontology_terms(ontology: Graph) -> set[URIRef]:
    """The eocic: IRIs the ontology declares."""
    subjects = set(ontology.subjects())
    return {s for s in subjects if isinstance(s, URIRef) and str(s).startswith(EOCIC_IRI)}


def load_sources(
    ontology_file: Path = ONTOLOGY_FILE, files: Iterable[Path] | None = None
) -> Dataset:
    """Read the ontology and the data files into a dataset with one named graph for each."""
    dataset = Dataset()
    ontology = parse_turtle(ontology_file)
    defined = ontology_terms(ontology)
    target = dataset.graph(ONTOLOGY_GRAPH)
    for triple in ontology:
        target.add(triple)
    data = dataset.graph(DATA_GRAPH)
    for path in data_files() if files is None else files:
        graph = parse_turtle(path)
        check_terms(path, graph, defined)
        for triple in graph:
            data.add(triple)
    return dataset


def union_graph(dataset: Dataset) -> Graph:
    """All triples of all graphs of `dataset` in one graph."""
    union = Graph()
    union.bind("eocic", EOCIC_IRI)
    union.bind("qb", QB)
    union.bind("org", ORG)
    for subject, predicate, obj, _ in dataset.quads((None, None, None, None)):
        union.add((subject, predicate, obj))
    return union
