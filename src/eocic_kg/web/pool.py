"""Query execution with a hard time limit, in a pool of forked worker processes.

pyoxigraph cannot cancel a running query, and a thread stuck in a query cannot be stopped.
So every SPARQL query runs in an *executor*: a child process forked from the serving process
after the store is loaded, which therefore shares the store's memory copy-on-write (no reload,
no copy; a fork costs a few milliseconds, once). The serving thread sends the query over a
pipe and waits at most `timeout` seconds; the executor answers with the result already
serialised. If the time runs out, the executor is killed (SIGKILL) and its slot refilled by a
fresh fork on next use, and the client gets `QueryTimeout` (HTTP 503), while the other
executors keep answering. The per-query overhead is one pipe round trip.

Writes (SPARQL Update, Graph Store) run in the serving process under `lock`, which also guards
every fork, and bump `generation`: an executor forked before a write sees an old snapshot, so
it is replaced by a fresh fork before its next query. Executors are forked lazily, in the
process that uses them (after gunicorn has forked its workers).

Successful results are kept in a per-process `ResultCache` (least recently used first out,
bounded in bytes), keyed by everything that shapes the answer; a write clears it. The graph is
read-only in normal service, so a repeated query is answered without an executor round trip.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
from collections import OrderedDict
from multiprocessing.connection import Connection
from typing import Any

from eocic_kg.remote import AnyStore
from eocic_kg.store import NotAcceptableError, QueryError, Result

_FORK = multiprocessing.get_context("fork")


class QueryTimeout(Exception):
    """The query ran past the time limit and was stopped."""


class ServerBusy(Exception):
    """No executor became free within the time limit."""


def _serve(store: AnyStore, conn: Connection) -> None:
    """Executor loop: answer queries until the parent closes the pipe."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Drop the inherited descriptors (listening and client sockets), or a connection the
    # server closes would stay open in the executor and the client would wait forever.
    keep = conn.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", store.query(**job))
        except (QueryError, NotAcceptableError) as e:
            reply = (type(e).__name__, str(e))
        except Exception as e:  # an engine failure must not kill the loop
            reply = ("error", f"{type(e).__name__}: {e}")
        conn.send(reply)


class _Executor:
    def __init__(self, store: AnyStore, generation: int) -> None:
        self.generation = generation
        self.conn, child = _FORK.Pipe()
        self.process = _FORK.Process(target=_serve, args=(store, child), daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        self.conn.close()
        self.process.kill()
        self.process.join(1)


class ResultCache:
    """Serialised results by request, least recently used evicted first, at most `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._size = 0
        self._entries: OrderedDict[str, Result] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Result | None:
        """The cached result for `key`, if any."""
        with self._lock:
            result = self._entries.get(key)
            if result is not None:
                self._entries.move_to_end(key)
            return result

    def put(self, key: str, result: Result) -> None:
        """Keep `result` unless it alone exceeds the limit; evict the oldest to make room."""
        if len(result.body) > self.limit:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = result
            self._size += len(result.body)
            while self._size > self.limit:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted.body)

    def clear(self) -> None:
        """Forget everything (the store changed)."""
        with self._lock:
            self._entries.clear()
            self._size = 0


def _cache_key(job: dict[str, Any]) -> str:
    return repr(sorted((name, repr(value)) for name, value in job.items()))


class QueryPool:
    """`size` executors answering queries on `store` with a per-query time limit."""

    def __init__(
        self, store: AnyStore, *, size: int = 4, timeout: float = 5.0, cache_bytes: int = 0
    ) -> None:
        self.store = store
        self.cache = ResultCache(cache_bytes) if cache_bytes > 0 else None
        self.size = size
        self.timeout = timeout
        self.lock = threading.RLock()
        self.generation = 0
        self._pid = -1
        self._idle: queue.LifoQueue[_Executor | None] = queue.LifoQueue()

    def _ensure_process(self) -> None:
        """(Re)initialise the slots in a new process (e.g. a gunicorn worker after fork)."""
        if self._pid != os.getpid():
            with self.lock:
                if self._pid != os.getpid():
                    self._idle = queue.LifoQueue()
                    for _ in range(self.size):
                        self._idle.put(None)
                    self._pid = os.getpid()

    def _acquire(self) -> _Executor:
        self._ensure_process()
        try:
            executor = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise ServerBusy("all query executors are busy; try again later") from None
        if executor is not None and executor.generation == self.generation:
            return executor
        try:
            with self.lock:
                if executor is not None:
                    executor.kill()
                return _Executor(self.store, self.generation)
        except BaseException:
            self._idle.put(None)
            raise

    def query(self, **job: Any) -> Result:
        """Run `Store.query(**job)` in an executor (or answer from the cache)."""
        if self.cache is None:
            return self._run(job)
        key = _cache_key(job)
        result = self.cache.get(key)
        if result is None:
            result = self._run(job)
            self.cache.put(key, result)
        return result

    def _run(self, job: dict[str, Any]) -> Result:
        """Run one query in an executor; raise QueryTimeout past the limit."""
        executor: _Executor | None = self._acquire()
        assert executor is not None
        try:
            executor.conn.send(job)
            if not executor.conn.poll(self.timeout):
                executor.kill()
                executor = None
                raise QueryTimeout(
                    f"the query did not finish within the time limit of {self.timeout:g} s"
                )
            status, payload = executor.conn.recv()
        except (EOFError, OSError) as e:
            if executor is not None:
                executor.kill()
                executor = None
            raise RuntimeError("query executor failed") from e
        finally:
            self._idle.put(executor)
        if status == "ok":
            return payload
        if status in ("QueryError", "RefusedError"):
            raise QueryError(payload)
        if status == "NotAcceptableError":
            raise NotAcceptableError(payload)
        raise RuntimeError(payload)

    def written(self) -> None:
        """Record that the store changed (call with `lock` held): executors must be re-forked."""
        self.generation += 1
        if self.cache is not None:
            self.cache.clear()
