"""The release shipped in the package (`release/eocic.nq`) is the build of the sources, and the
commands read it when no release has been built, so serving needs no build."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
from rdflib import RDF, Dataset

from eocic_kg import resources
from eocic_kg.namespaces import EOCIC

from .release_cache import release_nquads, run_cli


def _canonical(path: Path) -> set[pyoxigraph.Quad]:
    """The quads of the N-Quads file `path`, blank nodes relabelled canonically."""
    dataset = pyoxigraph.Dataset(pyoxigraph.parse(path=path, format=pyoxigraph.RdfFormat.N_QUADS))
    dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


def test_the_bundled_release_is_the_build_of_the_sources() -> None:
    built, bundled = _canonical(release_nquads()), _canonical(resources.BUNDLED_RELEASE)
    missing, stale = sorted(map(str, built - bundled)), sorted(map(str, bundled - built))
    assert not missing and not stale, (
        f"release/eocic.nq is not the build of ontology/ and data/ ({len(missing)} quads "
        f"missing, {len(stale)} stale, e.g. {(missing + stale)[:3]}): run "
        "`eocic-kg --release release/eocic.nq build` and commit release/eocic.nq"
    )


def test_commands_read_the_bundled_release_when_none_is_built(tmp_path: Path) -> None:
    """Before: with no dist/eocic.nq, every command first built one (HermiT, Java)."""
    regions = Dataset(default_union=True)
    regions.parse(resources.BUNDLED_RELEASE, format="nquads")
    expected = {str(r) for r in regions.subjects(RDF.type, EOCIC.PilotRegion)}
    query = "SELECT ?r WHERE { ?r a eocic:PilotRegion }"
    result = run_cli("query", "-o", "csv", query, dist=None, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()[1:]) == expected and len(expected) == 10
    assert not (tmp_path / "dist").exists()  # nothing was built


def test_a_built_release_in_dist_wins_over_the_bundled_one(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "eocic.nq").write_text(
        "<https://example.org/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<https://w3id.org/eocic/ontology#PilotRegion> <https://w3id.org/eocic/graph/data> .\n",
        encoding="utf-8",
    )
    result = run_cli(
        "query", "-o", "csv", "SELECT ?r WHERE { ?r a eocic:PilotRegion }", dist=None, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1:] == ["https://example.org/a"]
