"""Parse errors a person can act on: short, located, in words, with hints; server and CLI."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from eocic_kg.query_errors import expected_words

from .conftest import Server
from .release_cache import release_dist, run_cli


def _error(server: Server, query: str) -> str:
    response = httpx.get(f"{server.url}/sparql", params={"query": query})
    assert response.status_code == 400
    return response.text


def _located(message: str, line: int, column: int, source_line: str) -> None:
    """The message names the position, shows the line and puts a caret under the column."""
    lines = message.splitlines()
    assert f"line {line}, column {column}:" in lines[0]
    shown = lines.index(f"  {source_line}")
    assert lines[shown + 1] == "  " + " " * (column - 1) + "^"
    assert "\\u{" not in message and "..=" not in message
    assert len(message) < 600 and len(lines) <= 6


def test_undeclared_prefix_names_itself_and_suggests_predeclared(server: Server) -> None:
    message = _error(server, "SELECT * WHERE { ?s a foo:Bar }")
    _located(message, 1, 23, "SELECT * WHERE { ?s a foo:Bar }")
    assert "foo: is not declared" in message
    assert "eocic: rdf: rdfs:" in message and "region:" in message


def test_misspelt_prefix_gets_the_close_one(server: Server) -> None:
    message = _error(server, "SELECT * WHERE {\n  regions:saxony ?p ?o\n}")
    _located(message, 2, 3, "  regions:saxony ?p ?o")
    assert "did you mean region:" in message


def test_id_slash_suggests_the_kind_prefix(server: Server) -> None:
    message = _error(server, "SELECT * WHERE { id:region/saxony ?p ?o }")
    _located(message, 1, 18, "SELECT * WHERE { id:region/saxony ?p ?o }")
    assert "write region:saxony" in message


def test_misspelt_keyword(server: Server) -> None:
    message = _error(server, "SELECT ?s WHERE { ?s ?p ?o }\nLIMT 10")
    _located(message, 2, 1, "LIMT 10")
    assert "did you mean LIMIT?" in message


def test_unclosed_brace_and_missing_dot(server: Server) -> None:
    message = _error(server, "SELECT ?s WHERE { ?s ?p ?o")
    _located(message, 1, 17, "SELECT ?s WHERE { ?s ?p ?o")
    assert 'expected: "}"' in message
    missing_dot = "SELECT ?s WHERE {\n  ?s a eocic:Region\n  ?s eocic:name ?n .\n}"
    message = _error(server, missing_dot)
    _located(message, 3, 3, "  ?s eocic:name ?n .")  # where the "." belongs
    assert '"." missing' in message


def test_parser_position_in_words(server: Server) -> None:
    message = _error(server, "SELECT ?x WHERE { ?s ?p ?o } GROUP BY")
    _located(message, 1, 38, "SELECT ?x WHERE { ?s ?p ?o } GROUP BY")
    assert "found the end of the query" in message
    assert "expected: a variable" in message and "an IRI" in message


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ('one of "$", "(", ":", "<", "?", [\'A\' ..= \'Z\' | \'a\' ..= \'z\'], [_]', None),
        ("one of ABS, AVG, DAY, IRI, MAX, NOT, STR, SUM", "an expression"),
        ("CONSTRUCT", "CONSTRUCT"),
    ],
)
def test_expected_words_never_list_character_ranges(raw: str, words: str | None) -> None:
    text = expected_words(raw)
    assert "'" not in text and "..=" not in text and "[_]" not in text
    if words:
        assert words in text


def test_cli_query_error_is_the_same_message(tmp_path: Path) -> None:
    query = tmp_path / "bad.rq"
    query.write_text("SELECT * WHERE { ?s a foo:Bar }\n")
    result = run_cli("query", "-f", str(query), dist=release_dist(tmp_path))
    assert result.returncode == 1
    assert "line 1, column 23: the prefix foo: is not declared" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("query", "line", "column", "says"),
    [
        ("SELECT * WHERE { ?s rdfs:label \u201cSaxony\u201d }", 1, 32, "straight quotes"),
        ("SELECT * WHERE {\n  ?s ?p ?o FILTER(?o == 1)\n}", 2, 22, "a single ="),
        ("SELECT ?s WHERE { ?s ?p ?o } ORDER ?s", 1, 36, "ORDER must be followed by BY"),
        ("SELECT s WHERE { ?s ?p ?o }", 1, 8, "a variable starts with ? (?s)"),
        ("SELECT ?s, ?o WHERE { ?s ?p ?o }", 1, 10, "not commas"),
        ("SELECT * WHERE {\n  ?s ?p ?o FILTER(?o = )\n}", 2, 24, "an expression"),
        ("SELECT * WHERE { ?s ?p 'abc }", 1, 24, "string is not closed"),
        ("SELECT * WHERE { ?s <https://w3id.org/eocic/id/a b> ?o }", 1, 21, "contains a space"),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT ten", 1, 35, "expected: a number"),
    ],
)
def test_common_mistakes_are_named_where_they_are(
    server: Server, query: str, line: int, column: int, says: str
) -> None:
    message = _error(server, query)
    _located(message, line, column, query.split("\n")[line - 1])
    assert says in message
