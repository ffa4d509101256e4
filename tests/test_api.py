"""The named-query API, tested live: catalogue, runs, errors, OpenAPI and fuzzing."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from eocic_kg.catalogue import ParameterError, internal, load_catalogue, parse_query_text
from eocic_kg.errors import UnknownResourceError
from eocic_kg.queries import select
from eocic_kg.resources import QUERIES_DIR
from eocic_kg.results import plain_rows
from eocic_kg.store import Store
from eocic_kg.store_api import QueryRequest

from .conftest import Server
from .release_cache import release_nquads

CATALOGUE = load_catalogue()
WITH_PARAMETERS = sorted(name for name, q in CATALOGUE.items() if q.parameters)


def test_catalogue_lists_every_query(full_server: Server) -> None:
    r = httpx.get(f"{full_server.url}/api/queries")
    assert r.status_code == 200
    listed = {q["name"]: q for q in r.json()}
    assert set(listed) == set(CATALOGUE)
    assert listed["regions-by-challenge"]["parameters"] == [
        {
            "name": "challenge",
            "type": "iri",
            "required": True,
            "default": "https://w3id.org/eocic/id/challenge/funding",
        }
    ]
    assert all(q["summary"] for q in listed.values())


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_query_runs_with_defaults(full_server: Server, name: str) -> None:
    r = httpx.get(f"{full_server.url}/api/queries/{name}", timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    assert r.json()["results"]["bindings"], f"{name} returned no rows"


def test_parameters_are_bound(full_server: Server) -> None:
    r = httpx.get(
        f"{full_server.url}/api/queries/challenges-of-region",
        params={"region": "https://w3id.org/eocic/id/region/saxony"},
    )
    assert r.status_code == 200
    rows = r.json()["results"]["bindings"]
    assert rows and all(
        row["_region_iri"]["value"] == "https://w3id.org/eocic/id/region/saxony" for row in rows
    )


def test_bound_strings_cannot_inject(full_server: Server) -> None:
    hostile = '" } } ; DROP ALL ; SELECT * WHERE { ?s ?p "'
    r = httpx.get(f"{full_server.url}/api/queries/search-labels", params={"text": hostile})
    assert r.status_code == 200
    assert r.json()["results"]["bindings"] == []


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/queries/regions-by-challenge?challenge=not%20an%20iri", 400, "not an absolute IRI"),
        ("/api/queries/regions-by-challenge?challenge=", 400, "missing required parameter"),
        ("/api/queries/regions-by-challenge?colour=red", 400, "unknown parameter"),
        ("/api/queries/regions-by-challenge?challenge=a:b&challenge=c:d", 400, "once"),
        ("/api/queries/survey-figures-above?threshold=many", 400, "not a decimal"),
        ("/api/queries/regions?format=pdf", 400, "unknown format"),
        ("/api/queries/no-such-query", 404, "no named query"),
        (
            "/api/queries/regions-by-challenge?challenge=challenge:fundng",
            400,
            "nothing in the graph mentions <https://w3id.org/eocic/id/challenge/fundng>",
        ),
    ],
)
def test_errors_are_clear(full_server: Server, path: str, status: int, message: str) -> None:
    r = httpx.get(full_server.url + path)
    assert r.status_code == status
    assert message in r.text


@pytest.mark.parametrize(
    ("path", "params", "takes"),
    [
        ("/api/queries", {"tag": "findings"}, "it takes none"),
        ("/api/vocabulary.json", {"prefix": "region"}, "it takes none"),
        ("/api/cite", {"iri": "region:saxony", "format": "bibtex"}, "its parameters are iri"),
        (
            "/api/queries/regions-by-challenge/cite",
            {"challenge": "challenge:funding", "format": "xml"},
            "its parameters are challenge",
        ),
        (
            "/api/queries/regions-by-challenge/standalone",
            {"challenge": "challenge:funding", "format": "csv"},
            "its parameters are challenge",
        ),
    ],
)
def test_a_parameter_the_route_does_not_take_is_a_400_not_ignored(
    full_server: Server, path: str, params: dict[str, str], takes: str
) -> None:
    """`/api/queries?tag=findings` answered 200 with all the queries, as if filtered, and
    `/api/vocabulary.json?prefix=region` every completion;
    `/api/cite?...&format=bibtex`, `.../cite?format=xml` and `.../standalone?format=csv` the same
    JSON or text as without it: a parameter the route does not read is a 400 naming it; without
    it the route answers."""
    [unknown] = [name for name in params if name in ("tag", "format", "prefix")]
    r = httpx.get(f"{full_server.url}{path}", params=params)
    assert r.status_code == 400, r.text[:300]
    assert f"unknown parameter(s) {unknown} for {path}; {takes}" in r.text
    known = {name: value for name, value in params.items() if name != unknown}
    answered = httpx.get(f"{full_server.url}{path}", params=known)
    assert answered.status_code == 200 and answered.text.strip()


@pytest.mark.parametrize(
    "value", ["NaN", "sNaN", "Infinity", "-Infinity", "1e999999999999999999", "1e300000000", "1_0"]
)
def test_decimal_argument_nan_infinity_or_exponent_is_a_400_not_empty_or_a_huge_number(
    full_server: Server, value: str
) -> None:
    """`threshold=NaN` (or Infinity) was read by Python's Decimal and bound as an ill-typed
    "NaN"^^xsd:decimal: 200 with no rows. `threshold=1e300000000` (a 30-byte URL) was written
    out as 300 MB of digits in the worker, then held an executor to the time limit (503);
    `1e999999999999999999` was a MemoryError (500)."""
    r = httpx.get(
        f"{full_server.url}/api/queries/survey-figures-above",
        params={"threshold": value},
        timeout=30,
    )
    assert r.status_code == 400, (r.status_code, r.text[:200])
    assert "not a decimal" in r.text and "no exponent" in r.text
    with pytest.raises(ParameterError, match="not a decimal"):
        CATALOGUE["survey-figures-above"].bindings({"threshold": value})


def test_decimal_argument_in_xsd_form_is_bound_as_that_number(full_server: Server) -> None:
    for value, expected in (("50", "50"), (" 50.0 ", "50.0"), ("+.5", "0.5"), ("-3.", "-3")):
        r = httpx.get(
            f"{full_server.url}/api/queries/survey-figures-above",
            params={"threshold": value, "format": "json"},
        )
        assert r.status_code == 200, r.text
        rows = r.json()["results"]["bindings"]
        assert rows and float(rows[0]["_threshold_decimal"]["value"]) == float(expected)


def test_a_misspelt_iri_argument_is_refused_on_every_surface_not_answered_empty(
    full_server: Server,
) -> None:
    """`challenge=eocic:funding` (the ontology's namespace, not the challenge's) was answered
    200 with no rows, on the API as in a notebook: a typo looked like a fact."""
    for value in ("eocic:funding", "challenge:fundng"):
        r = httpx.get(
            f"{full_server.url}/api/queries/regions-by-challenge", params={"challenge": value}
        )
        assert r.status_code == 400, r.text
        assert "nothing in the graph mentions" in r.text and "/id/" in r.text
        text = httpx.get(
            f"{full_server.url}/api/queries/regions-by-challenge/standalone",
            params={"challenge": value},
        )
        assert text.status_code == 400 and "nothing in the graph mentions" in text.text
        with pytest.raises(UnknownResourceError, match="nothing in the graph mentions"):
            select("regions-by-challenge", store=Store.from_file(release_nquads()), challenge=value)
    right = {"challenge": "challenge:funding"}
    r = httpx.get(f"{full_server.url}/api/queries/regions-by-challenge", params=right)
    assert r.status_code == 200 and r.json()["results"]["bindings"]


@pytest.fixture(scope="module")
def release_store() -> Store:
    """The release in an embedded store, loaded once for this module."""
    return Store.from_file(release_nquads())


#: The named queries whose IRI parameters take resources of one class (`#+ classes:`).
CLASSED = sorted((n, p, c) for n, q in CATALOGUE.items() for p, c in q.classes.items())
#: Every IRI parameter that declares what it takes: a class, or a sort (`#+ takes:`).
DECLARED = sorted((n, p) for n, q in CATALOGUE.items() for p in (*q.classes, *q.takes))


def wrong_kind_argument(store: Store, name: str, parameter: str) -> str:
    """A resource the graph mentions that the parameter does not take: a region, else a
    challenge, else a class (as the parameter's own check judges it, so that nothing is
    hard-coded)."""
    query = CATALOGUE[name]
    for candidate in ("region:saxony", "challenge:funding", "eocic:PilotRegion"):
        mention = query.mentioned(query.bindings({parameter: candidate}))[0]
        check = internal(mention.test)
        [answer] = select(check, store=store, node=mention.iri, **mention.test_arguments())
        if not answer["boolean"]:
            return mention.iri
    raise AssertionError(f"{name}: every candidate is of the sort {parameter!r} takes")


@pytest.mark.parametrize(("name", "parameter"), DECLARED)
def test_an_iri_argument_of_another_kind_is_refused_not_answered_with_rows_that_mean_nothing(
    full_server: Server, release_store: Store, name: str, parameter: str
) -> None:
    """`regions-without-challenge?challenge=region:saxony` answered 200 with all ten pilot
    regions, "not named for the challenge" Saxony; `challenges-of-region?region=challenge:funding`,
    `findings-about-kind?kind=region:saxony` (a region is no class),
    `facts-from-part?part=region:saxony` (nor a part of the report) and
    `where-stated?resource=eocic:PilotRegion` (a class is not stated in the report; nor is a
    property or a section in `typed-facts`) answered 200 with no rows. An
    argument the graph mentions, of another kind than the parameter takes, is a 400 saying what it
    takes and where those are listed, on the API, the standalone text, the CLI and `select`
    alike; the default argument still runs."""
    store = release_store
    other = wrong_kind_argument(store, name, parameter)
    query = CATALOGUE[name]
    takes = query.mentioned(query.bindings({parameter: other}))[0].sort()
    assert "/" in takes, f"{takes!r} says nowhere where the valid values are listed"
    message = f"parameter {parameter!r} takes {takes}, and <{other}> is not one"
    url = f"{full_server.url}/api/queries/{name}"
    for path in (url, f"{url}/standalone", f"{url}/cite"):
        r = httpx.get(path, params={parameter: other}, timeout=30)
        assert r.status_code == 400, (path, r.text[:300])
        assert message in html.unescape(r.text), r.text
    with pytest.raises(UnknownResourceError, match=re.escape(message)):
        select(name, store=store, **{parameter: other})
    command = ("-m", "eocic_kg", "--release", str(release_nquads()), "query")
    cli = subprocess.run(
        [
            sys.executable,
            *command,
            "-f",
            str(QUERIES_DIR / f"{name}.rq"),
            "-p",
            f"{parameter}={other}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode != 0 and message in cli.stderr, cli.stderr
    default = query.defaults[parameter]
    assert select(name, store=store, **{parameter: default}), "the default no longer runs"


@pytest.mark.parametrize(
    ("name", "parameter", "valid"),
    [
        (
            "findings-about-kind",
            "kind",
            "SELECT DISTINCT ?x WHERE { { ?r a ?x } UNION { ?x a owl:Class } UNION "
            "{ ?x a rdfs:Class } FILTER(isIRI(?x)) }",
        ),
        (
            "facts-from-part",
            "part",
            "SELECT DISTINCT ?x WHERE { { ?report a eocic:Report . ?x dcterms:isPartOf* ?report }"
            " UNION { ?r prov:wasDerivedFrom ?x } }",
        ),
    ],
)
def test_every_class_and_every_report_part_in_the_graph_is_taken_by_its_parameter(
    release_store: Store, name: str, parameter: str, valid: str
) -> None:
    """The `#+ takes:` checks refuse a region as a class or a part of the report; they must
    refuse nothing the graph has of that sort: each class (undeclared ones such as skos:Concept
    too) and each part (those only entailed to be eocic:ReportPart too) still answers."""
    values = [row["x"] for row in select(valid, store=release_store)]
    assert CATALOGUE[name].defaults[parameter] in values
    for value in values:
        select(name, store=release_store, **{parameter: value})


#: The named queries whose IRI parameter takes any resource the report describes.
DESCRIBED = sorted(n for n, q in CATALOGUE.items() if "described" in q.takes.values())


@pytest.mark.parametrize("name", DESCRIBED)
def test_the_described_resource_check_refuses_no_resource_the_query_has_rows_for(
    release_store: Store, name: str
) -> None:
    """`#+ takes: resource=described` refuses classes, properties and parts of the report; it
    must refuse no IRI of the graph for which the query, run without the check, has rows."""
    query = CATALOGUE[name]
    [parameter] = query.takes
    iris = select(
        "SELECT DISTINCT ?x WHERE { { ?x ?p ?o } UNION { ?s ?p ?x } FILTER(isIRI(?x)) }",
        store=release_store,
    )
    refused = []
    for row in iris:
        try:
            select(name, store=release_store, **{parameter: row["x"]})
        except UnknownResourceError:
            refused.append(row["x"])
    assert refused, "the check refuses nothing"
    # a NamedQuery passed to select runs without the check
    assert not [x for x in refused if select(query, store=release_store, **{parameter: x})]


@pytest.mark.parametrize("kind_class", sorted({c for _, _, c in CLASSED}))
def test_a_class_a_parameter_takes_is_stated_of_each_of_its_instances(
    release_store: Store, kind_class: str
) -> None:
    """The class check asks the dataset the query runs on: with only the asserted data
    (`default-graph-uri` .../graph/data) it must judge as on the whole release, so every
    instance of a class a parameter takes is stated in the data, not only entailed."""
    store = release_store
    text = f"SELECT ?x WHERE {{ ?x a <{kind_class}> }} ORDER BY ?x"
    everywhere = select(text, store=store)
    assert everywhere
    assert select(text, store=store, graphs=["https://w3id.org/eocic/graph/data"]) == everywhere


def test_a_class_check_does_not_judge_a_dataset_without_that_class() -> None:
    """With only the asserted data as the default graph, `eocic:ReportPart` (a class the
    reasoner entails) has no instance: the check then lets the argument through rather than
    refusing every one; with the entailments it refuses a region."""
    store = Store.from_file(release_nquads())
    query = parse_query_text(
        "#+ classes: part=eocic:ReportPart\n"
        "SELECT ?_part_iri ?x WHERE { ?x prov:wasDerivedFrom ?_part_iri }",
        "derived",
    )
    data = ("https://w3id.org/eocic/graph/data",)

    def rows(part: str, graphs: tuple[str, ...]) -> list[dict]:
        bound = query.bindings({"part": part})
        request = QueryRequest(
            query.text, default_graphs=graphs, substitutions=bound, mentioned=query.mentioned(bound)
        )
        return plain_rows(store.query(request))

    assert rows("section:3-digitalisation", data)
    with pytest.raises(UnknownResourceError, match="class eocic:ReportPart"):
        rows("region:saxony", (*data, "https://w3id.org/eocic/graph/inferred"))


@pytest.mark.parametrize(
    ("headers", "params", "media_type"),
    [
        ({"Accept": "text/csv"}, {}, "text/csv"),
        ({"Accept": "text/tab-separated-values"}, {}, "text/tab-separated-values"),
        ({}, {"format": "xml"}, "application/sparql-results+xml"),
        ({"Accept": "text/html"}, {}, "application/sparql-results+json"),
    ],
)
def test_result_formats(
    full_server: Server, headers: dict[str, str], params: dict[str, str], media_type: str
) -> None:
    r = httpx.get(f"{full_server.url}/api/queries/regions", headers=headers, params=params)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(media_type)
    assert "Saxony" in r.text


def test_openapi_document_validates(full_server: Server) -> None:
    document = httpx.get(f"{full_server.url}/api/openapi.json").json()
    validate(document)
    assert {f"/api/queries/{name}" for name in CATALOGUE} <= set(document["paths"])


def test_html_page_has_a_form_per_query(full_server: Server) -> None:
    r = httpx.get(f"{full_server.url}/api")
    assert r.status_code == 200 and "default-src 'self'" in r.headers["content-security-policy"]
    for name in CATALOGUE:
        assert f'action="/api/queries/{name}"' in r.text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(WITH_PARAMETERS),
    value=st.text(max_size=40),
    fmt=st.sampled_from([None, "json", "csv", "xml", "tsv", "html"]),
)
def test_fuzzed_parameters_never_fail_the_server(
    full_server: Server, name: str, value: str, fmt: str | None
) -> None:
    parameter = CATALOGUE[name].parameters[0].name
    params = {parameter: value} | ({"format": fmt} if fmt else {})
    r = httpx.get(f"{full_server.url}/api/queries/{name}", params=params, timeout=30)
    assert r.status_code in (200, 400), r.text


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("schemathesis") is None, reason="schemathesis is not installed")
def test_schemathesis_finds_no_server_error(full_server: Server) -> None:
    run = subprocess.run(
        [
            "schemathesis",
            "run",
            f"{full_server.url}/api/openapi.json",
            "--url",
            full_server.url,
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "25",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_api_results_are_row_limited_and_say_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from eocic_kg.build import nquads
    from eocic_kg.web.app import create_app

    from .release_cache import built_release

    release = tmp_path / "eocic.nq"
    release.write_bytes(nquads(built_release().dataset))
    client = create_app(release, max_rows=3, executors=1).test_client()
    response = client.get("/api/queries/region-challenge-matrix")
    assert response.status_code == 200
    assert response.headers["X-EOCIC-Truncated"] == "true"
    assert len(response.get_json()["results"]["bindings"]) == 3
