"""Slow clients never hold a request thread (issue 20, finding 10): the Granian front.

Under gunicorn's threaded worker, 32 connections that each sent one byte of a request held its
8 threads and stopped the service. Here the real `eocic-kg serve --front granian` on a loopback
port is held open by 1,000 such connections while it answers.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests import test_safe_service as safe_service
from tests.release_cache import release_dist
from tests.test_safe_service import LINUX, Serve, serve  # noqa: F401

#: What slow clients send, then never finish: a byte of a request line, part of the headers,
#: part of a POST body.
SLOW = (
    b"G",
    b"GET /health HTTP/1.1\r\nHost: x\r\nAcc",
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 100\r\n\r\nquery=SEL",
)
LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/eocic/id/region/saxony> ?p ?o }"


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release built from the bundled data (`/ready` checks each of its graphs)."""
    return release_dist(tmp_path_factory.mktemp("front")) / "eocic.nq"


def _still_open(sock: socket.socket) -> bool:
    """Whether the server neither answered nor closed `sock`."""
    try:
        sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)  # an answer, or b"" once closed
    except BlockingIOError:
        return True
    except OSError:  # reset
        pass
    return False


@pytest.fixture
def front(serve: Callable[..., Serve]) -> Callable[..., Serve]:  # noqa: F811 (the fixture)
    """`eocic-kg serve --front granian ARGS`."""
    return lambda *args, release: serve("--front", "granian", *args, release=release)


@pytest.fixture
def slow_clients() -> Iterator[list[socket.socket]]:
    sockets: list[socket.socket] = []
    yield sockets
    for sock in sockets:
        sock.close()


def _open_slow(url: str, count: int, sockets: list[socket.socket]) -> None:
    host, port = url.removeprefix("http://").split(":")
    for i in range(count):
        sock = socket.create_connection((host, int(port)))
        sockets.append(sock)
        sock.sendall(SLOW[i % len(SLOW)])


def test_slowloris_request_lines_headers_and_bodies_hold_no_thread(
    front: Callable[..., Serve], release: Path, slow_clients: list[socket.socket]
) -> None:
    server = front(release=release)
    # more than the 1,000, and than Granian holds by default (1,024 a worker)
    _open_slow(server.url, 2500, slow_clients)
    with httpx.Client(base_url=server.url, timeout=5) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/ready").status_code == 200
        lookup = client.get("/sparql", params={"query": LOOKUP})
        assert lookup.status_code == 200 and lookup.json()["results"]["bindings"]
    # they answered while every slow client was still connected and unanswered
    assert all(_still_open(sock) for sock in slow_clients)


def test_slowloris_body_too_large_is_refused_before_it_is_sent(
    front: Callable[..., Serve], small_release: Path
) -> None:
    server = front(release=small_release)
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(
            b"PUT /store?default HTTP/1.1\r\nHost: x\r\nContent-Type: text/turtle\r\n"
            + f"Content-Length: {2**40}\r\n\r\n".encode()
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413") and b"larger than the limit" in answer


@LINUX
def test_slowloris_front_client_that_hangs_up_stops_its_query(
    front: Callable[..., Serve], small_release: Path
) -> None:
    """The front reports the hang-up to the query pool, which stops the query at once."""
    safe_service.test_a_client_that_hangs_up_stops_its_query(front, small_release)


def test_slowloris_stalled_headers_are_closed_and_stalled_bodies_get_408(
    front: Callable[..., Serve], small_release: Path, slow_clients: list[socket.socket]
) -> None:
    """The read time limits end what the slow clients began (waited for with a bound)."""
    server = front(release=small_release)
    _open_slow(server.url, len(SLOW), slow_clients)
    line, headers, body = slow_clients
    for sock in slow_clients:
        sock.settimeout(60)
    assert line.recv(4096) == b""
    assert headers.recv(4096) == b""
    assert body.recv(4096).startswith(b"HTTP/1.1 408")
