"""Internals a public service can stand on (issue 20): one regression test per finding of the
limits, settings and small-ones part, named after it.

The servers are the real `eocic-kg serve` (gunicorn) on loopback ports, or the real app
in-process where a test sets what it changes.
"""

from __future__ import annotations

import dataclasses
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pybtex.database
import pytest
from flask import Flask
from pylatexenc.latexwalker import (
    LatexCharsNode,
    LatexGroupNode,
    LatexMacroNode,
    LatexSpecialsNode,
    LatexWalker,
)

from eocic_kg.citation import bibtex, csl_item
from eocic_kg.errors import UsageError
from eocic_kg.settings import ServerSettings
from eocic_kg.store import Store
from eocic_kg.web.app import create_app
from eocic_kg.web.backend import Backend
from tests.conftest import Server

SERVE = [sys.executable, "-m", "eocic_kg.cli", "serve", "--port", "1"]
ASK = "ASK { ?s ?p ?o }"


# Finding 6: one set of settings, the production defaults everywhere


def test_apps_are_built_from_the_production_defaults() -> None:
    """An app made without settings runs what `serve` runs: the result cache and the memory
    budget were off in `create_app` and on in `serve` (defaults that disagreed)."""
    app = create_app(store=Store())
    b: Backend = app.extensions["eocic"]
    production = ServerSettings()
    assert b.settings == production
    assert b.pool.cache is not None  # results are cached, as in production
    assert b.pool.memory_bytes == production.query_memory_mb * 2**20
    assert b.pool.timeout == production.query_timeout and b.pool.size == production.executors
    assert app.config["MAX_CONTENT_LENGTH"] == production.max_upload_bytes
    changed = create_app(store=Store(), executors=1).extensions["eocic"].settings
    assert changed == dataclasses.replace(production, executors=1)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"executors": 0}, "executors"),
        ({"query_timeout": 0}, "query_timeout"),
        ({"cache_mb": -1}, "cache_mb"),
        ({"max_rows": -5}, "max_rows"),
        ({"base_iri": "w3id.org/eocic"}, "base IRI"),
        ({"allowed_origins": frozenset({"https://a.example/page"})}, "origin"),
    ],
)
def test_settings_out_of_range_are_a_usage_error(change: dict, named: str) -> None:
    with pytest.raises(UsageError, match=named):
        ServerSettings(**change)
    settings = ServerSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.query_timeout = 60  # type: ignore[misc]


def test_every_serve_default_is_the_settings_default() -> None:
    """The CLI's defaults are read from `ServerSettings` (they were written twice, and could
    disagree)."""
    from eocic_kg.cli import _settings
    from eocic_kg.cli_parser import build_parser

    args = build_parser("").parse_args(["serve"])
    assert _settings(args) == ServerSettings()


def test_cli_usage_errors_say_so_and_point_to_help(tmp_path: Path) -> None:
    """A wrong option is a usage error naming the option's setting (not a build failure about
    a store that was never opened)."""
    result = subprocess.run(
        [*SERVE, "--workers", "0", "--store", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "workers must be at least 1" in result.stderr
    assert "eocic-kg serve --help" in result.stderr


# Finding 3: Graph Store uploads at their stated limit

NT = {"Content-Type": "application/n-triples"}


def _ntriples(mib: int, label: str = "") -> bytes:
    """About `mib` MiB of N-Triples, ten triples per subject, each its own literal."""
    lines, size, i = [], 0, 0
    while size < mib * 2**20:
        line = f'<http://x.example/s{i // 10}> <http://x.example/p{i % 10}> "{i}{label}" .\n'
        lines.append(line)
        size += len(line)
        i += 1
    return "".join(lines).encode()


def test_upload_memory_is_bounded_not_18_times_the_body(
    start_server: Callable[..., Server], tmp_path: Path
) -> None:
    """A 40 MiB PUT under a 512 MiB budget and the default limits: the body was parsed,
    written as N-Triples, wrapped in one INSERT DATA string and parsed again in one transaction
    (some 20 to 50 times the body, so a 500 here); the engine's bulk loader in bounded chunks
    needs far less. It takes longer than the 5 s query limit: an upload has its own limit
    (`--upload-timeout`), or the stated 256 MiB upload limit could never be reached."""
    empty = tmp_path / "empty.nq"
    empty.write_bytes(b"")
    server = start_server(
        empty,
        writable=True,
        workers=1,
        store_path=tmp_path / "store",
        query_memory_mb=512,
    )
    graph = {"graph": "http://x.example/g"}
    body = _ntriples(40)
    put = httpx.put(f"{server.url}/store", params=graph, content=body, headers=NT, timeout=900)
    assert put.status_code == 201, put.text
    more = b'<http://x.example/s0> <http://x.example/p0> "more" .\n'
    post = httpx.post(f"{server.url}/store", params=graph, content=more, headers=NT)
    assert post.status_code == 204, post.text
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://x.example/g> { ?s ?p ?o } }"
    r = httpx.get(f"{server.url}/sparql", params={"query": count, "format": "json"})
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == body.count(b"\n") + 1


def test_a_refused_upload_changes_nothing_and_blank_nodes_are_new(
    writable_server: Server,
) -> None:
    store = f"{writable_server.url}/store"
    graph = {"graph": "http://x.example/blank-nodes"}
    first = b'_:b0 <http://x.example/p> "1" .\n'
    assert httpx.put(store, params=graph, content=first, headers=NT).status_code == 201
    assert httpx.post(store, params=graph, content=first, headers=NT).status_code == 204
    bad = _ntriples(1) + b"<http://x.example/s> <http://x.example/p> broken .\n"
    for method in ("PUT", "POST"):
        r = httpx.request(method, store, params=graph, content=bad, headers=NT)
        assert r.status_code == 400, r.text
    stored = httpx.get(store, params=graph, headers={"Accept": NT["Content-Type"]}).text
    # the bad uploads wrote nothing, and the two _:b0 uploads are two blank nodes
    assert len({line.split()[0] for line in stored.splitlines()}) == 2, stored


# Finding 4: limits that agree (a GET query at 10 KB, and the page's share links)

LONG_QUERY = "SELECT ?graph WHERE { GRAPH ?graph { } } ORDER BY ?graph\n# " + "x" * 10_000


def test_a_10kb_get_query_is_not_refused_by_the_http_server(server: Server) -> None:
    r = httpx.get(f"{server.url}/sparql", params={"query": LONG_QUERY, "format": "json"})
    assert r.status_code == 200, r.text
    assert len(r.json()["results"]["bindings"]) == 2
    page = httpx.get(f"{server.url}/", params={"query": LONG_QUERY})
    assert page.status_code == 200
    # past the app's limit it is refused: by the app (413) under gunicorn, whose line limit
    # is raised to it; by Granian (414), whose request targets stop at 64 KiB (hyper's limit)
    over = _status_of_get(server, "/sparql?query=%23" + "x" * 64 * 1024)
    assert over.startswith((b"HTTP/1.1 413", b"HTTP/1.1 414")), over
    assert _status_of_get(server, "/sparql?query=" + "x" * 300 * 1024).startswith(b"HTTP/1.1 414")


def test_an_accept_header_of_thousands_of_ranges_is_a_431_not_a_held_worker(
    server: Server,
) -> None:
    """The attack: 3,000 media ranges (56 KB) in Accept. werkzeug matched them against every
    format offered, ~0.3 s of a worker's event loop per request (every other request of that
    worker waited); 5,000 parameters in a Content-Type cost ~13 ms. Now every route refuses
    such headers before reading them, saying why."""
    huge = ",".join(f"application/x-{i}" for i in range(3000))
    for path in (
        "/sparql?query=ASK%7B%7D",
        "/id/figure/1",
        "/api/queries/report-structure",
        "/",
        "/nothing/here",
    ):
        r = httpx.get(server.url + path, headers={"Accept": huge}, timeout=30)
        assert r.status_code == 431, (path, r.status_code)
        assert "Accept header" in r.text and "?format=" in r.text
    long_accept = httpx.get(server.url + "/", headers={"Accept": "text/html;" + "p=v;" * 600})
    assert long_accept.status_code == 431 and "at most 2048" in long_accept.text
    typed = "application/sparql-query;" + ";".join(f"p{i}=v" for i in range(5000))
    r = httpx.post(server.url + "/sparql", content=b"ASK {}", headers={"Content-Type": typed})
    assert r.status_code == 431 and "Content-Type header" in r.text
    # what real clients send is read as before: a browser's, and a long list with q-values
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    rdf = ",".join(f"application/x-{i};q=0.{i % 9 + 1}" for i in range(24)) + ",text/turtle"
    for accept, media in ((browser, "application/sparql-results+xml"), (rdf, "text/turtle")):
        r = httpx.get(
            server.url + "/sparql",
            params={"query": "DESCRIBE <x:y>" if media == "text/turtle" else "ASK {}"},
            headers={"Accept": accept},
        )
        assert r.status_code == 200 and r.headers["content-type"].startswith(media), accept


def _status_of_get(server: Server, target: str) -> bytes:
    """The status line gunicorn answers a GET of `target` with (longer than httpx sends)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        return sock.makefile("rb").readline()


# Finding 15: the CSP on every response, no framing, no javascript: links


def test_javascript_iri_in_chart_data_is_no_live_link(
    writable_app: Callable[..., Flask],
) -> None:
    client = writable_app().test_client()
    attack = """PREFIX eocic: <https://w3id.org/eocic/ontology#>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    INSERT DATA { GRAPH <https://w3id.org/eocic/graph/data> {
      <http://x.example/r> eocic:facesChallenge <http://x.example/c> ; rdfs:label "R" .
      <http://x.example/c> rdfs:label "C" .
      <javascript:fetch('/sparql')> eocic:region <http://x.example/r> ;
                                    eocic:challenge <http://x.example/c> . } }"""
    assert client.post("/sparql", data={"update": attack}).status_code == 204
    svg = client.get("/charts/region-challenge.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    csp = svg.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    links = [
        value
        for element in ElementTree.fromstring(svg.data).iter()
        for name, value in element.attrib.items()
        if name.endswith("href")
    ]
    assert not any("javascript" in link.lower() for link in links), links
    table = client.get("/charts").get_data(as_text=True)
    assert "R" in table and not re.search(r"href=\"\s*javascript", table, re.IGNORECASE)


def test_every_response_has_the_csp_and_pages_cannot_be_framed(server: Server) -> None:
    for path in ("/", "/sparql?query=ASK%7B%7D", "/api/openapi.json", "/store?default"):
        r = httpx.get(server.url + path)
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"], path
        assert r.headers["X-Frame-Options"] == "DENY"


# Finding 17: TeX injection in Cite blocks

HOSTILE_QUOTE = r"\input /etc/hostname \write18{rm -rf ~} } unbalanced { 100% $x^2$ #1 a_b & \\"
#: The only control sequences a BibTeX field may hold: the escapes of printable characters.
HARMLESS = {"textbackslash", "textbraceleft", "textbraceright", "textasciitilde"}
HARMLESS |= {"textasciicircum", "&", "%", "$", "#", "_"}
PRINTED = {"textbackslash": "\\", "textbraceleft": "{", "textbraceright": "}"}
PRINTED |= {"textasciitilde": "~", "textasciicircum": "^"}


def _text(nodes: list) -> str:
    """What TeX prints for `nodes` (pylatexenc's parse), refusing any unexpected control."""
    out = []
    for node in nodes:
        if isinstance(node, LatexMacroNode):
            assert node.macroname in HARMLESS, f"control sequence \\{node.macroname} in the field"
            out.append(PRINTED.get(node.macroname, node.macroname))
        elif isinstance(node, LatexGroupNode):
            assert not node.nodelist, "a group of the data's own braces"
        elif isinstance(node, LatexSpecialsNode):
            assert node.specials_chars in ("``", "''"), node.specials_chars
            out.append(node.specials_chars)
        else:
            assert isinstance(node, LatexCharsNode), node
            out.append(node.chars)
    return "".join(out)


def test_tex_control_sequences_in_a_quote_never_reach_the_bib_file() -> None:
    part = {
        "iri": "https://w3id.org/eocic/id/section/3",
        "label": "3. Joint {challenges}",
        "report": {"iri": "https://w3id.org/eocic/id/report/r", "label": r"A \relax report"},
    }
    entry = bibtex(csl_item(part, quote=HOSTILE_QUOTE))
    # a BibTeX-compatible parser reads one entry with balanced braces and every field whole
    fields = pybtex.database.parse_string(entry, "bibtex").entries["eocic_section_3"].fields
    note = fields["note"]
    nodes, _, _ = LatexWalker(note, tolerant_parsing=False).get_latex_nodes()
    assert _text(nodes) == f"Quote: ``{HOSTILE_QUOTE}''"
    for name, original in (("title", part["report"]["label"]), ("chapter", part["label"])):
        nodes, _, _ = LatexWalker(fields[name], tolerant_parsing=False).get_latex_nodes()
        assert _text(nodes) == original


# Finding 18: invalid UTF-8 in the URL path


def test_invalid_utf8_in_the_url_path_is_refused(server: Server) -> None:
    for path in ("/id/region/saxony%FF", "/id/region/saxony%FE", "/%C3"):
        r = httpx.get(server.url + path, headers={"Accept": "text/turtle"})
        assert r.status_code == 400 and "not valid UTF-8" in r.text, (path, r.text)
    assert httpx.get(f"{server.url}/id/region/s%C3%A4chsisch").status_code == 404


# Finding 20: Origin scheme, Referer-only cross-site writes, writes through a proxy

UPDATE = "INSERT DATA { <http://a.example/s> <http://a.example/p> 1 }"


def test_origin_of_another_scheme_cannot_write(writable_app: Callable[..., Flask]) -> None:
    client = writable_app().test_client()  # the test client's own origin is http://localhost
    r = client.post("/sparql", data={"update": UPDATE}, headers={"Origin": "https://localhost"})
    assert r.status_code == 403, r.text
    ok = client.post("/sparql", data={"update": UPDATE}, headers={"Origin": "http://localhost"})
    assert ok.status_code == 204


def test_cross_site_write_with_only_a_referer_is_refused(
    writable_app: Callable[..., Flask],
) -> None:
    client = writable_app().test_client()
    for referer in ("http://evil.example/page?x=1", "https://localhost/"):
        r = client.post("/sparql", data={"update": UPDATE}, headers={"Referer": referer})
        assert r.status_code == 403 and "--allow-origin" in r.text, (referer, r.text)
    own = client.post("/sparql", data={"update": UPDATE}, headers={"Referer": "http://localhost/"})
    assert own.status_code == 204


def test_write_through_a_reverse_proxy_needs_the_token(
    writable_app: Callable[..., Flask], tmp_path: Path
) -> None:
    proxied = {"X-Forwarded-For": "203.0.113.7"}
    open_app = writable_app().test_client()
    r = open_app.post("/sparql", data={"update": UPDATE}, headers=proxied)
    assert r.status_code == 403 and "--write-token-file" in r.text
    tokened = writable_app(write_token="s3cret").test_client()
    r = tokened.post(
        "/sparql",
        data={"update": UPDATE},
        headers={**proxied, "Authorization": "Bearer s3cret"},
    )
    assert r.status_code == 204
    started = subprocess.run(
        [*SERVE, "--writable", "--behind-proxy", "--store", str(tmp_path / "store")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 2 and "behind a proxy needs a write token" in started.stderr
