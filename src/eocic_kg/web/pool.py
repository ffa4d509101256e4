"""Every store operation runs in an executor: a killable child process with no network.

pyoxigraph cannot cancel a running query, and a thread stuck in one cannot be stopped. So the
serving process never evaluates SPARQL itself: each operation (query, update, Graph Store read
or write, graph sizes, dumps) is a `Call` sent over a pipe to an *executor*, a child forked from
the serving process, which answers with the result already serialised. An executor

- is confined first thing (`eocic_kg.sandbox.confine`): it has no network at all (an empty
  Linux network namespace), so SERVICE, LOAD or a remote FROM cannot fetch whatever the text
  looks like, and the kernel kills it when its parent dies;
- evaluates on a large stack, so that deep nesting cannot overflow the engine's parser;
- is killed (SIGKILL) when a call passes the time limit, and replaced by a fresh fork on next
  use; the client gets `QueryTimeout` (HTTP 503) while the other executors keep answering.

A read-only store is shared copy-on-write by `size` executors (in memory), or opened read-only
by each (on disk). A writable store is on disk and has exactly one executor, which holds it
read-write, so writes are one at a time, atomic (a transaction that a kill discards), and
survive any crash of the server. `PooledStore` gives the web layer the store interface on top.

Successful query results are kept in a per-process `ResultCache` (`result_cache.py`), keyed
by the `QueryRequest`, which names everything that shapes the answer; a write clears it.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import select
import signal
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from eocic_kg.errors import NotAcceptableError, QueryError, RefusedError, StoreBusyError
from eocic_kg.results import Result
from eocic_kg.sandbox import confine, limit_memory
from eocic_kg.store_api import QueryRequest, StoreAPI, UpdateRequest
from eocic_kg.web.result_cache import ResultCache

_FORK = multiprocessing.get_context("fork")
#: Stack of the thread that evaluates in an executor: the engine's parser recurses once per
#: nesting level, and a 64 KiB query cannot nest deeper than this allows (pages are touched
#: only when used).
EXECUTOR_STACK = 512 * 2**20
#: Operations that change the store.
WRITES = frozenset({"update", "load_graph", "drop_graph"})
#: Time limit of the server's own bookkeeping calls (dumps of the release, graph sizes).
INTERNAL_TIMEOUT = 120.0
#: Exceptions an executor sends back by name, re-raised as themselves in the server.
_ERRORS: dict[str, type[Exception]] = {
    "QueryError": QueryError,
    "RefusedError": RefusedError,
    "NotAcceptableError": NotAcceptableError,
    "StoreBusyError": StoreBusyError,
}


class QueryTimeout(Exception):
    """The operation ran past the time limit and was stopped."""


class ServerBusy(Exception):
    """No executor became free within the time limit."""


#: A client's socket, or a descriptor that becomes readable when the client hangs up.
Client = socket.socket | int


class ClientGone(Exception):
    """The client closed its connection while its query ran (the query was stopped)."""


def _hung_up(client: socket.socket) -> bool:
    """Whether the peer of `client` closed the connection (end of stream or reset)."""
    try:
        return client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class ExecutorFailed(RuntimeError):
    """The executor died while answering (the operation was not applied)."""


@dataclass(frozen=True)
class Call:
    """One store operation for an executor: a `StoreAPI` method, its arguments and options."""

    method: str
    args: tuple[Any, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def writes(self) -> bool:
        return self.method in WRITES

    def key(self) -> str:
        """A cache key naming everything that shapes the answer."""
        return repr((self.method, self.args, sorted((k, repr(v)) for k, v in self.options.items())))


def _answer(store: StoreAPI, conn: Connection) -> None:
    """Answer calls until the parent closes the pipe."""
    while True:
        try:
            call: Call = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", getattr(store, call.method)(*call.args, **call.options))
        except tuple(_ERRORS.values()) as e:
            reply = (type(e).__name__, str(e))
        except Exception as e:  # an engine failure must not end the loop
            reply = ("error", f"{type(e).__name__}: {e}")
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


def _executor(
    store: StoreAPI, conn: Connection, parent: int, network: bool, memory: int | None
) -> None:
    """Executor main: confine, drop inherited descriptors, answer on a large stack."""
    confine(parent, network=network)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    # Inherited descriptors (listening and client sockets) would keep connections open.
    keep = conn.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
    if memory is not None:  # the evaluating thread's stack is part of the budget
        limit_memory(memory + EXECUTOR_STACK)
    threading.stack_size(EXECUTOR_STACK)
    worker = threading.Thread(target=_answer, args=(store, conn), name="evaluate")
    worker.start()
    worker.join()


class _Executor:
    def __init__(self, store: StoreAPI, network: bool, memory: int | None) -> None:
        self.conn, child = _FORK.Pipe()
        self.process = _FORK.Process(
            target=_executor, args=(store, child, os.getpid(), network, memory), daemon=True
        )
        self.process.start()
        child.close()
        self._poller = select.poll()  # one poller per executor: no selector built per call
        self._poller.register(self.conn.fileno(), select.POLLIN)

    def ready(self, timeout: float, client: Client | None = None) -> bool:
        """Whether the executor answered (or died) within `timeout` seconds.

        With the `client`'s socket, or a descriptor that becomes readable when the client
        hangs up (the front's), a client that hangs up meanwhile raises ClientGone.
        """
        if client is None:
            return bool(self._poller.poll(max(0, int(timeout * 1000))))
        fd = client if isinstance(client, int) else client.fileno()
        poller = select.poll()
        poller.register(self.conn.fileno(), select.POLLIN)
        poller.register(fd, select.POLLIN | select.POLLRDHUP)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            events = dict(poller.poll(int(left * 1000) + 1))
            if self.conn.fileno() in events:
                return True
            if fd in events:
                if isinstance(client, int) or _hung_up(client):
                    raise ClientGone("the client hung up before the answer")
                poller.unregister(fd)  # it sent more (a pipelined request)
        return False

    def alive(self) -> bool:
        return self.process.exitcode is None

    def kill(self) -> None:
        self.conn.close()
        self.process.kill()
        self.process.join(5)


class QueryPool:
    """Executors answering `Call`s on `store` under a time limit.

    `writable` pools have one executor, which alone holds the (on-disk) store read-write.
    `network` lets executors reach the network: only for a remote engine, which evaluates.
    `memory_bytes` caps what one executor may allocate beyond what it inherits.
    """

    def __init__(
        self,
        store: StoreAPI,
        *,
        size: int = 4,
        timeout: float = 5.0,
        cache_bytes: int = 0,
        writable: bool = False,
        network: bool = False,
        memory_bytes: int | None = None,
    ) -> None:
        self.store = store
        self.cache = ResultCache(cache_bytes) if cache_bytes > 0 else None
        self.size = 1 if writable else size
        self.timeout = timeout
        self.writable = writable
        self.network = network
        self.memory_bytes = memory_bytes
        #: Counts the writes; caches of derived views are keyed by it.
        self.generation = 0
        self._write_lock = threading.Lock()
        self._pid = -1
        self._pid_lock = threading.Lock()
        self._idle: queue.LifoQueue[_Executor | None] = queue.LifoQueue()

    def _ensure_process(self) -> None:
        """(Re)initialise the slots in a new process (e.g. a gunicorn worker after fork)."""
        if self._pid != os.getpid():
            with self._pid_lock:
                if self._pid != os.getpid():
                    self._idle = queue.LifoQueue()
                    for _ in range(self.size):
                        self._idle.put(None)
                    self._pid = os.getpid()

    def _acquire(self, timeout: float) -> _Executor:
        self._ensure_process()
        try:
            executor = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise ServerBusy("all query executors are busy; try again later") from None
        if executor is not None and executor.alive():
            return executor
        try:
            if executor is not None:
                executor.kill()
            return _Executor(self.store, self.network, self.memory_bytes)
        except BaseException:
            self._idle.put(None)
            raise

    def call(self, call: Call, *, cached: bool = True, client: Client | None = None) -> Any:
        """Run `call` in an executor (a query may be answered from the cache).

        A read whose `client` hangs up is stopped at once (ClientGone); a write always completes.
        """
        if call.writes:
            if not self.writable:
                raise RefusedError("this server is read-only")
            with self._write_lock:
                result = self._run(call, self.timeout)
                self.generation += 1
                if self.cache is not None:
                    self.cache.clear()
                return result
        limit = self.timeout if call.method == "query" else max(self.timeout, INTERNAL_TIMEOUT)
        if self.cache is None or not cached or call.method != "query":
            return self._run(call, limit, client)
        # keyed by the generation it started in: a read that began before a write never fills
        # the cache of the state after it (an ETag of that state would name an older body)
        key = f"{self.generation} {call.key()}"
        result = self.cache.get(key)
        if result is None:
            result = self._run(call, limit, client)
            self.cache.put(key, result)
        return result

    def query(
        self, request: QueryRequest, *, client: Client | None = None, cached: bool = True
    ) -> Result:
        """Run `Store.query(request)` in an executor (or answer from the cache, if `cached`)."""
        return self.call(Call("query", (request,)), client=client, cached=cached)

    def _run(self, call: Call, limit: float, client: Client | None = None) -> Any:
        """Run one call in an executor; raise QueryTimeout past `limit` seconds."""
        executor: _Executor | None = self._acquire(self.timeout)
        assert executor is not None
        try:
            executor.conn.send(call)
            try:
                answered = executor.ready(limit, None if call.writes else client)
            except ClientGone:
                executor.kill()
                executor = None
                raise
            if not answered:
                executor.kill()
                executor = None
                what = "update" if call.writes else "query"
                raise QueryTimeout(
                    f"the {what} did not finish within the time limit of {limit:g} s and was "
                    + ("stopped; it changed nothing" if call.writes else "stopped")
                )
            status, payload = executor.conn.recv()
        except (EOFError, OSError) as e:
            if executor is not None:
                executor.kill()
                executor = None
            raise ExecutorFailed(
                "the query engine failed on this request"
                + (" and changed nothing" if call.writes else "")
                + (
                    f" (an evaluation may allocate {self.memory_bytes // 2**20} MiB at most)"
                    if self.memory_bytes
                    else ""
                )
            ) from e
        finally:
            self._idle.put(executor)
        if status == "ok":
            return payload
        raise _ERRORS.get(status, ExecutorFailed)(payload)

    def stop(self) -> None:
        """Kill this process's idle executors (busy ones die with the process); their slots
        stay, so a later call forks a fresh executor."""
        if self._pid != os.getpid():
            return
        stopped = 0
        while True:
            try:
                executor = self._idle.get_nowait()
            except queue.Empty:
                break
            if executor is not None:
                executor.kill()
            stopped += 1
        for _ in range(stopped):
            self._idle.put(None)


class PooledStore:
    """The `StoreAPI` of a store whose every operation runs in the pool's executors."""

    def __init__(self, pool: QueryPool) -> None:
        self.pool = pool

    def __len__(self) -> int:
        return int(self.pool.call(Call("__len__")))

    def graph_sizes(self) -> dict[str | None, int]:
        return dict(self.pool.call(Call("graph_sizes")))

    def query(self, request: QueryRequest) -> Result:
        return self.pool.query(request)

    def update(self, request: UpdateRequest) -> None:
        self.pool.call(Call("update", (request,)))

    def has_graph(self, name: str | None) -> bool:
        return bool(self.pool.call(Call("has_graph", (name,))))

    def dump(self, graphs: Sequence[str] | None = None) -> bytes:
        return bytes(self.pool.call(Call("dump", (graphs,))))

    def serialize_graph(self, name: str | None, fmt: str) -> bytes:
        return bytes(self.pool.call(Call("serialize_graph", (name, fmt))))

    def load_graph(
        self, name: str | None, data: bytes | Path, media_type: str, *, replace: bool
    ) -> bool:
        call = Call("load_graph", (name, data, media_type), {"replace": replace})
        return bool(self.pool.call(call))

    def drop_graph(self, name: str | None) -> bool:
        return bool(self.pool.call(Call("drop_graph", (name,))))
