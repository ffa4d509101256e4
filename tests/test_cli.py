"""The eocic-kg command line: query, validate and reason, run as a user would."""

from __future__ import annotations

from pathlib import Path

import pytest

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
