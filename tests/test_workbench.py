"""The researcher's workbench in a real browser: the query page, its editor and the API page.

Headless Chromium driven over the DevTools protocol (`tests/browser.py`) against a live server.
Screenshots go to the test's temporary directory, never into the repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from .browser import AVAILABLE, Browser
from .conftest import Server

# one worker runs this file (`--dist loadgroup`): its browser starts once
pytestmark = [
    pytest.mark.xdist_group("workbench"),
    pytest.mark.browser,
    pytest.mark.skipif(not AVAILABLE, reason="Debian chromium is not installed"),
]
SHADOW = "document.querySelector('#editor').shadowRoot"
REGIONS = (
    "SELECT ?region ?label WHERE {\n  ?region a eocic:PilotRegion ; rdfs:label ?label\n}\n"
    "ORDER BY ?label"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser(width=1280, height=900) as chromium:
        yield chromium


def _status(browser: Browser) -> str:
    return browser.wait_for(
        "(s => /( in \\d+ ms|error)/.test(s) && s)(document.querySelector('#status').textContent)"
    )


def test_query_link_opens_the_page_with_its_results(full_server: Server, browser: Browser) -> None:
    browser.open(f"{full_server.url}/?query={quote(REGIONS)}")
    assert _status(browser).startswith("10 rows in ")
    links = browser.evaluate(
        "Array.from(document.querySelectorAll('#results a'), a => [a.textContent,"
        " a.getAttribute('href')])"
    )
    assert ["region:saxony", "/id/region/saxony"] in links
    assert "eocic:PilotRegion" in browser.evaluate(
        f"{SHADOW}.querySelector('.cm-content').textContent"
    )
    first = "document.querySelector('#results tbody td:nth-child(2)').textContent"
    assert browser.evaluate(first).startswith("Cantabria")
    browser.evaluate("document.querySelectorAll('#results th button')[1].click()")
    assert browser.evaluate(first).startswith("Cantabria")  # ascending, as ordered
    browser.evaluate("document.querySelectorAll('#results th button')[1].click()")
    assert browser.evaluate(first).startswith("Wallonia")  # descending
    browser.evaluate("document.querySelector('#copy-link').click()")
    link = browser.wait_for("document.querySelector('#link').value")
    assert link == f"{full_server.url}/?query={quote(REGIONS, safe='')}".replace("%20", "%20")
    assert httpx.get(link).status_code == 200
    downloads = browser.evaluate(
        "Array.from(document.querySelectorAll('#downloads a[data-format=csv]'), a => a.href)"
    )
    assert httpx.get(downloads[0]).text.count("\n") == 11


def test_construct_is_shown_as_turtle_and_errors_point_at_the_line(
    full_server: Server, browser: Browser, tmp_path: Path
) -> None:
    construct = "CONSTRUCT WHERE { region:saxony rdfs:label ?label }"
    browser.open(f"{full_server.url}/?query={quote(construct)}")
    _status(browser)
    assert "region:saxony" in browser.evaluate("document.querySelector('#results pre').textContent")
    bad = "SELECT ?s WHERE {\n  ?s a foo:Region\n}"
    browser.open(f"{full_server.url}/?query={quote(bad)}")
    assert "error" in _status(browser)
    message = browser.evaluate("document.querySelector('#error').textContent")
    assert message.startswith("line 2, column 8: the prefix foo: is not declared")
    marked = browser.wait_for(f"{SHADOW}.querySelector('.cm-error-line')?.textContent")
    assert "foo:Region" in marked
    misspelt = "SELECT ?r WHERE { ?r eocic:facesChalenge challenge:funding }"
    browser.open(f"{full_server.url}/?query={quote(misspelt)}")
    assert _status(browser).startswith("0 rows")
    note = browser.wait_for("document.querySelector('#error').textContent")
    assert note == (
        "eocic:facesChalenge is not a term of the ontology; did you mean eocic:facesChallenge?"
    )


def test_typing_in_the_editor_offers_terms_of_the_ontology(
    full_server: Server, browser: Browser
) -> None:
    browser.open(f"{full_server.url}/?query={quote('SELECT * WHERE { ?s a  }')}")
    browser.wait_for("document.body.dataset.editor === 'ready'")
    _status(browser)
    browser.evaluate(f"{SHADOW}.querySelector('.cm-content').focus()")
    # the cursor goes between "a " and "}" (column 24), then a person types
    for key, code in (("End", 35), ("End", 35), ("ArrowLeft", 37), ("ArrowLeft", 37)):
        browser.send(
            "Input.dispatchKeyEvent", type="keyDown", key=key, code=key, windowsVirtualKeyCode=code
        )
    browser.type("eocic:Pilot")
    options = browser.wait_for(
        f"Array.from({SHADOW}.querySelectorAll('.cm-tooltip-autocomplete li'),"
        " li => li.textContent)"
    )
    assert any("eocic:PilotRegion" in o and "pilot region" in o for o in options), options
    # a click on the option (as with a mouse) writes it into the query
    x, y = browser.wait_for(  # where the option is, once the tooltip is laid out
        f"(li => {{ const r = li.getBoundingClientRect(), x = r.x + r.width / 2,"
        f" y = r.y + r.height / 2; return li.contains({SHADOW}.elementFromPoint(x, y)) && [x, y]"
        f" }})(Array.from({SHADOW}.querySelectorAll('.cm-tooltip-autocomplete li'))"
        ".find(li => li.textContent.includes('eocic:PilotRegion')))"
    )
    browser.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
    for kind in ("mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
    assert "eocic:PilotRegion" in browser.evaluate(
        f"{SHADOW}.querySelector('.cm-content').textContent"
    )


def test_query_page_at_desktop_and_phone_width(full_server: Server, tmp_path: Path) -> None:
    for name, width, height in (("desktop", 1280, 900), ("phone", 390, 844)):
        with Browser(width=width, height=height) as chromium:
            chromium.open(f"{full_server.url}/?query={quote(REGIONS)}")
            _status(chromium)
            overflow = chromium.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name}: the page is wider than the screen by {overflow}px"
            chromium.screenshot(tmp_path / f"query-{name}.png")
            assert (tmp_path / f"query-{name}.png").stat().st_size > 10_000


def test_api_page_runs_a_named_query_in_the_page(full_server: Server, browser: Browser) -> None:
    browser.open(f"{full_server.url}/api")
    browser.wait_for("document.body.dataset.ready === 'yes'")
    section = "document.querySelector('#regions-by-challenge')"
    browser.evaluate(f"{section}.querySelector('a.run-defaults').click()")
    status = browser.wait_for(
        f"(s => / in \\d+ ms/.test(s) && s)({section}.querySelector('.run-status').textContent)"
    )
    assert status.startswith("5 rows")
    assert browser.evaluate("location.pathname") == "/api"  # nothing was downloaded
    cells = browser.evaluate(
        f"Array.from({section}.querySelectorAll('.result td'), td => td.textContent)"
    )
    assert "Lithuania" in cells  # its column says once that its labels are @en
    notes = browser.evaluate(
        f"Array.from({section}.querySelectorAll('.result th .column-note'), n => n.textContent)"
    )
    assert "@en" in notes
    bibtex = browser.wait_for(f"{section}.querySelector('.cite pre.bibtex')?.textContent")
    assert bibtex.startswith("@report{") and "note = {Quote:" in bibtex
    csl = json.loads(browser.evaluate(f"{section}.querySelector('.cite pre.csl-json').textContent"))
    assert csl[0]["type"] == "report" and csl[0]["publisher"] == "European Commission"
