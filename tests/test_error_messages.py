"""Errors that point the right way (issue 19, finding 6): each case that misled a user, through
the real server or the real command, and the text names only what this server accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from .conftest import Server, free_port
from .release_cache import release_nquads


def _error(server: Server, query: str) -> str:
    response = httpx.get(f"{server.url}/sparql", params={"query": query}, timeout=30)
    assert response.status_code == 400, response.text
    return response.text.split("malformed or refused query: ", 1)[-1]


def _caret_column(message: str) -> int:
    """The 1-based column of the caret line of a message."""
    caret = next(line for line in message.splitlines() if line.strip() == "^")
    return len(caret) - 2


def test_missing_object_is_located_in_the_query_and_suggests_no_lateral_or_service(
    server: Server,
) -> None:
    query = "SELECT * WHERE { ?s ?p }"
    message = _error(server, query)
    assert message.startswith(f"line 1, column {query.index('}') + 1}: ")
    assert _caret_column(message) == query.index("}") + 1 <= len(query)
    assert "LATERAL" not in message and "SERVICE" not in message
    assert "?s ?p has no object" in message and "expected: an object" in message


def test_missing_dot_before_a_variable_does_not_expect_optional(server: Server) -> None:
    query = "SELECT * WHERE { ?s a eocic:Region ?s ?p ?o }"
    message = _error(server, query)
    assert "OPTIONAL" not in message
    second = query.index("?s", 20)
    assert message.startswith(f"line 1, column {second + 1}: found the variable ?s after")
    assert '"." missing before it' in message


@pytest.mark.parametrize(("limit", "found"), [("-1", '"-"'), ("1.5", "the number 1.5")])
def test_negative_or_fractional_limit_does_not_say_number_expected_number(
    server: Server, limit: str, found: str
) -> None:
    message = _error(server, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {limit}")
    assert f"found {found} after LIMIT" in message
    assert "expected: a number (a whole number, 0 or more)" in message
    assert "found the number -1" not in message


def test_invalid_escape_in_a_string_is_named(server: Server) -> None:
    message = _error(server, 'SELECT * WHERE { ?s ?p "C:\\data" }')
    assert message.startswith("line 1, column 24: this string holds an escape")
    assert "OPTIONAL" not in message and "missing" not in message


def test_cli_load_of_bad_turtle_names_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b "open .\n')
    result = subprocess.run(
        [sys.executable, "-m", "eocic_kg.cli", "load", "--store", str(tmp_path / "s"), str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"eocic-kg: error: {bad}: ") and "line 3" in last


def test_serve_in_front_of_nothing_says_nothing_answers_there() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}/sparql"
    command = [sys.executable, "-m", "eocic_kg.cli", "--release", str(release_nquads())]
    command += ["serve", "--sparql-endpoint", endpoint, "--port", str(free_port())]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"nothing answers at {endpoint} (Connection refused)" in result.stderr
    assert "urlopen" not in result.stderr


def test_push_to_nothing_says_nothing_answers_there() -> None:
    store = f"http://127.0.0.1:{free_port()}/store"
    command = [sys.executable, "-m", "eocic_kg.cli", "--release", str(release_nquads())]
    result = subprocess.run(
        [*command, "push", "--graph-store", store],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert f"nothing answers at {store}?graph=" in result.stderr
    assert "(Connection refused)" in result.stderr


def test_an_unknown_custom_function_is_a_400_not_a_500(server: Server) -> None:
    """Found by the fuzz test: `xsd:SELECTinteger(1)` parses as a call of a custom function,
    which the engine refuses while evaluating (a RuntimeError that was a 500)."""
    message = _error(server, "SELECT (xsd:SELECTinteger(1) AS ?x) {}")
    assert "does not support" in message and "SELECTinteger" in message
