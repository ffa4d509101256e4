"""The hot routes (`eocic_kg.web.hot`) answer exactly as the Flask app does.

The real server answers `/sparql` queries and named queries without Flask; the same app in
process (Flask's test client) answers them through its Flask routes. Every request below must
get the same status, headers and body from both: good queries in every format, each kind of
bad input, conditional requests and CORS.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient
from rdflib import Graph
from rdflib.compare import to_canonical_graph

from eocic_kg.store_api import QueryRequest
from eocic_kg.web.app import create_app
from eocic_kg.web.front import Front, body_limit
from eocic_kg.web.front import _environ as front_environ
from eocic_kg.web.hot import HotRoutes
from eocic_kg.web.pool import Streamed, _in_thread
from tests import procs
from tests.conftest import QUERY_TIMEOUT, Server
from tests.test_safe_service import serve  # noqa: F401

LOOKUP = "SELECT ?s ?o WHERE { ?s a ?o FILTER(isIRI(?s)) } ORDER BY ?s ?o LIMIT 40"
DESCRIBE = "DESCRIBE <https://w3id.org/eocic/ontology#Region>"
FORM = "application/x-www-form-urlencoded"
NAMED = "/api/queries/regions-by-challenge"


def q(text: str, **extra: str) -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": text, **extra})


#: (method, target, headers, body): every kind of request the hot routes answer themselves.
REQUESTS: list[tuple[str, str, dict[str, str], bytes]] = [
    ("GET", q(LOOKUP), {"Accept": "application/sparql-results+json"}, b""),
    ("GET", q(LOOKUP), {"Accept": "text/csv"}, b""),
    ("GET", q(LOOKUP), {"Accept": "application/sparql-results+xml, */*;q=0.1"}, b""),
    ("GET", q(LOOKUP, format="tsv"), {}, b""),
    ("GET", q(LOOKUP, output="json"), {"Origin": "https://elsewhere.example"}, b""),
    ("GET", q(DESCRIBE), {"Accept": "text/turtle"}, b""),
    ("GET", q(DESCRIBE, format="nt"), {}, b""),
    ("GET", q("ASK {"), {}, b""),
    ("GET", q(LOOKUP, format="bogus"), {}, b""),
    ("GET", q(LOOKUP), {"Accept": "image/png"}, b""),
    ("GET", q(LOOKUP) + "&query=ASK%7B%7D", {}, b""),
    ("GET", "/sparql?update=CLEAR%20ALL", {}, b""),
    ("GET", "/sparql?query=ASK%7B%7D%FF", {}, b""),
    ("GET", q("SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"), {}, b""),
    ("POST", "/sparql", {"Content-Type": FORM}, urllib.parse.urlencode({"query": LOOKUP}).encode()),
    ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, LOOKUP.encode()),
    ("POST", "/sparql", {"Content-Type": "application/sparql-query; charset=latin-1"}, b"ASK{}"),
    ("POST", "/sparql", {"Content-Type": "text/plain"}, b"ASK {}"),
    ("POST", q("ASK {}"), {"Content-Type": "application/sparql-query"}, b"ASK {}"),
    ("POST", "/sparql", {"Content-Type": FORM}, b"query=ASK%7B%7D&update=CLEAR%20ALL"),
    ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, b"ASK { \xff }"),
    ("GET", "/api/queries/report-structure", {}, b""),
    ("GET", f"{NAMED}?format=csv", {"Origin": "http://127.0.0.1"}, b""),
    ("GET", f"{NAMED}?challenge=challenge:funding", {"Accept": "text/tab-separated-values"}, b""),
    ("GET", f"{NAMED}?challenge=challenge:fundng", {}, b""),
    ("GET", f"{NAMED}?challenge=not%20an%20iri", {}, b""),
    ("GET", f"{NAMED}?challenge=a:b&challenge=c:d", {}, b""),
    ("GET", f"{NAMED}?format=turtle", {}, b""),
    ("GET", "/id/figure/1", {"Accept": "text/turtle"}, b""),
    ("GET", "/id/figure/1?format=jsonld", {}, b""),
    ("GET", "/id/figure/1", {"Accept": "application/n-triples, text/html;q=0.5"}, b""),
    ("GET", "/id/figure/1?format=rdf", {"If-None-Match": '"stale"'}, b""),
    ("GET", q(LOOKUP), {"Accept": ",".join(f"application/x-{i}" for i in range(40))}, b""),
    ("GET", "/id/figure/1", {"Accept": "text/turtle;" + "p=v;" * 600}, b""),
]
#: Requests the hot routes leave to the Flask app, which the server answers all the same.
LEFT_TO_FLASK: list[tuple[str, str, dict[str, str], bytes]] = [
    ("GET", "/id/figure/1", {"Accept": "text/html"}, b""),
    ("GET", "/id/figure/nothere", {"Accept": "text/turtle"}, b""),
    ("GET", "/id/figure/1?format=bogus", {}, b""),
    ("GET", "/api/queries/nothere", {}, b""),
    ("GET", "/sparql", {"Accept": "text/turtle"}, b""),
    ("HEAD", q(LOOKUP), {}, b""),
    ("GET", q(LOOKUP), {"If-None-Match": "*"}, b""),
    ("POST", "/sparql", {"Content-Type": FORM}, b"update=CLEAR%20ALL"),
]


@pytest.fixture(scope="module")
def flask_client(small_release: Path) -> Iterator[FlaskClient]:
    app = create_app(small_release, query_timeout=QUERY_TIMEOUT)
    yield app.test_client()
    app.extensions["eocic"].pool.stop()


#: RDF media types -> rdflib parser: such bodies are compared as graphs (rdflib writes the
#: same graph in another order in another process).
RDF = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


def _seen(status: int, headers: list[tuple[str, str]], body: bytes) -> tuple:
    """What a client sees of a response, less the headers of the moment (Date, Server); an RDF
    body as its graph (and its length left out with its order)."""
    kept = {k.lower(): v for k, v in headers if k.lower() not in ("date", "server")}
    parser = RDF.get(kept.get("content-type", "").split(";")[0])
    seen: object = body
    if parser is not None and status == 200:
        seen = frozenset(to_canonical_graph(Graph().parse(data=body, format=parser)))
        del kept["content-length"]
    return status, sorted(kept.items()), seen


def _both(
    server: Server, client: FlaskClient, method: str, target: str, headers: dict, body: bytes
) -> tuple[tuple, tuple]:
    headers = {"Accept": "*/*", **headers}  # as httpx sends it
    live = httpx.request(method, server.url + target, headers=headers, content=body, timeout=30)
    flask = client.open(target, method=method, headers=headers, data=body)
    return (
        _seen(live.status_code, list(live.headers.multi_items()), live.content),
        _seen(flask.status_code, flask.headers.to_wsgi_list(), flask.get_data()),
    )


@pytest.mark.parametrize(("method", "target", "headers", "body"), REQUESTS)
def test_hot_routes_answer_as_the_flask_routes_do(
    server: Server, flask_client: FlaskClient, method: str, target: str, headers: dict, body: bytes
) -> None:
    live, flask = _both(server, flask_client, method, target, headers, body)
    assert live == flask
    hot = _hot(flask_client, method, target, headers, body)
    assert hot is not None  # the server's answer above was the hot routes', not Flask's
    assert hot[::2] == flask[::2]


@pytest.mark.parametrize(("method", "target", "headers", "body"), LEFT_TO_FLASK)
def test_what_the_hot_routes_leave_to_flask_is_answered_as_before(
    server: Server, flask_client: FlaskClient, method: str, target: str, headers: dict, body: bytes
) -> None:
    live, flask = _both(server, flask_client, method, target, headers, body)
    assert live == flask
    assert _hot(flask_client, method, target, headers, body) is None


def _hot(client: FlaskClient, method: str, target: str, headers: dict, body: bytes) -> tuple | None:
    """What the hot routes of the client's app answer to this request, read in process (None:
    they leave it to the Flask app)."""
    hang_up, signalled = os.pipe()  # the front's hang-up descriptor: never signalled here
    try:
        hot = HotRoutes(client.application)(_environ(method, target, headers, body, hang_up))
        if hot is None:
            return None
        data = hot.body if isinstance(hot.body, bytes) else b"".join(hot.body)
        return _seen(hot.status, hot.headers, data)
    finally:
        os.close(hang_up)
        os.close(signalled)


def _environ(method: str, target: str, headers: dict, body: bytes, hang_up: int) -> dict:
    """The environ the front makes of this request."""
    path, _, query = target.encode().partition(b"?")
    scope = {
        "method": method,
        "path": path.decode(),
        "raw_path": path,
        "query_string": query,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    if body:
        scope["headers"].append((b"content-length", str(len(body)).encode()))
    return front_environ(scope, body, hang_up)


def test_a_revalidation_gets_the_same_304_from_both(
    server: Server, flask_client: FlaskClient
) -> None:
    first = httpx.get(server.url + q(LOOKUP), timeout=30)
    etag = first.headers["ETag"]
    live, flask = _both(server, flask_client, "GET", q(LOOKUP), {"If-None-Match": etag}, b"")
    assert live[0] == 304
    assert live == flask


# Issue 20, finding 14: a large result was held whole in the worker (123 -> 505 MiB for 210 MiB)

#: ~200 MiB of SPARQL JSON: 100 rows, each a string doubled 18 times from 8 characters.
HUGE = (
    "SELECT ?s WHERE { VALUES ?i { "
    + " ".join(str(i) for i in range(100))
    + " } BIND(CONCAT(STR(?i), 'xxxxxxxx') AS ?a0) "
    + " ".join(f"BIND(CONCAT(?a{n}, ?a{n}) AS ?a{n + 1})" for n in range(18))
    + " BIND(?a18 AS ?s) }"
)


def _memory(pid: int) -> dict[str, int]:
    """The worker's resident memory now (VmRSS) and at its peak (VmHWM), in bytes."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in status)
    return {k: int(fields[k].split()[0]) * 1024 for k in ("VmRSS", "VmHWM")}


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads /proc")
def test_finding_14_a_large_result_is_streamed_not_held_by_the_worker(
    serve,  # noqa: F811
    small_release: Path,
) -> None:
    server = serve(
        "--workers", "1", "--query-timeout", "120", "--query-memory-mb", "2048",
        "--cache-mb", "0", release=small_release,
    )  # fmt: skip
    (worker,) = server.workers()
    before = _memory(worker)
    size = 0
    with httpx.stream("GET", f"{server.url}/sparql", params={"query": HUGE}, timeout=120) as r:
        assert r.status_code == 200, r.read()
        declared = int(r.headers["Content-Length"])
        for piece in r.iter_raw():
            size += len(piece)
    assert size == declared > 200 * 2**20
    grown = _memory(worker)["VmHWM"] - max(before["VmRSS"], 0)
    assert grown < size / 8, f"the worker's peak grew by {grown >> 20} MiB for {size >> 20} MiB"


def test_a_query_is_answered_while_every_request_thread_is_busy(small_release: Path) -> None:
    """Issue 23 item 6: a cheap query cost more CPU in the hand-over to a request thread and
    back than in the engine. A SPARQL query that an idle executor can take is now answered on
    the front's event loop: with the front's one request thread held, it is answered still,
    as the Flask route answers it."""
    app = create_app(small_release, query_timeout=QUERY_TIMEOUT, executors=2)
    pool = app.extensions["eocic"].pool
    front = Front(app, threads=1, limit=body_limit(app), hot=HotRoutes(app))
    held = threading.Event()
    target = q(LOOKUP)
    try:
        pool.query(QueryRequest("ASK {}"))  # an executor that has opened the store, now idle
        front._threads.submit(held.wait)  # the one request thread is busy until the end
        sent = asyncio.run(asyncio.wait_for(_asgi_get(front, target), QUERY_TIMEOUT))
        flask = app.test_client().get(target, headers={"Accept": "*/*"})
        assert sent[0]["status"] == 200
        assert b"".join(m.get("body", b"") for m in sent[1:]) == flask.get_data()
    finally:
        held.set()
        pool.stop()


def test_each_answered_query_left_reference_cycles_for_the_collector(small_release: Path) -> None:
    """A request's `Ask` held a bound method of itself, so each answered request (with its
    environ and body) lived on until the garbage collector found it: ~6 objects per lookup,
    and a collection every ~20 requests on the worker's event loop. Now none is left."""
    app = create_app(small_release, query_timeout=QUERY_TIMEOUT, executors=1, cache_mb=0)
    pool = app.extensions["eocic"].pool
    front = Front(app, threads=1, limit=body_limit(app), hot=HotRoutes(app))

    async def lookups() -> tuple[set[int], int]:
        for _ in range(3):  # the first ones fill the process's own caches
            await _asgi_get(front, q(LOOKUP))
        gc.collect()
        gc.disable()
        try:
            statuses = {(await _asgi_get(front, q(LOOKUP)))[0]["status"] for _ in range(20)}
            return statuses, gc.collect()
        finally:
            gc.enable()

    try:
        pool.query(QueryRequest("ASK {}"))  # the one executor has opened the store, idle
        statuses, garbage = asyncio.run(asyncio.wait_for(lookups(), QUERY_TIMEOUT))
        assert statuses == {200} and garbage == 0, garbage
    finally:
        pool.stop()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_a_query_answered_on_the_event_loop_is_stopped_at_its_time_limit(
    small_release: Path,
) -> None:
    """The time limit holds on the event loop too: the executor computing the query is killed
    at the limit, the client gets a 503 that says so, and the next query is answered."""
    app = create_app(small_release, query_timeout=1.0, executors=1, cache_mb=0)
    pool = app.extensions["eocic"].pool
    front = Front(app, threads=1, limit=body_limit(app), hot=HotRoutes(app))
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    try:
        pool.query(QueryRequest("ASK {}"))  # the one executor has opened the store, idle
        (executor,) = procs.executors(os.getpid()) & procs.children(pool._zygote.pid)
        stopped = asyncio.run(asyncio.wait_for(_asgi_get(front, q(runaway)), QUERY_TIMEOUT))
        assert stopped[0]["status"] == 503 and b"time limit" in stopped[1]["body"]
        assert procs.until(lambda: not procs.alive(executor)), "it went on computing"
        again = asyncio.run(asyncio.wait_for(_asgi_get(front, q("ASK {}")), QUERY_TIMEOUT))
        assert again[0]["status"] == 200
    finally:
        pool.stop()


def test_a_query_answered_on_the_event_loop_past_its_memory_budget_fails_alone(
    small_release: Path,
) -> None:
    """The memory cap holds on the event loop too: the executor dies of it, the client is told
    so (not asked to retry a query that would die again), and the next query is answered."""
    app = create_app(small_release, query_timeout=30, executors=1, query_memory_mb=64)
    pool = app.extensions["eocic"].pool
    front = Front(app, threads=1, limit=body_limit(app), hot=HotRoutes(app))
    hungry = (
        "SELECT ?x WHERE { ?a ?b ?c . ?d ?e ?f BIND(CONCAT(STR(?a), STR(?c), STR(?f)) AS ?x) } "
        "ORDER BY ?x LIMIT 1"
    )
    try:
        pool.query(QueryRequest("ASK {}"))  # the one executor has opened the store, idle
        died = asyncio.run(asyncio.wait_for(_asgi_get(front, q(hungry)), QUERY_TIMEOUT * 2))
        assert died[0]["status"] == 500 and b"64 MiB" in died[1]["body"]
        again = asyncio.run(asyncio.wait_for(_asgi_get(front, q("ASK {}")), QUERY_TIMEOUT))
        assert again[0]["status"] == 200
    finally:
        pool.stop()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_a_query_whose_executor_dies_on_the_event_loop_is_evaluated_twice_at_most(
    small_release: Path,
) -> None:
    """A read whose reused executor dies is tried once more, on a fresh one. On the event loop
    it was handed to the thread path instead, which took another reused executor and could
    retry again: three evaluations of a query that may be what kills them. Every executor
    that computes the query here is killed; the client gets a 500 after two."""
    app = create_app(small_release, query_timeout=30, executors=2, cache_mb=0)
    pool = app.extensions["eocic"].pool
    front = Front(app, threads=1, limit=body_limit(app), hot=HotRoutes(app))
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    try:
        # two executors that have opened the store, idle: the first is held stopped while a
        # query waits on it, so that the second query gets an executor of its own
        pool.query(QueryRequest("ASK {}"), cached=False)
        zygote = pool._zygote
        assert zygote is not None
        (first,) = procs.children(zygote.pid)
        procs.pause(first)
        waiting = threading.Thread(target=pool.query, args=(QueryRequest("ASK { ?s ?p ?o }"),))
        waiting.start()
        assert procs.until(lambda: pool._idle.qsize() == 1), "the query did not take it"
        pool.query(QueryRequest("ASK {}"), cached=False)
        os.kill(first, signal.SIGCONT)
        waiting.join()
        assert len(procs.children(zygote.pid)) == 2
        kills: list[int] = []
        answered = threading.Event()

        def kill_what_computes() -> None:
            """Kill each executor once it has computed for 0.3 s since first seen (one merely
            running may be an idle one woken for a moment: CI, Python 3.13, counted 3)."""
            first: dict[int, float] = {}
            while not answered.is_set():
                for pid, cpu in procs.cpu_of(procs.children(zygote.pid)).items():
                    if cpu - first.setdefault(pid, cpu) > 0.3 and pid not in kills:
                        os.kill(pid, signal.SIGKILL)
                        kills.append(pid)
                time.sleep(0.01)

        killer = threading.Thread(target=kill_what_computes)
        killer.start()
        try:
            sent = asyncio.run(asyncio.wait_for(_asgi_get(front, q(runaway)), QUERY_TIMEOUT * 4))
        finally:
            answered.set()
            killer.join()
        assert sent[0]["status"] == 500 and b"died" in sent[1]["body"], sent
        assert len(kills) == 2, f"{len(kills)} executors evaluated it"
    finally:
        pool.stop()


def test_a_streamed_answer_made_for_a_cancelled_request_lets_go_of_its_executor_at_once(
    small_release: Path,
) -> None:
    """A read whose executor died on the event loop is retried in a thread of its own. If the
    request is cancelled while that thread runs, the answer it makes reaches nobody: a large
    (streamed) one is closed at once, so its executor is let go then, not whenever the answer
    happens to be garbage-collected (here something still holds it)."""
    app = create_app(small_release, query_timeout=QUERY_TIMEOUT, executors=1, cache_mb=0)
    pool = app.extensions["eocic"].pool
    large = QueryRequest("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 20000", tabular="json")
    go_on, made = threading.Event(), threading.Event()
    answers: list[Any] = []

    def retry() -> Any:
        go_on.wait()
        answers.append(pool.stream(large))
        made.set()
        return answers[0]

    async def cancelled_while_it_runs() -> None:
        request = asyncio.ensure_future(_in_thread(retry))
        await asyncio.sleep(0.1)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request

    try:
        asyncio.run(cancelled_while_it_runs())
        go_on.set()
        assert made.wait(QUERY_TIMEOUT)
        assert isinstance(answers[0], Streamed), "the answer was not large enough to stream"
        assert procs.until(lambda: pool._idle.qsize() == 1), "the executor stayed held"
        assert pool.query(QueryRequest("ASK {}")).body
    finally:
        go_on.set()
        pool.stop()


async def _asgi_get(front: Front, target: str) -> list[dict]:
    """The ASGI messages that `front` sends for a GET of `target` (a client that stays)."""
    path, _, query = target.encode().partition(b"?")
    scope = {
        "type": "http",
        "method": "GET",
        "path": path.decode(),
        "raw_path": path,
        "query_string": query,
        "headers": [(b"accept", b"*/*")],
        "http_version": "1.1",
    }
    sent: list[dict] = []
    stays: asyncio.Future[dict] = asyncio.get_running_loop().create_future()

    async def receive() -> dict:
        return await stays  # never: the client does not hang up

    async def send(message: dict) -> None:
        sent.append(message)

    await front(scope, receive, send)
    return sent
