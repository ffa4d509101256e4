"""Every store operation runs in an executor: a killable child process with no network.

pyoxigraph cannot cancel a running query, and a thread stuck in one cannot be stopped. So the
serving process never evaluates SPARQL itself: each operation (query, update, Graph Store read
or write, graph sizes, dumps) is a `Call` sent over a socket to an *executor*, which answers
with the result already serialised.

**Where executors come from.** Each serving process (a gunicorn worker, or a process serving a
`create_app` app with threads) starts one *zygote* while it still has a single thread
(`QueryPool.start`: gunicorn's `post_fork`, and `create_app`): a child that holds the store
copy-on-write and only forks executors when the pool asks, over a Unix socket, handing each
executor's socket back (SCM_RIGHTS). So no executor is forked by a request thread, and none
dies with one (`PR_SET_PDEATHSIG` fires when the parent *thread* exits; the zygote has one).
A process that forks workers after `create_app` (gunicorn's `preload_app`) stops the pool before
forking and starts it in each worker, as `eocic_kg.serve` does; a call in a process where the
pool was not started starts it then (from a request thread: a fallback, still never tied to it).

- The zygote exits when its worker's control socket closes (the worker exited or was killed),
  stopping its executors; an executor dies with the zygote (`PR_SET_PDEATHSIG`) and ends when
  its call socket hangs up.
- The zygote reaps its executors and tells the pool how each ended, so an answer names the
  memory budget only when the executor died of it (SIGABRT under the cap, or MemoryError).

**An executor** is confined first thing (`eocic_kg.sandbox.confine`: no network, no
capabilities, `no_new_privs`, a seccomp filter); opens an on-disk store at once, before it
answers, outside any request's time limit (a writable store may replay its log): a call that
finds it still opening gets `StoreOpening` (503), as does `/ready`, while the open goes on; and
evaluates on a large stack, so that deep nesting cannot overflow the engine's parser.

**A call** has one deadline, which covers the wait for a free executor and the evaluation. An
executor is put back only after a complete exchange (call sent, answer read); one that passes
the deadline, or whose client hangs up (reads only), is stopped: SIGKILL, or for the writer
SIGTERM first, so it flushes its store and exits cleanly (the zygote sends SIGKILL if it has not
within `GRACE` seconds). A read whose executor died before answering is retried once on a fresh
one, unless the executor was started for it (the read may be what kills it); a write never is.

**Writes** (`writable`): one executor holds the on-disk store read-write, so writes are one at
a time and atomic. Each carries a unique marker committed in the same transaction
(`eocic_kg.store`); when its answer is lost (time limit, executor died) the pool asks a fresh
executor for the marker before answering applied or not, and says the outcome is unknown (503,
`OutcomeUnknown`, with the query that tells) only if the store cannot be asked.

**Results** larger than `CHUNK` (asked for with `QueryPool.stream`) come from the executor in
pieces, which the caller relays one at a time (`Streamed`): the worker never holds a large
answer whole, and the executor is put back once the last piece is read (or stopped, at the
deadline, on a hang-up or when the caller closes the stream early). Query results are kept in a
per-process `ResultCache`, keyed by the `Call`, a streamed one only if it was whole within the
cache's limit; a result is kept only if no write happened since its read began. A remote
engine's results are not cached: it changes behind the pool's back (`eocic-kg push`, other
clients).
"""

from __future__ import annotations

import asyncio
import os
import pickle
import queue
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from eocic_kg.errors import (
    EngineError,
    NotAcceptableError,
    QueryError,
    RefusedError,
    StoreBusyError,
    UnknownResourceError,
)
from eocic_kg.remote import RemoteStore
from eocic_kg.results import Result
from eocic_kg.sandbox import confine, limit_memory, name_process
from eocic_kg.store import WRITES_GRAPH
from eocic_kg.store_api import QueryRequest, StoreAPI, UpdateRequest
from eocic_kg.web.result_cache import ResultCache

#: Stack of the thread that evaluates in an executor: the engine's parser recurses once per
#: nesting level, and a 64 KiB query cannot nest deeper than this allows (pages are touched
#: only when used).
EXECUTOR_STACK = 512 * 2**20
#: Operations that change the store.
WRITES = frozenset({"update", "load_graph", "drop_graph"})
#: Writes of whole graphs (Graph Store uploads and deletes), limited by `upload_timeout`.
GRAPH_STORE_WRITES = frozenset({"load_graph", "drop_graph"})
#: Time limit of the server's own bookkeeping calls (dumps of the release, graph sizes).
INTERNAL_TIMEOUT = 120.0
#: Seconds a stopped writer has to flush its store and exit before SIGKILL.
GRACE = 5.0
#: Seconds given to find out whether a write whose answer was lost was applied (a fresh
#: executor must wait for the old one to let go of the store, then open it).
SETTLE_TIMEOUT = 30.0
#: Exceptions an executor sends back by name, re-raised as themselves in the server.
_ERRORS: dict[str, type[Exception]] = {
    "QueryError": QueryError,
    "RefusedError": RefusedError,
    "UnknownResourceError": UnknownResourceError,
    "NotAcceptableError": NotAcceptableError,
    "StoreBusyError": StoreBusyError,
    "EngineError": EngineError,
}
_STATUS = struct.Struct("i")
#: Bytes of a result body per message: a larger body is sent in pieces of this size, which
#: the worker relays to the client one at a time (`Streamed`), never holding the whole body.
CHUNK = 256 * 1024


class Unavailable(Exception):
    """The store cannot answer this request now (HTTP 503)."""


class QueryTimeout(Unavailable):
    """The operation ran past the time limit and was stopped."""


class ServerBusy(Unavailable):
    """No executor became free within the time limit."""


class StoreOpening(ServerBusy):
    """The executor is still opening the store (replaying its log): try again shortly."""


class OutcomeUnknown(Unavailable):
    """A write's answer was lost and the store could not be asked whether it was applied."""


class ClientGone(Exception):
    """The client closed its connection while its query ran (the query was stopped)."""


class ExecutorFailed(RuntimeError):
    """The executor died or failed while answering."""


@dataclass(frozen=True)
class Call:
    """One store operation for an executor: a `StoreAPI` method, its arguments and options."""

    method: str
    args: tuple[Any, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    #: A query result body larger than `CHUNK` comes in pieces (see `Streamed`).
    stream: bool = False

    @property
    def writes(self) -> bool:
        return self.method in WRITES

    def key(self) -> str:
        """A cache key naming everything that shapes the answer."""
        return repr((self.method, self.args, sorted((k, repr(v)) for k, v in self.options.items())))


# The executor: runs in the child the zygote forks.


def _answer(store: StoreAPI, conn: Connection) -> None:
    """Open the store and say so, then answer calls until the pool closes the socket."""
    reply = _reply(getattr(store, "ensure_open", lambda: None))
    ready = reply[0] == "ok"
    with suppress(EOFError, OSError):
        _send(conn, ("ready", None) if ready else reply)
        while ready:
            call: Call = conn.recv()
            reply = _reply(getattr(store, call.method), *call.args, **call.options)
            body = reply[1].body if call.stream and reply[0] == "ok" else b""
            if len(body) <= CHUNK:
                _send(conn, reply)
                continue
            _send(conn, ("stream", (replace(reply[1], body=b""), len(body))))
            view = memoryview(body)
            for start in range(0, len(body), CHUNK):
                conn.send_bytes(view[start : start + CHUNK])


def _send(conn: Connection, message: Any) -> None:
    """`conn.send(message)` with the plain pickler, which `recv` reads as well: ~1.5 us less
    per message than multiprocessing's own (made per message, with reducers that no call or
    answer needs)."""
    conn.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))


def _reply(method: Any, *args: Any, **options: Any) -> tuple[str, Any]:
    """What an executor answers for one call: ("ok", result), or an error by name."""
    try:
        return ("ok", method(*args, **options))
    except tuple(_ERRORS.values()) as e:
        return (type(e).__name__, str(e))
    except MemoryError:
        return ("memory", None)
    except Exception as e:  # an engine failure must not end the loop
        return ("error", f"{type(e).__name__}: {e}")


def _executor(store: StoreAPI, fd: int, parent: int, network: bool, memory: int | None) -> None:
    """Executor main: confine, drop inherited descriptors, answer on a large stack."""
    name_process("eocic-executor")
    confine(parent, network=network)
    signal.set_wakeup_fd(-1)
    for sig, action in ((signal.SIGINT, signal.SIG_IGN), (signal.SIGCHLD, signal.SIG_DFL)):
        signal.signal(sig, action)
    signal.signal(signal.SIGTERM, lambda *_: _stop_cleanly(store))
    os.closerange(3, fd)  # inherited descriptors would keep connections and files open
    os.closerange(fd + 1, os.sysconf("SC_OPEN_MAX"))
    if memory is not None:  # the evaluating thread's stack is part of the budget
        limit_memory(memory + EXECUTOR_STACK)
    threading.stack_size(EXECUTOR_STACK)
    worker = threading.Thread(target=_answer, args=(store, Connection(fd)), name="evaluate")
    worker.start()
    worker.join()


def _stop_cleanly(store: StoreAPI) -> None:
    """SIGTERM: flush a writable store (so the next open has little log to replay) and exit.

    A write in progress is not committed: its transaction goes with the process.
    """
    with suppress(Exception):
        if (flush := getattr(store, "flush", None)) is not None:
            flush()
    os._exit(0)


# The zygote: forks executors for its worker.


def _forked(main: Callable[[], None]) -> int:
    """Fork a child that runs `main`, then exits (status 0, or 1 with the traceback printed,
    never returning into the parent's code); the child's pid."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            main()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def _zygote(control: socket.socket, store: StoreAPI, options: tuple[bool, int | None]) -> None:
    """Zygote main: fork executors on request until the worker's control socket closes.

    Requests are datagrams: `spawn` (answered with the pid and two descriptors: the executor's
    call socket and a pipe that gets its wait status when it ends) and `stop PID`.
    """
    name_process("eocic-zygote")  # and find the C library once, for every executor
    keep = control.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
    for sig in (signal.SIGINT, signal.SIGTERM):  # it ends when its worker does, not before
        signal.signal(sig, signal.SIG_IGN)
    # it writes statuses to pipes that the pool may have closed (a discarded executor's): an
    # error, never its death, even when it was forked from a process that made SIGPIPE fatal
    # (`eocic_kg.cli.main` does, for `eocic-kg ... | head`); its executors inherit this
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    graceful = getattr(store, "writable", False) and getattr(store, "on_disk", False)
    children: dict[int, int] = {}  # executor pid -> the write end of its status pipe
    kill_at: dict[int, float] = {}  # executor pid -> when SIGKILL follows its SIGTERM

    def stop(pid: int) -> None:
        if pid not in children:
            return
        if graceful:
            os.kill(pid, signal.SIGTERM)
            kill_at.setdefault(pid, time.monotonic() + GRACE)
        else:
            os.kill(pid, signal.SIGKILL)

    poller = select.poll()
    poller.register(keep, select.POLLIN)
    poller.register(wake_r, select.POLLIN)
    serving = True
    while serving or children:
        wait = min(kill_at.values(), default=None)
        timeout = None if wait is None else max(0, int((wait - time.monotonic()) * 1000) + 1)
        for fd, _ in poller.poll(timeout):
            if fd == wake_r:
                with suppress(BlockingIOError):
                    os.read(wake_r, 512)
                continue
            try:
                request = control.recv(64)
            except OSError:
                request = b""
            if not request:  # the worker is gone: stop every executor, then exit
                serving = False
                poller.unregister(keep)
                for pid in list(children):
                    stop(pid)
            elif request == b"spawn":
                _spawn(control, store, options, children)
            elif request.startswith(b"stop "):
                stop(int(request.split()[1]))
        while children:  # reap, and tell each executor's pool how it ended
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            kill_at.pop(pid, None)
            if (status_w := children.pop(pid, None)) is not None:
                with suppress(OSError):
                    os.write(status_w, _STATUS.pack(status))
                os.close(status_w)
        for pid, when in list(kill_at.items()):
            if when <= time.monotonic():
                os.kill(pid, signal.SIGKILL)
                del kill_at[pid]


def _spawn(
    control: socket.socket,
    store: StoreAPI,
    options: tuple[bool, int | None],
    children: dict[int, int],
) -> None:
    """Fork one executor and send its call socket and status pipe to the worker."""
    mine, theirs = socket.socketpair()
    status_r, status_w = os.pipe()
    try:
        pid = _forked(lambda: _executor(store, theirs.fileno(), os.getppid(), *options))
    except OSError as e:
        for s in (mine, theirs):
            s.close()
        for fd in (status_r, status_w):
            os.close(fd)
        control.send(f"cannot fork an executor: {e}".encode())
        return
    theirs.close()
    children[pid] = status_w
    with suppress(OSError):  # the worker may be gone: the loop then stops everything
        socket.send_fds(control, [str(pid).encode()], [mine.fileno(), status_r])
    mine.close()
    os.close(status_r)


# The worker's side.


def _over(status: int | None, memory: int | None) -> bool:
    """Whether an executor ended by passing its memory cap: the engine aborts (SIGABRT) when
    an allocation fails."""
    return (
        bool(memory)
        and status is not None
        and os.WIFSIGNALED(status)
        and (os.WTERMSIG(status) == signal.SIGABRT)
    )


def _death(status: int | None, memory: int | None) -> str:
    """Why an executor ended, from its wait status (None: unknown)."""
    if _over(status, memory):
        return _over_budget(memory)
    if status is not None and os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        return f"the query engine process died (signal {number}, {signal.Signals(number).name})"
    if status is not None and os.WIFEXITED(status):
        return f"the query engine process exited (status {os.WEXITSTATUS(status)})"
    return "the query engine process died"


def _over_budget(memory: int | None) -> str:
    budget = f" of {memory // 2**20} MiB" if memory else ""
    return f"the evaluation needed more memory than its budget{budget} and was stopped"


def _hang_up_events(client: socket.socket | int) -> tuple[int, int]:
    """The descriptor and poll events that say the client hung up.

    A socket: the peer closed or reset it (POLLRDHUP, POLLHUP, POLLERR), even with unread
    pipelined bytes before the end. Any other descriptor (a pipe, an eventfd) is readable
    when the front that owns the connection signals a hang-up.
    """
    if isinstance(client, socket.socket):
        return client.fileno(), select.POLLRDHUP
    return client, select.POLLIN


class _Zygote:
    """The worker's handle on its zygote (see the module docstring).

    For an on-disk store the zygote is a fresh interpreter (`python -m eocic_kg.web.pool`),
    not a fork: there is nothing to share copy-on-write, and RocksDB's background threads do
    not survive a fork, so executors forked from a process that had opened any on-disk store
    would wait forever for a flush.
    """

    def __init__(self, store: StoreAPI, options: tuple[bool, int | None]) -> None:
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._process: subprocess.Popen[bytes] | None = None
        path = getattr(store, "path", None)
        if path is not None:
            network, memory = options
            writable = "w" if getattr(store, "writable", False) else "r"
            command = [sys.executable, "-m", "eocic_kg.web.pool", str(theirs.fileno()), str(path)]
            command += [writable, "1" if network else "0", str(memory or 0)]
            self._process = subprocess.Popen(command, pass_fds=[theirs.fileno()])
            pid = self._process.pid
        else:

            def zygote() -> None:
                self.control.close()
                _zygote(theirs, store, options)

            pid = _forked(zygote)
        theirs.close()
        self.pid = pid
        self._lock = threading.Lock()

    def spawn(self, memory: int | None) -> _Executor:
        """A new executor (ExecutorFailed if none can be started)."""
        with self._lock:
            try:
                self.control.send(b"spawn")
                message, fds, _, _ = socket.recv_fds(self.control, 256, 2)
            except OSError:
                message, fds = b"", []
        if len(fds) != 2:
            for fd in fds:
                os.close(fd)
            reason = message.decode() or "the zygote is gone"
            error = ExecutorFailed if message else _ZygoteGone
            raise error(f"could not start a query engine process: {reason}")
        return _Executor(self, int(message), fds[0], fds[1], memory)

    def stop(self, pid: int) -> None:
        with self._lock, suppress(OSError):
            self.control.send(b"stop %d" % pid)

    def close(self) -> None:
        """End the zygote, which stops its executors first (a writer cleanly)."""
        self.control.close()
        if self._process is not None:
            self._process.wait()
        else:
            with suppress(ChildProcessError):
                os.waitpid(self.pid, 0)


class _ZygoteGone(ExecutorFailed):
    """The zygote died (it was killed): the pool starts another."""


class _Lost(Exception):
    """A call was sent and its answer will never come: time limit, or the executor died."""

    def __init__(
        self, executor: _Executor, timed_out: bool, status: int | None, retry: bool
    ) -> None:
        self.retry = retry  # a read may be tried again: the executor was not started for it
        self.timed_out = timed_out
        self.status = status
        self.memory = executor.memory

    @property
    def over_budget(self) -> bool:
        return _over(self.status, self.memory)

    def reason(self, limit: float) -> str:
        if self.timed_out:
            return f"it did not finish within the time limit of {limit:g} s"
        return _death(self.status, self.memory)

    def error(self, call: Call, limit: float) -> Exception:
        """The error for a call lost this way that changed nothing."""
        what = "update" if call.writes else "query"
        nothing = "; it changed nothing" if call.writes else ""
        if self.timed_out:
            return QueryTimeout(
                f"the {what} did not finish within the time limit of {limit:g} s and was "
                f"stopped{nothing}"
            )
        return ExecutorFailed(f"{_death(self.status, self.memory)}{nothing}")


class _Executor:
    """The worker's end of one executor."""

    def __init__(
        self, zygote: _Zygote, pid: int, call_fd: int, status_fd: int, memory: int | None
    ) -> None:
        self.zygote, self.pid, self.memory = zygote, pid, memory
        self.conn = Connection(call_fd)
        self.status_fd = status_fd
        self.ready = False  # it said the store is open

    def wait(self, deadline: float, client: socket.socket | int | None = None) -> bool:
        """Whether the executor has something to say (an answer, or its end) before `deadline`.

        With the `client` (see `_hang_up_events`), a hang-up meanwhile raises ClientGone.
        """
        poller = select.poll()
        poller.register(self.conn.fileno(), select.POLLIN)
        hang_up = -1
        if client is not None:
            hang_up, events = _hang_up_events(client)
            poller.register(hang_up, events)
        while (left := deadline - time.monotonic()) > 0:
            ready = dict(poller.poll(int(left * 1000) + 1))
            if self.conn.fileno() in ready:
                return True
            if hang_up in ready:
                raise ClientGone("the client hung up before the answer")
        return False

    async def readable(self, deadline: float, gone: asyncio.Future[None]) -> bool:
        """`wait` on the running event loop: whether the executor has something to say before
        `deadline`; ClientGone if `gone` is done first."""
        loop = asyncio.get_running_loop()
        fd = self.conn.fileno()
        while (left := deadline - time.monotonic()) > 0:
            woken: asyncio.Future[bool] = loop.create_future()  # True: the executor spoke

            def wake(readable: bool, woken: asyncio.Future[bool] = woken) -> None:
                if not woken.done():
                    woken.set_result(readable)

            def hung_up(_: object, wake: Callable[[bool], None] = wake) -> None:
                wake(False)

            loop.add_reader(fd, wake, True)
            gone.add_done_callback(hung_up)
            timer = loop.call_later(left, wake, False)
            try:
                readable = await woken
            finally:
                loop.remove_reader(fd)
                gone.remove_done_callback(hung_up)
                timer.cancel()
            if readable or self.conn.poll():  # it may have spoken as the rest woke us
                return True
            if gone.done():
                raise ClientGone("the client hung up before the answer")
        return False

    def receive(self) -> tuple[str, Any]:
        """The executor's next message (EOFError or OSError if it died)."""
        message: tuple[str, Any] = self.conn.recv()
        return message

    def exit_status(self) -> int | None:
        """How the executor ended (a wait status), as its zygote tells; None if unknown."""
        if select.select([self.status_fd], [], [], 2.0)[0]:
            data = os.read(self.status_fd, _STATUS.size)
            if len(data) == _STATUS.size:
                status: int = _STATUS.unpack(data)[0]
                return status
        return None

    def discard(self) -> None:
        """Stop the executor (its zygote sends the signal) and let go of it."""
        self.conn.close()
        os.close(self.status_fd)
        self.zygote.stop(self.pid)


class QueryPool:
    """Executors answering `Call`s on `store` under a time limit.

    `writable` pools have one executor, which alone holds the (on-disk) store read-write.
    `network` lets executors reach the network: only for a remote engine, which evaluates.
    `memory_bytes` caps what one executor may allocate beyond what it inherits.
    `timeout` limits each query and update, `upload_timeout` a Graph Store upload or delete,
    `internal_timeout` the server's own calls.
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
        internal_timeout: float = INTERNAL_TIMEOUT,
        upload_timeout: float = 0.0,
    ) -> None:
        self.store = store
        self.cache = ResultCache(0 if isinstance(store, RemoteStore) else cache_bytes)
        self.size = 1 if writable else size
        self.timeout = timeout
        self.internal_timeout = max(timeout, internal_timeout)
        self.upload_timeout = max(timeout, upload_timeout)
        self.writable = writable
        self.network = network
        self.memory_bytes = memory_bytes
        self._write_lock = threading.Lock()
        self._start_lock = threading.RLock()  # start() may replace a dead zygote
        self._pid = -1
        self._zygote: _Zygote | None = None
        self._idle: queue.LifoQueue[_Executor | None] = queue.LifoQueue()

    @property
    def generation(self) -> int:
        """Counts the writes; caches of derived views are keyed by it."""
        return self.cache.generation

    @property
    def longest_call(self) -> float:
        """Seconds the longest call may take: a graceful shutdown should wait that long."""
        writes = self.upload_timeout + SETTLE_TIMEOUT if self.writable else 0.0
        return max(self.internal_timeout, writes)

    def start(self) -> None:
        """Start this process's zygote, best while the process has one thread (gunicorn's
        `post_fork`, or before serving); for an on-disk store also the executors, which open
        it now. A no-op when started; a call starts the pool if nobody did."""
        if self._pid == os.getpid():
            return
        with self._start_lock:
            if self._pid == os.getpid():
                return
            self._zygote = _Zygote(self.store, (self.network, self.memory_bytes))
            self._idle = queue.LifoQueue()
            self._pid = os.getpid()
            eager = getattr(self.store, "on_disk", False)  # so the store opens now
            for _ in range(self.size):
                self._idle.put(self._started() if eager else None)

    def stop(self) -> None:
        """Stop this process's zygote and executors (a writer flushes its store and closes
        it first); a later call starts them again."""
        with self._start_lock:
            if self._pid != os.getpid() or self._zygote is None:
                return
            with suppress(queue.Empty):
                while True:
                    if (executor := self._idle.get_nowait()) is not None:
                        executor.conn.close()
                        os.close(executor.status_fd)
            self._zygote.close()
            self._zygote, self._pid = None, -1

    def _spawn(self) -> _Executor:
        zygote = self._zygote
        assert zygote is not None
        try:
            return zygote.spawn(self.memory_bytes)
        except _ZygoteGone:  # someone killed it: start another (from this thread, if need be)
            with self._start_lock:
                if self._zygote is zygote:
                    zygote.close()
                    self._zygote = _Zygote(self.store, (self.network, self.memory_bytes))
                replacement = self._zygote
            assert replacement is not None
            return replacement.spawn(self.memory_bytes)

    def _started(self) -> _Executor | None:
        """A new executor, or None if none could start now (the next call tries again)."""
        with suppress(ExecutorFailed):
            return self._spawn()
        return None

    def call(
        self, call: Call, *, cached: bool = True, client: socket.socket | int | None = None
    ) -> Any:
        """Run `call` in an executor (a query may be answered from the cache).

        A read whose `client` hangs up is stopped at once (ClientGone): `client` is the
        client's socket, or a descriptor that becomes readable when the client hangs up.
        """
        if call.writes:
            return self._write(call)
        limit = self.timeout if call.method == "query" else self.internal_timeout
        deadline = time.monotonic() + limit
        if not cached or call.method != "query" or not self.cache.limit:
            return self._read(call, deadline, limit, client)  # a cache that keeps nothing: no key
        key, generation = call.key(), self.cache.generation
        result = self.cache.get(key)
        if result is None:
            result = self._read(call, deadline, limit, client)
            if isinstance(result, Streamed):  # kept only if whole within the cache's limit
                result.keep = lambda whole: self.cache.put(key, whole, generation)
            else:
                self.cache.put(key, result, generation)
        return result

    def query(
        self,
        request: QueryRequest,
        *,
        client: socket.socket | int | None = None,
        cached: bool = True,
    ) -> Result:
        """Run `Store.query(request)` in an executor (or answer from the cache, if `cached`)."""
        return self.call(Call("query", (request,)), client=client, cached=cached)

    def stream(
        self, request: QueryRequest, *, client: socket.socket | int | None = None
    ) -> Result | Streamed:
        """Like `query`, but a result body larger than `CHUNK` comes as a `Streamed`: its
        executor sends the body in pieces while the caller relays them."""
        return self.call(Call("query", (request,), stream=True), client=client)  # type: ignore[no-any-return]

    async def stream_now(
        self, request: QueryRequest, gone: asyncio.Future[None], client: Callable[[], int]
    ) -> Result | Streamed | None:
        """`stream(request)` on the running event loop, with no thread: answered from the
        cache, or by an idle executor that has opened the store, if one is free now (None: not
        now; call `stream` in a thread, which waits for one). As there, the executor is stopped
        at the deadline or when the client hangs up (`gone` done: ClientGone); `client` gives
        the descriptor that says so while a `Streamed` result is relayed. Not for writable
        pools (None), whose reads share the writer."""
        call = Call("query", (request,), stream=True)
        if self.writable or self._pid != os.getpid():
            return None
        key = call.key() if self.cache.limit else ""  # a cache that keeps nothing needs none
        generation = self.cache.generation
        if key and (cached := self.cache.get(key)) is not None:
            return cached  # type: ignore[no-any-return]
        try:
            executor = self._idle.get_nowait()
        except queue.Empty:
            return None
        if executor is None or not executor.ready:
            self._idle.put(executor)
            return None
        deadline = time.monotonic() + self.timeout
        held: list[_Executor | None] = [None]  # put back only after a complete exchange
        result: Any = None
        handed_over = False  # to the thread that copes with the executor's death
        try:
            try:
                _send(executor.conn, call)
                answered = await executor.readable(deadline, gone)
                answer = executor.receive() if answered else None
            except (EOFError, OSError):  # it died: as `_read`, once more unless out of memory
                handed_over, watched = True, client()  # the descriptor is made on the loop
                result = await _in_thread(
                    lambda: self._after_death(executor, call, deadline, watched)
                )
            except BaseException:  # a hang-up, or anything: its answer must reach nobody else
                self._replace(executor, held)
                raise
            else:
                if answer is None:
                    self._replace(executor, held)
                    raise _Lost(executor, True, None, True).error(call, self.timeout)
                result = self._outcome(executor, held, answer, deadline, None)
        finally:
            if not handed_over:
                self._release(held, result)
        if isinstance(result, Streamed):
            result._client = result._client or client()
            result.keep = lambda whole: self.cache.put(key, whole, generation)
        else:
            self.cache.put(key, result, generation)
        return result  # type: ignore[no-any-return]

    def _after_death(self, executor: _Executor, call: Call, deadline: float, client: int) -> Any:
        """The rest of a read whose reused executor died before answering, in a thread that
        owns the read's slot from now on: the executor is stopped and, unless it died of the
        memory cap, the call runs once more on a fresh one within the read's own deadline."""
        held: list[_Executor | None] = [None]
        result: Any = None
        try:
            ended = executor.exit_status()
            self._replace(executor, held)
            lost = _Lost(executor, False, ended, True)
            if lost.over_budget:
                raise lost.error(call, self.timeout)
            try:
                result = self._exchange(held, call, deadline, client)
            except _Lost as again:
                raise again.error(call, self.timeout) from None
            return result
        finally:
            self._release(held, result)

    def _release(self, held: list[_Executor | None], result: Any) -> None:
        """Give back the slot `held` at once, or when `result`, a `Streamed`, ends."""
        if isinstance(result, Streamed):
            result.slot.callback(lambda: self._idle.put(held[0]))
        else:
            self._idle.put(held[0])

    @contextmanager
    def _slot(self, deadline: float) -> Iterator[list[_Executor | None]]:
        """One of the `size` slots, waited for until `deadline`: [its executor or None]."""
        self.start()
        try:
            held = [self._idle.get(timeout=max(0.0, deadline - time.monotonic()))]
        except queue.Empty:
            raise ServerBusy("all query executors are busy; try again later") from None
        try:
            yield held
        finally:
            self._idle.put(held[0])

    def _read(
        self, call: Call, deadline: float, limit: float, client: socket.socket | int | None
    ) -> Any:
        with ExitStack() as slot:
            held = slot.enter_context(self._slot(deadline))
            try:
                answer = self._exchange(held, call, deadline, client)
            except _Lost as lost:
                if lost.timed_out or not lost.retry or lost.over_budget:
                    raise lost.error(call, limit) from None
                try:  # an executor started before this read died: once more, on a fresh one
                    answer = self._exchange(held, call, deadline, client)
                except _Lost as lost:
                    raise lost.error(call, limit) from None
            if isinstance(answer, Streamed):  # the slot is the stream's until it ends
                answer.slot = slot.pop_all()
            return answer

    def _write(self, call: Call) -> Any:
        if not self.writable:
            raise RefusedError("this server is read-only")
        limit = self.upload_timeout if call.method in GRAPH_STORE_WRITES else self.timeout
        deadline = time.monotonic() + limit
        if not self._write_lock.acquire(timeout=self.timeout):
            raise ServerBusy("another write is running; try again later")
        try:
            marker = f"urn:uuid:{uuid.uuid4()}"
            marked = Call(call.method, call.args, {**call.options, "marker": marker})
            try:
                with self._slot(deadline) as held:
                    result = self._exchange(held, marked, deadline)
            except _Lost as lost:
                return self._settle(call, marker, lost, limit)
            self._forget(marker)
            return result
        finally:
            self.cache.invalidate()  # it changed the store, or may have
            self._write_lock.release()

    def _settle(self, call: Call, marker: str, lost: _Lost, limit: float) -> Any:
        """The outcome of a write whose answer was lost: a fresh executor looks for its marker."""
        deadline = time.monotonic() + SETTLE_TIMEOUT
        try:
            applied, result = self._read(
                Call("write_outcome", (marker,)), deadline, SETTLE_TIMEOUT, None
            )
        except (Unavailable, ExecutorFailed) as e:
            check = f"ASK {{ GRAPH <{WRITES_GRAPH}> {{ <{marker}> ?p ?o }} }}"
            raise OutcomeUnknown(
                f"the write was stopped ({lost.reason(limit)}), and whether it was "
                f"applied is unknown: the store could not be asked ({e}). Do not repeat it "
                f"before asking `{check}` once the server answers: true means it was applied"
            ) from None
        if applied is None:  # the chunks of a large upload or delete are not one transaction
            self._forget(marker)
            what, done, again = (
                ("delete", "removed", "DELETE it again")
                if call.method == "drop_graph"
                else ("upload", "written", "PUT the whole graph again")
            )
            raise OutcomeUnknown(
                f"the {what} was stopped ({lost.reason(limit)}) after part of it was {done}: "
                + again
            )
        if not applied:
            raise lost.error(call, limit)
        self._forget(marker)
        return result

    def _forget(self, marker: str) -> None:
        """Remove the marker of a write whose outcome its client is told (best effort: a
        marker left behind is harmless)."""
        with (
            suppress(Unavailable, ExecutorFailed, QueryError, _Lost),
            self._slot(time.monotonic() + self.timeout) as held,
        ):
            self._exchange(held, Call("forget_write", (marker,)), time.monotonic() + self.timeout)

    def _exchange(
        self,
        held: list[_Executor | None],
        call: Call,
        deadline: float,
        client: socket.socket | int | None = None,
    ) -> Any:
        """Send `call` to the slot's executor (started or replaced as needed) and return its
        answer; raise _Lost if it was sent but no answer came."""
        retry = held[0] is not None  # the executor was started before this call
        executor = held[0] or self._spawn()
        held[0] = executor
        if not executor.ready:
            self._await_ready(held, deadline)
        held[0] = None  # put back only after a complete exchange
        try:
            _send(executor.conn, call)
            answered = executor.wait(deadline, None if call.writes else client)
            if answered:
                status, payload = executor.receive()
        except (EOFError, OSError):
            ended = executor.exit_status()
            self._replace(executor, held)
            raise _Lost(executor, False, ended, retry) from None
        except BaseException:  # a hang-up, or anything: its answer must reach nobody else
            self._replace(executor, held)
            raise
        if not answered:
            self._replace(executor, held)
            raise _Lost(executor, True, None, retry)
        return self._outcome(executor, held, (status, payload), deadline, client)

    def _outcome(
        self,
        executor: _Executor,
        held: list[_Executor | None],
        answer: tuple[str, Any],
        deadline: float,
        client: socket.socket | int | None,
    ) -> Any:
        """The result of the executor's `answer` (status, payload): a value, a `Streamed`
        (`client` is watched while it is relayed), or its error raised; the executor goes back
        to the slot unless it still streams."""
        status, payload = answer
        if status == "stream":
            result, size = payload
            return Streamed(self, executor, held, result, size, deadline, client)
        held[0] = executor
        if status == "ok":
            return payload
        if status == "memory":
            raise ExecutorFailed(_over_budget(self.memory_bytes))
        raise _ERRORS.get(status, ExecutorFailed)(payload)

    def _await_ready(self, held: list[_Executor | None], deadline: float) -> None:
        """Wait until the slot's new executor has opened the store."""
        executor = held[0]
        assert executor is not None
        if not executor.wait(deadline):  # it goes on opening, outside this call's limit
            if getattr(self.store, "on_disk", False):
                raise StoreOpening(
                    "the store is opening (replaying its log after a restart or a stopped "
                    "operation); try again in a moment"
                )
            raise ServerBusy("no query executor was free within the time limit; try again")
        try:
            status, payload = executor.receive()
        except (EOFError, OSError):  # it died opening: not this call's doing (none was sent)
            ended = executor.exit_status()
            self._replace(executor, held)
            raise _Lost(executor, False, ended, True) from None
        if status != "ready":
            self._replace(executor, held)
            raise _ERRORS.get(status, ExecutorFailed)(payload)
        executor.ready = True

    def _replace(self, executor: _Executor, held: list[_Executor | None]) -> None:
        """Stop `executor`; a writable pool starts the next one at once, so that it opens the
        store while no request waits for it."""
        executor.discard()
        held[0] = self._started() if self.writable else None


async def _in_thread(run: Callable[[], Any]) -> Any:
    """`run()` in a thread of its own (it may block); if the awaiting request is cancelled
    first, a `Streamed` result it makes is closed, so its executor is let go."""
    made: Future[Any] = Future()

    def thread() -> None:
        if made.set_running_or_notify_cancel():
            try:
                made.set_result(run())
            except BaseException as e:  # handed to the awaiting request
                made.set_exception(e)

    threading.Thread(target=thread, name="retry", daemon=True).start()
    try:
        return await asyncio.wrap_future(made)
    except asyncio.CancelledError:
        made.add_done_callback(_close_streamed)
        raise


def _close_streamed(made: Future[Any]) -> None:
    answered = not made.cancelled() and made.exception() is None
    if answered and isinstance(result := made.result(), Streamed):
        result.close()


class Streamed:
    """A query result whose body its executor is still sending: `result` says what it is
    (its body empty), `size` how many bytes come. Iterating yields the body in pieces of
    `CHUNK` bytes as they arrive, so no more than a piece is held here; the executor goes
    back to the pool once the last piece is read, or is stopped by `close()` before that
    (the client left), at the deadline (QueryTimeout) or when the client hangs up.
    """

    def __init__(
        self,
        pool: QueryPool,
        executor: _Executor,
        held: list[_Executor | None],
        result: Result,
        size: int,
        deadline: float,
        client: socket.socket | int | None,
    ) -> None:
        self.result, self.size = result, size
        self.slot = ExitStack()  # the pool's slot, released when the stream ends
        #: Called with the whole result if it was kept whole (no more than the cache's limit).
        self.keep: Callable[[Result], None] | None = None
        self._pool, self._executor, self._held = pool, executor, held
        self._deadline, self._client = deadline, client
        self._left = size

    def __iter__(self) -> Iterator[bytes]:
        limit = self._pool.cache.limit if self.keep is not None else 0
        kept: list[bytes] | None = [] if self.size <= limit else None
        try:
            while self._left > 0:
                if not self._executor.wait(self._deadline, self._client):
                    raise QueryTimeout(
                        f"the answer was not sent within the time limit of "
                        f"{self._pool.timeout:g} s and was stopped"
                    )
                try:
                    piece = self._executor.conn.recv_bytes()
                except (EOFError, OSError):
                    status = self._executor.exit_status()
                    raise ExecutorFailed(_death(status, self._executor.memory)) from None
                self._left -= len(piece)
                if kept is not None:
                    kept.append(piece)
                yield piece
        finally:
            self.close()
        if kept is not None and self.keep is not None:
            self.keep(replace(self.result, body=b"".join(kept)))

    def close(self) -> None:
        """End the stream: the executor goes back if it sent everything, else it is stopped."""
        if self._executor is None:
            return
        executor, self._executor = self._executor, None  # type: ignore[assignment]
        if self._left > 0:
            self._pool._replace(executor, self._held)
        else:
            self._held[0] = executor
        self.slot.close()


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


if __name__ == "__main__":  # the zygote of an on-disk store (see `_Zygote`)
    from eocic_kg.store import Store

    fd, path, mode, network, memory = sys.argv[1:6]
    _zygote(
        socket.socket(fileno=int(fd)),
        Store.open(Path(path), writable=mode == "w"),
        (network == "1", int(memory) or None),
    )
