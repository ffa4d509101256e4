"""The query page tells one truth (issue 19): a named example runs as the API runs it, with its
parameters as a form; its columns have readable names; the Cite block is shown only for a named
query's own rows; "Copy with PREFIX lines" gives text that runs on any endpoint.

The browser tests drive a real headless Chromium (`tests/query_page.py`) against a live server
and compare what the page shows with `/api/queries/<name>` and `/sparql` for the same request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from rdflib.plugins.sparql import prepareQuery

from eocic_kg.catalogue import load_catalogue
from eocic_kg.queries import select
from eocic_kg.store import Store
from eocic_kg.web import workbench
from eocic_kg.web.app import create_app

from .browser import AVAILABLE, Browser
from .conftest import Server
from .query_page import QueryPage, QueryPageError, rows_from_query_page, rows_from_query_text
from .release_cache import built_release, release_nquads
from .surfaces import Answer, Row

# one worker runs this file with test_workbench.py (`--dist loadgroup`): the server starts once
pytestmark = pytest.mark.xdist_group("workbench")
needs_chromium = pytest.mark.skipif(not AVAILABLE, reason="Debian chromium is not installed")
CATALOGUE = load_catalogue()
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
PARAMETERISED = sorted(name for name, q in CATALOGUE.items() if q.parameters)
#: Values other than the defaults, per parameter type (an IRI parameter takes another of the
#: resources the page suggests for it).
SHADOW = "document.querySelector('#editor').shadowRoot"
COPIED = "(f => !f.hidden && f.value)(document.querySelector('#standalone'))"
OTHER_VALUES = {"string": "region", "decimal": "70", "integer": "3"}
#: Ad-hoc queries leaving out the PREFIX lines of predeclared prefixes (one declares its own).
AD_HOC = (
    "SELECT ?label WHERE { region:saxony rdfs:label ?label }",
    "SELECT ?region ?label WHERE {\n  ?region eocic:facesChallenge challenge:funding ;"
    ' rdfs:label ?label\n  FILTER(LANG(?label) = "en") # skos: is not used\n} ORDER BY ?label',
    "PREFIX region: <https://w3id.org/eocic/id/region/>\nSELECT ?p (COUNT(*) AS ?n)"
    ' WHERE { region:piemonte ?p ?o FILTER(?p != skos:note || "prov:x" = "") } GROUP BY ?p',
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser(width=1280, height=900) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def store() -> ox.Store:
    """The release in an in-process Oxigraph store, knowing no prefixes."""
    loaded = ox.Store()
    loaded.load(path=str(release_nquads()), format=ox.RdfFormat.N_QUADS)
    return loaded


def api_rows(server: Server, name: str, args: dict[str, str]) -> dict[str, Any]:
    r = httpx.get(f"{server.url}/api/queries/{name}", params=args, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _normalised(rows: list[dict[str, dict[str, str]]], text: str) -> tuple[Row, ...]:
    """Rows answering `text` normalised as the one-truth harness does (`tests.surfaces`): ties
    in any order, the parts of a GROUP_CONCAT sorted (SPARQL leaves their order to the engine,
    which may change it with the plan: a VALUES block does), plain and `xsd:string` alike."""
    return Answer.from_json({"head": {"vars": []}, "results": {"bindings": rows}}, text).rows


def _oxigraph_rows(store: ox.Store, text: str) -> list[dict[str, dict[str, str]]]:
    result = store.query(text, use_default_graph_as_union=True)
    return json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))["results"]["bindings"]


def _rdflib_rows(text: str) -> list[dict[str, dict[str, str]]]:
    result = built_release().graph().query(prepareQuery(text))
    return json.loads(result.serialize(format="json"))["results"]["bindings"]


#: The named queries' parameters that take a sort of resource (`#+ takes:`), with the sort.
TAKES = sorted((n, p, sort) for n, q in CATALOGUE.items() for p, sort in q.takes.items())
#: For each sort, a resource of the release that it refuses (one of another sort).
REFUSED_BY_SORT = {
    "class": "https://w3id.org/eocic/id/region/saxony",
    "described": "https://w3id.org/eocic/ontology#PilotRegion",
    "report-part": "https://w3id.org/eocic/id/region/saxony",
}


def _other_arguments(page: QueryPage, name: str) -> dict[str, str]:
    """For each parameter of `name`, a valid value other than its default."""
    args = {}
    for parameter in CATALOGUE[name].parameters:
        if parameter.kind == "iri":  # another one the field suggests
            suggested = page.browser.evaluate(
                "(i => i.list && Array.from(i.list.options, o => o.value)"
                f".filter(v => v !== i.defaultValue).pop())"
                f"(document.querySelector('#p-{name}-{parameter.name}'))"
            )
            assert suggested, (name, parameter.name)
            args[parameter.name] = suggested
        else:
            args[parameter.name] = OTHER_VALUES[parameter.kind]
    return args


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("name", PARAMETERISED)
def test_parameterised_example_ran_the_raw_text_not_the_named_query(
    full_server: Server, browser: Browser, name: str
) -> None:
    """Each parameterised example, picked and run with its defaults and with other values,
    shows the API's rows for the same arguments (it showed the unbound text's rows)."""
    page = QueryPage(browser, full_server.url)
    page.open()
    page.pick(name)
    defaults = dict(CATALOGUE[name].defaults)
    status = page.run()
    expected = api_rows(full_server, name, defaults)["results"]["bindings"]
    assert int(status.split()[0]) == len(expected), status
    assert page.rows() == expected
    other = _other_arguments(page, name)
    assert other != defaults
    shown = rows_from_query_page(full_server.url, name, other, browser)
    assert shown == api_rows(full_server, name, other)["results"]["bindings"]
    assert [e for e in browser.errors() if "favicon.ico" not in e] == []


@pytest.mark.browser
@needs_chromium
def test_parameter_columns_were_shown_as_variable_names(
    full_server: Server, browser: Browser
) -> None:
    """A projected parameter's column is headed by its readable name (it was `_region_iri`),
    the same name its field has; other columns keep their variable's name."""
    page = QueryPage(browser, full_server.url)
    for name in PARAMETERISED:
        page.open()
        page.pick(name)
        page.run()
        variables = api_rows(full_server, name, {})["head"]["vars"]
        inputs = json.dumps(f'fieldset[data-name="{name}"] input')
        labels = browser.evaluate(
            f"Object.fromEntries(Array.from(document.querySelectorAll({inputs}),"
            " i => [i.dataset.variable,"
            f" document.querySelector('label[for=' + i.id + ']').firstChild.nodeValue.trim()]))"
        )
        headers = browser.evaluate(
            "Array.from(document.querySelectorAll('#results th'),"
            " th => [th.dataset.variable, th.querySelector('button').textContent])"
        )
        assert headers == [[v, labels.get(v, v)] for v in variables], name
        assert not any(text.startswith("_") for _, text in headers), headers
        assert set(labels.values()) <= {text for _, text in headers}  # every one is projected


def _cite_requests(browser: Browser) -> list[str]:
    return browser.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/cite'))"
    )


@pytest.mark.browser
@needs_chromium
def test_cite_block_was_shown_for_rows_that_were_not_the_named_querys(
    full_server: Server, browser: Browser
) -> None:
    """The Cite block comes with a named query's own rows, for the arguments they ran with;
    an edited example is an ad-hoc query, said so, with no form binding and no citation."""
    name, args = "where-stated", {"resource": "https://w3id.org/eocic/id/region/saxony"}
    page = QueryPage(browser, full_server.url)
    page.open()
    page.pick(name)
    assert browser.evaluate("document.querySelector('#mode').className") == "named"
    page.fill(name, args)
    terms = httpx.get(f"{full_server.url}/api/vocabulary.json").json()["terms"]
    label = next(t["label"] for t in terms if t["iri"] == args["resource"])
    assert (
        browser.evaluate(f"document.querySelector('output[for=p-{name}-resource]').value") == label
    )
    page.run()
    shown = browser.wait_for(
        "!document.querySelector('#cite').hidden && Array.from("
        "document.querySelectorAll('#cite summary'), s => s.textContent)"
    )
    r = httpx.get(f"{full_server.url}/api/queries/{name}/cite", params=args)
    assert r.status_code == 200
    expected = [
        (c["csl"].get("section") or c["csl"].get("title") or c["part"])
        + (" (with the quote)" if c.get("quote") else "")
        for c in r.json()
    ]
    assert shown == expected and expected
    assert _cite_requests(browser)[-1].endswith("?resource=" + quote(args["resource"], safe=""))

    # an edit makes it an ad-hoc query: said so, its form unbound, no Cite block
    browser.evaluate(f"{SHADOW}.querySelector('.cm-content').focus()")
    for kind in ("keyDown", "keyUp"):  # Ctrl+End: to the end of the text
        browser.send(
            "Input.dispatchKeyEvent", type=kind, key="End", modifiers=2, windowsVirtualKeyCode=35
        )
    browser.send("Input.insertText", text=" ")
    assert browser.evaluate("document.querySelector('#mode').className") == "ad-hoc"
    assert "edited from the named query where-stated" in browser.evaluate(
        "document.querySelector('#mode').textContent"
    )
    assert browser.evaluate(f"document.querySelector('fieldset[data-name=\"{name}\"]').disabled")
    assert browser.evaluate("document.querySelector('#cite').hidden")
    asked = len(_cite_requests(browser))
    status = page.run()
    sent = browser.evaluate("new URLSearchParams(location.search).get('query')")
    r = httpx.post(
        f"{full_server.url}/sparql",
        data={"query": CATALOGUE[name].text + " "},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert sent == CATALOGUE[name].text + " "  # the link now holds the text, not the name
    as_written = r.json()["results"]["bindings"]
    assert int(status.split()[0]) == len(as_written) and page.rows() == as_written
    assert len(_cite_requests(browser)) == asked  # the ad-hoc run asked for no citation
    assert browser.evaluate("document.querySelector('#cite').hidden")

    # back to the named query: its form binds again, and its rows are cited again
    page.press("#restore")
    assert browser.evaluate("document.querySelector('#mode').className") == "named"
    page.run()
    browser.wait_for("!document.querySelector('#cite').hidden")


@pytest.mark.browser
@needs_chromium
def test_copied_link_to_a_named_query_keeps_its_arguments(
    full_server: Server, browser: Browser
) -> None:
    name, args = "challenges-of-region", {"region": "https://w3id.org/eocic/id/region/saxony"}
    page = QueryPage(browser, full_server.url)
    page.open()
    page.pick(name)
    page.fill(name, args)
    page.press("#copy-link")
    link = browser.wait_for("document.querySelector('#link').value")
    page.browser.open(link, ready="document.body?.dataset.ready === 'yes'")
    status = browser.wait_for(
        "(s => / in \\d+ ms/.test(s) && s)(document.querySelector('#status').textContent)"
    )
    expected = api_rows(full_server, name, args)["results"]["bindings"]
    assert int(status.split()[0]) == len(expected)
    assert page.rows() == expected
    assert browser.evaluate(f"document.querySelector('#p-{name}-region').value") == args["region"]
    csv = browser.evaluate("document.querySelector('#downloads a[data-format=csv]').href")
    api_csv = httpx.get(f"{full_server.url}/api/queries/{name}", params={**args, "format": "csv"})
    assert httpx.get(csv).text == api_csv.text and api_csv.text.count("\n") == len(expected) + 1


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize(
    "link",
    [
        "challenge=challenge:automation&region=region:saxony",
        "challenge=challenge:automation&challenge=challenge:funding",
    ],
)
def test_a_link_with_arguments_the_form_cannot_hold_ran_the_query_with_the_others(
    full_server: Server, link: str
) -> None:
    """`/?example=regions-by-challenge&region=region:saxony` (a parameter the query does not
    take) ran the query with its default challenge and showed its rows, where the API answers
    400; a parameter given twice ran with the first. The page now sends them on to the API and
    shows its error, word for word. (A browser of its own: the 400 is a console error, which
    the module's browser would hold against the tests after this one.)"""
    name = "regions-by-challenge"
    api = httpx.get(f"{full_server.url}/api/queries/{name}?{link}")
    assert api.status_code == 400, api.text
    with Browser(width=1280, height=900) as chromium:
        page = QueryPage(chromium, full_server.url)
        page.open(f"/?example={name}&{link}")
        with pytest.raises(QueryPageError) as shown:
            page.settle()
        assert chromium.evaluate("document.querySelector('#results').textContent") == ""
    assert api.text.removeprefix("400 Bad Request: ").strip() in str(shown.value)


@pytest.mark.browser
@needs_chromium
def test_a_link_to_an_unknown_example_said_nothing(full_server: Server, browser: Browser) -> None:
    """`/?example=regions-by-challange` opened the first example without a word."""
    page = QueryPage(browser, full_server.url)
    page.open("/?example=regions-by-challange")
    status = browser.evaluate("document.querySelector('#status').textContent")
    assert "no named query" in status and "regions-by-challange" in status, status


@pytest.mark.browser
@needs_chromium
def test_a_parameter_field_suggested_resources_its_query_refuses(
    full_server: Server, browser: Browser
) -> None:
    """The `list` field of findings-in-list suggested every `scheme:` resource, such as
    scheme:work-phases, which is no list of findings (the query answered it with no rows, and
    now refuses it): a field whose parameter takes one class suggests its instances only."""
    store = Store.from_file(release_nquads())
    page = QueryPage(browser, full_server.url)
    page.open()
    for name, query in CATALOGUE.items():
        for parameter, kind_class in query.classes.items():
            suggested = browser.evaluate(
                "(i => i.list ? Array.from(i.list.options, o => o.value) : null)"
                f"(document.querySelector('#p-{name}-{parameter}'))"
            )
            instances = select(f"SELECT ?x WHERE {{ ?x a <{kind_class}> }}", store=store)
            assert suggested and set(suggested) <= {row["x"] for row in instances}, (
                name,
                parameter,
            )
            assert query.defaults[parameter] in suggested


@pytest.mark.parametrize(("name", "parameter", "sort"), TAKES)
def test_a_parameter_taking_a_sort_suggests_what_its_query_accepts(
    full_server: Server, name: str, parameter: str, sort: str
) -> None:
    """A field whose parameter takes a sort of resource (`#+ takes:`) suggested none of it
    (findings-about-kind nothing; typed-facts, of the hundreds it takes, the `step:` resources
    of its default's kind): it suggests the resources of the sort, each accepted by the API,
    and none it refuses."""
    picker = _Picker()
    picker.feed(httpx.get(f"{full_server.url}/").text)
    field = next(i for i in picker.fields[name] if i["name"] == parameter)
    vocabulary = httpx.get(f"{full_server.url}/api/vocabulary.json").json()
    takes = field.get("data-takes")
    assert takes, f"the field of {name}'s {parameter!r} says not what it takes"
    suggested = vocabulary["instances"][takes]
    assert CATALOGUE[name].defaults[parameter] in suggested["iris"] and not suggested["more"]
    refused = REFUSED_BY_SORT[sort]
    assert refused not in suggested["iris"]
    with httpx.Client(base_url=f"{full_server.url}/api/queries/", timeout=60) as api:
        answered = {iri: api.get(name, params={parameter: iri}) for iri in suggested["iris"]}
        assert {iri: r.text for iri, r in answered.items() if r.status_code != 200} == {}
        r = api.get(name, params={parameter: refused})
        assert r.status_code == 400 and f"<{refused}> is not one" in r.text


def test_suggestions_past_their_bound_are_cut_and_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """A class or sort accepting more resources than a field suggests (`SUGGESTED`) gives the
    first of them, and `/api/vocabulary.json` says that there are more."""

    def instances() -> dict[str, dict[str, Any]]:
        client = create_app(release_nquads(), executors=1).test_client()
        return client.get("/api/vocabulary.json").get_json()["instances"]

    whole = instances()
    monkeypatch.setattr(workbench, "SUGGESTED", 50)
    cut = instances()
    assert cut.keys() == whole.keys()
    assert any(len(accepted["iris"]) > 50 for accepted in whole.values())
    for takes, accepted in whole.items():
        assert not accepted["more"]
        assert cut[takes]["more"] == (len(accepted["iris"]) > 50), takes
        assert set(cut[takes]["iris"]) <= set(accepted["iris"]) and len(cut[takes]["iris"]) <= 50


@pytest.mark.browser
@needs_chromium
def test_a_parameter_taking_a_sort_lists_its_resources_by_label(
    full_server: Server, browser: Browser
) -> None:
    """The list under the field of a parameter that takes a sort is the resources the API
    accepts for it (`/api/vocabulary.json`), labelled (the default by its label, not its IRI);
    findings-about-kind had no list."""
    instances = httpx.get(f"{full_server.url}/api/vocabulary.json").json()["instances"]
    page = QueryPage(browser, full_server.url)
    page.open()
    for name, parameter, _ in TAKES:
        takes, options = browser.evaluate(
            "(i => [i.dataset.takes,"
            " i.list && Array.from(i.list.options, o => [o.value, o.label])])"
            f"(document.querySelector('#p-{name}-{parameter}'))"
        )
        assert options, (name, parameter)
        assert [iri for iri, _ in options] == instances[takes]["iris"]
        default = CATALOGUE[name].defaults[parameter]
        assert dict(options)[default] not in ("", default), (name, parameter)


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("text", AD_HOC)
def test_copy_with_prefix_lines_gives_text_that_runs_without_predeclared_prefixes(
    full_server: Server, browser: Browser, store: ox.Store, text: str
) -> None:
    """The copied text runs on engines that know no prefixes (Oxigraph, rdflib) and gives the
    rows `/sparql` gives for the text with predeclared prefixes; the text alone does not."""
    shown = rows_from_query_text(full_server.url, text, browser)  # opens the page with `text`
    page = QueryPage(browser, full_server.url)
    page.press("#copy-standalone")
    copied = browser.wait_for(COPIED)
    declarations = re.compile(r"PREFIX\s+[\w.-]*:\s*<[^>]*>\s*")
    assert declarations.sub("", copied) == declarations.sub("", text)  # only PREFIX lines added
    with pytest.raises(SyntaxError):
        store.query(text, use_default_graph_as_union=True)
    r = httpx.post(
        f"{full_server.url}/sparql",
        data={"query": text},
        headers={"Accept": "application/sparql-results+json"},
    )
    expected = r.json()["results"]["bindings"]
    assert expected and shown == expected
    assert _normalised(_oxigraph_rows(store, copied), copied) == _normalised(expected, copied)
    assert _normalised(_rdflib_rows(copied), copied) == _normalised(expected, copied)


@pytest.mark.browser
@needs_chromium
def test_copy_with_prefix_lines_of_a_named_query_binds_its_arguments(
    full_server: Server, browser: Browser, store: ox.Store
) -> None:
    name, args = (
        "regions-without-challenge",
        {"challenge": "https://w3id.org/eocic/id/challenge/funding"},
    )
    page = QueryPage(browser, full_server.url)
    page.open()
    page.pick(name)
    page.fill(name, args)
    page.press("#copy-standalone")
    copied = browser.wait_for(COPIED)
    expected = api_rows(full_server, name, args)["results"]["bindings"]
    assert _normalised(_oxigraph_rows(store, copied), copied) == _normalised(expected, copied)


class _Picker(HTMLParser):
    """The options of the query page's example picker, and its parameter fields."""

    def __init__(self) -> None:
        super().__init__()
        self.options: list[str] = []
        self.fields: dict[str, list[dict[str, str | None]]] = {}
        self._in_picker = False
        self._fieldset: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "select":
            self._in_picker = a.get("id") == "example"
        elif tag == "option" and self._in_picker and a.get("value"):
            self.options.append(a["value"] or "")
        elif tag == "fieldset" and "parameters" in (a.get("class") or ""):
            self._fieldset = a["data-name"]
            self.fields[self._fieldset or ""] = []
        elif tag == "input" and self._fieldset:
            self.fields[self._fieldset].append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._in_picker = False
        elif tag == "fieldset":
            self._fieldset = None


def test_example_picker_repeated_each_query_per_tag(full_server: Server) -> None:
    """Each named query is offered once (there were about 60 options for 38 queries), and each
    parameterised one has a field per parameter, filled with its default."""
    picker = _Picker()
    picker.feed(httpx.get(f"{full_server.url}/").text)
    assert sorted(picker.options) == sorted(CATALOGUE)
    assert sorted(picker.fields) == PARAMETERISED
    for name, inputs in picker.fields.items():
        query = CATALOGUE[name]
        assert [(i["name"], i["data-variable"]) for i in inputs] == [
            (p.name, p.variable) for p in query.parameters
        ]
        assert [i["value"] for i in inputs] == [
            query.defaults.get(p.name, "") for p in query.parameters
        ]
        assert not any((i["data-label"] or "_").startswith("_") for i in inputs)


@pytest.mark.parametrize("name", PARAMETERISED)
def test_standalone_named_query_gives_the_apis_rows(
    full_server: Server, store: ox.Store, name: str
) -> None:
    """A named query's standalone text (its arguments bound by VALUES, PREFIX lines) gives the
    API's rows on an engine that knows no prefixes and binds nothing."""
    args = {p.name: OTHER_VALUES[p.kind] for p in CATALOGUE[name].parameters if p.kind != "iri"}
    r = httpx.get(f"{full_server.url}/api/queries/{name}/standalone", params=args)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/sparql-query")
    expected = api_rows(full_server, name, args)["results"]["bindings"]
    assert _normalised(_oxigraph_rows(store, r.text), r.text) == _normalised(expected, r.text)


def test_standalone_refuses_what_it_cannot_answer(full_server: Server) -> None:
    base = f"{full_server.url}/api"
    r = httpx.get(f"{base}/queries/search-labels/standalone", params={"txt": "x"})
    assert r.status_code == 400 and "unknown parameter" in r.text and "txt" in r.text
    r = httpx.get(f"{base}/queries/regions-by-challenge/standalone", params={"challenge": "x y"})
    assert r.status_code == 400 and "parameter 'challenge'" in r.text and "'x y'" in r.text
    assert httpx.get(f"{base}/queries/no-such-query/standalone").status_code == 404
    r = httpx.post(f"{base}/standalone", content="SELECT * {}")
    assert r.status_code == 415 and "field 'query'" in r.text
    r = httpx.post(f"{base}/standalone", data={"update": "CLEAR ALL"})
    assert r.status_code == 400 and "'query' field" in r.text
    r = httpx.post(f"{base}/standalone", data={"query": "SELECT ?s { ?s a eocic:Measure }"})
    assert r.status_code == 200
    assert (
        r.text
        == "PREFIX eocic: <https://w3id.org/eocic/ontology#> SELECT ?s { ?s a eocic:Measure }"
    )
