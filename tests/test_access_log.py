"""The server's access log: one line per request naming client, request, status, bytes, time."""

from __future__ import annotations

import re
import time
import urllib.parse
from pathlib import Path

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


def test_a_lone_request_is_logged_without_waiting_for_more(server: Server) -> None:
    """The front writes its lines in batches: a request after which nothing else comes must
    still be logged within moments (the batch's timer), not when the next batch fills."""
    marker = "lone-request-probe"
    assert httpx.get(f"{server.url}/sparql", params={"query": f'ASK {{ FILTER("{marker}") }}'})
    deadline = time.monotonic() + 5
    while not _lines(server, marker) and time.monotonic() < deadline:
        time.sleep(0.05)  # no request meanwhile: only the timer can write the line
    assert len(_lines(server, marker)) == 1


def test_a_stopped_server_logs_its_last_requests(small_release: Path, tmp_path: Path) -> None:
    """Lines kept for the next batch were lost when the server stopped right after its last
    requests: each worker writes what it keeps when it exits."""
    server = Server(small_release, tmp_path / "server.log", workers=2)
    try:
        with httpx.Client(base_url=server.url) as client:
            for n in range(20):
                query = f'ASK {{ FILTER("stop-probe-{n}") }}'
                assert client.get("/sparql", params={"query": query}).status_code == 200
    finally:
        server.stop()
    assert server.process.returncode is not None
    assert [n for n in range(20) if len(_lines(server, f"stop-probe-{n}%22")) != 1] == []
