"""Slow clients never hold a request thread (issue 20, finding 10): the Granian front.

Under gunicorn's threaded worker, 32 connections that each sent one byte of a request held its
8 threads and stopped the service. Here the real `eocic-kg serve --front granian` on a loopback
port is held open by 1,000 such connections while it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from eocic_kg.settings import ServerSettings
from eocic_kg.web.front import Front
from tests import procs
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


#: A result several MiB long: its executor streams it in pieces (`eocic_kg.web.pool.CHUNK`).
LARGE = (
    "SELECT ?s ?p ?o ?x WHERE { ?s ?p ?o "
    "BIND(CONCAT(STR(?s), STR(?p), STR(?o), STR(?s), STR(?p), STR(?o)) AS ?x) }"
)


def _ask_and_never_read(url: str, query: str) -> socket.socket:
    """A connection that asked for `query`'s result and reads nothing of it (a small receive
    buffer, so the server's sends stall soon)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    target = "/sparql?" + urlencode({"query": query})
    accept = "Accept: application/sparql-results+json"
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n{accept}\r\n\r\n".encode())
    return sock


def _status_line(sock: socket.socket) -> bytes:
    """The first line of the answer on `sock`, peeked (left unread), once it came."""
    sock.settimeout(60)
    return sock.recv(64, socket.MSG_PEEK).split(b"\r\n")[0]


@pytest.mark.parametrize("front_name", ["granian", "gunicorn"])
def test_slow_readers_of_large_answers_let_go_of_the_executors(
    serve: Callable[..., Serve],  # noqa: F811 (the fixture)
    release: Path,
    slow_clients: list[socket.socket],
    front_name: str,
) -> None:
    """A client that asked for a large result and stopped reading held the executor streaming
    it for as long as it stayed connected: one such client per executor made every query and
    `/ready` of the worker answer 503 "all query executors are busy". The front now cuts off a
    client that takes no piece of an answer for `SEND_TIMEOUT` seconds."""
    server = serve(
        "--front",
        front_name,
        "--workers",
        "1",
        "--query-timeout",
        "5",
        "--cache-mb",
        "0",
        release=release,
    )
    for _ in range(ServerSettings().executors):
        slow_clients.append(_ask_and_never_read(server.url, LARGE))
        # answered 200 and streaming: this client's executor is held until the stream ends
        assert _status_line(slow_clients[-1]) == b"HTTP/1.1 200 OK"

    def lookup_answers() -> bool:
        r = httpx.get(f"{server.url}/sparql", params={"query": LOOKUP}, timeout=30)
        return r.status_code == 200

    assert procs.until(lookup_answers, seconds=90), "slow readers still hold the executors"
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/ready").status_code == 200
    for sock in slow_clients:  # each was cut off: its answer visibly ends short
        head, body = _read_to_end(sock).split(b"\r\n\r\n", 1)
        length = int(re.search(rb"(?i)content-length: *(\d+)", head)[1])  # type: ignore[index]
        assert len(body) < length


def _read_to_end(sock: socket.socket) -> bytes:
    """Everything `sock` receives until the server closes it."""
    parts = []
    while part := sock.recv(1 << 20):
        parts.append(part)
    return b"".join(parts)


def _scope(path: str) -> dict:
    """The ASGI scope of a GET of `path`."""
    return {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": []}


async def _never_disconnects() -> dict:
    """An ASGI `receive` of a client that stays."""
    await asyncio.sleep(3600)
    return {"type": "http.disconnect"}


async def _ignore(message: dict) -> None:
    """An ASGI `send` that drops what it is given."""


class _Answer:
    """A WSGI answer in two pieces that records whether it was closed."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        yield b"x" * 100_000  # more than a piece: the rest stays for the front to relay
        yield b"y"

    def close(self) -> None:
        self.closed.set()


def test_an_answer_made_for_a_cancelled_request_is_closed() -> None:
    """An answer's `close` lets go of the executor streaming it. If the request's task is
    cancelled while the app makes the answer, nobody relays it: the front closes it then."""
    answer, started, finish = _Answer(), threading.Event(), threading.Event()

    def app(environ: dict, start_response: Callable[..., object]) -> _Answer:
        started.set()
        finish.wait(30)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return answer

    async def request() -> None:
        front = Front(app, threads=1, limit=lambda path: 0)
        task = asyncio.create_task(front(_scope("/x"), _never_disconnects, _ignore))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(request())
    finish.set()
    assert answer.closed.wait(30), "the answer of the cancelled request was never closed"


def test_a_streamed_answer_is_relayed_while_every_request_thread_waits() -> None:
    """The relay of a streamed answer ends it and frees its executor, so it must not wait for a
    request thread: under load those threads all wait for an executor (up to the time limit),
    and a relay queued behind them held its executor until then, so the load fed itself."""
    waiting, release = threading.Event(), threading.Event()

    def app(environ: dict, start_response: Callable[..., object]) -> Iterator[bytes]:
        if environ["PATH_INFO"] == "/wait":  # a request waiting for an executor
            waiting.set()
            release.wait(30)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"x" * 100_000, b"y" * 100_000, b"z"])

    async def requests() -> bool:
        front = Front(app, threads=1, limit=lambda path: 0)
        ended = asyncio.Event()

        async def relay(message: dict) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body"):
                    ended.set()
                else:  # the next piece is read once the waiting request holds the thread
                    await asyncio.get_running_loop().run_in_executor(None, waiting.wait, 30)

        def scope(path: str) -> dict:
            return {
                "type": "http",
                "method": "GET",
                "path": path,
                "query_string": b"",
                "headers": [],
            }

        streamed = asyncio.create_task(front(_scope("/stream"), _never_disconnects, relay))
        waiter = asyncio.create_task(front(_scope("/wait"), _never_disconnects, _ignore))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ended.wait(), 20)
        relayed_meanwhile = ended.is_set()
        release.set()
        await asyncio.gather(streamed, waiter)
        return relayed_meanwhile

    assert asyncio.run(requests()), "the stream waited for the request thread"
