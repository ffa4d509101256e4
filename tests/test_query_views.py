"""The query page's result views and editor aids (issue 22), in a real Chromium at 1280 and
390 px against a live server: the table paged and filtered, datatypes said once, names that
break between their parts, the bar chart and the graph (the view kept in the link), a notice
when the server cuts a result, completion by position, and search that inserts an IRI.

What the page shows is compared with what `/sparql`, `/search` and `/api/vocabulary.json`
answer for the same request, read by independent parsers (rdflib) where it matters.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Variable
from rdflib.query import Result

from eocic_kg.prefixes import PREFIXES
from eocic_kg.results import serialise

from .browser import AVAILABLE, Browser
from .conftest import Server
from .query_page import _CELLS, QueryPage, _binding
from .release_cache import release_dist

# one worker runs this file with the other query-page files (`--dist loadgroup`)
pytestmark = [
    pytest.mark.xdist_group("workbench"),
    pytest.mark.browser,
    pytest.mark.skipif(not AVAILABLE, reason="Debian chromium is not installed"),
]
SHADOW = "document.querySelector('#editor').shadowRoot"
#: The run a link started has ended (with rows or an error).
RAN = "/( in \\d+ ms|error)/.test(document.querySelector('#status').textContent)"
WIDTHS = ((1280, 900), (390, 844))
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
DASH = "\N{EN DASH}"
#: Every label of the graph: a long result (hundreds of rows).
LABELS = "SELECT ?resource ?label WHERE { ?resource rdfs:label ?label } ORDER BY ?resource ?label"
#: The number of challenges of each pilot region, by its English name.
COUNTS = (
    "SELECT ?region (COUNT(DISTINCT ?challenge) AS ?challenges) WHERE {\n"
    "  ?r a eocic:PilotRegion ; rdfs:label ?label ; eocic:facesChallenge ?challenge\n"
    '  FILTER(LANG(?label) = "en") BIND(STR(?label) AS ?region)\n'
    "} GROUP BY ?region ORDER BY ?region"
)
#: Regions and the challenges they face: two IRI columns.
FACES = "SELECT ?region ?challenge WHERE { ?region eocic:facesChallenge ?challenge }"
#: Saxony's own statements.
SAXONY = "CONSTRUCT WHERE { region:saxony ?p ?o }"
#: Eight columns of long prefixed names (attribution:piemonte--entrepreneurial-culture).
WIDE = (
    "SELECT ?a ?region ?challenge ?b ?c ?d ?e ?f WHERE {\n"
    "  ?a eocic:region ?region ; eocic:challenge ?challenge\n"
    "  BIND(?a AS ?b) BIND(?a AS ?c) BIND(?a AS ?d) BIND(?a AS ?e) BIND(?a AS ?f)\n"
    "} ORDER BY ?a LIMIT 12"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser(width=1280, height=900) as chromium:
        yield chromium


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w[0]}px")
def sized(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Browser]:
    """The browser at a desktop's and at a phone's width."""
    width, height = request.param
    browser.resize(width, height, mobile=width < 500)
    yield browser
    browser.resize(1280, 900)


def prefixed(iri: str) -> str:
    """`iri` as the page names it: by the predeclared prefix of the longest namespace."""
    prefix, namespace = max(
        ((p, ns) for p, ns in PREFIXES.items() if iri.startswith(ns)), key=lambda p: len(p[1])
    )
    return f"{prefix}:{iri.removeprefix(namespace)}"


def sparql_json(server: Server, query: str) -> dict:
    r = httpx.post(
        f"{server.url}/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()


def open_query(browser: Browser, server: Server, query: str, view: str | None = None) -> str:
    """Open the page's link to `query` (which runs it); its status line once it ran."""
    page = QueryPage(browser, server.url)
    page.open(f"/?query={quote(query, safe='')}" + (f"&view={view}" if view else ""))
    return page.settle()


def shown_view(browser: Browser) -> str:
    """The view the results show once it is drawn."""
    return browser.wait_for(
        "document.querySelector('#results').dataset.shown || "
        "(document.querySelector('#error').hidden ? '' : 'error: ' +"
        " document.querySelector('#error').textContent)"
    )


def choose_view(browser: Browser, view: str) -> None:
    QueryPage(browser, "").press(f"#views button[data-view={view}]")
    browser.wait_for(f"document.querySelector('#results').dataset.view === '{view}'")
    assert shown_view(browser) == view


def page_errors(browser: Browser, since: int, refused: str = "") -> list[str]:
    """Console errors, exceptions and CSP violations from the event `since` on, but the
    browser's favicon request and the answers `refused` names ("status of 400")."""
    return [
        e
        for e in browser.errors(since)
        if "favicon.ico" not in e and not (refused and refused in e)
    ]


def overflow(browser: Browser) -> int:
    return browser.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def copied_link(browser: Browser) -> str:
    browser.evaluate("document.querySelector('#link').value = ''")
    QueryPage(browser, "").press("#copy-link")
    return browser.wait_for("document.querySelector('#link').value")


def shown_rows(browser: Browser) -> int:
    return browser.evaluate("document.querySelectorAll('#results tbody tr').length")


# The table


def test_long_results_had_no_paging_or_filter(full_server: Server, sized: Browser) -> None:
    """A long result is shown a page at a time, every row reachable; the filter box keeps the
    rows with the words in any cell (an IRI's prefixed name or in full, a literal's text)."""
    since = len(sized.events)
    expected = sparql_json(full_server, LABELS)["results"]["bindings"]
    assert len(expected) > 100
    status = open_query(sized, full_server, LABELS)
    assert status.startswith(f"{len(expected)} rows in ")
    assert shown_rows(sized) == 50
    position = "document.querySelector('#results .pager .page').textContent"
    assert sized.evaluate(position) == f"Rows 1{DASH}50 of {len(expected)}"
    page = QueryPage(sized, full_server.url)
    assert page.rows() == expected  # the driver reads every page in turn
    last = (len(expected) - 1) // 50 * 50 + 1
    assert sized.evaluate(position) == f"Rows {last}{DASH}{len(expected)} of {len(expected)}"
    assert sized.evaluate("document.querySelector('#results .pager .next').disabled")

    words = "saxony"
    # an IRI's prefixed name is in its IRI: the words are in a value
    matching = [r for r in expected if any(words in t["value"].lower() for t in r.values())]
    assert 0 < len(matching) < 50
    sized.evaluate("document.querySelector('#results .row-filter').focus()")
    sized.send("Input.insertText", text=words)
    count = "document.querySelector('#results .row-count').textContent"
    assert sized.wait_for(count) == f"{len(matching)} of {len(expected)} rows match"
    assert shown_rows(sized) == len(matching)
    shown = [_binding(cells) for cells in sized.evaluate(_CELLS)]
    assert sorted(map(json.dumps, shown)) == sorted(map(json.dumps, matching))
    assert overflow(sized) <= 0
    assert page_errors(sized, since) == []


def test_every_number_was_labelled_xsd_integer(full_server: Server, browser: Browser) -> None:
    """A column whose literals share a datatype or a language says it once, in its heading;
    the cells then show the bare values. A column that mixes them says it in each cell."""
    open_query(browser, full_server, COUNTS)
    headings = browser.evaluate(
        "Array.from(document.querySelectorAll('#results th'), th =>"
        " [th.dataset.variable, (n => n && n.textContent)(th.querySelector('.column-note'))])"
    )
    assert headings == [["region", None], ["challenges", "xsd:integer"]]
    notes = "document.querySelectorAll('#results td small.note').length"
    assert browser.evaluate(notes) == 0
    numbers = browser.evaluate(
        "Array.from(document.querySelectorAll('#results td:nth-child(2)'), td => td.textContent)"
    )
    expected = sparql_json(full_server, COUNTS)["results"]["bindings"]
    assert numbers == [row["challenges"]["value"] for row in expected]
    assert all(row["challenges"]["datatype"] == XSD_INTEGER for row in expected)
    assert QueryPage(browser, full_server.url).rows() == expected

    mixed = 'SELECT ?x WHERE { VALUES ?x { 1 "a" 2.5 "b"@de } }'
    open_query(browser, full_server, mixed)
    assert browser.evaluate("document.querySelector('#results .column-note')") is None
    assert browser.evaluate(
        "Array.from(document.querySelectorAll('#results td'), td => td.textContent)"
    ) == ["1 xsd:integer", "a", "2.5 xsd:decimal", "b @de"]
    assert (
        QueryPage(browser, full_server.url).rows()
        == (sparql_json(full_server, mixed)["results"]["bindings"])
    )


#: The places where the text of each link in the result table goes to a new line, and the
#: character before each: [[text, [[index, previous character], ...]], ...].
_LINE_BREAKS = """
Array.from(document.querySelectorAll('#results td a'), a => {
  const chars = [];
  const walker = document.createTreeWalker(a, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      chars.push([node.data[i], range.getBoundingClientRect().top]);
    }
  }
  const breaks = [];
  for (let i = 1; i < chars.length; i++) {
    if (chars[i][1] > chars[i - 1][1] + 2) breaks.push([i, chars[i - 1][0]]);
  }
  return [a.textContent, breaks];
})
"""


def test_prefixed_names_broke_mid_word_in_narrow_columns(
    full_server: Server, sized: Browser
) -> None:
    """In narrow columns a name breaks only after its prefix's colon or a hyphen
    (`attribution:` / `piemonte--` / `entrepreneurial-culture`), never inside a word."""
    open_query(sized, full_server, WIDE)
    links = sized.evaluate(_LINE_BREAKS)
    assert len(links) == 12 * 8
    wrapped = [(text, breaks) for text, breaks in links if breaks]
    assert wrapped, "no name needed a second line: the columns are not narrow"
    mid_word = [(text, breaks) for text, breaks in wrapped if any(c not in ":-" for _, c in breaks)]
    assert mid_word == []
    assert overflow(sized) <= 0


# Truncation


@pytest.fixture(scope="module")
def capped_server(start_server, tmp_path_factory) -> Server:  # type: ignore[no-untyped-def]
    """The release served with a row limit of 5 (`--max-rows 5`)."""
    path = release_dist(tmp_path_factory.mktemp("capped")) / "eocic.nq"
    return start_server(path, workers=1, max_rows=5)


def test_truncation_at_max_rows_was_only_in_a_header(
    capped_server: Server, browser: Browser
) -> None:
    """A result cut at the server's row limit says so on the page (a notice naming the limit)
    and in its SPARQL JSON (top-level "truncated" and "warning", which SPARQL JSON readers
    such as rdflib's ignore); a result within the limit has no notice."""
    since = len(browser.events)
    status = open_query(browser, capped_server, LABELS)
    assert status.startswith("5 rows in ") and "truncated" in status
    notice = "(n => !n.hidden && n.textContent)(document.querySelector('#truncated'))"
    assert browser.evaluate(notice).startswith("Only the first 5 rows are shown")
    for url, params in (
        (f"{capped_server.url}/sparql", {"query": LABELS}),
        (f"{capped_server.url}/api/queries/region-challenge-matrix", {}),
    ):
        r = httpx.get(url, params=params, headers={"Accept": "application/sparql-results+json"})
        document = r.json()
        assert r.headers["X-EOCIC-Truncated"] == "true"
        assert document["truncated"] is True and "5 rows" in document["warning"]
        assert len(Result.parse(source=r, format="json").bindings) == 5  # type: ignore[arg-type]
    open_query(browser, capped_server, "SELECT ?x WHERE { VALUES ?x { 1 2 } }")
    assert browser.evaluate(notice) is False
    r = httpx.get(f"{capped_server.url}/sparql", params={"query": "SELECT * { VALUES ?x { 1 } }"})
    assert "truncated" not in r.json()
    status = open_query(browser, capped_server, SAXONY)
    assert browser.evaluate(notice).startswith("Only the first 5 triples are shown")
    assert page_errors(browser, since) == []


@pytest.mark.parametrize("max_rows", [None, 10])
def test_json_of_a_select_the_engine_cut_did_not_say_so(max_rows: int | None) -> None:
    """Rows a remote engine cut at its own limit (`cut`) are said cut in the JSON too, not
    only in the header; SPARQL JSON readers (rdflib) still read the rows."""
    solutions = ox.Store().query("SELECT ?x WHERE { VALUES ?x { 1 2 } }")
    assert isinstance(solutions, ox.QuerySolutions)
    result = serialise(solutions, tabular="json", graph=None, max_rows=max_rows, cut=True)
    document = json.loads(result.body)
    assert result.truncated and document["truncated"] is True
    assert document["warning"] == "results cut at the SPARQL engine's own row limit"
    rows = Result.parse(source=io.BytesIO(result.body), format="json").bindings
    assert [int(row[Variable("x")]) for row in rows] == [1, 2]


# The chart and the graph


def test_result_had_no_bar_chart_view(full_server: Server, sized: Browser) -> None:
    """A result with a numeric column offers a bar chart: one bar per row, named by the other
    columns, of the numbers the endpoint gives; the link keeps the view and opens it."""
    since = len(sized.events)
    expected = sparql_json(full_server, COUNTS)["results"]["bindings"]
    open_query(sized, full_server, COUNTS)
    views = "Array.from(document.querySelectorAll('#views button'), b => b.dataset.view)"
    assert sized.evaluate(views) == ["table", "chart"]
    choose_view(sized, "chart")
    chart = (
        "(c => ({labels: c.data.labels, values: c.data.datasets.map(d => d.data)}))"
        "(Chart.getChart(document.querySelector('#results canvas')))"
    )
    drawn = sized.evaluate(chart)
    assert drawn == {
        "labels": [row["region"]["value"] for row in expected],
        "values": [[int(row["challenges"]["value"]) for row in expected]],
    }
    link = copied_link(sized)
    assert "&view=chart" in link
    QueryPage(sized, full_server.url).open(link.removeprefix(full_server.url))
    assert shown_view(sized) == "chart"
    assert sized.evaluate(chart) == drawn
    assert (
        sized.evaluate("document.querySelector('#views button[aria-pressed=true]').dataset.view")
        == "chart"
    )
    assert overflow(sized) <= 0
    assert page_errors(sized, since) == []


def test_construct_result_had_no_graph_view(full_server: Server, sized: Browser) -> None:
    """A CONSTRUCT result shows Turtle and offers a graph: a node per resource and an edge per
    triple whose object is not a literal (as rdflib reads the endpoint's Turtle), listed as
    text too; the link keeps the view."""
    since = len(sized.events)
    turtle = httpx.get(
        f"{full_server.url}/sparql", params={"query": SAXONY}, headers={"Accept": "text/turtle"}
    )
    graph = Graph().parse(data=turtle.text, format="turtle")
    links = [(s, p, o) for s, p, o in graph if not isinstance(o, Literal)]
    assert links
    open_query(sized, full_server, SAXONY)
    assert shown_view(sized) == "turtle"
    views = "Array.from(document.querySelectorAll('#views button'), b => b.dataset.view)"
    assert sized.evaluate(views) == ["turtle", "graph"]
    choose_view(sized, "graph")
    shown = sized.evaluate(
        "(r => [Number(r.dataset.nodes), Number(r.dataset.edges),"
        " document.querySelectorAll('#results .edge-list li').length,"
        " !!r.querySelector('.graph-box canvas')])(document.querySelector('#results'))"
    )
    nodes = {s for s, _, _ in links} | {o for _, _, o in links}
    assert shown == [len(nodes), len(links), len(links), True]
    predicates = sized.evaluate(
        "Array.from(document.querySelectorAll('#results .edge-list li'),"
        " li => li.textContent.split(' — ')[1].split(' → ')[0])"
    )
    assert sorted(predicates) == sorted(prefixed(str(p)) for _, p, _ in links)
    link = copied_link(sized)
    assert link.endswith("&view=graph")
    QueryPage(sized, full_server.url).open(link.removeprefix(full_server.url))
    assert shown_view(sized) == "graph"
    assert overflow(sized) <= 0
    assert page_errors(sized, since) == []


def test_two_iri_columns_had_no_graph_view(full_server: Server, browser: Browser) -> None:
    """A SELECT with two IRI columns offers a graph with an edge per row from the first to the
    second; a result without numbers or two IRI columns offers only the table."""
    since = len(browser.events)
    expected = sparql_json(full_server, FACES)["results"]["bindings"]
    open_query(browser, full_server, FACES, view="graph")
    assert shown_view(browser) == "graph"
    nodes = {row[v]["value"] for row in expected for v in ("region", "challenge")}
    assert browser.evaluate(
        "(r => [Number(r.dataset.nodes), Number(r.dataset.edges)])"
        "(document.querySelector('#results'))"
    ) == [len(nodes), len(expected)]
    open_query(browser, full_server, "SELECT ?label WHERE { region:saxony rdfs:label ?label }")
    assert browser.evaluate("document.querySelector('#views').hidden")
    assert shown_view(browser) == "table"
    open_query(browser, full_server, FACES.replace("?challenge }", "?c } LIMIT 1"), view="graph")
    assert shown_view(browser) == "table"  # view=graph asked for, but there is one IRI column
    assert "view=" not in copied_link(browser)
    assert page_errors(browser, since) == []


# The editor


def _vocabulary(server: Server) -> dict:
    return httpx.get(f"{server.url}/api/vocabulary.json").json()


def _complete(browser: Browser, server: Server, before: str, typed: str) -> list[str]:
    """The completions offered after typing `typed` at the end of the query `before`."""
    QueryPage(browser, server.url).open(f"/?query={quote(before + ' }', safe='')}")
    browser.wait_for(RAN)  # an error: the query is not finished
    browser.evaluate(f"{SHADOW}.querySelector('.cm-content').focus()")
    for key, code in (("End", 35), ("End", 35), ("ArrowLeft", 37), ("ArrowLeft", 37)):
        browser.send(
            "Input.dispatchKeyEvent", type="keyDown", key=key, code=key, windowsVirtualKeyCode=code
        )
    browser.type(typed)
    # the list for the whole of `typed`: after a colon, only names with that prefix
    prefix = json.dumps(typed[: typed.find(":") + 1])
    return browser.wait_for(
        f"(o => o.length && o.every(l => l.startsWith({prefix}) && l !== {prefix}) && o)"
        f"(Array.from({SHADOW}.querySelectorAll('.cm-tooltip-autocomplete li"
        " .cm-completionLabel'), li => li.textContent))"
    )


def test_completion_offered_every_term_in_every_position(
    full_server: Server, browser: Browser
) -> None:
    """After `a` the editor offers classes only, in a predicate's place properties only (and
    `a`), elsewhere any term; after PREFIX a prefix with its IRI."""
    kinds: dict[str, set[str]] = {}
    for term in _vocabulary(full_server)["terms"]:
        kinds.setdefault(term["kind"], set()).add(term["name"])
    after_a = _complete(browser, full_server, "SELECT * WHERE { ?s a ", "eocic:")
    assert "eocic:PilotRegion" in after_a and set(after_a) <= kinds["class"]
    typed = _complete(browser, full_server, "SELECT * WHERE { ?s rdf:type ", "eocic:Pi")
    assert "eocic:PilotRegion" in typed and set(typed) <= kinds["class"]
    for before in (
        "SELECT * WHERE { ?s ",
        "SELECT * WHERE { ?s eocic:region ?r ; ",
        "SELECT * WHERE { ?s a eocic:Measure . ?s ",
        "SELECT * WHERE { ?s eocic:region/",
    ):
        offered = _complete(browser, full_server, before, "eocic:")
        assert "eocic:facesChallenge" in offered, before
        assert set(offered) <= kinds["property"], before
    for typed, term in (
        ("eocic:Pilot", "eocic:PilotRegion"),
        ("eocic:faces", "eocic:facesChallenge"),
    ):
        # an object may be any term
        assert term in _complete(browser, full_server, "SELECT * WHERE { ?s eocic:p ", typed)
    subject = _complete(browser, full_server, "SELECT * WHERE { ", "region:sax")
    assert "region:saxony" in subject

    declared = _complete(browser, full_server, "PREFIX ", "regi")
    assert declared[0] == "region:"
    # a click on the option (as with a mouse), once the list is laid out, applies it
    x, y = browser.wait_for(
        f"(li => {{ const r = li.getBoundingClientRect(), x = r.x + r.width / 2,"
        f" y = r.y + r.height / 2; return li.contains({SHADOW}.elementFromPoint(x, y)) && [x, y]"
        f" }})({SHADOW}.querySelector('.cm-tooltip-autocomplete li'))"
    )
    browser.click(x, y)
    text = browser.evaluate(f"{SHADOW}.querySelector('.cm-content').textContent")
    assert text.startswith(f"PREFIX region: <{PREFIXES['region']}>")


# Search


def test_query_page_had_no_search_to_insert_an_iri(full_server: Server, sized: Browser) -> None:
    """Words searched on the query page list the hits `/search` gives; "Insert" writes the
    hit's prefixed name at the editor's cursor, and the query runs with it."""
    since = len(sized.events)
    words = "brain drain"
    hits = httpx.get(
        f"{full_server.url}/search", params={"q": words, "format": "json", "limit": 10}
    ).json()["hits"]
    assert hits
    before, after = "SELECT ?label WHERE { ", " rdfs:label ?label }"
    page = QueryPage(sized, full_server.url)
    page.open(f"/?query={quote(before + after, safe='')}")
    sized.wait_for(RAN)  # an error: the query lacks its subject
    # the cursor goes after "{ " (a click in the editor, then Home and arrows)
    sized.evaluate(f"{SHADOW}.querySelector('.cm-content').focus()")
    keys = [("Home", 36)] + [("ArrowRight", 39)] * len(before)
    for key, code in keys:
        sized.send(
            "Input.dispatchKeyEvent", type="keyDown", key=key, code=key, windowsVirtualKeyCode=code
        )
    page.press("#find-panel summary")
    sized.evaluate("document.querySelector('#find-words').focus()")
    sized.send("Input.insertText", text=words)
    page.press("#find button[type=submit]")
    listed = sized.wait_for(
        "(l => l.length && l)(Array.from(document.querySelectorAll('#hits li'),"
        " li => [li.dataset.iri, li.querySelector('.hit-label').textContent]))"
    )
    assert listed == [[h["resource"], h["label"]] for h in hits]
    marked = sized.evaluate("document.querySelector('#hits li mark').textContent")
    assert marked.lower() == words
    name = prefixed(hits[0]["resource"])
    page.press("#hits li button.insert")
    text = sized.evaluate(f"{SHADOW}.querySelector('.cm-content').textContent")
    assert text == before + name + after
    status = page.run()
    expected = sparql_json(full_server, before + name + after)["results"]["bindings"]
    assert expected and status.startswith(f"{len(expected)} row")
    assert page.rows() == expected

    sized.evaluate("document.querySelector('#find-words').value = '\"unbalanced'")
    page.press("#find button[type=submit]")
    message = sized.wait_for(
        "(s => s.className === 'error' && s.textContent)(document.querySelector('#find-status'))"
    )
    assert "quote" in message and "400" not in message
    assert overflow(sized) <= 0
    # the link's unfinished query and the unbalanced quote were refused, as they should be
    assert page_errors(sized, since, refused="status of 400") == []
