"""`push` against a Graph Store that wants credentials: a small real HTTP server on loopback.

Virtuoso's digest authentication is exercised in `tests/test_virtuoso.py`; this server asks for
HTTP basic authentication, which `push` must answer only after being asked, and records every
request so the tests can see what was sent.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest

from eocic_kg.push import PushError, push

USER, PASSWORD = "loader", "s3cret: with spaces"
GRAPH = "https://example.org/graph/a"


class _Store(BaseHTTPRequestHandler):
    """PUT and HEAD with basic authentication; keeps the bodies it accepted."""

    requests: list[tuple[str, str | None]]
    graphs: dict[str, bytes]
    head_open = False  # True: only writes are challenged

    def log_message(self, *args: object) -> None:
        pass

    def _authorised(self) -> bool:
        auth = self.headers.get("Authorization")
        self.requests.append((self.command, auth))
        expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if auth == f"Basic {expected}":
            return True
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)  # a real server may read or drop the refused body
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="graphs"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_HEAD(self) -> None:
        if self.head_open or self._authorised():
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def do_PUT(self) -> None:
        if self._authorised():
            length = int(self.headers["Content-Length"])
            self.graphs[self.path] = self.rfile.read(length)
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()


@pytest.fixture
def store() -> Iterator[tuple[str, type[_Store]]]:
    handler = type("Handler", (_Store,), {"requests": [], "graphs": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/store", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "small.nq"
    path.write_text(
        f'<https://example.org/a> <https://example.org/p> "ä b" <{GRAPH}> .\n'
        f"<https://example.org/a> <https://example.org/p> <https://example.org/b> <{GRAPH}> .\n",
        encoding="utf-8",
    )
    return path


def test_basic_credentials_only_once_asked(store: tuple[str, type[_Store]], dataset: Path) -> None:
    url, handler = store
    assert push(dataset, url, user=USER, password=PASSWORD, quiet=True) == {GRAPH: 2}
    methods = [(method, auth is not None) for method, auth in handler.requests]
    assert methods == [("HEAD", False), ("HEAD", True), ("PUT", True)]
    (body,) = handler.graphs.values()
    triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    assert len(triples) == 2
    assert ox.Literal("ä b") in {t.object for t in triples}


def test_without_or_with_wrong_credentials(store: tuple[str, type[_Store]], dataset: Path) -> None:
    url, handler = store
    with pytest.raises(PushError, match="wants credentials"):
        push(dataset, url, quiet=True)
    with pytest.raises(PushError, match="credentials were refused"):
        push(dataset, url, user=USER, password="wrong", quiet=True)
    with pytest.raises(PushError, match="needs a password"):
        push(dataset, url, user=USER, quiet=True)
    assert handler.graphs == {}


def test_a_challenged_upload_is_sent_again_whole(
    store: tuple[str, type[_Store]], dataset: Path
) -> None:
    url, handler = store
    handler.head_open = True
    assert push(dataset, url, user=USER, password=PASSWORD, quiet=True) == {GRAPH: 2}
    assert [(m, a is not None) for m, a in handler.requests] == [("PUT", False), ("PUT", True)]
    (body,) = handler.graphs.values()
    assert len(list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))) == 2
