"""The eocic-kg command line: query, validate and reason, run as a user would."""

from __future__ import annotations

from pathlib import Path

import pytest

from eocic_kg.resources import DATA_DIR

from .release_cache import run_cli


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("dist")
    assert run_cli("build", dist=directory).returncode == 0
    return directory


def test_query_prints_a_table(dist: Path) -> None:
    result = run_cli(
        "query",
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "SELECT ?label WHERE { <https://w3id.org/eocic/id/region/saxony> rdfs:label ?label }",
        dist=dist,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[2] == "Saxony"
    assert "(1 row)" in result.stdout


def test_query_file_as_csv(dist: Path) -> None:
    queries = Path(__file__).resolve().parent.parent / "queries"
    result = run_cli("query", "-o", "csv", "-f", str(queries / "regions.rq"), dist=dist)
    assert result.returncode == 0
    assert len(result.stdout.strip().splitlines()) == 11  # header + ten regions


def test_query_syntax_error_gives_position(dist: Path) -> None:
    result = run_cli("query", "SELECT * WHERE { ?s ?p }", dist=dist)
    assert result.returncode == 1
    assert "1:" in result.stderr and "query error" in result.stderr


def test_validate_and_reason_succeed(dist: Path) -> None:
    validate = run_cli("validate", dist=dist)
    assert validate.returncode == 0, validate.stdout[-2000:]
    assert "0 violation(s)" in validate.stdout
    reason = run_cli("reason", dist=dist)
    assert reason.returncode == 0 and "consistent" in reason.stdout


def test_stats_counts_classes(dist: Path) -> None:
    result = run_cli("stats", dist=dist)
    assert result.returncode == 0
    assert any(line.split() == ["10", "eocic:PilotRegion"] for line in result.stdout.splitlines())


def test_shape_violation_fails_validate_and_build_naming_node_and_shape(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for path in DATA_DIR.glob("*.ttl"):
        (data / path.name).write_bytes(path.read_bytes())
    (data / "zz-new-measure.ttl").write_text(
        "@prefix eocic: <https://w3id.org/eocic/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/eocic/id/measure/orphan> a eocic:Measure ;\n"
        '    rdfs:label "A measure proposed for no region"@en .\n'
    )
    validate = run_cli("--data", str(data), "validate", dist=tmp_path)
    assert validate.returncode == 1
    assert "Violation: https://w3id.org/eocic/id/measure/orphan" in validate.stdout
    assert "shapes#MeasureShape" in validate.stdout
    release = tmp_path / "eocic.nq"
    release.write_bytes(b"previous good release\n")
    build = run_cli("--data", str(data), "build", dist=tmp_path)
    assert build.returncode == 2
    assert "measure/orphan" in build.stderr and "MeasureShape" in build.stderr
    assert release.read_bytes() == b"previous good release\n"
