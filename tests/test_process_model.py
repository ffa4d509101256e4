"""The executors' process model (issue 20, items 2, 4, 10, 11, 14 and 15; issue 19, item 5).

One regression test per finding, named after it: each failed on the code before the zygote
(executors forked from request threads, two deadlines per call, a lazily opened store, "no
answer" taken for "nothing applied", a root sandbox, a cache that kept a read begun before a
write, hang-up watching that stopped at the first pipelined byte).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import random
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from eocic_kg.serve import create_store
from eocic_kg.store import Store
from eocic_kg.store_api import QueryRequest
from eocic_kg.web.app import create_app
from eocic_kg.web.pool import Call, QueryPool, QueryTimeout, Unavailable
from tests import procs
from tests.conftest import free_port, post_query
from tests.test_safe_service import RUNAWAY, serve, store_path  # noqa: F401

LINUX = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ASK = "ASK { ?s ?p ?o }"


def _count(client: FlaskClient, graph: str | None = None) -> int:
    pattern = "?s ?p ?o" if graph is None else f"GRAPH <{graph}> {{ ?s ?p ?o }}"
    r = client.get("/sparql", query_string={"query": f"SELECT (COUNT(*) AS ?n) {{ {pattern} }}"})
    assert r.status_code == 200, r.get_data(as_text=True)
    return int(json.loads(r.data)["results"]["bindings"][0]["n"]["value"])


def _computing(before: set[int]) -> set[int]:
    """The executors started since `before` that have computed for more than 0.2 s, once
    there is one (the same set that ended the wait, even if one ends right after)."""
    found: set[int] = set()

    def seen() -> bool:
        found.update(p for p in procs.new_executors(before) if _cpu(p) > 0.2)
        return bool(found)

    assert procs.until(seen)
    return found


def _cpu(pid: int) -> float:
    """CPU seconds of `pid` so far (infinite once it is gone)."""
    try:
        return procs.cpu_seconds(pid)
    except FileNotFoundError:
        return float("inf")


# Issue 20, finding 2: executors died with the thread that forked them


@LINUX
def test_finding_02_an_executor_outlives_the_request_threads_that_used_it(
    small_release: Path,
) -> None:
    """Under a thread-per-request server every request comes on a new thread that then exits:
    the executor must not die with it (PR_SET_PDEATHSIG follows the forking thread)."""
    before = procs.descendants(os.getpid())
    app = create_app(store=Store.from_file(small_release), executors=1)
    client = app.test_client()
    seen: list[set[int]] = []
    statuses: list[int] = []

    def request() -> None:
        statuses.append(client.get("/sparql", query_string={"query": ASK}).status_code)

    for _ in range(20):
        thread = threading.Thread(target=request)
        thread.start()
        thread.join()
        seen.append({p for p in procs.new_executors(before) if procs.alive(p)})
    assert statuses == [200] * 20
    assert seen[0] and all(s == seen[0] for s in seen), "executors died and were replaced"
    app.extensions["eocic"].pool.stop()


def test_a_killed_zygote_is_replaced(small_release: Path) -> None:
    pool = QueryPool(Store.from_file(small_release), size=1, timeout=30)
    before = procs.descendants(os.getpid())
    pool.start()

    def zygotes() -> set[int]:
        new = procs.children(os.getpid()) - before
        return {p for p in new if procs.name(p) == "eocic-zygote"}

    assert procs.until(lambda: bool(zygotes()))
    (zygote,) = zygotes()
    os.kill(zygote, signal.SIGKILL)
    assert b"true" in pool.query(QueryRequest(ASK)).body
    pool.stop()


@LINUX
def test_a_hang_up_signalled_on_a_descriptor_stops_the_query(small_release: Path) -> None:
    """A front that owns the connection (an ASGI server) signals a hang-up by making a
    descriptor readable (a pipe, an eventfd): the executor is stopped at once."""
    pool = QueryPool(Store.from_file(small_release), size=1, timeout=120)
    before = procs.descendants(os.getpid())
    hang_up_r, hang_up_w = os.pipe()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            pool.query(QueryRequest(RUNAWAY), client=hang_up_r)
        except Exception as e:  # the outcome is the assertion
            outcome.append(e)

    thread = threading.Thread(target=run)
    thread.start()

    busy = _computing(before)
    os.write(hang_up_w, b"\x01")
    thread.join()
    assert [type(e).__name__ for e in outcome] == ["ClientGone"]
    assert procs.until(lambda: not any(procs.alive(p) for p in busy))
    for fd in (hang_up_r, hang_up_w):
        os.close(fd)
    pool.stop()


def test_finding_02_an_executor_is_put_back_only_after_a_complete_exchange(
    small_release: Path,
) -> None:
    """An error between sending a call and reading its answer (here: a client socket that is
    already closed) must not hand the executor, answer pending, to the next caller."""
    pool = QueryPool(Store.from_file(small_release), size=1, timeout=30)
    closed = socket.socket()
    closed.close()
    with pytest.raises(ValueError):
        pool.query(QueryRequest("ASK { FILTER(false) }"), client=closed)
    assert json.loads(pool.query(QueryRequest(ASK)).body)["boolean"] is True
    pool.stop()


# Issue 19, finding 4: a read that began before a write was cached after it


def test_finding_04_a_read_begun_before_a_write_is_not_cached_after_it(
    writable_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = writable_app(cache_mb=1, executors=1)
    client = app.test_client()
    cache = app.extensions["eocic"].pool.cache
    answered, write_done = threading.Event(), threading.Event()
    put = cache.put

    def put_after_the_write(*args: object) -> None:
        answered.set()  # the read has its answer (0 triples) and is about to keep it
        assert write_done.wait(60)
        put(*args)

    monkeypatch.setattr(cache, "put", put_after_the_write)
    read: list[int] = []
    reader = threading.Thread(target=lambda: read.append(_count(client)))
    reader.start()
    assert answered.wait(60)
    insert = "INSERT DATA { <http://example.org/a> <http://example.org/p> 1 }"
    assert client.post("/sparql", data={"update": insert}).status_code == 204
    write_done.set()
    reader.join()
    assert read == [0]
    assert _count(client) == 1, "the cache answered from before the write"


def test_a_remote_engines_results_are_not_cached() -> None:
    from eocic_kg.remote import RemoteStore

    pool = QueryPool(RemoteStore("http://127.0.0.1:1/sparql"), cache_bytes=2**20)
    assert pool.cache.limit == 0


# Issue 20, finding 5: waiting for an executor and evaluating had a limit each


@LINUX
def test_finding_05_one_deadline_covers_the_wait_for_an_executor_and_the_evaluation(
    small_release: Path,
) -> None:
    """A runaway A holds the one executor; C (a runaway) queues, then B (a fast query) queues.
    With one deadline per call, C is stopped at its own deadline, soon after it gets the
    executor, and B is answered. With a limit for the wait and another for the evaluation, C
    evaluates for a full limit after A, and B's wait runs out: 503."""
    pool = QueryPool(Store.from_file(small_release), size=1, timeout=6)
    before = procs.descendants(os.getpid())
    outcomes: dict[str, object] = {}

    def run(name: str, text: str) -> None:
        try:
            outcomes[name] = pool.query(QueryRequest(text)).body
        except Exception as e:  # the outcome is the assertion
            outcomes[name] = e

    a = threading.Thread(target=run, args=("A", RUNAWAY))
    a.start()

    (executor,) = _computing(before)
    c = threading.Thread(target=run, args=("C", RUNAWAY))
    c.start()
    queued_at = _cpu(executor)
    # B queues well after C: A's executor has computed for a while longer meanwhile
    assert procs.until(lambda: _cpu(executor) > queued_at + 0.3)
    assert "A" not in outcomes and "C" not in outcomes, "A ended before B could queue"
    b = threading.Thread(target=run, args=("B", ASK))
    b.start()
    for thread in (a, c, b):
        thread.join()
    pool.stop()
    assert isinstance(outcomes["B"], bytes) and b"true" in outcomes["B"], outcomes["B"]
    assert isinstance(outcomes["A"], QueryTimeout), outcomes["A"]
    assert isinstance(outcomes["C"], Unavailable), outcomes["C"]


@LINUX
def test_finding_05_a_timeout_does_not_kill_the_zygote_where_sigpipe_is_fatal(
    small_release: Path,
) -> None:
    """The zygote writes how each executor ended to a pipe; a timed-out executor's pipe is
    closed by the pool. Forked from a process where SIGPIPE kills (an in-process
    `eocic_kg.cli.main` call leaves it so), the zygote died of that write, and the executor it
    had just started for the next query with it: "the query engine process died". The next
    query is asked once the zygote has reaped the stopped executor, so after that write."""
    fatal = signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        pool = QueryPool(Store.from_file(small_release), size=1, timeout=1)
        pool.start()
    finally:
        signal.signal(signal.SIGPIPE, fatal)
    try:
        zygote = pool._zygote
        assert zygote is not None
        stopped: list[Exception] = []

        def run_away() -> None:
            try:
                pool.query(QueryRequest(RUNAWAY))
            except QueryTimeout as e:
                stopped.append(e)

        runaway = threading.Thread(target=run_away)
        runaway.start()
        assert procs.until(lambda: bool(procs.children(zygote.pid)))
        (executor,) = procs.children(zygote.pid)
        runaway.join()  # stopped at its limit: the zygote kills it, reaps it, reports it
        assert stopped
        assert procs.until(lambda: not Path(f"/proc/{executor}").exists())
        assert b"true" in pool.query(QueryRequest(ASK), cached=False).body
        assert procs.alive(zygote.pid) and pool._zygote is zygote
    finally:
        pool.stop()


# Issue 20, finding 11: a writable store was opened inside a request's limit


@LINUX
def test_finding_11_a_runaway_read_after_large_writes_does_not_wedge_the_store(
    serve,  # noqa: F811
    store_path: Path,  # noqa: F811
) -> None:
    """Large writes, then a runaway read killed at the limit: the next executor must open the
    store (replaying its log, if any) outside any request's limit, and the store answers."""
    server = serve("--store", str(store_path), "--writable", "--query-timeout", "5")
    graph = "http://example.org/wal"
    for k in range(36):  # small writes, each far within the limit; 360,000 triples in all
        triples = "".join(
            f"<http://example.org/s{k}-{i}> <http://example.org/p> {i} .\n" for i in range(10_000)
        )
        r = httpx.post(
            f"{server.url}/store?graph={graph}",
            content=triples.encode(),
            headers={"Content-Type": "text/turtle"},
            timeout=60,
        )
        assert r.status_code in (201, 204), r.text
    r = server.query(RUNAWAY)  # its executor is killed: at the time limit, or its memory budget
    stopped = "time limit" in r.text or "memory" in r.text
    assert r.status_code in (500, 503) and stopped, r.text

    def answers() -> bool:
        r = server.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return r.status_code == 200 and r.json()["results"]["bindings"][0]["n"]["value"] == str(
            36 * 10_000
        )

    assert procs.until(answers, seconds=90), "the store never answered again"
    assert httpx.get(f"{server.url}/ready", timeout=30).status_code in (200, 503)  # answers


@contextlib.contextmanager
def _opening_held(path: Path) -> Iterator[None]:
    """Every process that opens the on-disk store at `path` meanwhile stays opening (as if
    replaying a long log) until the block ends: RocksDB's manifest becomes a named pipe that
    its open waits on, given back as it was at the end."""
    manifest = path / (path / "CURRENT").read_text().strip()
    content = manifest.read_bytes()
    manifest.unlink()
    os.mkfifo(manifest)
    try:
        yield
    finally:
        (path / "held").write_bytes(content)
        with open(os.open(manifest, os.O_WRONLY | os.O_NONBLOCK), "wb") as pipe:  # its reader
            pipe.write(content)
        os.replace(path / "held", manifest)


def test_ready_is_503_while_a_writable_store_opens(tmp_path: Path) -> None:
    """A new executor opens the store before it answers; until then calls get 503, and the
    open goes on (it is not killed at their limit)."""
    path = tmp_path / "store"
    create_store(path, [])
    before = procs.descendants(os.getpid())
    with _opening_held(path):
        app = create_app(
            store=Store.open(path, writable=True), writable=True, executors=1, query_timeout=1
        )
        (executor,) = procs.new_executors(before)
        client = app.test_client()
        ready = client.get("/ready")
        assert ready.status_code == 503 and "opening" in ready.get_data(as_text=True)
        query = client.get("/sparql", query_string={"query": ASK})
        assert query.status_code == 503 and "opening" in query.get_data(as_text=True)
        assert procs.alive(executor), "the opening executor was killed at a request's limit"
    assert procs.until(
        lambda: client.get("/sparql", query_string={"query": ASK}).status_code == 200
    )
    assert procs.new_executors(before) == {executor}, "the executor that opened is the one"
    app.extensions["eocic"].pool.stop()


# Issue 20, finding 12: "it changed nothing" for writes that were applied


@LINUX
def test_finding_12_every_write_answer_is_true_when_executors_are_killed(
    writable_app: Callable[..., Flask],
) -> None:
    """60 writes of 3,600 triples each, executors killed at random meanwhile: a write answered
    applied is in the store, one answered "changed nothing" is not (an unknown outcome says so)."""
    before = procs.descendants(os.getpid())
    app = writable_app(executors=1, query_timeout=30)
    client = app.test_client()
    done = threading.Event()
    kills = 0

    def killer() -> None:
        nonlocal kills
        rng = random.Random(12)
        while not done.wait(rng.uniform(0.0, 0.4)):
            for pid in procs.new_executors(before):
                if procs.alive(pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                        kills += 1

    thread = threading.Thread(target=killer)
    thread.start()
    triples = "".join(
        f"<http://example.org/s{i}> <http://example.org/p> {i} .\n" for i in range(3600)
    )
    answers = []
    try:
        for n in range(60):
            graph = f"http://example.org/kill/{n}"
            r = client.post(f"/store?graph={graph}", data=triples, content_type="text/turtle")
            answers.append((graph, r.status_code, r.get_data(as_text=True)))
    finally:
        done.set()
        thread.join()
    assert kills > 0
    wrong = []
    for graph, status, text in answers:
        count = _count(client, graph)
        if status in (201, 204):
            right = count == 3600
        elif status == 503 and "is unknown" in text:
            right = True  # it says it does not know, and how to find out
        else:  # any other failure says it was not applied
            right = count == 0
        if not right:
            wrong.append((graph, status, text, count))
    assert not wrong, wrong
    app.extensions["eocic"].pool.stop()


# Issue 20, finding 16: one pipelined byte turned off hang-up detection


@LINUX
@pytest.mark.parametrize("front", ["granian", "gunicorn"])
def test_finding_16_a_hang_up_after_a_pipelined_byte_stops_the_query(
    serve,  # noqa: F811
    small_release: Path,
    front: str,
) -> None:
    # gunicorn's worker watches the client's socket; Granian's HTTP/1 server does not read a
    # connection while its response is pending, so the front finds the connection's socket and
    # watches it (`eocic_kg.web.front`).
    server = serve(
        "--workers", "1", "--query-timeout", "60", "--front", front, release=small_release
    )
    (worker,) = server.workers()
    before = procs.cpu_of(procs.executors(worker))
    sock = post_query(server.url, RUNAWAY)
    evaluating = procs.evaluating(lambda: procs.executors(worker), before)
    assert evaluating, "the runaway never computed"
    sock.sendall(b"X")  # the first byte of a next request, read by nobody yet
    sock.close()
    assert procs.until(lambda: not any(procs.alive(p) for p in evaluating), seconds=20), (
        "the executor went on computing for a client that had gone"
    )


# Issue 20, finding 20: the sandbox was one namespace around a privileged root process


class _Probe:
    """A store-like object whose one operation tries to leave the executor's sandbox."""

    def enter_network_of(self, pid: int) -> str:
        try:
            fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
        except OSError as e:
            return f"refused: {e}"
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.setns(fd, 0x40000000) == 0:  # CLONE_NEWNET
            return "entered"
        return f"refused: {os.strerror(ctypes.get_errno())}"

    def status(self) -> str:
        return Path("/proc/self/status").read_text()

    def unshare(self, flags: int) -> str:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(flags) == 0:
            return "unshared"
        return f"refused: {os.strerror(ctypes.get_errno())}"

    def open_socket(self, family: int) -> str:
        try:
            socket.socket(family, socket.SOCK_DGRAM).close()
        except OSError as e:
            return f"refused: {e.strerror}"
        return "opened"


@LINUX
def test_finding_20_an_executor_cannot_enter_the_hosts_network_namespace() -> None:
    pool = QueryPool(_Probe(), size=1, timeout=30)  # type: ignore[arg-type]
    answer = pool.call(Call("enter_network_of", (os.getpid(),)))
    assert answer.startswith("refused"), answer
    status = dict(line.split(":\t", 1) for line in pool.call(Call("status")).splitlines())
    for capabilities in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "CapInh"):
        assert int(status[capabilities], 16) == 0, (capabilities, status[capabilities])
    assert status["NoNewPrivs"].strip() == "1"
    pool.stop()
    if os.geteuid() == 0:  # control: a process with root's capabilities can do it
        assert _Probe().enter_network_of(os.getpid()) == "entered"


_CLONE_NEWNET, _CLONE_NEWUSER = 0x40000000, 0x10000000
_REFUSED = "refused: " + os.strerror(errno.EPERM)


@LINUX
def test_finding_20_an_executor_cannot_make_namespaces_or_internet_sockets(
    small_release: Path,
) -> None:
    """The seccomp filter: no new namespaces (a new user namespace needs no capability), no
    socket but AF_UNIX; each refusal an error, and queries still answer."""
    pool = QueryPool(_Probe(), size=1, timeout=30)  # type: ignore[arg-type]
    for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET):
        assert pool.call(Call("unshare", (flags,))) == _REFUSED, hex(flags)
    for family in (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK):
        assert pool.call(Call("open_socket", (family,))) == _REFUSED, family
    assert pool.call(Call("open_socket", (socket.AF_UNIX,))) == "opened"
    assert pool.call(Call("enter_network_of", (os.getpid(),))).startswith("refused")
    pool.stop()
    assert _Probe().open_socket(socket.AF_INET) == "opened"  # control: unfiltered here
    client = create_app(store=Store.from_file(small_release), executors=1).test_client()
    r = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert r.status_code == 200 and r.get_json()["boolean"] is True, r.get_data(as_text=True)
    client.application.extensions["eocic"].pool.stop()


@LINUX
def test_finding_20_an_executor_with_network_still_cannot_make_namespaces() -> None:
    """A remote engine's executor keeps its Internet sockets, not the namespace calls."""
    pool = QueryPool(_Probe(), size=1, timeout=30, network=True)  # type: ignore[arg-type]
    assert pool.call(Call("open_socket", (socket.AF_INET,))) == "opened"
    assert pool.call(Call("unshare", (_CLONE_NEWUSER | _CLONE_NEWNET,))) == _REFUSED
    assert pool.call(Call("enter_network_of", (os.getpid(),))).startswith("refused")
    pool.stop()


def test_serve_says_when_executors_system_calls_cannot_be_filtered(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Where there is no libseccomp, the start-up probe names what is missing and serve says
    so (here it then refuses a non-loopback bind for the missing network isolation)."""
    from eocic_kg import sandbox
    from eocic_kg import serve as serve_module
    from eocic_kg.errors import UsageError

    monkeypatch.setattr(sandbox, "_libseccomp", lambda: None)
    assert "libseccomp" in (sandbox.syscall_filter() or "")
    monkeypatch.setattr(serve_module, "network_isolation", lambda: "unshare: not permitted")
    with caplog.at_level("WARNING", logger="eocic_kg.serve"), pytest.raises(UsageError):
        serve_module.run(release=Path("unused.nq"), host="0.0.0.0", store=Store())
    assert "system calls are NOT filtered here" in caplog.text and "libseccomp" in caplog.text


def test_workers_forked_with_the_warmed_release_in_the_collectors_reach(
    monkeypatch: pytest.MonkeyPatch, small_release: Path
) -> None:
    """What the workers inherit is frozen before they fork: a full collection in a worker
    walked the store's and the views' objects with its event loop stopped (lookups' p99 was
    ~90-105 ms against ~6 ms with them frozen, `bench/bench_peers.py`)."""
    import gc

    from eocic_kg import serve as serve_module

    frozen: list[int] = []
    monkeypatch.setattr(
        serve_module, "serve_front", lambda app, **_: frozen.append(gc.get_freeze_count())
    )
    gc.unfreeze()
    try:
        serve_module.run(release=small_release, port=free_port(), store=Store())
    finally:
        gc.unfreeze()
    assert frozen and frozen[0] > 10_000, frozen


# The memory budget is named only when the executor died of it


@LINUX
def test_an_executor_killed_by_a_signal_is_not_blamed_on_the_memory_budget(
    small_release: Path,
) -> None:
    before = procs.descendants(os.getpid())
    app = create_app(
        store=Store.from_file(small_release), query_timeout=60, executors=1, query_memory_mb=512
    )
    client = app.test_client()
    outcome: list[tuple[int, str]] = []

    def run() -> None:
        r = client.get("/sparql", query_string={"query": RUNAWAY})
        outcome.append((r.status_code, r.get_data(as_text=True)))

    thread = threading.Thread(target=run)
    thread.start()

    for pid in _computing(before):
        os.kill(pid, signal.SIGKILL)
    thread.join()
    ((status, text),) = outcome
    assert status == 500 and "signal 9" in text and "MiB" not in text, text
    assert client.get("/sparql", query_string={"query": ASK}).status_code == 200
    app.extensions["eocic"].pool.stop()
