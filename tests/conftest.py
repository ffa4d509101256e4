"""Live servers for the endpoint tests: gunicorn via `eocic_kg.serve.run` on free loopback ports."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from flask import Flask
from rdflib import Graph

from eocic_kg import resources
from eocic_kg.serve import create_store
from eocic_kg.store import Store
from eocic_kg.web.app import create_app

from .release_cache import SHARED_ENV, release_dist

GRAPH = "https://w3id.org/eocic/graph/"
CONFORMANCE_DIR = Path(__file__).parent / "conformance" / "sparql11-protocol"
#: Time limit of the shared test servers: generous, so that no test depends on a query
#: finishing within it. The tests of the limit itself start their own server or app with a
#: short one and send it nothing but the runaway.
QUERY_TIMEOUT = 30.0
#: Set (as `.ci/run` does) to turn every skip into a failure.
REQUIRE_TOOLS = "EOCIC_REQUIRE_TOOLS"


#: Seconds a test's plain `httpx` call waits for an answer unless it says otherwise. httpx's
#: own default, 5 s, is shorter than a view made on its first request (a dump, a graph export)
#: takes on a loaded CI machine: the lowest-versions job failed on such ReadTimeouts twice. No
#: test relies on that default; those that test a time limit give their own.
HTTP_TIMEOUT = 60.0
_HTTPX_CALLS = ("request", "stream", "get", "options", "head", "post", "put", "patch", "delete")


@pytest.fixture(autouse=True, scope="session")
def _patient_httpx() -> Iterator[None]:
    """httpx's module-level calls with `HTTP_TIMEOUT` as their default timeout."""
    with pytest.MonkeyPatch.context() as patch:
        for name in _HTTPX_CALLS:
            call = getattr(httpx, name)
            patch.setattr(httpx, name, functools.partial(call, timeout=HTTP_TIMEOUT))
        yield


def pytest_configure(config: pytest.Config) -> None:
    """Make the directory the session's processes share (the release is built into it once).

    Runs in the controlling process before pytest-xdist starts its workers, which inherit the
    environment variable; a worker (`workerinput`) keeps what it inherited.
    """
    if not hasattr(config, "workerinput"):
        os.environ[SHARED_ENV] = tempfile.mkdtemp(prefix="eocic-tests-")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the shared directory when the controlling process ends."""
    if not hasattr(config, "workerinput"):
        shutil.rmtree(os.environ.pop(SHARED_ENV, ""), ignore_errors=True)


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(process: subprocess.Popen, url: str, seconds: float) -> bool:
    """Whether the server `process` answers 200 at `url` within `seconds` (False if it exits)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            time.sleep(0.1)
    return False


class Server:
    """A gunicorn process serving a release file; `url` is its base URL."""

    def __init__(self, release: Path, log: Path, **options: object) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        args = ", ".join(f"{k}={v!r}" for k, v in options.items())
        code = (
            "from pathlib import Path, PosixPath\nfrom eocic_kg.serve import run\n"
            f"run(release=Path({str(release)!r}), port={self.port}, {args})"
        )
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", code], stdout=out, stderr=subprocess.STDOUT
            )
        self._wait()

    def _wait(self) -> None:
        if answers(self.process, f"{self.url}/sparql", seconds=30):
            return
        self.stop()
        pytest.fail(f"server did not start; log:\n{self.log.read_text()}")

    def terminate(self) -> None:
        """Ask gunicorn to stop (SIGTERM: graceful shutdown of master, workers and executors)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self) -> None:
        """Wait for the stop asked by `terminate`, killing a server that hangs."""
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """Stop gunicorn and wait for it."""
        self.terminate()
        self.wait()


@pytest.fixture(scope="session")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """Factory starting servers that are all stopped at the end of the session."""
    servers: list[Server] = []

    def start(release: Path, **options: object) -> Server:
        log = tmp_path_factory.mktemp("server") / "gunicorn.log"
        server = Server(release, log, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:  # all asked first: they shut down side by side
        server.terminate()
    for server in servers:
        server.wait()


def write_nquads(graphs: dict[str, Graph], path: Path) -> Path:
    """Write `graphs` (graph IRI -> graph) as one N-Quads file."""
    with path.open("w", encoding="utf-8") as out:
        for name, graph in graphs.items():
            for line in graph.serialize(format="nt").splitlines():
                if line.strip():
                    out.write(f"{line.rstrip().removesuffix('.').rstrip()} <{name}> .\n")
    return path


@pytest.fixture(scope="session")
def small_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small release file: the ontology and the sources in their named graphs."""
    graphs = {
        GRAPH + "ontology": Graph().parse(resources.ONTOLOGY_FILE),
        GRAPH + "data": Graph().parse(resources.DATA_DIR / "sources.ttl"),
    }
    return write_nquads(graphs, tmp_path_factory.mktemp("release") / "eocic.nq")


@pytest.fixture(scope="session")
def server(start_server: Callable[..., Server], small_release: Path) -> Server:
    """The read-only server on the small release."""
    return start_server(small_release, query_timeout=QUERY_TIMEOUT, workers=2)


@pytest.fixture(scope="session")
def writable_server(start_server: Callable[..., Server], tmp_path_factory) -> Server:
    """A writable server on an on-disk store made from an empty release."""
    directory = tmp_path_factory.mktemp("empty")
    empty = directory / "empty.nq"
    empty.write_bytes(b"")
    return start_server(
        empty,
        query_timeout=QUERY_TIMEOUT,
        writable=True,
        workers=1,
        store_path=directory / "store",
    )


@pytest.fixture
def writable_app(tmp_path: Path) -> Callable[..., Flask]:
    """Factory of in-process writable apps, each on a new empty on-disk store."""

    def make(**options: Any) -> Flask:
        path = tmp_path / f"store-{len(list(tmp_path.iterdir()))}"
        create_store(path, [])  # not here: the executors are forked from this process
        options = {"query_timeout": 5, "executors": 2, **options}
        return create_app(store=Store.open(path, writable=True), writable=True, **options)

    return make


@pytest.fixture(scope="session")
def w3c_readonly_server(start_server: Callable[..., Server], tmp_path_factory) -> Server:
    """A read-only server holding the W3C protocol test data in its named graphs."""
    graphs = {
        f"http://kasei.us/2009/09/sparql/data/data{n}.rdf": Graph().parse(
            CONFORMANCE_DIR / f"data{n}.nt", format="nt"
        )
        for n in (1, 2, 3)
    }
    path = write_nquads(graphs, tmp_path_factory.mktemp("w3c") / "w3c.nq")
    return start_server(path, query_timeout=QUERY_TIMEOUT, workers=1)


@pytest.fixture(scope="session")
def full_server(start_server: Callable[..., Server], tmp_path_factory) -> Server:
    """A read-only server on the release built from the bundled ontology and data."""
    path = release_dist(tmp_path_factory.mktemp("full")) / "eocic.nq"
    return start_server(path, workers=2, query_timeout=10.0)


def post_query(url: str, query: str) -> socket.socket:
    """An open connection to the server at `url` that has sent a form POST of `query` to
    /sparql and not read the answer (closing it hangs up)."""
    host, port = url.removeprefix("http://").split(":")
    body = urlencode({"query": query}).encode()
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    return sock


@pytest.fixture
def loopback() -> Iterator[tuple[str, socket.socket]]:
    """A loopback listener (base URL, socket) recording whether anything connects to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    sock.settimeout(0.5)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", sock
    sock.close()


def connected(sock: socket.socket) -> bool:
    """Whether anything connected to the `loopback` listener."""
    try:
        sock.accept()[0].close()
        return True
    except TimeoutError:
        return False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """With EOCIC_REQUIRE_TOOLS=1 (as `.ci/run` sets), a skipped test fails: CI must not pass
    while testing less because a tool (Chromium, Virtuoso, rapper, ...) is missing."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and not hasattr(report, "wasxfail") and os.environ.get(REQUIRE_TOOLS):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped, but {REQUIRE_TOOLS}=1 makes every skip a failure: {reason}"
