"""The build: load sources, reason, validate, and write the release graph atomically."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph

from eocic_kg.atomic import write_atomically
from eocic_kg.errors import BuildError
from eocic_kg.extras import need
from eocic_kg.namespaces import INFERRED_GRAPH
from eocic_kg.reasoning import infer, require_java
from eocic_kg.resources import DATA_DIR, release_file
from eocic_kg.search import build_index
from eocic_kg.sources import data_files, load_sources, union_graph
from eocic_kg.validation import SHACL, ValidationReport, validate

Progress = Callable[[str], None]


def _stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Release:
    """A built release: the dataset with its named graphs and the SHACL report."""

    dataset: Dataset
    report: ValidationReport

    def graph(self) -> Graph:
        """All graphs of the release as one graph."""
        return union_graph(self.dataset)


def make_release(data_dir: Path = DATA_DIR, progress: Progress = _stderr_progress) -> Release:
    """Load the ontology and the data files of `data_dir`, reason and validate.

    Raises BuildError on any fault.
    """
    started = time.perf_counter()

    def step(message: str) -> None:
        progress(f"[{time.perf_counter() - started:5.1f}s] {message}")

    files = data_files(data_dir)
    need("pyshacl", SHACL)  # before the reasoning: say at once what is missing
    require_java()
    step("loading ontology and data")
    dataset = load_sources(files=files)
    asserted = union_graph(dataset)
    step(f"loaded {len(asserted)} triples; reasoning with HermiT")
    entailed = infer(asserted)
    inferred_graph = dataset.graph(INFERRED_GRAPH)
    for triple in entailed:
        inferred_graph.add(triple)
    step(f"inferred {len(entailed)} triples; validating with SHACL")
    report = validate(asserted + entailed)
    if not report.conforms:
        raise BuildError("SHACL validation failed:\n" + report.text())
    step(f"valid ({len(report.warnings)} warning(s))")
    return Release(dataset, report)


def nquads(dataset: Dataset) -> bytes:
    """The dataset as N-Quads, lines sorted so that equal graphs give equal bytes."""
    text = dataset.serialize(format="nquads", encoding="utf-8").decode("utf-8")
    lines = sorted(line for line in text.splitlines() if line.strip())
    return ("\n".join(lines) + "\n").encode("utf-8")


def build(
    out: Path | None = None, data_dir: Path = DATA_DIR, progress: Progress = _stderr_progress
) -> Release:
    """Build and write the release to `out` (default dist/eocic.nq) and its search index beside
    it; a failure keeps the old ones."""
    release = make_release(data_dir, progress)
    target = release_file() if out is None else out
    write_atomically(target, nquads(release.dataset))
    progress(f"wrote {target}")
    progress(f"wrote {build_index(target)}")
    return release


def ensure_release(path: Path, data_dir: Path = DATA_DIR) -> Path:
    """Build the release when it is missing, so that a fresh checkout can serve at once."""
    if not path.exists():
        build(path, data_dir)
    return path
