"""Safe by construction (issue 10): one regression test per finding of the attack, named after it.

Each finding was a way to turn the service against its host or lose data on the earlier `main`.
The servers are the real `eocic-kg serve` (gunicorn) on loopback ports, or the real app
in-process where a test must reach inside (the executors).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from flask import Flask

from eocic_kg import store as store_module
from eocic_kg.serve import create_store
from eocic_kg.store import Store
from eocic_kg.store_api import QueryRequest, UpdateRequest
from eocic_kg.web.app import create_app
from eocic_kg.web.pool import Call, QueryPool
from tests.conftest import GRAPH, answers, connected, free_port, post_query
from tests.procs import (
    alive,
    children,
    descendants,
    executors,
    new_executors,
    pause,
    running,
    until,
)
from tests.procs import name as process_name

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
#: The escaped local name that hid what followed from the old text check.
ESCAPED = "PREFIX ex: <http://x/> "
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SERVE = [sys.executable, "-m", "eocic_kg.cli", "serve", "--port", "1"]
LINUX = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")


class Serve:
    """`eocic-kg serve ARGS` in a subprocess on a free loopback port."""

    def __init__(self, tmp: Path, *args: str, release: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / f"serve-{self.port}.log"
        command = [sys.executable, "-m", "eocic_kg.cli"]
        if release is not None:
            command += ["--release", str(release)]
        command += ["serve", "--port", str(self.port), "--query-timeout", "1.5", *args]
        env = {**os.environ, "EOCIC_DIST": str(tmp / "dist")}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        if answers(self.process, f"{self.url}/health", seconds=60) and until(self._opened, 60):
            return
        self.stop()
        pytest.fail(f"server did not start:\n{self.log}")

    def _opened(self) -> bool:
        """Whether the store is open: an on-disk one is opened (its log replayed) outside any
        request's limit, and until then queries get 503."""
        r = httpx.post(f"{self.url}/sparql", data={"query": "ASK {}"}, timeout=30)
        return r.status_code != 503

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def workers(self) -> set[int]:
        return children(self.process.pid)

    def tree(self) -> set[int]:
        """The master's workers, their zygotes and executors."""
        return descendants(self.process.pid)

    def query(self, text: str) -> httpx.Response:
        return httpx.post(f"{self.url}/sparql", data={"query": text}, timeout=30)

    def update(self, text: str, **headers: str) -> httpx.Response:
        return httpx.post(f"{self.url}/sparql", data={"update": text}, headers=headers, timeout=30)

    def count(self, graph: str | None = None) -> int:
        pattern = "?s ?p ?o" if graph is None else f"GRAPH <{graph}> {{ ?s ?p ?o }}"
        r = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
        assert r.status_code == 200, r.text
        return int(r.json()["results"]["bindings"][0]["n"]["value"])

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the master and wait for it, then for its workers and executors: the
        executors die with their worker a moment later, and until then one may still hold the
        on-disk store that the next server of the test opens."""
        tree = self.tree()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        until(lambda: not any(alive(p) for p in tree))
        return self.process.returncode


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Serve]]:
    started: list[Serve] = []

    def start(*args: str, release: Path | None = None) -> Serve:
        server = Serve(tmp_path, *args, release=release)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def store_path(tmp_path: Path, small_release: Path) -> Path:
    """An on-disk store holding the small release."""
    path = tmp_path / "store"
    create_store(path, [small_release])  # not in this process: see serve.create_store
    return path


# 1. SERVICE behind an escaped local name, and the no-network proof


def test_finding_01_service_behind_escaped_local_name_never_connects(server, loopback) -> None:
    url, sock = loopback
    query = (
        ESCAPED + "SELECT * WHERE { BIND(ex:a\\' AS ?z) "
        f"SERVICE <{url}/> {{ ?a ?b ?c }} FILTER(?z != 'x') }}"
    )
    r = httpx.get(f"{server.url}/sparql", params={"query": query})
    assert r.status_code == 400 and "SERVICE is disabled" in r.text
    assert not connected(sock)


@pytest.fixture
def no_text_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch off the text checks, so that SERVICE and LOAD reach the engine (and its HTTP)."""
    monkeypatch.setattr(store_module, "check_request", lambda text, update: set())


def _service_query(url: str) -> str:
    return f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?a ?b ?c }} }}"


def test_no_network_proof_service_and_load_sent_straight_to_executors(
    tmp_path: Path, loopback, no_text_checks: None
) -> None:
    """Past every text check, executors still cannot connect; the same call with network can."""
    url, sock = loopback
    isolated = QueryPool(Store(), size=1, timeout=10)
    with pytest.raises(Exception, match=r"(?i)unreachable|error|refused"):
        isolated.call(Call("query", (QueryRequest(_service_query(url)),)))
    assert not connected(sock)
    # an in-memory writer: its zygote is forked from this process, where the text checks are
    # off (an on-disk store's zygote is a fresh interpreter, with them on)
    writer = QueryPool(Store(), timeout=10, writable=True)
    with pytest.raises(Exception, match=r"(?i)unreachable|error|refused"):
        writer.call(Call("update", (UpdateRequest(f"LOAD <{url}/data.ttl>"),)))
    assert not connected(sock)
    assert writer.call(Call("__len__")) == 0
    # control: an executor with network (as for a remote engine) does connect
    open_pool = QueryPool(Store(), size=1, timeout=2, network=True)
    with pytest.raises(Exception):  # noqa: B017 - the listener never answers
        open_pool.call(Call("query", (QueryRequest(_service_query(url)),)))
    assert connected(sock)
    for pool in (isolated, writer, open_pool):
        pool.stop()


# 2. SERVICE and LOAD in updates


def test_finding_02_service_and_load_in_updates_are_refused_and_never_connect(
    writable_server, loopback
) -> None:
    url, sock = loopback
    server = writable_server
    before = httpx.get(f"{server.url}/sparql", params={"query": COUNT}).text
    for update in (
        f"INSERT {{ ?a ?b ?c }} WHERE {{ SERVICE <{url}/> {{ ?a ?b ?c }} }}",
        ESCAPED + f"INSERT DATA {{ ex:a\\' ex:b ex:c }} ; LOAD <{url}/x.ttl>",
        f"LOAD SILENT <{url}/x.ttl> INTO GRAPH <http://example.org/g>",
    ):
        r = httpx.post(f"{server.url}/sparql", data={"update": update})
        assert r.status_code == 400 and "disabled" in r.text, r.text
    assert not connected(sock)
    assert httpx.get(f"{server.url}/sparql", params={"query": COUNT}).text == before


# 3. Cross-site request forgery


def test_finding_03_cross_site_writes_are_forbidden(serve, store_path: Path) -> None:
    trusted = "https://team.example"
    server = serve("--store", str(store_path), "--writable", "--allow-origin", trusted)
    data = server.count(GRAPH + "data")
    assert data > 0
    drop = f"DROP GRAPH <{GRAPH}data>"
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": f"http://evil.example:{server.port}", "Host": f"evil.example:{server.port}"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        r = server.update(drop, **headers)
        assert r.status_code == 403, (headers, r.text)
    assert "--allow-origin" in server.update(drop, Origin="http://evil.example").text
    put = httpx.put(
        f"{server.url}/store?graph={GRAPH}data",
        content=b"<http://a> <http://b> <http://c> .",
        headers={"Content-Type": "text/turtle", "Origin": "http://evil.example"},
    )
    assert put.status_code == 403
    assert server.count(GRAPH + "data") == data
    preflight = httpx.request(
        "OPTIONS",
        f"{server.url}/store?graph={GRAPH}data",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"},
    )
    allowed = preflight.headers.get("Access-Control-Allow-Methods", "")
    assert "PUT" not in allowed and "DELETE" not in allowed
    # reads stay open to every origin
    read = httpx.get(
        f"{server.url}/sparql", params={"query": COUNT}, headers={"Origin": "http://evil.example"}
    )
    assert read.status_code == 200 and read.headers["Access-Control-Allow-Origin"] == "*"
    # a listed origin may write, and so may the server's own loopback page and non-browsers
    preflight = httpx.request(
        "OPTIONS",
        f"{server.url}/store",
        headers={"Origin": trusted, "Access-Control-Request-Method": "PUT"},
    )
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Origin"] == trusted
    marker = "INSERT DATA { GRAPH <http://example.org/g> { <http://a> <http://b> 1 } }"
    assert server.update(marker, Origin=trusted).status_code == 204
    assert server.update(marker, Origin=server.url).status_code == 204
    assert server.update(marker).status_code == 204


def test_finding_03_writes_beyond_loopback_need_a_token(
    writable_app: Callable[..., Flask],
) -> None:
    app = writable_app(write_token="s3cret-token")
    client = app.test_client()
    update = "INSERT DATA { <http://a> <http://b> 1 }"
    assert client.post("/sparql", data={"update": update}).status_code == 401
    wrong = {"Authorization": "Bearer s3cret-tokem"}
    assert client.post("/sparql", data={"update": update}, headers=wrong).status_code == 401
    right = {"Authorization": "Bearer s3cret-token"}
    assert client.post("/sparql", data={"update": update}, headers=right).status_code == 204


def test_preflight_of_a_conditional_write_from_an_allowed_origin_refused_its_precondition(
    writable_app: Callable[..., Flask],
) -> None:
    """A page of an allowed origin could not send If-Match, If-None-Match or
    If-Unmodified-Since with a write: the preflight allowed Accept, Content-Type and
    Authorization only, so the browser refused the conditional PUT that guards against a lost
    update, and the page's only way on was an unconditional one."""
    trusted = "https://team.example"
    client = writable_app(allowed_origins=frozenset({trusted})).test_client()
    conditions = ("if-match", "if-none-match", "if-unmodified-since")
    preflight = client.options(
        "/store?graph=http://example.org/g",
        headers={
            "Origin": trusted,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type, " + ", ".join(conditions),
        },
    )
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower().split(", ")
    assert set(conditions) <= set(allowed) and "authorization" in allowed
    stranger = client.options(
        "/store?graph=http://example.org/g",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"},
    )
    assert "if-match" not in stranger.headers["Access-Control-Allow-Headers"].lower()


def test_a_page_of_an_allowed_origin_could_not_read_the_etag_its_if_match_needs(
    writable_app: Callable[..., Flask],
) -> None:
    """ETag is not a header CORS lets a page read unless the response exposes it: a page of an
    allowed origin that read a graph got no tag to send back with If-Match (found by an
    audit). Every response exposes it, beside the truncation headers."""
    trusted = "https://team.example"
    client = writable_app(allowed_origins=frozenset({trusted})).test_client()
    put = client.put(
        "/store?graph=http://example.org/g",
        data='<http://example.org/a> <http://example.org/p> "1" .',
        headers={"Content-Type": "application/n-triples", "Origin": trusted},
    )
    assert put.status_code == 201, put.get_data(as_text=True)
    read = client.get("/store?graph=http://example.org/g", headers={"Origin": trusted})
    exposed = [h.strip().lower() for h in read.headers["Access-Control-Expose-Headers"].split(",")]
    assert read.headers["ETag"] and "etag" in exposed
    written = client.put(
        "/store?graph=http://example.org/g",
        data='<http://example.org/a> <http://example.org/p> "2" .',
        headers={
            "Content-Type": "application/n-triples",
            "Origin": trusted,
            "If-Match": read.headers["ETag"],
        },
    )
    assert written.status_code == 204, written.get_data(as_text=True)


def test_write_from_origin_null_advised_an_allow_origin_the_server_refuses(
    writable_app: Callable[..., Flask], store_path: Path
) -> None:
    """The 403 of a write from `Origin: null` (a sandboxed frame, a local file: any site can
    make one) said "start the server with --allow-origin null", which `serve` refuses (and
    which would let every such page write); a listable origin keeps its advice."""
    client = writable_app().test_client()
    update = {"update": "INSERT DATA { <http://a> <http://b> 1 }"}
    refused = client.post("/sparql", data=update, headers={"Origin": "null"})
    assert refused.status_code == 403 and "--allow-origin" not in refused.text
    assert "served over http(s)" in refused.text
    other = client.post("/sparql", data=update, headers={"Origin": "https://team.example"})
    assert other.status_code == 403 and "--allow-origin https://team.example" in other.text
    advised = subprocess.run(
        [*SERVE, "--store", str(store_path), "--writable", "--allow-origin", "null"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert advised.returncode == 2 and "scheme://host[:port]" in advised.stderr


def test_finding_03_writable_server_beyond_loopback_without_token_is_refused(
    tmp_path: Path, store_path: Path
) -> None:
    result = subprocess.run(
        [*SERVE, "--store", str(store_path), "--writable", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "EOCIC_WRITE_TOKEN": ""},
    )
    assert result.returncode == 2 and "--write-token-file" in result.stderr
    assert "Traceback" not in result.stderr


# 4. and 5. Hang-ups and killed workers


def _hang_up_during_response(url: str, path: str) -> None:
    """Ask for a large response, read its first bytes, then reset the connection."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        assert sock.recv(64).startswith(b"HTTP/1.1 200")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def _ignores_sigpipe(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    ignored = int(
        next(line for line in status.splitlines() if line.startswith("SigIgn:")).split()[1], 16
    )
    return bool(ignored & (1 << (signal.SIGPIPE - 1)))


def _hang_up_before_answer(url: str, query: str) -> None:
    """Send a slow query, then reset the connection before the answer comes."""
    with post_query(url, query) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


@LINUX
def test_finding_04_client_hang_ups_kill_no_worker_and_lose_no_write(
    serve, store_path: Path
) -> None:
    server = serve("--store", str(store_path), "--writable")
    marker = "INSERT DATA { GRAPH <http://example.org/m> { <http://a> <http://b> 'kept' } }"
    assert server.update(marker).status_code == 204
    workers = server.workers()
    assert all(_ignores_sigpipe(pid) for pid in (server.process.pid, *workers))
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
    for _ in range(10):
        _hang_up_during_response(server.url, "/download/eocic.nt")
        _hang_up_before_answer(server.url, slow)
    # the one executor of a writable server answers in turn: this count comes after them all
    assert server.count("http://example.org/m") == 1
    assert until(lambda: not any(running(p) for p in server.tree()))
    assert server.workers() == workers, server.log
    assert server.count("http://example.org/m") == 1


@LINUX
def test_finding_05_executors_die_with_their_worker(serve, small_release: Path) -> None:
    server = serve("--workers", "1", release=small_release)
    (worker,) = server.workers()

    def runaway() -> None:
        with contextlib.suppress(httpx.TransportError):  # its worker is killed below
            server.query(RUNAWAY)

    thread = threading.Thread(target=runaway, daemon=True)
    thread.start()
    assert until(lambda: any(running(p) for p in executors(worker)))  # it computes
    below = descendants(worker)  # its zygote and executors
    os.kill(worker, signal.SIGKILL)
    assert until(lambda: not any(alive(p) for p in below)), "executors outlived the worker"


# 6. Deep nesting


def test_finding_06_deep_nesting_behind_escaped_local_name_crashes_nothing(
    writable_server,
) -> None:
    server = writable_server
    deep = "(" * 5000 + "1" + ")" * 5000
    query = ESCAPED + f"SELECT * WHERE {{ BIND(ex:a\\' AS ?z) FILTER({deep}) }}"
    r = httpx.post(f"{server.url}/sparql", data={"query": query})
    assert r.status_code == 400 and "nest deeper" in r.text
    update = ESCAPED + f"INSERT {{ ex:a\\' ex:b ex:c }} WHERE {{ FILTER({deep}) }}"
    r = httpx.post(f"{server.url}/sparql", data={"update": update})
    assert r.status_code == 400 and "nest deeper" in r.text
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_finding_06_executors_parse_deep_nesting_past_the_text_check(no_text_checks) -> None:
    """The wall behind the friendly limit: the engine's parser runs on a large stack."""
    pool = QueryPool(Store(), size=1, timeout=30)
    deep = "ASK { FILTER(" + "(" * 30000 + "1" + ")" * 30000 + ") }"
    result = pool.call(Call("query", (QueryRequest(deep),)))
    assert b"true" in result.body
    pool.stop()


# 7. Runaway updates


def test_finding_07_runaway_update_is_stopped_and_changes_nothing(serve, tmp_path: Path) -> None:
    """Its own server with a short limit, sent nothing but the runaway and the count after it
    (the store is loaded before the server starts); that /health answers while executors are
    busy is finding 12's test, with every executor stopped."""
    graph = "http://example.org/runaway"
    data = tmp_path / "runaway.nq"
    ex = "http://example.org/"
    data.write_text("".join(f"<{ex}s{i}> <{ex}p> <{ex}o{i}> <{graph}> .\n" for i in range(300)))
    create_store(tmp_path / "store", [data])
    server = serve("--store", str(tmp_path / "store"), "--writable", "--query-timeout", "1.5")
    runaway = (
        f"INSERT {{ GRAPH <{graph}> {{ ?a ?b ?x }} }} WHERE {{ GRAPH <{graph}> "
        "{ ?a ?b ?c . ?d ?e ?x . ?g ?h ?i } }"
    )
    response = server.update(runaway)
    assert response.status_code == 503 and "changed nothing" in response.text
    assert server.count(graph) == 300


# 8. Writable on-disk store


def test_finding_08_writable_on_disk_store_accepts_updates_and_graph_store_writes(
    serve, store_path: Path
) -> None:
    server = serve("--store", str(store_path), "--writable")
    update = "INSERT DATA { GRAPH <http://example.org/u> { <http://a> <http://b> 'u' } }"
    assert server.update(update).status_code == 204
    put = httpx.put(
        f"{server.url}/store?graph=http://example.org/p",
        content=b"<http://a> <http://b> 'p' .",
        headers={"Content-Type": "text/turtle"},
    )
    assert put.status_code == 201, put.text
    assert server.count("http://example.org/u") == 1 and server.count("http://example.org/p") == 1
    assert server.stop() == 0
    # kept on disk: a new read-only server sees them
    again = serve("--store", str(store_path))
    assert again.count("http://example.org/u") == 1 and again.count("http://example.org/p") == 1


def test_writes_survive_kill_9_of_the_whole_server(serve, store_path: Path) -> None:
    server = serve("--store", str(store_path), "--writable")
    marker = "INSERT DATA { GRAPH <http://example.org/k> { <http://a> <http://b> 'kill' } }"
    assert server.update(marker).status_code == 204
    tree = server.tree()
    for pid in (server.process.pid, *tree):
        os.kill(pid, signal.SIGKILL)
    server.process.wait()
    assert until(lambda: not any(alive(p) for p in tree))
    again = serve("--store", str(store_path), "--writable")
    assert again.count("http://example.org/k") == 1


def test_writable_without_store_writes_to_the_documented_place(
    serve, tmp_path: Path, small_release: Path
) -> None:
    server = serve("--writable", release=small_release)
    assert "created the writable store" in server.log and str(tmp_path / "dist" / "store") in (
        server.log
    )
    marker = "INSERT DATA { GRAPH <http://example.org/d> { <http://a> <http://b> 1 } }"
    assert server.update(marker).status_code == 204
    assert server.stop() == 0
    again = serve("--writable", release=small_release)
    assert again.count("http://example.org/d") == 1


# 9. load while a server holds the store


def test_finding_09_load_into_a_served_store_is_refused(
    serve, store_path: Path, small_release: Path, tmp_path: Path
) -> None:
    server = serve("--store", str(store_path))
    before = server.count()
    load = [sys.executable, "-m", "eocic_kg.cli", "load", str(small_release)]
    result = subprocess.run(
        [*load, "--store", str(store_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "in use by another eocic-kg process" in result.stderr
    assert "Traceback" not in result.stderr
    assert server.count() == before
    # --replace: loading the same file twice gives the same store, not duplicated blank nodes
    other = tmp_path / "other"
    for _ in range(2):
        done = subprocess.run(
            [*load, "--store", str(other), "--replace"], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
    assert f"{before} quads" in done.stderr


# 10. Bodies


def _raw(url: str, head: bytes, body_chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a raw HTTP request; return the response's first bytes and the body bytes sent."""
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        for chunk in body_chunks:
            try:
                reply = sock.recv(4096)
                if reply:
                    return reply, sent
            except BlockingIOError:
                pass
            try:
                sent += sock.send(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        try:
            return sock.recv(4096), sent
        except ConnectionResetError:
            return b"", sent


def test_finding_10_oversized_chunked_body_is_refused_while_reading(server) -> None:
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"# " + b"x" * 65534
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    reply, sent = _raw(server.url, head, iter([chunk] * 1600))  # 100 MiB offered
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert sent < 16 * 2**20  # refused while reading, not after buffering 100 MiB


def test_finding_10_broken_chunk_framing_is_400(server) -> None:
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    reply, _ = _raw(server.url, head, iter([b"5\r\nASK {}\r\nzz\r\n", b"0\r\n\r\n"]))
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]


# 11. SIGTERM with an on-disk store


@LINUX
def test_finding_11_sigterm_to_store_server_is_clean(serve, store_path: Path) -> None:
    server = serve("--store", str(store_path), "--workers", "2")
    assert server.count() > 0
    tree = server.tree()
    assert server.stop(signal.SIGTERM) == 0
    assert "SIGSEGV" not in server.log and "Traceback" not in server.log, server.log
    assert until(lambda: not any(alive(p) for p in tree)), "processes outlived the server"


@LINUX
@pytest.mark.parametrize("front", ["granian", "gunicorn"])
def test_finding_11_sigterm_while_workers_start_stops_them(
    tmp_path: Path, store_path: Path, front: str
) -> None:
    """A worker keeps the master's signal handlers from its fork until its HTTP server sets
    its own; a SIGTERM in that window was swallowed and the master waited for it for ever."""
    command = [*SERVE[:-1], str(free_port()), "--store", str(store_path), "--workers", "2"]
    env = {**os.environ, "EOCIC_DIST": str(tmp_path / "dist")}
    with (tmp_path / "serve.log").open("wb") as log:
        master = subprocess.Popen(
            [*command, "--front", front], stdout=log, stderr=subprocess.STDOUT, env=env
        )

    def workers() -> set[int]:
        return {p for p in children(master.pid) if process_name(p) != "eocic-zygote"}

    try:
        assert until(lambda: len(workers()) == 2, 60), (tmp_path / "serve.log").read_text()
        tree = descendants(master.pid)
        master.send_signal(signal.SIGTERM)  # the workers are forked, and (almost) all starting
        assert master.wait(20) == 0
    finally:
        if master.poll() is None:
            master.kill()
            master.wait()
    assert until(lambda: not any(alive(p) for p in tree)), "processes outlived the server"


#: A process that stops its child while the child is being forked, before the child has run
#: any of its own code (the master's handler is copied; then the hook of `serve` runs).
_STOPPED_WHILE_FORKED = """
import os, signal
from eocic_kg.serve import stop_signals_end_starting_children
signal.signal(signal.SIGTERM, lambda *_: None)  # the master's handler: it only notes the signal
os.register_at_fork(after_in_child=lambda: os.kill(os.getpid(), signal.SIGTERM))
stop_signals_end_starting_children()
pid = os.fork()
if pid == 0:
    sum(range(10**6))  # the worker goes on starting
    os._exit(0)
print(os.waitpid(pid, 0)[1])
"""


@LINUX
def test_finding_11_a_stop_signal_sent_while_a_worker_is_forked_ends_it() -> None:
    """The rare failure of the test above: a SIGTERM that reached a worker before it had reset
    the master's handler was taken by that handler, then dropped once the handler was reset,
    and the worker served on. It is now held over the fork, and arrives after the reset."""
    result = subprocess.run(
        [sys.executable, "-c", _STOPPED_WHILE_FORKED], capture_output=True, text=True, check=True
    )
    status = int(result.stdout)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM, status


@LINUX
@pytest.mark.parametrize("front", ["granian", "gunicorn"])
def test_finding_11_workers_end_when_the_master_is_killed(
    serve, store_path: Path, front: str
) -> None:
    """A master killed outright (SIGKILL: the OOM killer, an operator) left Granian's workers
    serving on its port for ever, with their zygotes and executors."""
    server = serve("--store", str(store_path), "--workers", "2", "--front", front)
    assert server.count() > 0
    tree = server.tree()
    assert server.workers()
    server.process.kill()
    server.process.wait()
    assert until(lambda: not any(alive(p) for p in tree), 30), "processes outlived the master"


# 12. Truthful probes


def test_finding_12_ready_never_answers_from_the_cache(
    writable_app: Callable[..., Flask],
) -> None:
    before = children(os.getpid())
    app = writable_app(cache_mb=1, executors=1, query_timeout=1)
    client = app.test_client()
    for name in ("ontology", "data", "inferred"):
        update = f"INSERT DATA {{ GRAPH <{GRAPH}{name}> {{ <http://a> <http://b> 1 }} }}"
        assert client.post("/sparql", data={"update": update}).status_code == 204
    assert client.get("/ready").status_code == 200
    assert client.get("/ready").status_code == 200
    assert client.post("/sparql", data={"update": "DROP ALL"}).status_code == 204
    assert client.get("/ready").status_code == 503
    # every executor of this app stopped: /ready says so, /health still answers at once. Only
    # this app's: the servers of earlier tests are descendants of this process too (CI: pausing
    # theirs, one of which had just ended, left the others stopped and two later tests timed out)
    stopped = new_executors(before)
    assert stopped
    try:
        for pid in stopped:
            pause(pid)
        assert client.get("/ready").status_code == 503
        assert client.get("/health").status_code == 200
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):  # the pool killed it at the limit
                os.kill(pid, signal.SIGCONT)


# 13. Encodings


def test_finding_13_invalid_utf8_is_a_400(writable_app: Callable[..., Flask]) -> None:
    client = writable_app().test_client()
    assert client.get("/sparql?query=ASK%7B%7D%23%ff").status_code == 400
    assert client.get("/api/queries?x=%ff").status_code == 400
    form = "application/x-www-form-urlencoded"
    for body in (b"query=ASK%7B%7D%23%ff", b"update=INSERT%20DATA%7B%7D%23%c3%28"):
        r = client.post("/sparql", data=body, content_type=form)
        assert r.status_code == 400 and "UTF-8" in r.get_data(as_text=True)
    for kind in ("query", "update"):
        body = b"ASK {} # \xff" if kind == "query" else b"INSERT DATA {} # \xff"
        r = client.post("/sparql", data=body, content_type=f"application/sparql-{kind}")
        assert r.status_code == 400


# 14. and 15. Builds that lose nothing


def _cli(*args: str, dist: Path, path: str = "/usr/bin:/bin") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eocic_kg.cli", *args],
        capture_output=True,
        text=True,
        env={"EOCIC_DIST": str(dist), "PATH": path},
        timeout=300,
        check=False,
    )


def test_finding_14_missing_or_empty_data_directory_fails_and_keeps_the_release(
    tmp_path: Path,
) -> None:
    release = tmp_path / "eocic.nq"
    release.write_bytes(b"<http://a> <http://b> <http://c> <http://g> .\n")
    empty, no_ttl = tmp_path / "empty", tmp_path / "no-ttl"
    empty.mkdir()
    no_ttl.mkdir()
    (no_ttl / "notes.txt").write_text("not data")
    for data in (tmp_path / "no-such-dir", empty, no_ttl):
        result = _cli("--data", str(data), "build", dist=tmp_path)
        assert result.returncode != 0 and str(data) in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert release.read_bytes() == b"<http://a> <http://b> <http://c> <http://g> .\n"


def test_finding_15_missing_java_is_a_one_line_error(tmp_path: Path) -> None:
    for command in ("build", "reason", "validate"):
        result = _cli(command, dist=tmp_path, path=str(tmp_path))  # no java on PATH
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "default-jre-headless" in lines[0], result.stderr
    assert not (tmp_path / "eocic.nq").exists()


# The startup line and the refusal where isolation is missing


def test_serve_says_executors_have_no_network(serve, small_release: Path) -> None:
    server = serve(release=small_release)
    assert "query executors have no network" in server.log


def test_remote_facing_bind_refused_without_isolation(monkeypatch: pytest.MonkeyPatch) -> None:
    from eocic_kg import serve as serve_module
    from eocic_kg.errors import UsageError

    monkeypatch.setattr(serve_module, "network_isolation", lambda: "unshare: not permitted")
    with pytest.raises(UsageError, match="--accept-network-risk"):
        serve_module.run(release=Path("unused.nq"), host="0.0.0.0", store=Store())
    assert serve_module.is_loopback("127.0.0.1") and serve_module.is_loopback("::1")
    assert not serve_module.is_loopback("0.0.0.0")


def test_writable_app_needs_an_on_disk_store() -> None:
    with pytest.raises(ValueError, match="on-disk"):
        create_app(store=Store(), writable=True)


def test_a_query_past_its_memory_budget_fails_alone(small_release: Path) -> None:
    """A runaway allocation (a sorted cross product) cannot push the host out of memory within
    its time limit: the executor's address space is capped, it fails, and the next query runs."""
    app = create_app(
        store=Store.from_file(small_release), query_timeout=30, executors=1, query_memory_mb=64
    )
    client = app.test_client()
    hungry = (
        "SELECT ?x WHERE { ?a ?b ?c . ?d ?e ?f BIND(CONCAT(STR(?a), STR(?c), STR(?f)) AS ?x) } "
        "ORDER BY ?x LIMIT 1"
    )
    r = client.get("/sparql", query_string={"query": hungry})
    assert r.status_code == 500 and "64 MiB" in r.get_data(as_text=True)
    assert client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}).status_code == 200
    assert client.get("/health").status_code == 200


@LINUX
def test_a_client_that_hangs_up_stops_its_query(serve, small_release: Path) -> None:
    """A hang-up is an ordinary event, and it frees the executor: the query is stopped at once,
    long before its time limit, and the server answers the next query."""
    server = serve("--workers", "1", "--query-timeout", "60", release=small_release)
    (worker,) = server.workers()
    sock = post_query(server.url, RUNAWAY)
    assert until(lambda: any(running(p) for p in executors(worker))), "it never computed"
    sock.close()
    assert until(lambda: not any(running(p) for p in executors(worker)), seconds=20), (
        "the executor went on computing for a client that had gone"
    )
    assert server.count() > 0
