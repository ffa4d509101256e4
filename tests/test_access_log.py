"""The server's access log: one line per request naming client, request, status, bytes, time."""

from __future__ import annotations

import re
import urllib.parse

import httpx

from tests.conftest import Server

LINE = re.compile(r'^127\.0\.0\.1 "(?P<request>[^"]+)" (?P<status>\d{3}) (?P<bytes>\d+) \d+ms$')


def _lines(server: Server, marker: str) -> list[re.Match[str]]:
    found = []
    for line in server.log.read_text(errors="replace").splitlines():
        match = LINE.match(line)
        if match and marker in match["request"]:
            found.append(match)
    return found


def test_every_request_is_logged_with_its_status_and_size(server: Server) -> None:
    marker = "access-log-probe"
    query = f'SELECT ("{marker}" AS ?x) {{}}'
    ok = httpx.get(f"{server.url}/sparql", params={"query": query})
    bad = httpx.get(f"{server.url}/sparql", params={"query": f"{query} WHERE"})
    assert (ok.status_code, bad.status_code) == (200, 400)
    encoded = urllib.parse.quote(marker)
    for _ in range(100):  # gunicorn writes the line after the response is sent
        lines = _lines(server, encoded)
        if len(lines) == 2:
            break
        httpx.get(f"{server.url}/health")
    assert [m["request"].split()[0] for m in lines] == ["GET", "GET"]
    assert [m["request"].split()[-1] for m in lines] == ["HTTP/1.1", "HTTP/1.1"]
    assert [m["status"] for m in lines] == ["200", "400"]
    assert int(lines[0]["bytes"]) == len(ok.content)
