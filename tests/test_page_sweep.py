"""Every kind of page a browser may open, in real Chromium at 1280 and 390 px (issue 22, "How it
is checked"): no console error, no Content-Security-Policy violation, no page wider than the
screen.

Set `EOCIC_SCREENSHOTS` to a directory to also save the first screen of the pages listed in
`SHOTS` there (`docs/screenshots/` holds them:
`EOCIC_SCREENSHOTS=docs/screenshots python -m pytest tests/test_page_sweep.py -m slow -n 0`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from rdflib import URIRef

from .browser import AVAILABLE, Browser
from .conftest import Server
from .release_cache import release_graph

# one worker runs this file (`--dist loadgroup`): its two browsers start once
pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("page_sweep"),
    pytest.mark.skipif(not AVAILABLE, reason="chromium is not installed"),
]

ID = "https://w3id.org/eocic/id/"
WIDTHS = (1280, 390)
HEIGHT = 800
SAXONY = ID + "region/saxony"
#: Scripted pages tell when they are done; the others are done at their load event.
QUERY_READY = "document.body?.dataset.ready === 'yes'"
QUERY_RUN = (
    "(s => /((^| )in \\d+ ms|error|failed)/.test(s))(document.querySelector('#status').textContent)"
)
GRAPH_READY = "document.body.dataset.ready === 'true' || !!document.body.dataset.errors"
#: Collects CSP violations from the first script of every page on (a DevTools script, which
#: the page's policy does not govern).
CSP_LISTENER = (
    "window.__csp = []; document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
)


def _kinds() -> dict[str, str]:
    """Kind (the path segment after /id/) -> one resource of that kind in the release."""
    found: dict[str, str] = {}
    for subject in sorted({s for s in release_graph().subjects() if isinstance(s, URIRef)}):
        rest = str(subject).removeprefix(ID)
        if rest != str(subject) and rest.count("/") == 1:
            found.setdefault(rest.split("/")[0], rest)
    return found


#: Page name -> (path, what tells it is ready); the /id pages are listed by the release.
PAGES = {
    "home": ("/", QUERY_READY),
    "sparql-in-a-browser": ("/sparql", QUERY_READY),
    "query-run": (
        f"/?example=challenges-of-region&region={quote(SAXONY, safe='')}",
        f"{QUERY_READY} && {QUERY_RUN}",
    ),
    "graph-regions": ("/graph?view=regions", GRAPH_READY),
    "graph-classes": ("/graph?view=classes", GRAPH_READY),
    "graph-full": ("/graph?view=full", GRAPH_READY),
    "graph-model": ("/graph?view=model", GRAPH_READY),
    "graph-focus": (f"/graph?focus={quote(SAXONY, safe='')}&hops=1", GRAPH_READY),
    "charts": ("/charts", ""),
    "ontology": ("/ontology", ""),
    "search": ("/search?q=brain+drain", ""),
    "search-form": ("/search", ""),
    "search-empty-query": ("/search?q=", ""),
    "api": ("/api", ""),
    "service-description": ("/about/service-description", ""),
    "void": ("/about/void", ""),
    "not-found": ("/no/such/page", ""),
    "not-found-resource": ("/id/region/nowhere", ""),
}
#: Pages that answer 4xx on purpose (their own status is logged by the browser, not an error).
REFUSALS = {"search-empty-query", "not-found", "not-found-resource"}
#: The first screens saved with EOCIC_SCREENSHOTS.
SHOTS = (
    "query-run",
    "graph-regions",
    "ontology",
    "search",
    "id-region",
    "void",
    "not-found",
)


@pytest.fixture(scope="module")
def browsers() -> Iterator[dict[int, Browser]]:
    opened: dict[int, Browser] = {}
    try:
        for width in WIDTHS:
            opened[width] = browser = Browser(width=width, height=HEIGHT)
            browser.resize(width, HEIGHT, mobile=width < 600)
            browser.send("Page.addScriptToEvaluateOnNewDocument", source=CSP_LISTENER)
        yield opened
    finally:
        for browser in opened.values():
            browser.close()


def problems(browser: Browser, url: str, ready: str, width: int, name: str) -> list[str]:
    """What is wrong with the page at `url` at `width` px: console errors, CSP violations, a
    page wider than the screen (and its first screen saved, with EOCIC_SCREENSHOTS)."""
    browser.events.clear()
    browser.open(url, ready or "document.readyState === 'complete'")
    own = f"({url})" if name in REFUSALS else None  # the page's own status, logged
    found = [e for e in browser.errors() if "favicon" not in e and not (own and own in e)]
    found += [f"CSP: {v}" for v in browser.evaluate("window.__csp")]
    found += [e for e in [browser.evaluate("document.body.dataset.errors || ''")] if e]
    scroll_width = browser.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        found.append(f"{scroll_width} px wide on a {width} px screen")
    if os.environ.get("EOCIC_SCREENSHOTS") and name in SHOTS:
        browser.evaluate("window.scrollTo(0, 0), true")
        target = Path(os.environ["EOCIC_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        browser.screenshot(target / f"{name}-{width}.png")
    return [f"{url} at {width} px: {p}" for p in found]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_page_opens_clean_and_fits_the_screen(
    full_server: Server, browsers: dict[int, Browser], name: str, width: int
) -> None:
    path, ready = PAGES[name]
    assert problems(browsers[width], full_server.url + path, ready, width, name) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_resource_and_index_page_of_every_kind_open_clean_and_fit(
    full_server: Server, browsers: dict[int, Browser], width: int
) -> None:
    kinds = _kinds()
    assert {"region", "challenge", "measure", "cluster"} <= set(kinds)
    found = []
    for kind, rest in sorted(kinds.items()):
        for name, path in ((f"id-{kind}", f"/id/{rest}"), (f"index-{kind}", f"/id/{kind}")):
            found += problems(browsers[width], full_server.url + path, "", width, name)
    assert found == []
