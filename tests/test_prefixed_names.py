"""Every IRI input takes a prefixed name of the one prefix table, or answers a 400 that names the
parameter and the known prefixes (issue 19, finding 2; issue 20, finding 19).

`region:saxony` used to be taken as an absolute IRI with the scheme `region`: the API answered
200 with no rows, and `/graph?focus=` refused it.
"""

from __future__ import annotations

import httpx
import pytest

from eocic_kg.prefixes import KINDS, expand_iri

from .conftest import Server

SAXONY = "https://w3id.org/eocic/id/region/saxony"


def _rows(response: httpx.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def test_api_takes_region_saxony_as_a_prefixed_name_not_an_iri_scheme(full_server: Server) -> None:
    url = f"{full_server.url}/api/queries/challenges-of-region"
    by_name = _rows(httpx.get(url, params={"region": "region:saxony"}, timeout=30))
    by_iri = _rows(httpx.get(url, params={"region": SAXONY}, timeout=30))
    assert by_name and by_name == by_iri


@pytest.mark.parametrize(
    ("path", "parameter", "value"),
    [
        ("/api/queries/challenges-of-region", "region", "regoin:saxony"),
        ("/api/queries/challenges-of-region", "region", "saxony"),
        ("/api/queries/regions-by-challenge/cite", "challenge", "challenge:fund ing"),
        ("/graph", "focus", "regoin:saxony"),
        ("/graph/data.json", "focus", "foo:bar"),
        ("/api/cite", "iri", "regoin:saxony"),
    ],
)
def test_an_iri_input_that_is_no_iri_is_a_400_naming_parameter_and_prefixes(
    full_server: Server, path: str, parameter: str, value: str
) -> None:
    response = httpx.get(f"{full_server.url}{path}", params={parameter: value}, timeout=30)
    assert response.status_code == 400, response.text
    assert f"parameter {parameter!r}" in response.text
    assert "eocic: rdf: rdfs:" in response.text and " region: " in response.text
    if value.startswith("regoin:"):
        assert "did you mean region:?" in response.text


def test_graph_focus_takes_a_prefixed_name(full_server: Server) -> None:
    url = f"{full_server.url}/graph/data.json"
    by_name = httpx.get(url, params={"focus": "region:saxony"}, timeout=60)
    by_iri = httpx.get(url, params={"focus": SAXONY}, timeout=60)
    assert by_name.status_code == 200, by_name.text
    assert by_name.json() == by_iri.json()
    page = httpx.get(f"{full_server.url}/graph", params={"focus": "region:saxony"}, timeout=60)
    assert page.status_code == 200, page.text


def test_cite_takes_a_prefixed_name(full_server: Server) -> None:
    url = f"{full_server.url}/api/cite"
    by_name = httpx.get(url, params={"iri": "region:saxony"}, timeout=30)
    by_iri = httpx.get(url, params={"iri": SAXONY}, timeout=30)
    assert by_name.status_code == 200, by_name.text
    assert by_name.json() and by_name.json() == by_iri.json()


def test_graph_focus_with_a_newline_is_a_400_not_a_500(full_server: Server) -> None:
    """Issue 20, finding 19: the newline passed the page's own check and failed later."""
    for path in ("/graph", "/graph/data.json", "/graph/export.graphml"):
        response = httpx.get(
            f"{full_server.url}{path}", params={"focus": SAXONY + "\nx"}, timeout=30
        )
        assert response.status_code == 400, (path, response.text)
        assert "parameter 'focus'" in response.text


def test_api_unknown_parameter_names_the_accepted_ones(full_server: Server) -> None:
    response = httpx.get(
        f"{full_server.url}/api/queries/survey-figures-above", params={"percent": "40"}
    )
    assert response.status_code == 400
    assert "percent" in response.text and "threshold (decimal)" in response.text


@pytest.mark.parametrize(
    ("value", "iri"),
    [
        ("region:saxony", SAXONY),
        ("eocic:PilotRegion", "https://w3id.org/eocic/ontology#PilotRegion"),
        (SAXONY, SAXONY),
        ("urn:isbn:0451450523", "urn:isbn:0451450523"),
    ],
)
def test_expand_iri_expands_prefixed_names_and_keeps_iris(value: str, iri: str) -> None:
    assert expand_iri(value, "x") == iri


@pytest.mark.parametrize(
    "value", ["region:sax ony", "regoin:saxony", "saxony", "", "http://x/a b", "http://x/\n"]
)
def test_expand_iri_refuses_what_is_neither(value: str) -> None:
    with pytest.raises(ValueError, match="parameter 'x'") as refused:
        expand_iri(value, "x")
    assert all(f"{kind}:" in str(refused.value) for kind in KINDS)


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/queries/challenges-of-region", "region"),
        ("/api/queries/challenges-of-region/standalone", "region"),
        ("/graph", "focus"),
        ("/graph/data.json", "focus"),
        ("/api/cite", "iri"),
    ],
)
def test_a_prefixed_name_with_a_trailing_line_break_is_a_400_not_a_500(
    full_server: Server, path: str, parameter: str
) -> None:
    """`region=region:saxony%0A` passed as a prefixed name and became the IRI `...saxony\\n`:
    a 500 (ParameterError) on the API and the graph page, and "the prefix https: is not
    declared" on /api/cite. README: a line break in an IRI is a 400 naming the parameter."""
    with pytest.raises(ValueError, match="parameter 'x'"):
        expand_iri("region:saxony\n", "x")
    response = httpx.get(
        f"{full_server.url}{path}", params={parameter: "region:saxony\n"}, timeout=30
    )
    assert response.status_code == 400, (path, response.text)
    assert f"parameter {parameter!r}" in response.text
