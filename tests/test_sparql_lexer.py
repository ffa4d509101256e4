"""The SPARQL tokenizer follows the grammar's terminals (property-based, with hypothesis).

Generated terminals hide keywords and brackets in every place the grammar allows (IRIs with `#`,
prefixed names with `\\`-escapes and `%xx`, the four string forms with their escapes, comments,
variables, blank node labels); the engine itself confirms that each generated terminal is valid.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eocic_kg.errors import RefusedError
from eocic_kg.query_errors import explain
from eocic_kg.sparql_lexer import MAX_NESTING, Analysis, check_request, keywords, tokens

HIDDEN = st.sampled_from(["SERVICE", "LOAD", "service", "Load", "'", '"', "#", "(", "{", "[", "\\"])
LETTERS = st.text(alphabet="abcXYZ019_", min_size=1, max_size=6)
ECHAR = st.sampled_from(
    ["\\t", "\\n", "\\'", '\\"', "\\\\", "\\r", "\\b", "\\f", "\\u00e9", "\\U0001F600"]
)
PLX = st.sampled_from(["\\'", "\\(", "\\)", "\\.", "\\~", "\\-", "\\!", "%41", "%7B", "%2f"])


@st.composite
def iris(draw: st.DrawFn) -> str:
    pieces = st.sampled_from(["SERVICE", "LOAD", "'", "(", "a", "/", "%20", "\\u00e9"])
    path = "".join(draw(st.lists(pieces)))
    fragment = draw(st.one_of(st.none(), st.lists(pieces).map("".join)))
    return "<http://example.org/" + path + ("" if fragment is None else "#" + fragment) + ">"


@st.composite
def strings(draw: st.DrawFn) -> str:
    quote = draw(st.sampled_from(["'", '"', "'''", '"""']))
    pieces = draw(st.lists(st.one_of(HIDDEN, ECHAR, LETTERS, st.just(" ")), max_size=8))
    body = ""
    run = 0  # the bare quote characters ending the body
    for piece in pieces:
        bare_quote = piece == quote[0]
        if piece == "\\" or (piece in ("'", '"') and len(quote) == 1):
            piece = "\\" + piece  # a bare backslash or a closing quote must be escaped
            bare_quote = False
        elif bare_quote and run == 2:  # a third quote in a row would close a long string
            piece = "\\" + piece
            bare_quote = False
        run = run + 1 if bare_quote else 0
        body += piece
    if run:  # a long string must not end with its own quote character
        body += " "
    return quote + body + quote


@st.composite
def prefixed_names(draw: st.DrawFn) -> str:
    first = draw(st.one_of(LETTERS, PLX))
    rest = draw(st.lists(st.one_of(LETTERS, PLX, st.sampled_from(["SERVICE", "LOAD"]))))
    fragment = draw(st.sampled_from(["", "\\#", "\\#SERVICE", "\\#\\'"]))  # one `#` at most
    return "ex:" + first + fragment + "".join(rest)


TERMINALS = st.one_of(
    iris(),
    strings(),
    prefixed_names(),
    LETTERS.map(lambda s: "?" + s),
    LETTERS.map(lambda s: "$SERVICE" + s),
    LETTERS.map(lambda s: "_:LOAD" + s),
    st.integers(0, 10**6).map(str),
)
COMMENTS = st.lists(st.one_of(HIDDEN, LETTERS, st.just(" ")), max_size=6).map(
    lambda parts: "# " + "".join(parts) + "\n"
)


def _engine_accepts(term: str) -> bool:
    query = f"PREFIX ex: <http://example.org/> SELECT * WHERE {{ VALUES ?x {{ {term} }} }}"
    if term.startswith(("?", "$")):
        query = f"SELECT * WHERE {{ BIND(1 AS {term}) }}"
    elif term.startswith("_:"):
        query = f"SELECT * WHERE {{ {term} ?p ?o }}"
    try:
        ox.Store().query(query)
    except SyntaxError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(TERMINALS)
def test_each_generated_terminal_is_valid_sparql_and_one_token(term: str) -> None:
    assert _engine_accepts(term), term
    assert [t.text for t in tokens(term)] == [term]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(TERMINALS, COMMENTS), max_size=12))
def test_keywords_hidden_in_terminals_are_not_keywords(noise: list[str]) -> None:
    text = " ".join(noise)
    assert check_request(text, update=True) == set()
    assert not keywords(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(TERMINALS, COMMENTS), max_size=8),
    st.lists(st.one_of(TERMINALS, COMMENTS), max_size=8),
    st.sampled_from(["SERVICE", "service", "SeRvIcE", "LOAD", "load"]),
    st.sampled_from([" ", "\t", "\n", "#c\n", ""]),
)
def test_real_service_and_load_are_always_found(
    before: list[str], after: list[str], keyword: str, gap: str
) -> None:
    text = " ".join(before) + f"\n{keyword}{gap}<http://127.0.0.1:1/> " + " ".join(after)
    with pytest.raises(RefusedError, match=keyword.upper()):
        check_request(text, update=True)
    if keyword.upper() == "SERVICE":
        with pytest.raises(RefusedError):
            check_request(text, update=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(TERMINALS, COMMENTS), max_size=6), st.integers(1, 2 * MAX_NESTING))
def test_nesting_counts_real_brackets_only(noise: list[str], depth: int) -> None:
    inner = " ".join(noise).replace("\n", "\n ")
    text = "ASK { FILTER(" + "(" * depth + " 1 " + inner + "\n" + ")" * depth + ") }"
    if depth + 2 > MAX_NESTING:
        with pytest.raises(RefusedError, match="nest deeper"):
            check_request(text, update=False)
    else:
        check_request(text, update=False)


def test_attack_escaped_local_name_does_not_hide_service() -> None:
    """Finding 1 of issue 10: `\\'` in a local name was read as the start of a string."""
    query = (
        "PREFIX ex: <http://x/> SELECT * WHERE { BIND(ex:a\\' AS ?z) "
        "SERVICE <http://127.0.0.1:1/> { ?a ?b ?c } FILTER(?z != 'x') }"
    )
    assert ("pname", "ex:a\\'") in [(t.kind, t.text) for t in tokens(query)]
    with pytest.raises(RefusedError, match="SERVICE"):
        check_request(query, update=False)


def test_iri_may_hold_a_hash_and_a_comment_ends_at_the_line() -> None:
    text = "SELECT * { <http://x/#SERVICE> ?p ?o } # SERVICE <http://y/>\nLIMIT 1"
    assert keywords(text) == {"SELECT", "LIMIT"}


def test_codepoint_escapes_do_not_hide_service_or_load() -> None:
    """SPARQL decodes `\\uXXXX` before parsing; the check refuses either reading."""
    with pytest.raises(RefusedError, match="SERVICE"):
        check_request("SELECT * { \\u0053ERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", update=False)
    with pytest.raises(RefusedError, match="LOAD"):
        check_request("\\U0000004cOAD <http://127.0.0.1:1/x.ttl>", update=True)
    assert check_request('ASK { FILTER("caf\\u00e9" != "") }', update=False) == set()


RECOVERY = {"bad_string", "open_string", "bad_iri"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(TERMINALS, COMMENTS), max_size=12))
def test_valid_text_never_holds_a_recovery_token(noise: list[str]) -> None:
    text = "SELECT * WHERE { VALUES ?x { " + " ".join(noise) + "\n} }"
    assert not RECOVERY & {t.kind for t in tokens(text)}


def test_one_tokenizer_reads_codepoint_escapes_for_the_error_messages() -> None:
    """Issue 20, finding 7: the error explainer had a lexer of its own that knew no codepoint
    escapes, and blamed an undeclared prefix https: inside this IRI."""
    query = "SELECT * WHERE { <https://w3id.org/eocic/id/region/caf\\u00e9> ?p ?o . ?s }"
    with pytest.raises(SyntaxError) as parse:
        ox.Store().query(query)
    message = explain(str(parse.value), query)
    assert message.startswith(f'line 1, column {query.rindex("}") + 1}: found "}}"')
    assert "prefix https:" not in message


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("GROUP_CONCAT(?x)", ["keyword", "open", "var", "close"]),
        ("SHA256(?x)", ["keyword", "open", "var", "close"]),
        ('?s ?p "C:\\data"', ["var", "var", "bad_string"]),
        ("?s ?p 'open", ["var", "var", "open_string", "keyword"]),
        ("<https://x.org/a b>", ["bad_iri"]),
    ],
)
def test_token_kinds(text: str, kinds: list[str]) -> None:
    assert [t.kind for t in tokens(text)] == kinds


def test_analysis_reads_form_and_prefixes_once() -> None:
    analysis = Analysis(
        "BASE <http://b/> PREFIX ex: <http://x/>\n# ASK\n"
        "CONSTRUCT { ex:a rdfs:b ?c } WHERE { ?c region:x ex:y }"
    )
    assert analysis.form == "CONSTRUCT"
    assert analysis.declared == {"ex"} and analysis.used == {"ex", "rdfs", "region"}
    assert analysis.tokens[analysis.body].word == "CONSTRUCT"
    assert analysis.tokens is analysis.tokens  # computed once
