"""The query page driven as a person uses it, in a real Chromium (`tests/browser.py`): pick a
named query from the examples, fill its parameters, press Run, read the rows the table shows.

`rows_from_query_page(base_url, name, args)` and `rows_from_query_text(base_url, text)` return
the shown rows as SPARQL JSON bindings (variable -> {"type", "value", "xml:lang" | "datatype"}),
read back from the table's cells, page after page (an IRI from its link's title, a literal from
its text and its language or datatype, which the cell or its column's heading shows), so they
compare directly with `/api/queries/<name>` and `/sparql`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from .browser import Browser

#: The status line once a run has ended: "N rows in M ms", "in M ms" (ASK), or an error.
_DONE = (
    "(s => /((^| )in \\d+ ms|error|failed)/.test(s) && s)"
    "(document.querySelector('#status').textContent)"
)
#: The cells of the result table's page shown, as the page shows them: [variable, kind, text,
#: title, language, datatype] (a literal's language or datatype as its data-lang/data-datatype,
#: which its cell or its column's heading shows).
_CELLS = """
Array.from(document.querySelectorAll('#results table.results tbody tr'), tr =>
  Array.from(tr.cells, (td, i) => {
    const variable = document.querySelectorAll('#results th')[i].dataset.variable;
    const node = td.firstChild;
    if (!node || (node.nodeType === 3 && node.nodeValue === '')) return [variable, 'unbound'];
    if (node.nodeType === 3) return [variable, 'bnode', node.nodeValue];
    const typed = 'lang' in node.dataset || 'datatype' in node.dataset;
    if (node.title && !typed) return [variable, 'uri', node.textContent, node.title];
    return [variable, 'literal', node.firstChild ? node.firstChild.nodeValue : '', null,
            node.dataset.lang || '', node.dataset.datatype || ''];
  }))
"""
#: Show the next page of the result table; false on its last page (or with no pages).
_NEXT_PAGE = """
(b => !!b && !b.disabled && !b.closest('[hidden]') && (b.click(), true))
(document.querySelector('#results .pager button.next'))
"""


class QueryPageError(AssertionError):
    """The query page showed an error instead of rows."""


class QueryPage:
    """One query page in `browser`, at `base_url` (the server's root URL)."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url.rstrip("/")

    def open(self, path: str = "/") -> None:
        """Load the page and wait until its script has started."""
        self.browser.open(self.base_url + path, ready="document.body?.dataset.ready === 'yes'")

    def pick(self, name: str) -> None:
        """Choose the named query `name` in the examples (as choosing an option does)."""
        found = self.browser.evaluate(
            f"(p => {{ if (![...p.options].some(o => o.value === {json.dumps(name)})) return false;"
            f" p.focus(); p.value = {json.dumps(name)}; p.dispatchEvent(new Event('change'));"
            " return true; })(document.querySelector('#example'))"
        )
        if not found:
            raise QueryPageError(f"the examples offer no {name!r}")

    def fill(self, name: str, args: Mapping[str, str]) -> None:
        """Type `args` into the parameter fields of `name` (each field emptied first)."""
        for parameter, value in args.items():
            where = json.dumps(f'fieldset[data-name="{name}"] input[name="{parameter}"]')
            field = f"document.querySelector({where})"
            if not self.browser.evaluate(f"!!{field}"):
                raise QueryPageError(f"{name}: no field for the parameter {parameter!r}")
            self.browser.evaluate(f"({field}.focus(), {field}.select(), true)")
            if value:
                self.browser.send("Input.insertText", text=value)
            else:
                for kind in ("keyDown", "keyUp"):
                    self.browser.send(
                        "Input.dispatchKeyEvent", type=kind, key="Delete", windowsVirtualKeyCode=46
                    )
            shown = self.browser.evaluate(f"{field}.value")
            if shown != value:
                raise QueryPageError(f"{name}: the field {parameter!r} holds {shown!r}")

    def press(self, selector: str) -> None:
        """Click the button `selector` with the mouse, where it is on the screen."""
        x, y = self.browser.evaluate(
            "(b => { b.scrollIntoView({block: 'center'}); const r = b.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })"
            f"(document.querySelector({json.dumps(selector)}))"
        )
        self.browser.click(x, y)

    def run(self) -> str:
        """Press Run and wait for the status line of this run; return it."""
        self.browser.evaluate("document.querySelector('#status').textContent = ''")
        self.press("#run")
        return self.settle()

    def settle(self) -> str:
        """Wait until the run under way has ended; its status line, or QueryPageError."""
        status = self.browser.wait_for(_DONE)
        if "error" in status or "failed" in status:
            message = self.browser.evaluate("document.querySelector('#error').textContent")
            raise QueryPageError(f"{status} {message}".strip())
        return status

    def document(self) -> dict[str, Any]:
        """What the page shows, as a SPARQL JSON results document (an ASK's yes/no as
        `boolean`, a table's columns by their variables, whatever their headings say)."""
        answer = self.browser.evaluate(
            "(a => a && a.textContent)(document.querySelector('#results p.answer'))"
        )
        if answer:
            return {"boolean": answer == "Answer: yes"}
        rows = self.rows()
        variables = self.browser.evaluate(
            "Array.from(document.querySelectorAll('#results th'), th => th.dataset.variable)"
        )
        return {"head": {"vars": variables}, "results": {"bindings": rows}}

    def rows(self) -> list[dict[str, dict[str, str]]]:
        """The rows the result table shows on all its pages (turned with its Next button), as
        SPARQL JSON bindings; QueryPageError unless the page shows a table whose row count
        ("N rows in M ms") is the number of its rows."""
        if not self.browser.evaluate("!!document.querySelector('#results table.results')"):
            shown = self.browser.evaluate("document.querySelector('#results').textContent")
            raise QueryPageError(f"the page shows no result table: {shown[:200]!r}")
        rows = [_binding(cells) for cells in self.browser.evaluate(_CELLS)]
        while self.browser.evaluate(_NEXT_PAGE):  # the other pages of a long result
            rows += [_binding(cells) for cells in self.browser.evaluate(_CELLS)]
        status = self.browser.evaluate("document.querySelector('#status').textContent")
        if not status.startswith(f"{len(rows)} row"):
            raise QueryPageError(f"the status says {status!r} but the table has {len(rows)} rows")
        return rows


def _binding(cells: list[list]) -> dict[str, dict[str, str]]:
    row: dict[str, dict[str, str]] = {}
    for variable, kind, *shown in cells:
        if kind == "unbound":
            continue
        if kind == "uri":
            row[variable] = {"type": "uri", "value": shown[1]}
        elif kind == "bnode":
            row[variable] = {"type": "bnode", "value": shown[0].removeprefix("_:")}
        else:
            value, language, datatype = shown[0], shown[2], shown[3]
            term = {"type": "literal", "value": value}
            if language:
                term["xml:lang"] = language
            elif datatype:
                term["datatype"] = datatype
            row[variable] = term
    return row


def _with_browser(run, browser: Browser | None):
    if browser is not None:
        return run(browser)
    with Browser(width=1280, height=900) as chromium:
        return run(chromium)


def rows_from_query_page(
    base_url: str, name: str, args: Mapping[str, str], browser: Browser | None = None
) -> list[dict[str, dict[str, str]]]:
    """The rows the query page shows for the named query `name` run with `args` (the other
    parameters keep the defaults the form is filled with): open the page, pick the query, type
    the arguments, press Run. Raises QueryPageError when the page shows an error instead.
    Starts a Chromium unless given one (`browser`, reused across calls)."""

    def run(chromium: Browser) -> list[dict[str, dict[str, str]]]:
        page = QueryPage(chromium, base_url)
        page.open()
        page.pick(name)
        page.fill(name, args)
        page.run()
        return page.rows()

    return _with_browser(run, browser)


def rows_from_query_text(
    base_url: str, text: str, browser: Browser | None = None
) -> list[dict[str, dict[str, str]]]:
    """The rows the query page shows for the SPARQL SELECT `text` (an ad-hoc query, sent as the
    page sends it), opened by its link `/?query=...`."""

    def run(chromium: Browser) -> list[dict[str, dict[str, str]]]:
        page = QueryPage(chromium, base_url)
        page.open(f"/?query={quote(text, safe='')}")
        page.settle()
        return page.rows()

    return _with_browser(run, browser)
