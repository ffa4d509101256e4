"""The synthetic data conforms to the shapes and stays out of the report's graphs."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from eocic_kg import synth
from eocic_kg.resources import ONTOLOGY_FILE

from .as_built import validate_as_built


def _graph(quads: list[ox.Quad]) -> Graph:
    data = ox.serialize(
        [ox.Triple(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.N_TRIPLES
    )
    return Graph().parse(data=data, format="nt")


@pytest.fixture(scope="module")
def sample() -> list[ox.Quad]:
    return list(synth.generate(regions=4, clusters=30, seed=1))


def test_sample_conforms_to_shapes(sample: list[ox.Quad]) -> None:
    """Validated as the build validates (`tests/as_built.py`): warnings allowed."""
    report = validate_as_built(_graph(sample), Graph().parse(ONTOLOGY_FILE))
    assert report.conforms, report.text()


def test_everything_is_in_the_synthetic_graph_under_synthetic_iris(
    sample: list[ox.Quad],
) -> None:
    assert {q.graph_name for q in sample} == {synth.GRAPH}
    subjects = {q.subject.value for q in sample}
    assert all(s.startswith(synth.BASE) or s == synth.GRAPH.value for s in subjects), (
        "a synthetic subject outside the synthetic namespace"
    )
    assert not any("/eocic/id/" in s for s in subjects)


def test_marked_synthetic(sample: list[ox.Quad]) -> None:
    g = _graph(sample)
    description = g.value(URIRef(synth.GRAPH.value), URIRef("http://purl.org/dc/terms/description"))
    assert isinstance(description, Literal) and "Synthetic" in str(description)


def test_deterministic_and_sized() -> None:
    assert list(synth.generate(2, 5, seed=3)) == list(synth.generate(2, 5, seed=3))
    for target in (10_000, 100_000):
        regions, clusters = synth.plan(target)
        n = sum(1 for _ in synth.generate(regions, clusters))
        assert 0.95 * target < n < 1.05 * target


def test_write_nquads(tmp_path: Path) -> None:
    out = tmp_path / "synthetic.nq"
    n = synth.write(out, regions=2, clusters=10)
    store = ox.Store()
    store.load(path=str(out), format=ox.RdfFormat.N_QUADS)
    assert len(store) == n
    assert list(store.named_graphs()) == [synth.GRAPH]
