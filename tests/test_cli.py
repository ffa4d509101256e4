"""The eocic-kg command line: query, validate and reason, run as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("dist")
    assert _cli("build", dist=directory).returncode == 0
    return directory


def _cli(*args: str, dist: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eocic_kg.cli", *args],
        capture_output=True,
        text=True,
        env={"EOCIC_DIST": str(dist), "PATH": "/usr/bin:/bin:/usr/local/bin"},
        check=False,
    )


def test_query_prints_a_table(dist: Path) -> None:
    result = _cli(
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
    result = _cli("query", "-o", "csv", "-f", str(queries / "regions.rq"), dist=dist)
    assert result.returncode == 0
    assert len(result.stdout.strip().splitlines()) == 11  # header + ten regions


def test_query_syntax_error_gives_position(dist: Path) -> None:
    result = _cli("query", "SELECT * WHERE { ?s ?p }", dist=dist)
    assert result.returncode == 1
    assert "1:" in result.stderr and "query error" in result.stderr


def test_validate_and_reason_succeed(dist: Path) -> None:
    validate = _cli("validate", dist=dist)
    assert validate.returncode == 0, validate.stdout[-2000:]
    assert "0 violation(s)" in validate.stdout
    reason = _cli("reason", dist=dist)
    assert reason.returncode == 0 and "consistent" in reason.stdout
